// Ahead-of-time back end of `lbc build`: a codegen module becomes LLVM IR text, assembly or a
// PIC object file, and an object becomes a standalone executable linked with the runtime and
// stdlib static archives by the system C++ driver. LLVM-free header.
#pragma once
#include <string>
#include <vector>

#include "codegen/codegen.h"

namespace lbc::aot {

enum class EmitKind { Llvm, Asm, Obj };

struct EmitOptions {
  std::string cpu;  // empty: a generic CPU of the host's architecture (x86-64 baseline)
  bool optimize = true;
};

// Writes `module` to `path`; returns an error message, empty on success.
std::string emit(codegen::Module& module, EmitKind kind, const std::string& path,
                 const EmitOptions& opts = {});

struct LinkOptions {
  std::vector<std::string> objects;   // the emitted object(s)
  std::vector<std::string> archives;  // static libraries, in link order; default: runtimeArchives()
  std::vector<std::string> libs;      // system libraries; default: runtimeSystemLibs()
  std::vector<std::string> flags;     // extra driver flags (sanitizers of the build, -shared)
  std::string output;
  std::string driver;  // default: $CXX, else "c++"
};

// Runs the C++ driver; returns an error message (with the driver's output), empty on success.
std::string link(const LinkOptions& opts);

// What the build tree produced for executables (from CMake): runtime + stdlib archives with the
// archive holding `main` first, the system libraries they need, and the build's link flags.
std::vector<std::string> runtimeArchives();
std::vector<std::string> runtimeSystemLibs();
std::vector<std::string> buildLinkFlags();
// True when the archive providing `main` (lbc_rt_aot_main) exists in this build.
bool haveMainArchive();

}  // namespace lbc::aot

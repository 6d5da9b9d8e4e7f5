// IR -> LLVM: one function per hook point that has rules, plus the `lbc_program` descriptor
// (`lbc_compiled_program`). This header is LLVM-free so the CLI and tests include it without
// compiling against LLVM; the module itself is opaque (see codegen/module.h, for jit/ and aot/).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ir/ir.h"
#include "lbc/abi.h"

namespace lbc::codegen {

struct Options {
  std::vector<uint8_t> topology;  // encoded topology (the runtime's encoder), embedded as is
  std::string module_name = "lbc";
};

class Module;  // an LLVM context and module (codegen/module.h)
struct ModuleDeleter {
  void operator()(Module* m) const;
};
using ModulePtr = std::unique_ptr<Module, ModuleDeleter>;

struct Result {
  ModulePtr module;
  std::string error;  // set when the program uses something codegen cannot compile
  ir::SourceLoc error_loc;
  bool ok() const { return module != nullptr; }
};

Result generate(const ir::Program& program, const Options& opts);

// Textual LLVM IR of a module (for tests and `lbc build --emit=llvm`).
std::string printModule(const Module& m);

}  // namespace lbc::codegen

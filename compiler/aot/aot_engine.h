// The AOT engine: the program is emitted as the same PIC object `lbc build` links, linked into a
// shared object by the system driver and loaded with dlopen. Its helper references resolve
// against the host executable's exported ABI helpers (link the host with ENABLE_EXPORTS), so
// object emission, relocations and the system linker are all exercised. LLVM-free header.
#pragma once
#include <memory>
#include <string>

#include "codegen/codegen.h"
#include "interp/engine.h"

namespace lbc::aot {
// `module` is codegen's output, made by the driver (driver::makeEngine).
std::unique_ptr<interp::Engine> makeEngine(codegen::Module& module, std::string& err);
}  // namespace lbc::aot

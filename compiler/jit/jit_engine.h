// The JIT and AOT engines of the differential suite and `lbc route`: interp::Engine over the
// lbc_program each back end produces. LLVM-free header.
#pragma once
#include <memory>
#include <string>

#include "codegen/codegen.h"
#include "interp/engine.h"
#include "ir/ir.h"

namespace lbc::jit {
// JIT-compiles `module` (codegen's output, made by the driver) and runs the program's init.
std::unique_ptr<interp::Engine> makeEngine(codegen::ModulePtr module, std::string& err);
}  // namespace lbc::jit

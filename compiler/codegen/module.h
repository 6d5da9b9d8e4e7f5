// The opaque codegen::Module, visible to compiler/jit and compiler/aot only (LLVM headers).
#pragma once
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/Target/TargetMachine.h>

#include <memory>

#include "codegen/codegen.h"

namespace lbc::codegen {

class Module {
 public:
  std::unique_ptr<llvm::LLVMContext> ctx = std::make_unique<llvm::LLVMContext>();
  std::unique_ptr<llvm::Module> mod;
};

// The O2 pipeline, shared by the JIT and AOT so both run the same code.
void optimize(llvm::Module& m, llvm::TargetMachine* tm);

// The native target, initialised once per process.
void initNativeTarget();

}  // namespace lbc::codegen

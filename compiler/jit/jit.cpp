// LLJIT at O2 (IR pipeline from codegen::optimize, backend at CodeGenOptLevel::Default), with
// the process-symbols JITDylib disabled: the only definitions visible to generated code are the
// absolute symbols of the ABI map passed to load().
#include "jit/jit.h"

#include <llvm/ExecutionEngine/Orc/Core.h>
#include <llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/ExecutionEngine/Orc/ThreadSafeModule.h>
#include <llvm/Support/Error.h>

#include "codegen/module.h"

namespace lbc::jit {

struct CompiledProgram::Impl {
  std::unique_ptr<llvm::orc::LLJIT> jit;
};

CompiledProgram::~CompiledProgram() {
  if (initialized_ && program_->fini) program_->fini();
}

namespace {
std::string message(llvm::Error e) {
  return llvm::toString(std::move(e));
}
}  // namespace

struct Loader {
  static LoadResult run(codegen::ModulePtr module, std::span<const Symbol> symbols, bool initialize) {
    codegen::initNativeTarget();
    auto jtmb = llvm::orc::JITTargetMachineBuilder::detectHost();
    if (!jtmb) return {nullptr, "cannot detect the host target: " + message(jtmb.takeError())};
    jtmb->setCodeGenOptLevel(llvm::CodeGenOptLevel::Default);  // O2
    auto tm = jtmb->createTargetMachine();
    if (!tm) return {nullptr, "cannot create the target machine: " + message(tm.takeError())};
    module->mod->setDataLayout((*tm)->createDataLayout());
    module->mod->setTargetTriple((*tm)->getTargetTriple().str());
    codegen::optimize(*module->mod, tm->get());

    auto jit = llvm::orc::LLJITBuilder()
                   .setJITTargetMachineBuilder(std::move(*jtmb))
                   .setLinkProcessSymbolsByDefault(false)
                   // No platform runtime: generated code has no static initialisers, and a
                   // native platform would need the process symbols we refuse to expose.
                   .setPlatformSetUp(llvm::orc::setUpInactivePlatform)
                   .create();
    if (!jit) return {nullptr, "cannot create the JIT: " + message(jit.takeError())};

    // Link errors (an undefined symbol) go to the session's reporter, not to lookup()'s error:
    // keep them for the message.
    auto session_errors = std::make_shared<std::string>();
    (*jit)->getExecutionSession().setErrorReporter([session_errors](llvm::Error e) {
      *session_errors += (session_errors->empty() ? "" : "; ") + llvm::toString(std::move(e));
    });

    llvm::orc::SymbolMap map;
    for (const Symbol& s : symbols)
      map[(*jit)->mangleAndIntern(s.name)] = {
          llvm::orc::ExecutorAddr::fromPtr(s.address),
          llvm::JITSymbolFlags::Exported | llvm::JITSymbolFlags::Callable};
    if (auto e = (*jit)->getMainJITDylib().define(llvm::orc::absoluteSymbols(std::move(map))))
      return {nullptr, "cannot define the ABI symbols: " + message(std::move(e))};

    llvm::orc::ThreadSafeModule tsm(std::move(module->mod), std::move(module->ctx));
    if (auto e = (*jit)->addIRModule(std::move(tsm)))
      return {nullptr, "cannot add the module: " + message(std::move(e))};
    auto addr = (*jit)->lookup("lbc_compiled_program");
    if (!addr) {
      std::string why = message(addr.takeError());
      if (!session_errors->empty()) why = *session_errors;
      return {nullptr, "cannot link the compiled program: " + why};
    }

    std::shared_ptr<CompiledProgram> p(new CompiledProgram());
    p->impl_ = std::make_unique<CompiledProgram::Impl>();
    p->impl_->jit = std::move(*jit);
    p->program_ = addr->toPtr<const lbc_program*>();
    if (initialize && p->program_->init) {
      p->initialized_ = true;
      if (p->program_->init() != 0)
        return {nullptr, "the compiled program failed to initialise (a regex or map)"};
    }
    return {std::move(p), {}};
  }
};

LoadResult load(codegen::ModulePtr module, std::span<const Symbol> symbols, bool initialize) {
  if (!module) return {nullptr, "no module"};
  return Loader::run(std::move(module), symbols, initialize);
}

}  // namespace lbc::jit

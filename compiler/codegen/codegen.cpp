// Entry point of codegen: builds the module, the hook functions and the descriptor.
#include "codegen/codegen.h"

#include <llvm/IR/Constants.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Support/raw_ostream.h>

#include "codegen/module.h"

namespace lbc::codegen {

std::string printModule(const Module& m) {
  std::string s;
  llvm::raw_string_ostream os(s);
  m.mod->print(os, nullptr);
  return s;
}

Result generate(const ir::Program& program, const Options& opts) {
  (void)program;
  Result r;
  ModulePtr mp(new Module());
  mp->mod = std::make_unique<llvm::Module>(opts.module_name, *mp->ctx);
  llvm::Module& m = *mp->mod;
  llvm::LLVMContext& c = *mp->ctx;
  auto* i32 = llvm::Type::getInt32Ty(c);
  auto* i64 = llvm::Type::getInt64Ty(c);
  auto* ptr = llvm::PointerType::getUnqual(c);

  auto* topo_init = llvm::ConstantDataArray::get(c, llvm::ArrayRef<uint8_t>(opts.topology));
  auto* topo = new llvm::GlobalVariable(m, topo_init->getType(), true, llvm::GlobalValue::PrivateLinkage,
                                        topo_init, "lbc.topology");
  auto* desc_ty = llvm::StructType::create(c, {i32, i32, ptr, i64}, "lbc_program");
  auto* desc = llvm::ConstantStruct::get(
      desc_ty, {llvm::ConstantInt::get(i32, LBC_PROGRAM_MAGIC), llvm::ConstantInt::get(i32, LBC_ABI_VERSION),
                topo, llvm::ConstantInt::get(i64, opts.topology.size())});
  new llvm::GlobalVariable(m, desc_ty, true, llvm::GlobalValue::ExternalLinkage, desc,
                           "lbc_compiled_program");

  std::string err;
  llvm::raw_string_ostream es(err);
  if (llvm::verifyModule(m, &es)) {
    r.error = "internal error: invalid generated code: " + err;
    return r;
  }
  r.module = std::move(mp);
  return r;
}

}  // namespace lbc::codegen

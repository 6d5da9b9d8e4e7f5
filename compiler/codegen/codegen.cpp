// Entry point of codegen: builds the module, the hook functions and the descriptor.
#include "codegen/codegen.h"

#include <cstddef>

#include <llvm/IR/Constants.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Support/raw_ostream.h>

#include "codegen/analysis.h"
#include "codegen/gen.h"
#include "codegen/module.h"

namespace lbc::codegen {

std::string printModule(const Module& m) {
  std::string s;
  llvm::raw_string_ostream os(s);
  m.mod->print(os, nullptr);
  return s;
}

Result generate(const ir::Program& program, const Options& opts) {
  Result r;
  ModulePtr mp(new Module());
  mp->mod = std::make_unique<llvm::Module>(opts.module_name, *mp->ctx);
  llvm::Module& m = *mp->mod;
  llvm::LLVMContext& c = *mp->ctx;
  Gen g(m, program);
  auto* i8 = g.i8;
  auto* i32 = g.i32;
  auto* i64 = g.i64;
  auto* ptr = g.ptr;

  HookConstants hooks = genHooks(g);
  llvm::Function* init = g.finishInit();
  llvm::Function* fini = g.finishFini();
  if (!g.error.empty()) {
    r.error = g.error;
    r.error_loc = g.error_loc;
    return r;
  }

  auto* topo_init = llvm::ConstantDataArray::get(c, llvm::ArrayRef<uint8_t>(opts.topology));
  auto* topo = new llvm::GlobalVariable(m, topo_init->getType(), true, llvm::GlobalValue::PrivateLinkage,
                                        topo_init, "lbc.topology");
  std::vector<llvm::Constant*> names;
  std::vector<uint8_t> caps;
  for (const auto& px : program.proxies) {
    names.push_back(g.cstring(px.name));
    caps.push_back(px.caps);
  }
  auto* names_ty = llvm::ArrayType::get(ptr, names.size());
  auto* names_gv = new llvm::GlobalVariable(m, names_ty, true, llvm::GlobalValue::PrivateLinkage,
                                            llvm::ConstantArray::get(names_ty, names), "lbc.proxy_names");
  auto* caps_init = llvm::ConstantDataArray::get(c, llvm::ArrayRef<uint8_t>(caps));
  auto* caps_gv = new llvm::GlobalVariable(m, caps_init->getType(), true, llvm::GlobalValue::PrivateLinkage,
                                           caps_init, "lbc.proxy_caps");
  (void)i8;

  // Mirrors lbc_program field by field; the static_asserts catch an ABI change not made here.
  static_assert(sizeof(lbc_program) == 4 + 4 + 8 + 8 + 4 + 4 + 8 * 4 + 8 * stdlib::kHookCount,
                "lbc_program layout changed");
#define LBC_CODEGEN_HOOK_AT(field, Name, KIND, text)                                               \
  static_assert(offsetof(lbc_program, field) ==                                                    \
                    offsetof(lbc_program, fini) + 8 + 8 * static_cast<size_t>(stdlib::Hook::Name), \
                "lbc_program hooks are not in LBC_HOOKS order");
  LBC_HOOKS(LBC_CODEGEN_HOOK_AT)
#undef LBC_CODEGEN_HOOK_AT
  std::vector<llvm::Type*> fields{i32, i32, ptr, i64, i32, i32, ptr, ptr, ptr, ptr};
  for (size_t k = 0; k < stdlib::kHookCount; ++k) fields.push_back(ptr);
  auto* desc_ty = llvm::StructType::create(c, fields, "lbc_program");
  std::vector<llvm::Constant*> vals{llvm::ConstantInt::get(i32, LBC_PROGRAM_MAGIC),
                                    llvm::ConstantInt::get(i32, LBC_ABI_VERSION),
                                    topo,
                                    llvm::ConstantInt::get(i64, opts.topology.size()),
                                    llvm::ConstantInt::get(i32, program.proxies.size()),
                                    llvm::ConstantInt::get(i32, 0),
                                    names_gv,
                                    caps_gv,
                                    init,
                                    fini};
  for (auto* h : hooks) vals.push_back(h);
  auto* desc = llvm::ConstantStruct::get(desc_ty, vals);
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

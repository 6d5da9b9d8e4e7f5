// Gen (module-wide) and the sample / log-format half of FnGen.
#include "codegen/gen.h"
#include "lbc/stdlib/exec.h"

#include <llvm/IR/Constants.h>

namespace lbc::codegen {

namespace {

const char* const kFetchIds[] = {
#define LBC_FETCH(Id, ...) #Id,
#include "registry/fetches.def"
#undef LBC_FETCH
};
const char* const kConvIds[] = {
#define LBC_CONV(Id, ...) #Id,
#include "registry/converters.def"
#undef LBC_CONV
};

llvm::Type* sigType(Gen& g, char c) {
  switch (c) {
    case 'v':
      return llvm::Type::getVoidTy(g.c);
    case 'i':
      return g.i32;
    case 'l':
      return g.i64;
    default:
      return g.ptr;
  }
}

}  // namespace

std::string fetchHelper(stdlib::FetchId id) {
  return std::string("lbc_fetch_") + kFetchIds[size_t(id)];
}
std::string convHelper(stdlib::ConvId id) {
  return std::string("lbc_conv_") + kConvIds[size_t(id)];
}

Gen::Gen(llvm::Module& mod, const ir::Program& p) : m(mod), c(mod.getContext()), prog(p), ib_(c), fb_(c) {
  i1 = llvm::Type::getInt1Ty(c);
  i8 = llvm::Type::getInt8Ty(c);
  i32 = llvm::Type::getInt32Ty(c);
  i64 = llvm::Type::getInt64Ty(c);
  ptr = llvm::PointerType::getUnqual(c);
  smp_ty =
      llvm::StructType::create(c, {i32, i32, i64, ptr, i64, llvm::ArrayType::get(i8, 16), i64}, "lbc_smp");
  arg_ty = llvm::StructType::create(c, {ptr, i64, i64, ptr}, "lbc_arg");
  static_assert(sizeof(lbc_smp) == 56 && sizeof(lbc_arg) == 32,
                "lbc_smp/lbc_arg layout changed: update smp_ty/arg_ty");
#define X(name, sig) sigs_[#name] = sig;
  LBC_ABI_HELPERS(X)
#undef X
#define X(Id) sigs_["lbc_fetch_" #Id] = LBC_ABI_FETCH_SIG;
  LBC_ABI_FETCHES(X)
#undef X
#define X(Id) sigs_["lbc_conv_" #Id] = LBC_ABI_CONV_SIG;
  LBC_ABI_CONVS(X)
#undef X

  init_ = llvm::Function::Create(llvm::FunctionType::get(i32, false), llvm::GlobalValue::InternalLinkage,
                                 "lbc.init", m);
  ib_.SetInsertPoint(llvm::BasicBlock::Create(c, "entry", init_));
  init_fail_ = llvm::BasicBlock::Create(c, "fail", init_);
  llvm::IRBuilder<>(init_fail_).CreateRet(llvm::ConstantInt::get(i32, -1));
  fini_ = llvm::Function::Create(llvm::FunctionType::get(llvm::Type::getVoidTy(c), false),
                                 llvm::GlobalValue::InternalLinkage, "lbc.fini", m);
  fb_.SetInsertPoint(llvm::BasicBlock::Create(c, "entry", fini_));
}

llvm::FunctionCallee Gen::helper(const std::string& name) {
  auto it = sigs_.find(name);
  if (it == sigs_.end()) {
    fail({}, "internal error: '" + name + "' is not an ABI helper");
    it = sigs_.emplace(name, "v").first;
  }
  const std::string& s = it->second;
  std::vector<llvm::Type*> params;
  for (size_t k = 1; k < s.size(); ++k) params.push_back(sigType(*this, s[k]));
  return m.getOrInsertFunction(name, llvm::FunctionType::get(sigType(*this, s[0]), params, false));
}

llvm::Constant* Gen::bytes(const std::string& s) {
  auto it = strings_.find(s);
  if (it != strings_.end()) return it->second;
  auto* init = llvm::ConstantDataArray::getString(c, s, false);
  auto* gv =
      new llvm::GlobalVariable(m, init->getType(), true, llvm::GlobalValue::PrivateLinkage, init, "str");
  gv->setUnnamedAddr(llvm::GlobalValue::UnnamedAddr::Global);
  gv->setAlignment(llvm::Align(1));
  return strings_[s] = gv;
}

llvm::Constant* Gen::cstring(const std::string& s) {
  auto it = cstrings_.find(s);
  if (it != cstrings_.end()) return it->second;
  auto* init = llvm::ConstantDataArray::getString(c, s, true);
  auto* gv =
      new llvm::GlobalVariable(m, init->getType(), true, llvm::GlobalValue::PrivateLinkage, init, "cstr");
  gv->setUnnamedAddr(llvm::GlobalValue::UnnamedAddr::Global);
  return cstrings_[s] = gv;
}

llvm::Constant* Gen::constStrSmp(const std::string& s) {
  auto* ipz = llvm::ConstantAggregateZero::get(llvm::ArrayType::get(i8, 16));
  auto* init = llvm::ConstantStruct::get(
      smp_ty, {llvm::ConstantInt::get(i32, LBC_SMP_STR), llvm::ConstantInt::get(i32, 0),
               llvm::ConstantInt::get(i64, 0), bytes(s), llvm::ConstantInt::get(i64, s.size()), ipz,
               llvm::ConstantInt::get(i64, 0)});
  return new llvm::GlobalVariable(m, smp_ty, true, llvm::GlobalValue::PrivateLinkage, init, "smp.const");
}

llvm::Constant* Gen::argArray(const std::string& helper_name, const std::vector<ir::Arg>& args) {
  if (args.empty()) return llvm::ConstantPointerNull::get(ptr);
  // One prepared array per distinct (helper, arguments): a map file is loaded once.
  std::string key = helper_name;
  for (const auto& a : args) key += '\x1f' + a.str + '\x1e' + std::to_string(a.num);
  if (auto it = args_.find(key); it != args_.end()) return it->second;
  std::vector<llvm::Constant*> elems;
  for (const auto& a : args)
    elems.push_back(llvm::ConstantStruct::get(
        arg_ty, {cstring(a.str), llvm::ConstantInt::get(i64, a.str.size()),
                 llvm::ConstantInt::get(i64, a.num), llvm::ConstantPointerNull::get(ptr)}));
  auto* aty = llvm::ArrayType::get(arg_ty, args.size());
  // Mutable: lbc_rt_args_prepare stores compiled regexes and loaded maps into `obj`.
  auto* gv = new llvm::GlobalVariable(m, aty, false, llvm::GlobalValue::InternalLinkage,
                                      llvm::ConstantArray::get(aty, elems), "args");
  llvm::Constant* name = cstring(helper_name);
  auto* n = llvm::ConstantInt::get(i32, args.size());
  llvm::Value* rc = ib_.CreateCall(helper("lbc_rt_args_prepare"), {name, gv, n});
  auto* next = llvm::BasicBlock::Create(c, "next", init_);
  ib_.CreateCondBr(ib_.CreateICmpEQ(rc, llvm::ConstantInt::get(i32, 0)), next, init_fail_);
  ib_.SetInsertPoint(next);
  fb_.CreateCall(helper("lbc_rt_args_release"), {name, gv, n});
  return args_[key] = gv;
}

llvm::GlobalVariable* Gen::regex(const std::string& pattern, bool icase) {
  auto key = std::make_pair(pattern, icase);
  auto it = regexes_.find(key);
  if (it != regexes_.end()) return it->second;
  auto* gv = new llvm::GlobalVariable(m, ptr, false, llvm::GlobalValue::InternalLinkage,
                                      llvm::ConstantPointerNull::get(ptr), "regex");
  llvm::Value* re =
      ib_.CreateCall(helper("lbc_rt_regex_new"), {bytes(pattern), llvm::ConstantInt::get(i64, pattern.size()),
                                                  llvm::ConstantInt::get(i32, icase ? LBC_RE_ICASE : 0)});
  ib_.CreateStore(re, gv);
  auto* next = llvm::BasicBlock::Create(c, "next", init_);
  ib_.CreateCondBr(ib_.CreateIsNull(re), init_fail_, next);
  ib_.SetInsertPoint(next);
  llvm::Value* cur = fb_.CreateLoad(ptr, gv);
  fb_.CreateCall(helper("lbc_rt_regex_free"), {cur});
  fb_.CreateStore(llvm::ConstantPointerNull::get(ptr), gv);
  return regexes_[key] = gv;
}

llvm::Function* Gen::finishInit() {
  ib_.CreateRet(llvm::ConstantInt::get(i32, 0));
  return init_;
}
llvm::Function* Gen::finishFini() {
  fb_.CreateRetVoid();
  return fini_;
}

// ---- FnGen: samples --------------------------------------------------------------------------

FnGen::FnGen(Gen& gen, llvm::Function* fn, uint32_t px)
    : g(gen), f(fn), b(gen.c), txn(fn->getArg(0)), proxy(px) {
  entry_ = llvm::BasicBlock::Create(g.c, "entry", f);
  b.SetInsertPoint(entry_);
}

llvm::AllocaInst* FnGen::local(llvm::Type* t, const std::string& name) {
  llvm::IRBuilder<> eb(entry_, entry_->begin());
  return eb.CreateAlloca(t, nullptr, name);
}

llvm::Value* FnGen::field(llvm::Value* smp, unsigned idx) {
  return b.CreateStructGEP(g.smp_ty, smp, idx);
}

llvm::Value* FnGen::fetchCall(const ir::SampleExpr& e, llvm::Value* smp) {
  std::string h = codegen::fetchHelper(e.fetch);
  if (!g.hasHelper(h)) {
    g.fail(e.loc, "sample fetch '" + e.fetch_name + "' cannot be compiled: the stdlib has no '" + h + "'");
    return b.getInt32(LBC_FETCH_NONE);
  }
  return b.CreateCall(g.helper(h), {txn, g.argArray(h, e.args), b.getInt32(e.args.size()), smp});
}

void FnGen::convert(const ir::SampleExpr& e, llvm::Value* smp, llvm::BasicBlock* fail) {
  for (const auto& cv : e.convs) {
    std::string h = codegen::convHelper(cv.id);
    if (!g.hasHelper(h)) {
      g.fail(cv.loc, "converter '" + cv.name + "' cannot be compiled: the stdlib has no '" + h + "'");
      return;
    }
    llvm::Value* ok =
        b.CreateCall(g.helper(h), {txn, g.argArray(h, cv.args), b.getInt32(cv.args.size()), smp});
    auto* next = block("conv.ok");
    b.CreateCondBr(b.CreateICmpEQ(ok, b.getInt32(0)), fail, next);
    b.SetInsertPoint(next);
  }
}

llvm::Value* FnGen::cast(llvm::Value* smp, int type) {
  llvm::Value* t = load(g.i32, smp, kSmpType);
  auto* same = b.GetInsertBlock();
  auto* conv = block("cast");
  auto* done = block("cast.done");
  b.CreateCondBr(b.CreateICmpEQ(t, b.getInt32(type)), done, conv);
  b.SetInsertPoint(conv);
  llvm::Value* ok =
      b.CreateICmpNE(b.CreateCall(g.helper("lbc_rt_smp_cast"), {txn, smp, b.getInt32(type)}), b.getInt32(0));
  auto* conv_end = b.GetInsertBlock();
  b.CreateBr(done);
  b.SetInsertPoint(done);
  auto* phi = b.CreatePHI(g.i1, 2);
  phi->addIncoming(b.getTrue(), same);
  phi->addIncoming(ok, conv_end);
  return phi;
}

llvm::Value* FnGen::sample(const ir::SampleExpr& e, llvm::Value* out) {
  b.CreateStore(llvm::ConstantAggregateZero::get(g.smp_ty), out);
  llvm::Value* rc = fetchCall(e, out);
  if (e.convs.empty()) return rc;
  auto* conv = block("smp.conv");
  auto* none = block("smp.none");
  auto* done = block("smp.done");
  b.CreateCondBr(b.CreateICmpEQ(rc, b.getInt32(LBC_FETCH_OK)), conv, done);
  b.SetInsertPoint(conv);
  convert(e, out, none);
  b.CreateBr(done);
  b.SetInsertPoint(none);
  b.CreateStore(b.getInt32(LBC_SMP_NONE), field(out, kSmpType));
  b.CreateBr(done);
  b.SetInsertPoint(done);
  auto* phi = b.CreatePHI(g.i32, 3);
  for (auto* pred : llvm::predecessors(done))
    phi->addIncoming(pred == none ? b.getInt32(LBC_FETCH_NONE) : rc, pred);
  return phi;
}

std::pair<llvm::Value*, llvm::Value*> FnGen::cachedFetch(const ir::SampleExpr& e) {
  std::string key = std::to_string(unsigned(e.fetch));
  for (const auto& a : e.args) key += "\x1f" + a.str;
  auto it = cache_.find(key);
  if (it == cache_.end()) {
    Cached cc{local(g.smp_ty, "fetch.smp"), local(g.i32, "fetch.rc"), local(g.i1, "fetch.done")};
    // The flag starts false at function entry (stored right after the allocas).
    llvm::IRBuilder<> ab(cc.done->getNextNode());
    ab.CreateStore(ab.getFalse(), cc.done);
    it = cache_.emplace(key, cc).first;
  }
  Cached& cc = it->second;
  auto* compute = block("fetch");
  auto* done = block("fetch.cached");
  b.CreateCondBr(b.CreateLoad(g.i1, cc.done), done, compute);
  b.SetInsertPoint(compute);
  b.CreateStore(llvm::ConstantAggregateZero::get(g.smp_ty), cc.smp);
  // Only multi-valued fetches iterate (LBC_SMPF_MULTI); the others keep their single value.
  if (stdlib::fetchIsMulti(e.fetch)) b.CreateStore(b.getInt32(LBC_SMPF_MULTI), field(cc.smp, kSmpFlags));
  b.CreateStore(fetchCall(e, cc.smp), cc.rc);
  b.CreateStore(b.getTrue(), cc.done);
  b.CreateBr(done);
  b.SetInsertPoint(done);
  return {b.CreateLoad(g.i32, cc.rc), cc.smp};
}

void FnGen::invalidate() {
  for (auto& [k, cc] : cache_) b.CreateStore(b.getFalse(), cc.done);
}

namespace {}  // namespace

llvm::Value* FnGen::logFormat(const ir::LogFormat& lf, llvm::Value** ok) {
  if (lf.isConstant()) {  // no code at run time: the rendered text is a constant sample
    std::string text;
    for (const auto& it : lf.items) text += it.text;
    *ok = b.getTrue();
    return g.constStrSmp(text);
  }
  llvm::Value* out = local(g.smp_ty, "lf.out");
  llvm::Value* tmp = local(g.smp_ty, "lf.smp");
  b.CreateCall(g.helper("lbc_lf_begin"), {txn});
  for (const auto& it : lf.items) {
    switch (it.kind) {
      case ir::LogFormat::Item::Kind::Text:
        if (!it.text.empty())
          b.CreateCall(g.helper("lbc_lf_text"), {txn, g.bytes(it.text), b.getInt64(it.text.size())});
        break;
      case ir::LogFormat::Item::Kind::Sample:
        sample(*it.sample, tmp);
        b.CreateCall(g.helper("lbc_lf_smp"), {txn, tmp, b.getInt32(it.lf_flags)});
        break;
      case ir::LogFormat::Item::Kind::Alias: {
        int id = it.alias;
        if (id < 0) {
          g.fail({}, "log-format alias '%" + it.text + "' in '" + lf.text + "' cannot be compiled yet");
          break;
        }
        b.CreateCall(g.helper("lbc_lf_alias"), {txn, b.getInt32(id), b.getInt32(it.lf_flags)});
        break;
      }
    }
  }
  *ok = b.CreateICmpNE(b.CreateCall(g.helper("lbc_lf_end"), {txn, out}), b.getInt32(0));
  return out;
}

}  // namespace lbc::codegen

// Backend selection (use_backend / default_backend) and stick rules.
//
// Consecutive use_backend rules whose conditions are each one positive ACL of one string term
// over the same sample expression and match method (e.g. a run of `use_backend X if
// { path_beg ... }`) become one decision: a single set lookup whose value is the index of the
// first rule with a matching pattern, then a switch to that rule's backend.
#include <llvm/IR/Constants.h>

#include "codegen/analysis.h"
#include "codegen/gen.h"
#include "codegen/strset.h"

namespace lbc::codegen {

using stdlib::MatchMethod;

namespace {

// The single term of a mergeable rule, else nullptr.
const ir::AclTerm* mergeableTerm(const ir::Proxy& px, const ir::UseBackend& u) {
  if (u.dynamic || !u.cond || u.cond->unless || u.backend == ir::kNone) return nullptr;
  if (u.cond->alternatives.size() != 1 || u.cond->alternatives[0].size() != 1) return nullptr;
  const ir::CondRef& ref = u.cond->alternatives[0][0];
  if (ref.negated || ref.acl >= px.acls.size()) return nullptr;
  const ir::Acl& a = px.acls[ref.acl];
  if (a.terms.size() != 1) return nullptr;
  const ir::AclTerm& t = a.terms[0];
  switch (t.method) {
    case MatchMethod::Str:
    case MatchMethod::Beg:
    case MatchMethod::End:
    case MatchMethod::Sub:
      break;
    default:
      return nullptr;
  }
  if (termValue(t) != Fixed::Unknown) return nullptr;
  return &t;
}

bool sameInput(const ir::AclTerm& a, const ir::AclTerm& b) {
  if (a.method != b.method || a.icase != b.icase || a.expr.fetch != b.expr.fetch) return false;
  if (a.expr.args.size() != b.expr.args.size() || a.expr.convs.size() != b.expr.convs.size()) return false;
  for (size_t i = 0; i < a.expr.args.size(); ++i)
    if (a.expr.args[i].str != b.expr.args[i].str) return false;
  for (size_t i = 0; i < a.expr.convs.size(); ++i) {
    const auto& x = a.expr.convs[i];
    const auto& y = b.expr.convs[i];
    if (x.id != y.id || x.args.size() != y.args.size()) return false;
    for (size_t k = 0; k < x.args.size(); ++k)
      if (x.args[k].str != y.args[k].str) return false;
  }
  return true;
}

// One merged decision over rules [first, last): returns in the switch cases, falls through when
// no rule matches.
void mergedGroup(FnGen& fg, const ir::Proxy& px, const std::vector<size_t>& rules) {
  Gen& g = fg.g;
  auto& b = fg.b;
  // The union of the patterns, each valued with its rule's position in the group.
  ir::AclTerm all = *mergeableTerm(px, px.use_backends[rules[0]]);
  all.patterns.clear();
  std::vector<uint32_t> values;
  for (uint32_t k = 0; k < rules.size(); ++k) {
    const ir::AclTerm& t = *mergeableTerm(px, px.use_backends[rules[k]]);
    for (const auto& p : t.patterns) {
      all.patterns.push_back(p);
      values.push_back(k);
    }
  }
  // The term loop of FnGen::term, keeping the smallest rule position over every value.
  llvm::Value* best = fg.local(g.i32, "merge.best");
  llvm::Value* work = fg.local(g.smp_ty, "merge.smp");
  llvm::Value* saved_flags = fg.local(g.i32, "merge.flags");
  llvm::Value* saved_ctx = fg.local(g.i64, "merge.ctx");
  b.CreateStore(b.getInt32(kNoMatch), best);
  auto [rc0, cached] = fg.cachedFetch(all.expr);
  auto* decide = fg.block("merge.decide");
  auto* value = fg.block("merge.value");
  auto* next = fg.block("merge.next");
  auto* refetch = fg.block("merge.refetch");
  auto* first = fg.block("merge.first");
  b.CreateCondBr(b.CreateICmpEQ(rc0, b.getInt32(LBC_FETCH_OK)), first, decide);
  b.SetInsertPoint(first);
  b.CreateMemCpy(work, llvm::MaybeAlign(8), cached, llvm::MaybeAlign(8), sizeof(lbc_smp));
  b.CreateBr(value);
  b.SetInsertPoint(value);
  b.CreateStore(fg.load(g.i32, work, kSmpFlags), saved_flags);
  b.CreateStore(fg.load(g.i64, work, kSmpCtx), saved_ctx);
  fg.convert(all.expr, work, decide);
  auto* cast_ok = fg.block("merge.cast");
  b.CreateCondBr(fg.cast(work, LBC_SMP_STR), cast_ok, next);
  b.SetInsertPoint(cast_ok);
  llvm::Value* idx = fg.strSetIndex(all, work, &values);
  llvm::Value* cur = b.CreateLoad(g.i32, best);
  b.CreateStore(b.CreateSelect(b.CreateICmpULT(idx, cur), idx, cur), best);
  b.CreateBr(next);
  b.SetInsertPoint(next);
  llvm::Value* fl = b.CreateLoad(g.i32, saved_flags);
  b.CreateCondBr(b.CreateICmpNE(b.CreateAnd(fl, b.getInt32(LBC_SMPF_NOT_LAST)), b.getInt32(0)), refetch,
                 decide);
  b.SetInsertPoint(refetch);
  b.CreateStore(fl, fg.field(work, kSmpFlags));
  b.CreateStore(b.CreateLoad(g.i64, saved_ctx), fg.field(work, kSmpCtx));
  llvm::Value* rc = fg.fetchCall(all.expr, work);
  b.CreateCondBr(b.CreateICmpEQ(rc, b.getInt32(LBC_FETCH_OK)), value, decide);

  b.SetInsertPoint(decide);
  auto* none = fg.block("merge.none");
  auto* sw = b.CreateSwitch(b.CreateLoad(g.i32, best), none, rules.size());
  for (uint32_t k = 0; k < rules.size(); ++k) {
    auto* bb = fg.block("merge.rule");
    sw->addCase(b.getInt32(k), bb);
    b.SetInsertPoint(bb);
    b.CreateCall(g.helper("lbc_rt_fired"),
                 {fg.txn, b.getInt32(fg.proxy), b.getInt32(LBC_RULE_USE_BACKEND), b.getInt32(rules[k])});
    b.CreateRet(b.getInt32(px.use_backends[rules[k]].backend));
  }
  b.SetInsertPoint(none);
}

// Renders a dynamic backend name and resolves it; branches to `unknown` when it does not name a
// backend (or rendering failed). Returns the backend index on the fall-through path.
llvm::Value* dynamicBackend(FnGen& fg, const ir::LogFormat& lf, llvm::BasicBlock* unknown) {
  Gen& g = fg.g;
  auto& b = fg.b;
  llvm::Value* ok;
  llvm::Value* name = fg.logFormat(lf, &ok);
  auto* lookup = fg.block("ub.lookup");
  b.CreateCondBr(ok, lookup, unknown);
  b.SetInsertPoint(lookup);
  llvm::Value* be = b.CreateCall(g.helper("lbc_rt_find_backend"),
                                 {fg.txn, fg.load(g.ptr, name, kSmpPtr), fg.load(g.i64, name, kSmpLen)});
  auto* found = fg.block("ub.found");
  b.CreateCondBr(b.CreateICmpSGE(be, b.getInt32(0)), found, unknown);
  b.SetInsertPoint(found);
  return be;
}

}  // namespace

void genBackend(Gen& g, FnGen& fg, const ir::Proxy& px, uint32_t index) {
  auto& b = fg.b;
  auto* dflt = fg.block("default");
  auto dead = deadUseBackends(px);
  for (size_t i = 0; i < px.use_backends.size();) {
    if (dead[i]) {
      ++i;
      continue;
    }
    // A run of mergeable rules over the same input.
    std::vector<size_t> group{i};
    if (const ir::AclTerm* t0 = mergeableTerm(px, px.use_backends[i])) {
      for (size_t j = i + 1; j < px.use_backends.size(); ++j) {
        if (dead[j]) continue;
        const ir::AclTerm* t = mergeableTerm(px, px.use_backends[j]);
        if (!t || !sameInput(*t0, *t)) break;
        group.push_back(j);
      }
    }
    if (group.size() >= 2) {
      mergedGroup(fg, px, group);
      i = group.back() + 1;
      continue;
    }
    const ir::UseBackend& u = px.use_backends[i];
    llvm::Value* gate = fg.ruleGate(px, u.cond);
    auto* fire = fg.block("ub.fire");
    auto* next = fg.block("ub.next");
    // Backend selection runs on final data: MISS counts as FAIL, as HAProxy's SMP_OPT_FINAL.
    b.CreateCondBr(b.CreateICmpEQ(gate, b.getInt32(1)), fire, next);
    b.SetInsertPoint(fire);
    auto fired = [&] {
      b.CreateCall(g.helper("lbc_rt_fired"),
                   {fg.txn, b.getInt32(index), b.getInt32(LBC_RULE_USE_BACKEND), b.getInt32(i)});
    };
    if (u.dynamic) {
      // An unknown dynamic name falls back to the default backend (HAProxy: "break the loop"),
      // and the rule is not reported as the one that chose the backend.
      llvm::Value* be = dynamicBackend(fg, *u.dynamic, dflt);
      fired();
      b.CreateRet(be);
    } else {
      if (u.backend == ir::kNone) g.fail(u.loc, "internal error: use_backend without a resolved backend");
      fired();
      b.CreateRet(b.getInt32(int32_t(u.backend)));
    }
    b.SetInsertPoint(next);
    ++i;
  }
  b.CreateBr(dflt);
  b.SetInsertPoint(dflt);
  if (px.default_backend && (px.default_backend->dynamic || px.default_backend->backend != ir::kNone)) {
    auto* none = fg.block("default.none");
    llvm::Value* be = px.default_backend->dynamic ? dynamicBackend(fg, *px.default_backend->dynamic, none)
                                                  : b.getInt32(int32_t(px.default_backend->backend));
    b.CreateCall(g.helper("lbc_rt_fired"),
                 {fg.txn, b.getInt32(index), b.getInt32(LBC_RULE_DEFAULT_BACKEND), b.getInt32(0)});
    b.CreateRet(be);
    b.SetInsertPoint(none);
  }
  b.CreateRet(b.getInt32(px.isBackend() ? int32_t(index) : LBC_BACKEND_NONE));
}

void genStick(Gen& g, FnGen& fg, const ir::Proxy& px) {
  auto& b = fg.b;
  llvm::Value* key = fg.f->getArg(3);
  auto* other = fg.block("other");
  auto* sw = b.CreateSwitch(fg.f->getArg(2), other, px.stick_rules.size());
  for (uint32_t i = 0; i < px.stick_rules.size(); ++i) {
    const ir::StickRule& r = px.stick_rules[i];
    auto* bb = fg.block("stick.rule");
    sw->addCase(b.getInt32(i), bb);
    b.SetInsertPoint(bb);
    llvm::Value* gate = fg.ruleGate(px, r.cond);
    auto* run = fg.block("stick.key");
    auto* no = fg.block("stick.fail");
    auto* miss = fg.block("stick.miss");
    auto* gsw = b.CreateSwitch(gate, no, 2);
    gsw->addCase(b.getInt32(1), run);
    gsw->addCase(b.getInt32(2), miss);
    b.SetInsertPoint(no);
    b.CreateRet(b.getInt32(LBC_FAIL));
    b.SetInsertPoint(miss);
    b.CreateRet(b.getInt32(LBC_MISS));
    b.SetInsertPoint(run);
    llvm::Value* rc = fg.sample(r.expr, key);
    auto* found = fg.block("stick.found");
    auto* notfound = fg.block("stick.notfound");
    b.CreateCondBr(b.CreateICmpEQ(rc, b.getInt32(LBC_FETCH_OK)), found, notfound);
    b.SetInsertPoint(found);
    b.CreateRet(b.getInt32(LBC_PASS));
    b.SetInsertPoint(notfound);
    b.CreateStore(llvm::ConstantAggregateZero::get(g.smp_ty), key);
    b.CreateRet(b.CreateSelect(b.CreateICmpEQ(rc, b.getInt32(LBC_FETCH_MISS)), b.getInt32(LBC_MISS),
                               b.getInt32(LBC_PASS)));
  }
  b.SetInsertPoint(other);
  b.CreateRet(b.getInt32(LBC_FAIL));
}

}  // namespace lbc::codegen

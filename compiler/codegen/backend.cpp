// Backend selection (use_backend / default_backend) and stick rules.
//
// Consecutive use_backend rules whose conditions are each one positive ACL of one string term
// over the same sample expression and match method (e.g. a run of `use_backend X if
// { path_beg ... }`) become one decision: a single set lookup whose value is the index of the
// first rule with a matching pattern, then a switch to that rule's backend.
#include <llvm/IR/Constants.h>

#include <algorithm>
#include <map>
#include <set>

#include "codegen/analysis.h"
#include "codegen/gen.h"
#include "codegen/strset.h"
#include "lbc/stdlib/exec.h"
#include "lbc/stdlib/text.h"

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

// Two terms with equal keys read the same value and match it the same way.
std::string inputKey(const ir::AclTerm& t) {
  std::string k =
      std::to_string(int(t.method)) + (t.icase ? "i" : "c") + std::to_string(unsigned(t.expr.fetch));
  for (const auto& a : t.expr.args) k += "\x1f" + a.str;
  for (const auto& c : t.expr.convs) {
    k += "\x1e" + std::to_string(unsigned(c.id));
    for (const auto& a : c.args) k += "\x1f" + a.str;
  }
  return k;
}

// The smallest index of a rule in `rules` (all mergeable over one input) whose patterns match,
// else kNoMatch: one set lookup per value of the fetch, each pattern valued with its rule index.
llvm::Value* groupBest(FnGen& fg, const ir::Proxy& px, const std::vector<size_t>& rules) {
  Gen& g = fg.g;
  auto& b = fg.b;
  ir::AclTerm all = *mergeableTerm(px, px.use_backends[rules[0]]);
  all.patterns.clear();
  std::vector<uint32_t> values;
  for (size_t r : rules) {
    const ir::AclTerm& t = *mergeableTerm(px, px.use_backends[r]);
    for (const auto& p : t.patterns) {
      all.patterns.push_back(p);
      values.push_back(uint32_t(r));
    }
  }
  // The term loop of FnGen::term, keeping the smallest rule index over every value.
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
  return b.CreateLoad(g.i32, best);
}

// The literal text every match of `re` starts with, when `re` is anchored at the start and has
// no alternation or inline options; empty when there is none.
std::string regexPrefix(const std::string& re) {
  if (re.size() < 2 || re[0] != '^' || re.find('|') != std::string::npos ||
      re.find("(?") != std::string::npos)
    return {};
  std::string lit;
  size_t i = 1;
  while (i < re.size()) {
    char c = re[i];
    if (c == '\\') {
      if (i + 1 >= re.size() || isalnum(static_cast<unsigned char>(re[i + 1]))) break;  // \d, \b, ...
      lit += re[i + 1];
      i += 2;
      continue;
    }
    if (std::string_view("^$.?*+()[]{}").find(c) != std::string_view::npos) break;
    lit += c;
    ++i;
  }
  // A quantifier applies to the last literal character, which is then not required.
  if (i < re.size() && !lit.empty() && (re[i] == '?' || re[i] == '*' || re[i] == '{')) lit.pop_back();
  return lit;
}

// A rule whose condition is one positive regex term over a single-valued fetch, every pattern
// with a literal prefix: the prefixes select candidate rules, the regexes confirm them.
const ir::AclTerm* regexTerm(const ir::Proxy& px, const ir::UseBackend& u) {
  if (u.dynamic || !u.cond || u.cond->unless || u.backend == ir::kNone) return nullptr;
  if (u.cond->alternatives.size() != 1 || u.cond->alternatives[0].size() != 1) return nullptr;
  const ir::CondRef& ref = u.cond->alternatives[0][0];
  if (ref.negated || ref.acl >= px.acls.size() || px.acls[ref.acl].terms.size() != 1) return nullptr;
  const ir::AclTerm& t = px.acls[ref.acl].terms[0];
  if (t.method != MatchMethod::Reg || t.patterns.empty() || stdlib::fetchIsMulti(t.expr.fetch))
    return nullptr;
  for (const auto& p : t.patterns)
    if (regexPrefix(p.text).empty()) return nullptr;
  return &t;
}

// The smallest rule of `rules` (regex rules over one input) below `bound` whose regex matches:
// walk the rules whose literal prefix matches in index order, confirming each with its regexes.
llvm::Value* regexGroupBest(FnGen& fg, const ir::Proxy& px, const std::vector<size_t>& rules,
                            llvm::Value* bound) {
  Gen& g = fg.g;
  auto& b = fg.b;
  const ir::AclTerm& t0 = *regexTerm(px, px.use_backends[rules[0]]);
  std::vector<StrPattern> prefixes;
  for (size_t r : rules)
    for (const auto& p : regexTerm(px, px.use_backends[r])->patterns)
      prefixes.push_back({regexPrefix(p.text), uint32_t(r)});
  llvm::Function* cands =
      buildStrSetMatcher(g.m, g.fresh("lbc.regex_prefix"), MatchMethod::Beg, t0.icase, prefixes);

  llvm::Value* result = fg.local(g.i32, "re.best");
  llvm::Value* work = fg.local(g.smp_ty, "re.smp");
  b.CreateStore(bound, result);
  auto [rc, cached] = fg.cachedFetch(t0.expr);
  auto* done = fg.block("re.done");
  auto* have = fg.block("re.value");
  b.CreateCondBr(b.CreateICmpEQ(rc, b.getInt32(LBC_FETCH_OK)), have, done);
  b.SetInsertPoint(have);
  b.CreateMemCpy(work, llvm::MaybeAlign(8), cached, llvm::MaybeAlign(8), sizeof(lbc_smp));
  fg.convert(t0.expr, work, done);
  auto* cast_ok = fg.block("re.cast");
  b.CreateCondBr(fg.cast(work, LBC_SMP_STR), cast_ok, done);
  b.SetInsertPoint(cast_ok);
  llvm::Value* ptr = fg.load(g.ptr, work, kSmpPtr);
  llvm::Value* len = fg.load(g.i64, work, kSmpLen);
  auto* pre = b.GetInsertBlock();
  auto* loop = fg.block("re.loop");
  b.CreateBr(loop);
  b.SetInsertPoint(loop);
  auto* floor = b.CreatePHI(g.i32, 2, "floor");
  floor->addIncoming(b.getInt32(0), pre);
  llvm::Value* c = b.CreateCall(cands, {ptr, len, floor});
  auto* check = fg.block("re.check");
  b.CreateCondBr(b.CreateICmpUGE(c, bound), done, check);
  b.SetInsertPoint(check);
  auto* next = fg.block("re.next");
  auto* sw = b.CreateSwitch(c, done, rules.size());
  for (size_t r : rules) {
    auto* bb = fg.block("re.rule");
    sw->addCase(b.getInt32(uint32_t(r)), bb);
    b.SetInsertPoint(bb);
    llvm::Value* m = fg.match(*regexTerm(px, px.use_backends[r]), work);
    auto* found = fg.block("re.found");
    b.CreateCondBr(m, found, next);
    b.SetInsertPoint(found);
    b.CreateStore(b.getInt32(uint32_t(r)), result);
    b.CreateBr(done);
  }
  b.SetInsertPoint(next);
  floor->addIncoming(b.CreateAdd(c, b.getInt32(1)), next);
  b.CreateBr(loop);
  b.SetInsertPoint(done);
  return b.CreateLoad(g.i32, result);
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
  // First match wins, and conditions have no side effects, so the rules may be evaluated in any
  // order as long as the smallest passing index is chosen: rules that are one positive string
  // term over a shared input are grouped (one set lookup per input, whatever their positions),
  // the others run in order, each only while its index is below the best group match.
  std::vector<std::vector<size_t>> groups;
  std::vector<bool> grouped(px.use_backends.size(), false);
  std::map<std::string, size_t> by_input;  // inputKey -> index in groups
  for (size_t i = 0; i < px.use_backends.size(); ++i) {
    const ir::AclTerm* t = dead[i] ? nullptr : mergeableTerm(px, px.use_backends[i]);
    if (!t) continue;
    auto [it, fresh] = by_input.emplace(inputKey(*t), groups.size());
    if (fresh) groups.emplace_back();
    groups[it->second].push_back(i);
  }
  std::erase_if(groups, [](const std::vector<size_t>& g) { return g.size() < 2; });
  for (const auto& grp : groups)
    for (size_t r : grp) grouped[r] = true;
  // Regex rules with literal prefixes, grouped by input the same way.
  std::vector<std::vector<size_t>> re_groups;
  std::map<std::string, size_t> re_by_input;
  for (size_t i = 0; i < px.use_backends.size(); ++i) {
    const ir::AclTerm* t = dead[i] || grouped[i] ? nullptr : regexTerm(px, px.use_backends[i]);
    if (!t) continue;
    auto [it, fresh] = re_by_input.emplace(inputKey(*t), re_groups.size());
    if (fresh) re_groups.emplace_back();
    re_groups[it->second].push_back(i);
  }
  // The prefix set keeps one rule per distinct prefix (the candidate walk skips the others), so a
  // rule sharing a prefix with an earlier grouped rule stays out of the group and runs in order.
  for (auto& grp : re_groups) {
    std::set<std::string> taken;
    std::vector<size_t> kept;
    for (size_t r : grp) {
      const ir::AclTerm* t = regexTerm(px, px.use_backends[r]);
      std::vector<std::string> mine;
      bool clash = false;
      for (const auto& p : t->patterns) {
        std::string pre = regexPrefix(p.text);
        if (t->icase) pre = stdlib::lowerCopy(std::move(pre));
        clash |= taken.count(pre) != 0;
        mine.push_back(pre);
      }
      if (clash) continue;
      taken.insert(mine.begin(), mine.end());
      kept.push_back(r);
    }
    grp = std::move(kept);
  }
  std::erase_if(re_groups, [](const std::vector<size_t>& g) { return g.size() < 2; });
  for (const auto& grp : re_groups)
    for (size_t r : grp) grouped[r] = true;
  llvm::Value* best = b.getInt32(kNoMatch);
  for (const auto& grp : groups) {
    llvm::Value* v = groupBest(fg, px, grp);
    best = b.CreateSelect(b.CreateICmpULT(v, best), v, best);
  }
  for (const auto& grp : re_groups) best = regexGroupBest(fg, px, grp, best);
  auto fired = [&](size_t i) {
    b.CreateCall(g.helper("lbc_rt_fired"),
                 {fg.txn, b.getInt32(index), b.getInt32(LBC_RULE_USE_BACKEND), b.getInt32(i)});
  };
  for (size_t i = 0; i < px.use_backends.size(); ++i) {
    if (dead[i] || grouped[i]) continue;
    const ir::UseBackend& u = px.use_backends[i];
    auto* next = fg.block("ub.next");
    if (!groups.empty() || !re_groups.empty()) {
      auto* eval = fg.block("ub.eval");
      b.CreateCondBr(b.CreateICmpULT(b.getInt32(i), best), eval, next);
      b.SetInsertPoint(eval);
    }
    llvm::Value* gate = fg.ruleGate(px, u.cond);
    auto* fire = fg.block("ub.fire");
    // Backend selection runs on final data: MISS counts as FAIL, as HAProxy's SMP_OPT_FINAL.
    b.CreateCondBr(b.CreateICmpEQ(gate, b.getInt32(1)), fire, next);
    b.SetInsertPoint(fire);
    if (u.dynamic) {
      // An unknown dynamic name falls back to the default backend (HAProxy: "break the loop"),
      // and the rule is not reported as the one that chose the backend.
      llvm::Value* be = dynamicBackend(fg, *u.dynamic, dflt);
      fired(i);
      b.CreateRet(be);
    } else {
      if (u.backend == ir::kNone) g.fail(u.loc, "internal error: use_backend without a resolved backend");
      fired(i);
      b.CreateRet(b.getInt32(int32_t(u.backend)));
    }
    b.SetInsertPoint(next);
  }
  if (!groups.empty() || !re_groups.empty()) {
    // The winning rule's backend comes from a table indexed by rule: one block, whatever the
    // number of rules (a switch with a case per rule costs the code generator seconds at 10k).
    std::vector<int32_t> table(px.use_backends.size(), LBC_BACKEND_NONE);
    for (const auto* gs : {&groups, &re_groups})
      for (const auto& grp : *gs)
        for (size_t r : grp) table[r] = int32_t(px.use_backends[r].backend);
    auto* init = llvm::ConstantDataArray::get(g.c, llvm::ArrayRef<int32_t>(table));
    auto* gv = new llvm::GlobalVariable(g.m, init->getType(), true, llvm::GlobalValue::PrivateLinkage, init,
                                        "lbc.backend_of_rule");
    auto* hit = fg.block("merge.hit");
    b.CreateCondBr(b.CreateICmpEQ(best, b.getInt32(kNoMatch)), dflt, hit);
    b.SetInsertPoint(hit);
    b.CreateCall(g.helper("lbc_rt_fired"),
                 {fg.txn, b.getInt32(index), b.getInt32(LBC_RULE_USE_BACKEND), best});
    llvm::Value* be = b.CreateLoad(g.i32, b.CreateGEP(g.i32, gv, b.CreateZExt(best, g.i64)));
    b.CreateRet(be);
    b.SetInsertPoint(fg.block("unreachable"));
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

// Conditions: HAProxy's acl_exec_cond as straight-line code. An ACL term fetches once per hook
// invocation (cachedFetch), iterates over every value of a multi-valued fetch, and matches each
// value against a pattern set lowered at compile time (strset.h, IPv4 prefix switches, ranges).
#include <llvm/IR/Constants.h>

#include <algorithm>
#include <climits>
#include <map>

#include "codegen/analysis.h"
#include "codegen/gen.h"
#include "codegen/strset.h"

namespace lbc::codegen {

using stdlib::MatchMethod;

namespace {

std::string hexDecode(const std::string& s) {
  std::string out;
  auto nib = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
  for (size_t i = 0; i + 1 < s.size(); i += 2) out += char(nib(s[i]) << 4 | nib(s[i + 1]));
  return out;
}

int castTarget(MatchMethod m) {
  switch (m) {
    case MatchMethod::Int:
      return LBC_SMP_SINT;
    case MatchMethod::Bool:
      return LBC_SMP_BOOL;
    case MatchMethod::Bin:
      return LBC_SMP_BIN;
    case MatchMethod::Found:
    case MatchMethod::Ip:
      return -1;
    default:
      return LBC_SMP_STR;
  }
}

}  // namespace

llvm::Value* FnGen::ruleGate(const ir::Proxy& px, const std::optional<ir::Condition>& cond) {
  if (!cond) return b.getInt32(1);
  Fixed fixed = conditionValue(px, *cond);
  if (fixed != Fixed::Unknown) return b.getInt32(fixed == Fixed::Pass ? 1 : 0);
  llvm::Value* r = condition(px, *cond);
  llvm::Value* pass = b.CreateICmpEQ(r, b.getInt32(LBC_PASS));
  if (cond->unless) pass = b.CreateNot(pass);
  llvm::Value* v = b.CreateZExt(pass, g.i32);
  return b.CreateSelect(b.CreateICmpEQ(r, b.getInt32(LBC_MISS)), b.getInt32(2), v);
}

llvm::Value* FnGen::condition(const ir::Proxy& px, const ir::Condition& cond) {
  // cond_res |= suite_res over alternatives, stopping at PASS; suite_res &= term over the ANDed
  // references, stopping at FAIL.
  auto* done = block("cond.done");
  std::vector<std::pair<llvm::Value*, llvm::BasicBlock*>> results;
  llvm::Value* cond_res = b.getInt32(LBC_FAIL);
  for (const auto& alt : cond.alternatives) {
    auto* suite_done = block("suite.done");
    std::vector<std::pair<llvm::Value*, llvm::BasicBlock*>> suite_in;
    llvm::Value* suite = b.getInt32(LBC_PASS);
    for (const auto& ref : alt) {
      if (ref.acl >= px.acls.size()) {
        g.fail(ref.loc, "internal error: condition refers to an unknown ACL");
        continue;
      }
      llvm::Value* v = acl(px.acls[ref.acl]);
      if (ref.negated)  // PASS <-> FAIL, MISS stays
        v = b.CreateSelect(b.CreateICmpEQ(v, b.getInt32(LBC_MISS)), v, b.CreateXor(v, b.getInt32(LBC_PASS)));
      suite = b.CreateAnd(suite, v);
      auto* next = block("suite.next");
      suite_in.push_back({suite, b.GetInsertBlock()});
      b.CreateCondBr(b.CreateICmpEQ(suite, b.getInt32(LBC_FAIL)), suite_done, next);
      b.SetInsertPoint(next);
    }
    suite_in.push_back({suite, b.GetInsertBlock()});
    b.CreateBr(suite_done);
    b.SetInsertPoint(suite_done);
    auto* sphi = b.CreatePHI(g.i32, suite_in.size());
    for (auto& [v, bb] : suite_in) sphi->addIncoming(v, bb);
    cond_res = b.CreateOr(cond_res, sphi);
    auto* next = block("cond.next");
    results.push_back({cond_res, b.GetInsertBlock()});
    b.CreateCondBr(b.CreateICmpEQ(cond_res, b.getInt32(LBC_PASS)), done, next);
    b.SetInsertPoint(next);
  }
  results.push_back({cond_res, b.GetInsertBlock()});
  b.CreateBr(done);
  b.SetInsertPoint(done);
  auto* phi = b.CreatePHI(g.i32, results.size());
  for (auto& [v, bb] : results) phi->addIncoming(v, bb);
  return phi;
}

llvm::Value* FnGen::acl(const ir::Acl& a) {
  Fixed fixed = aclValue(a);
  if (fixed != Fixed::Unknown) return b.getInt32(fixed == Fixed::Pass ? LBC_PASS : LBC_FAIL);
  // OR of the terms (several `acl` lines with one name), stopping at the first PASS.
  auto* done = block("acl.done");
  std::vector<std::pair<llvm::Value*, llvm::BasicBlock*>> in;
  llvm::Value* res = b.getInt32(LBC_FAIL);
  for (const auto& t : a.terms) {
    Fixed tf = termValue(t);
    llvm::Value* v = tf == Fixed::Unknown ? term(t) : b.getInt32(tf == Fixed::Pass ? LBC_PASS : LBC_FAIL);
    res = b.CreateOr(res, v);
    auto* next = block("acl.next");
    in.push_back({res, b.GetInsertBlock()});
    b.CreateCondBr(b.CreateICmpEQ(res, b.getInt32(LBC_PASS)), done, next);
    b.SetInsertPoint(next);
  }
  in.push_back({res, b.GetInsertBlock()});
  b.CreateBr(done);
  b.SetInsertPoint(done);
  auto* phi = b.CreatePHI(g.i32, in.size());
  for (auto& [v, bb] : in) phi->addIncoming(v, bb);
  return phi;
}

llvm::Value* FnGen::term(const ir::AclTerm& t) {
  llvm::Value* res = local(g.i32, "term.res");
  llvm::Value* work = local(g.smp_ty, "term.smp");
  llvm::Value* saved_flags = local(g.i32, "term.flags");
  llvm::Value* saved_ctx = local(g.i64, "term.ctx");
  b.CreateStore(b.getInt32(LBC_FAIL), res);
  auto [rc0, cached] = cachedFetch(t.expr);
  auto* done = block("term.done");
  auto* miss = block("term.miss");
  auto* value = block("term.value");
  auto* next = block("term.next");
  auto* refetch = block("term.refetch");
  auto* first = block("term.first");
  auto* not_ok = block("term.notok");
  b.CreateCondBr(b.CreateICmpEQ(rc0, b.getInt32(LBC_FETCH_OK)), first, not_ok);
  b.SetInsertPoint(not_ok);
  b.CreateCondBr(b.CreateICmpEQ(rc0, b.getInt32(LBC_FETCH_MISS)), miss, done);
  b.SetInsertPoint(first);
  b.CreateMemCpy(work, llvm::MaybeAlign(8), cached, llvm::MaybeAlign(8), sizeof(lbc_smp));
  b.CreateBr(value);

  // One value: remember the iteration state, convert, cast, match.
  b.SetInsertPoint(value);
  b.CreateStore(load(g.i32, work, kSmpFlags), saved_flags);
  b.CreateStore(load(g.i64, work, kSmpCtx), saved_ctx);
  convert(t.expr, work, done);  // a failing converter ends the term, as sample_process does
  int target = castTarget(t.method);
  if (target >= 0) {
    auto* cast_ok = block("term.cast");
    b.CreateCondBr(cast(work, target), cast_ok, next);
    b.SetInsertPoint(cast_ok);
  }
  llvm::Value* m = match(t, work);
  auto* pass = block("term.pass");
  b.CreateCondBr(m, pass, next);
  b.SetInsertPoint(pass);
  b.CreateStore(b.getInt32(LBC_PASS), res);
  b.CreateBr(done);

  // Next value of a multi-valued fetch.
  b.SetInsertPoint(next);
  llvm::Value* fl = b.CreateLoad(g.i32, saved_flags);
  auto* last = block("term.last");
  b.CreateCondBr(b.CreateICmpNE(b.CreateAnd(fl, b.getInt32(LBC_SMPF_NOT_LAST)), b.getInt32(0)), refetch,
                 last);
  // No value matched: a value that may still change (more data can come) makes it a miss.
  b.SetInsertPoint(last);
  b.CreateCondBr(b.CreateICmpNE(b.CreateAnd(fl, b.getInt32(LBC_SMPF_MAY_CHANGE)), b.getInt32(0)), miss, done);
  b.SetInsertPoint(refetch);
  b.CreateStore(fl, field(work, kSmpFlags));
  b.CreateStore(b.CreateLoad(g.i64, saved_ctx), field(work, kSmpCtx));
  llvm::Value* rc = fetchCall(t.expr, work);
  auto* r_notok = block("term.refetch.notok");
  b.CreateCondBr(b.CreateICmpEQ(rc, b.getInt32(LBC_FETCH_OK)), value, r_notok);
  b.SetInsertPoint(r_notok);
  b.CreateCondBr(b.CreateICmpEQ(rc, b.getInt32(LBC_FETCH_MISS)), miss, done);

  b.SetInsertPoint(miss);
  b.CreateStore(b.CreateOr(b.CreateLoad(g.i32, res), b.getInt32(LBC_MISS)), res);
  b.CreateBr(done);
  b.SetInsertPoint(done);
  return b.CreateLoad(g.i32, res);
}

llvm::Value* FnGen::strSetIndex(const ir::AclTerm& t, llvm::Value* smp, const std::vector<uint32_t>* values) {
  std::vector<StrPattern> pats;
  for (size_t i = 0; i < t.patterns.size(); ++i) {
    std::string bytes = t.method == MatchMethod::Bin ? hexDecode(t.patterns[i].text) : t.patterns[i].text;
    pats.push_back({bytes, values ? (*values)[i] : 0});
  }
  llvm::Function* fn = buildStrSetMatcher(g.m, g.fresh("lbc.match"), t.method, t.icase, std::move(pats));
  return b.CreateCall(fn, {load(g.ptr, smp, kSmpPtr), load(g.i64, smp, kSmpLen), b.getInt32(0)});
}

// Int/len patterns become sorted, merged closed intervals: a few comparisons, or a binary search
// over a constant table when there are many.
llvm::Value* FnGen::intervals(const ir::AclTerm& t, llvm::Value* v) {
  std::vector<std::pair<int64_t, int64_t>> iv;
  for (const auto& p : t.patterns) {
    int64_t lo = p.has_lo ? p.lo : INT64_MIN, hi = p.has_hi ? p.hi : INT64_MAX;
    if (lo <= hi) iv.push_back({lo, hi});
  }
  std::sort(iv.begin(), iv.end());
  std::vector<std::pair<int64_t, int64_t>> merged;
  for (const auto& x : iv) {
    if (!merged.empty() && (merged.back().second == INT64_MAX || x.first <= merged.back().second + 1))
      merged.back().second = std::max(merged.back().second, x.second);
    else
      merged.push_back(x);
  }
  if (merged.size() <= 4) {
    llvm::Value* any = b.getFalse();
    for (const auto& [lo, hi] : merged)
      any = b.CreateOr(any,
                       b.CreateAnd(b.CreateICmpSGE(v, b.getInt64(lo)), b.CreateICmpSLE(v, b.getInt64(hi))));
    return any;
  }
  std::vector<int64_t> los, his;
  for (const auto& [lo, hi] : merged) los.push_back(lo), his.push_back(hi);
  auto table = [&](const std::vector<int64_t>& xs, const char* name) {
    auto* init = llvm::ConstantDataArray::get(g.c, llvm::ArrayRef<int64_t>(xs));
    return new llvm::GlobalVariable(g.m, init->getType(), true, llvm::GlobalValue::PrivateLinkage, init,
                                    name);
  };
  auto* glo = table(los, "int.lo");
  auto* ghi = table(his, "int.hi");
  // First interval whose lo > v, by bisection; the one before it is the only candidate.
  auto* pre = b.GetInsertBlock();
  auto* loop = block("bs.loop");
  auto* body = block("bs.body");
  auto* out = block("bs.out");
  b.CreateBr(loop);
  b.SetInsertPoint(loop);
  auto* l = b.CreatePHI(g.i64, 2);
  auto* h = b.CreatePHI(g.i64, 2);
  l->addIncoming(b.getInt64(0), pre);
  h->addIncoming(b.getInt64(merged.size()), pre);
  b.CreateCondBr(b.CreateICmpULT(l, h), body, out);
  b.SetInsertPoint(body);
  llvm::Value* mid = b.CreateLShr(b.CreateAdd(l, h), b.getInt64(1));
  llvm::Value* le = b.CreateICmpSLE(b.CreateLoad(g.i64, b.CreateGEP(g.i64, glo, mid)), v);
  l->addIncoming(b.CreateSelect(le, b.CreateAdd(mid, b.getInt64(1)), l), body);
  h->addIncoming(b.CreateSelect(le, h, mid), body);
  b.CreateBr(loop);
  b.SetInsertPoint(out);
  auto* check = block("bs.check");
  auto* done = block("bs.done");
  b.CreateCondBr(b.CreateICmpEQ(l, b.getInt64(0)), done, check);
  b.SetInsertPoint(check);
  llvm::Value* hi = b.CreateLoad(g.i64, b.CreateGEP(g.i64, ghi, b.CreateSub(l, b.getInt64(1))));
  llvm::Value* in = b.CreateICmpSLE(v, hi);
  b.CreateBr(done);
  b.SetInsertPoint(done);
  auto* phi = b.CreatePHI(g.i1, 2);
  phi->addIncoming(b.getFalse(), out);
  phi->addIncoming(in, check);
  return phi;
}

// i1: whether any of n helper calls (i32 results, nonzero = match) matches, stopping at the first
// match as HAProxy's pattern lists do.
llvm::Value* FnGen::firstOf(size_t n, const std::function<llvm::Value*(size_t)>& call) {
  auto* done = block("any.done");
  std::vector<std::pair<llvm::Value*, llvm::BasicBlock*>> in;
  for (size_t k = 0; k < n; ++k) {
    llvm::Value* r = b.CreateICmpNE(call(k), b.getInt32(0));
    auto* next = block("any.next");
    in.push_back({r, b.GetInsertBlock()});
    b.CreateCondBr(r, done, next);
    b.SetInsertPoint(next);
  }
  in.push_back({b.getFalse(), b.GetInsertBlock()});
  b.CreateBr(done);
  b.SetInsertPoint(done);
  auto* phi = b.CreatePHI(g.i1, in.size());
  for (auto& [v, bb] : in) phi->addIncoming(v, bb);
  return phi;
}

llvm::Value* FnGen::match(const ir::AclTerm& t, llvm::Value* smp) {
  switch (t.method) {
    case MatchMethod::Found:
      return b.getTrue();
    case MatchMethod::Bool:
      return b.CreateICmpNE(load(g.i64, smp, kSmpSint), b.getInt64(0));
    case MatchMethod::Int:
    case MatchMethod::Len: {
      llvm::Value* v = t.method == MatchMethod::Int ? load(g.i64, smp, kSmpSint) : load(g.i64, smp, kSmpLen);
      return intervals(t, v);
    }
    case MatchMethod::Str:
    case MatchMethod::Beg:
    case MatchMethod::End:
    case MatchMethod::Sub:
    case MatchMethod::Bin:
      return b.CreateICmpNE(strSetIndex(t, smp, nullptr), b.getInt32(kNoMatch));
    case MatchMethod::Dir:
    case MatchMethod::Dom: {
      const char* h = t.method == MatchMethod::Dir ? "lbc_match_dir" : "lbc_match_dom";
      llvm::Value* p = load(g.ptr, smp, kSmpPtr);
      llvm::Value* n = load(g.i64, smp, kSmpLen);
      return firstOf(t.patterns.size(), [&](size_t k) {
        const auto& pat = t.patterns[k];
        return b.CreateCall(
            g.helper(h), {p, n, g.bytes(pat.text), b.getInt64(pat.text.size()), b.getInt32(t.icase ? 1 : 0)});
      });
    }
    case MatchMethod::Reg: {
      llvm::Value* p = load(g.ptr, smp, kSmpPtr);
      llvm::Value* n = load(g.i64, smp, kSmpLen);
      return firstOf(t.patterns.size(), [&](size_t k) {
        llvm::Value* re = b.CreateLoad(g.ptr, g.regex(t.patterns[k].text, t.icase));
        return b.CreateCall(g.helper("lbc_match_reg"), {re, p, n});
      });
    }
    case MatchMethod::Ip:
      return matchIp(t, smp);
  }
  return b.getFalse();
}

llvm::Value* FnGen::matchIp(const ir::AclTerm& t, llvm::Value* smp) {
  // Networks per prefix length, as host-order integers, longest prefix first.
  std::map<int, std::vector<uint32_t>, std::greater<int>> v4;
  std::map<int, std::vector<unsigned __int128>, std::greater<int>> v6;
  for (const auto& p : t.patterns) {
    if (p.ipv6) {
      unsigned __int128 a = 0;
      for (int i = 0; i < 16; ++i) a = a << 8 | p.ip[i];
      int len = std::min<int>(p.prefix_len, 128);
      unsigned __int128 mask = len == 0 ? 0 : ~static_cast<unsigned __int128>(0) << (128 - len);
      v6[len].push_back(a & mask);
    } else {
      uint32_t a = uint32_t(p.ip[0]) << 24 | uint32_t(p.ip[1]) << 16 | uint32_t(p.ip[2]) << 8 | p.ip[3];
      int len = std::min<int>(p.prefix_len, 32);
      uint32_t mask = len == 0 ? 0 : ~0u << (32 - len);
      v4[len].push_back(a & mask);
    }
  }
  auto* i128 = llvm::Type::getInt128Ty(g.c);
  auto* hit = block("ip.hit");
  auto* done = block("ip.done");
  // One switch per prefix length over the masked address; falls through when none matches.
  auto switches4 = [&](llvm::Value* addr) {
    for (auto& [len, nets] : v4) {
      std::sort(nets.begin(), nets.end());
      nets.erase(std::unique(nets.begin(), nets.end()), nets.end());
      uint32_t mask = len == 0 ? 0 : ~0u << (32 - len);
      auto* next = block("ip4.len");
      auto* sw = b.CreateSwitch(b.CreateAnd(addr, b.getInt32(mask)), next, nets.size());
      for (uint32_t n : nets) sw->addCase(b.getInt32(n), hit);
      b.SetInsertPoint(next);
    }
  };
  auto switches6 = [&](llvm::Value* addr) {
    for (auto& [len, nets] : v6) {
      std::sort(nets.begin(), nets.end());
      nets.erase(std::unique(nets.begin(), nets.end()), nets.end());
      unsigned __int128 mask = len == 0 ? 0 : ~static_cast<unsigned __int128>(0) << (128 - len);
      auto c128 = [&](unsigned __int128 v) {
        return llvm::ConstantInt::get(g.c, llvm::APInt(128, {uint64_t(v), uint64_t(v >> 64)}));
      };
      auto* next = block("ip6.len");
      auto* sw = b.CreateSwitch(b.CreateAnd(addr, c128(mask)), next, nets.size());
      for (auto n : nets) sw->addCase(c128(n), hit);
      b.SetInsertPoint(next);
    }
  };

  auto* v4bb = block("ip.v4");
  auto* v6bb = block("ip.v6");
  auto* other = block("ip.cast");
  auto* try6 = block("ip.cast6");
  auto* sw = b.CreateSwitch(load(g.i32, smp, kSmpType), other, 2);
  sw->addCase(b.getInt32(LBC_SMP_IPV4), v4bb);
  sw->addCase(b.getInt32(LBC_SMP_IPV6), v6bb);
  b.SetInsertPoint(other);
  llvm::Value* ok4 = b.CreateCall(g.helper("lbc_rt_smp_cast"), {txn, smp, b.getInt32(LBC_SMP_IPV4)});
  b.CreateCondBr(b.CreateICmpNE(ok4, b.getInt32(0)), v4bb, try6);
  b.SetInsertPoint(try6);
  llvm::Value* ok6 = b.CreateCall(g.helper("lbc_rt_smp_cast"), {txn, smp, b.getInt32(LBC_SMP_IPV6)});
  b.CreateCondBr(b.CreateICmpNE(ok6, b.getInt32(0)), v6bb, done);

  // IPv4 sample: its networks, then IPv6 networks as ::ffff:a.b.c.d (lbc_match_ip's rules).
  b.SetInsertPoint(v4bb);
  llvm::Value* a4 = b.CreateUnaryIntrinsic(llvm::Intrinsic::bswap, b.CreateLoad(g.i32, field(smp, kSmpIp)));
  switches4(a4);
  if (!v6.empty())
    switches6(b.CreateOr(b.CreateZExt(a4, i128), llvm::ConstantInt::get(i128, 0xffffull << 32)));
  b.CreateBr(done);

  // IPv6 sample: its networks, then IPv4 networks against the IPv4 address it carries
  // (::ffff:0:0/96, ::/96, 2002::/16), as HAProxy.
  b.SetInsertPoint(v6bb);
  llvm::Value* a6 = b.CreateUnaryIntrinsic(llvm::Intrinsic::bswap, b.CreateLoad(i128, field(smp, kSmpIp)));
  switches6(a6);
  if (!v4.empty()) {
    llvm::Value* top96 = b.CreateLShr(a6, llvm::ConstantInt::get(i128, 32));
    llvm::Value* embedded = b.CreateOr(b.CreateICmpEQ(top96, llvm::ConstantInt::get(i128, 0xffff)),
                                       b.CreateICmpEQ(top96, llvm::ConstantInt::get(i128, 0)));
    llvm::Value* six_to_four = b.CreateICmpEQ(b.CreateLShr(a6, llvm::ConstantInt::get(i128, 112)),
                                              llvm::ConstantInt::get(i128, 0x2002));
    llvm::Value* low = b.CreateTrunc(a6, g.i32);
    llvm::Value* mid = b.CreateTrunc(b.CreateLShr(a6, llvm::ConstantInt::get(i128, 80)), g.i32);
    auto* has4 = block("ip6.has4");
    b.CreateCondBr(b.CreateOr(embedded, six_to_four), has4, done);
    b.SetInsertPoint(has4);
    switches4(b.CreateSelect(embedded, low, mid));
  }
  b.CreateBr(done);

  b.SetInsertPoint(hit);
  b.CreateBr(done);
  b.SetInsertPoint(done);
  auto* phi = b.CreatePHI(g.i1, 4);
  for (auto* pred : llvm::predecessors(done))
    phi->addIncoming(pred == hit ? b.getTrue() : b.getFalse(), pred);
  return phi;
}

}  // namespace lbc::codegen

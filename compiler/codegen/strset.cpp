// See strset.h. The generated code and strHash() must agree byte for byte: FNV-1a over the
// (folded) bytes, seeded, and a final mix before the table probe.
#include "codegen/strset.h"

#include <llvm/IR/Constants.h>
#include <llvm/IR/IRBuilder.h>

#include <algorithm>
#include <map>
#include <set>
#include <unordered_set>

#include "lbc/stdlib/text.h"

namespace lbc::codegen {

namespace {

constexpr uint64_t kFnvBasis = 0xcbf29ce484222325ull;
constexpr uint64_t kFnvPrime = 0x100000001b3ull;
constexpr size_t kSmallSet = 4;  // up to this many patterns, compare directly

// The table slot comes from the low bits: fold the high bits in first (multiplication only
// carries information upwards, so the low bits of a raw hash depend on few input bits).
constexpr uint64_t kMixPrime = 0xff51afd7ed558ccdull;
uint64_t mix(uint64_t h) {
  h ^= h >> 33;
  h *= kMixPrime;
  return h ^ (h >> 33);
}

using llvm::IRBuilder;
using llvm::Value;

struct Ctx {
  llvm::Module& m;
  llvm::LLVMContext& c;
  llvm::Type* i8;
  llvm::Type* i32;
  llvm::Type* i64;
  llvm::PointerType* ptr;
  explicit Ctx(llvm::Module& mod)
      : m(mod),
        c(mod.getContext()),
        i8(llvm::Type::getInt8Ty(c)),
        i32(llvm::Type::getInt32Ty(c)),
        i64(llvm::Type::getInt64Ty(c)),
        ptr(llvm::PointerType::getUnqual(c)) {}
};

Value* emitMix(IRBuilder<>& b, Value* h) {  // mix(), in generated code
  h = b.CreateXor(h, b.CreateLShr(h, b.getInt64(33)));
  h = b.CreateMul(h, b.getInt64(kMixPrime));
  return b.CreateXor(h, b.CreateLShr(h, b.getInt64(33)));
}

Value* foldByte(IRBuilder<>& b, Value* c) {
  Value* off = b.CreateSub(c, b.getInt8('A'));
  Value* upper = b.CreateICmpULT(off, b.getInt8(26));
  return b.CreateSelect(upper, b.CreateOr(c, b.getInt8(0x20)), c);
}

// i1 lbc.memeq.icase(ptr p, ptr lower, i64 n): p equals the already-folded bytes, ignoring case.
llvm::Function* memeqIcase(Ctx& x) {
  if (auto* f = x.m.getFunction("lbc.memeq.icase")) return f;
  auto* fty = llvm::FunctionType::get(llvm::Type::getInt1Ty(x.c), {x.ptr, x.ptr, x.i64}, false);
  auto* f = llvm::Function::Create(fty, llvm::GlobalValue::InternalLinkage, "lbc.memeq.icase", x.m);
  auto* entry = llvm::BasicBlock::Create(x.c, "entry", f);
  auto* loop = llvm::BasicBlock::Create(x.c, "loop", f);
  auto* body = llvm::BasicBlock::Create(x.c, "body", f);
  auto* yes = llvm::BasicBlock::Create(x.c, "yes", f);
  auto* no = llvm::BasicBlock::Create(x.c, "no", f);
  IRBuilder<> b(entry);
  b.CreateBr(loop);
  b.SetInsertPoint(loop);
  auto* i = b.CreatePHI(x.i64, 2);
  i->addIncoming(b.getInt64(0), entry);
  b.CreateCondBr(b.CreateICmpULT(i, f->getArg(2)), body, yes);
  b.SetInsertPoint(body);
  Value* a = foldByte(b, b.CreateLoad(x.i8, b.CreateGEP(x.i8, f->getArg(0), i)));
  Value* q = b.CreateLoad(x.i8, b.CreateGEP(x.i8, f->getArg(1), i));
  i->addIncoming(b.CreateAdd(i, b.getInt64(1)), body);
  b.CreateCondBr(b.CreateICmpEQ(a, q), loop, no);
  b.SetInsertPoint(yes);
  b.CreateRet(b.getTrue());
  b.SetInsertPoint(no);
  b.CreateRet(b.getFalse());
  return f;
}

llvm::FunctionCallee memcmpFn(Ctx& x) {
  return x.m.getOrInsertFunction("memcmp", llvm::FunctionType::get(x.i32, {x.ptr, x.ptr, x.i64}, false));
}

// p[0..n) == pat (pat already folded when icase).
Value* bytesEqual(Ctx& x, IRBuilder<>& b, Value* p, Value* pat, Value* n, bool icase) {
  if (icase) return b.CreateCall(memeqIcase(x), {p, pat, n});
  return b.CreateICmpEQ(b.CreateCall(memcmpFn(x), {p, pat, n}), b.getInt32(0));
}

llvm::GlobalVariable* constBytes(Ctx& x, const std::string& s, const std::string& name) {
  auto* init = llvm::ConstantDataArray::getString(x.c, s, false);
  auto* g =
      new llvm::GlobalVariable(x.m, init->getType(), true, llvm::GlobalValue::PrivateLinkage, init, name);
  g->setUnnamedAddr(llvm::GlobalValue::UnnamedAddr::Global);
  return g;
}

template <typename T>
llvm::GlobalVariable* constArray(Ctx& x, const std::vector<T>& v, const std::string& name) {
  llvm::Constant* init = llvm::ConstantDataArray::get(x.c, llvm::ArrayRef<T>(v));
  auto* g =
      new llvm::GlobalVariable(x.m, init->getType(), true, llvm::GlobalValue::PrivateLinkage, init, name);
  g->setUnnamedAddr(llvm::GlobalValue::UnnamedAddr::Global);
  return g;
}

// Small sets: one comparison per pattern, in value order, first match wins.
void buildDirect(Ctx& x, llvm::Function* f, stdlib::MatchMethod method, bool icase,
                 const std::vector<StrPattern>& pats) {
  using stdlib::MatchMethod;
  IRBuilder<> b(llvm::BasicBlock::Create(x.c, "entry", f));
  Value* data = f->getArg(0);
  Value* len = f->getArg(1);
  for (size_t k = 0; k < pats.size(); ++k) {
    const StrPattern& p = pats[k];
    auto* cmp = llvm::BasicBlock::Create(x.c, "cmp", f);
    auto* hit = llvm::BasicBlock::Create(x.c, "hit", f);
    auto* next = llvm::BasicBlock::Create(x.c, "next", f);
    Value* L = b.getInt64(p.bytes.size());
    Value* len_ok = method == MatchMethod::Beg || method == MatchMethod::End ? b.CreateICmpUGE(len, L)
                                                                             : b.CreateICmpEQ(len, L);
    len_ok = b.CreateAnd(len_ok, b.CreateICmpULE(f->getArg(2), b.getInt32(p.value)));
    b.CreateCondBr(len_ok, cmp, next);
    b.SetInsertPoint(cmp);
    Value* at = method == MatchMethod::End ? b.CreateGEP(x.i8, data, b.CreateSub(len, L)) : data;
    Value* eq = p.bytes.empty()
                    ? b.getTrue()
                    : bytesEqual(x, b, at, constBytes(x, p.bytes, f->getName().str() + ".p"), L, icase);
    b.CreateCondBr(eq, hit, next);
    b.SetInsertPoint(hit);
    b.CreateRet(b.getInt32(p.value));
    b.SetInsertPoint(next);
  }
  b.CreateRet(b.getInt32(kNoMatch));
}

struct Table {
  uint64_t seed = 0;
  std::vector<uint64_t> hashes;  // per slot
  std::vector<int32_t> index;    // per slot: pattern index, -1 empty
};

// An open-addressing table (load <= 1/2) keyed by the full 64-bit hash. The seed is chosen so no
// two distinct patterns share a hash, which makes a probe hit identify one candidate.
template <typename HashFn>
Table buildTableWith(const std::vector<StrPattern>& pats, HashFn hash) {
  Table t;
  size_t size = 4;
  while (size < pats.size() * 2) size <<= 1;
  for (uint64_t seed = 0;; ++seed) {
    std::vector<uint64_t> hs;
    std::unordered_set<uint64_t> seen;
    bool ok = true;
    for (const auto& p : pats) {
      uint64_t h = hash(p.bytes, seed);
      if (!seen.insert(h).second) {
        ok = false;
        break;
      }
      hs.push_back(h);
    }
    if (!ok) continue;
    t.seed = seed;
    t.hashes.assign(size, 0);
    t.index.assign(size, -1);
    for (size_t k = 0; k < pats.size(); ++k) {
      size_t slot = mix(hs[k]) & (size - 1);
      while (t.index[slot] >= 0) slot = (slot + 1) & (size - 1);
      t.index[slot] = int32_t(k);
      t.hashes[slot] = hs[k];
    }
    return t;
  }
}

Table buildTable(const std::vector<StrPattern>& pats, bool reversed) {
  return buildTableWith(pats, [reversed](const std::string& b, uint64_t seed) {
    return strHash(reversed ? std::string(b.rbegin(), b.rend()) : b, seed);
  });
}

// Large sets: one pass over the input hashing each byte; exact sets probe once at the end,
// prefix/suffix sets probe wherever some pattern ends.
void buildHashed(Ctx& x, llvm::Function* f, stdlib::MatchMethod method, bool icase,
                 const std::vector<StrPattern>& pats) {
  using stdlib::MatchMethod;
  const bool exact = method == MatchMethod::Str || method == MatchMethod::Bin;
  const bool reversed = method == MatchMethod::End;
  const std::string base = f->getName().str();
  Table t = buildTable(pats, reversed);

  size_t max_len = 0;
  uint32_t min_value = kNoMatch;
  std::string blob;
  std::vector<int32_t> offs, lens, vals;
  for (const auto& p : pats) {
    max_len = std::max(max_len, p.bytes.size());
    min_value = std::min(min_value, p.value);
    offs.push_back(int32_t(blob.size()));
    lens.push_back(int32_t(p.bytes.size()));
    vals.push_back(int32_t(p.value));
    blob += p.bytes;
  }
  std::vector<uint8_t> ends(max_len + 1, 0);
  for (const auto& p : pats) ends[p.bytes.size()] = 1;

  auto* g_blob = constBytes(x, blob, base + ".blob");
  auto* g_offs = constArray(x, offs, base + ".off");
  auto* g_lens = constArray(x, lens, base + ".len");
  auto* g_vals = constArray(x, vals, base + ".val");
  auto* g_hash = constArray(x, t.hashes, base + ".hash");
  auto* g_idx = constArray(x, t.index, base + ".idx");
  auto* g_ends = constArray(x, ends, base + ".ends");
  const uint64_t mask = t.hashes.size() - 1;

  Value* data = f->getArg(0);
  Value* len = f->getArg(1);
  auto* entry = llvm::BasicBlock::Create(x.c, "entry", f);
  auto* loop = llvm::BasicBlock::Create(x.c, "loop", f);
  auto* check = llvm::BasicBlock::Create(x.c, "check", f);
  auto* probe = llvm::BasicBlock::Create(x.c, "probe", f);
  auto* slot_bb = llvm::BasicBlock::Create(x.c, "slot", f);
  auto* cand_bb = llvm::BasicBlock::Create(x.c, "cand", f);
  auto* verify = llvm::BasicBlock::Create(x.c, "verify", f);
  auto* hit = llvm::BasicBlock::Create(x.c, "hit", f);
  auto* next = llvm::BasicBlock::Create(x.c, "next", f);
  auto* done = llvm::BasicBlock::Create(x.c, "done", f);
  auto* nomatch = llvm::BasicBlock::Create(x.c, "nomatch", f);

  IRBuilder<> b(entry);
  Value* basis = b.getInt64(kFnvBasis ^ t.seed);
  Value* n;
  if (exact) {
    auto* go = llvm::BasicBlock::Create(x.c, "go", f, loop);
    b.CreateCondBr(b.CreateICmpUGT(len, b.getInt64(max_len)), nomatch, go);
    b.SetInsertPoint(go);
    n = len;
  } else {
    n = b.CreateSelect(b.CreateICmpULT(len, b.getInt64(max_len)), len, b.getInt64(max_len));
  }
  llvm::BasicBlock* pre = b.GetInsertBlock();
  // The empty pattern ends at length 0: handled by entering `check` once with i = 0.
  b.CreateBr(check);

  // check: i bytes hashed into h; probe if a pattern may end here, then hash the next byte.
  b.SetInsertPoint(check);
  auto* i = b.CreatePHI(x.i64, 2, "i");
  auto* h = b.CreatePHI(x.i64, 2, "h");
  auto* best = b.CreatePHI(x.i32, 2, "best");
  i->addIncoming(b.getInt64(0), pre);
  h->addIncoming(basis, pre);
  best->addIncoming(b.getInt32(kNoMatch), pre);
  Value* want;
  if (exact) {
    want = b.CreateICmpEQ(i, n);
  } else {
    Value* e = b.CreateLoad(x.i8, b.CreateGEP(x.i8, g_ends, i));
    want = b.CreateICmpNE(e, b.getInt8(0));
  }
  b.CreateCondBr(want, probe, next);

  b.SetInsertPoint(probe);
  Value* hm = emitMix(b, h);
  Value* s0 = b.CreateAnd(hm, b.getInt64(mask));
  b.CreateBr(slot_bb);

  b.SetInsertPoint(slot_bb);
  auto* s = b.CreatePHI(x.i64, 2, "s");
  s->addIncoming(s0, probe);
  Value* idx = b.CreateLoad(x.i32, b.CreateGEP(x.i32, g_idx, s));
  auto* occupied = llvm::BasicBlock::Create(x.c, "occupied", f);
  b.CreateCondBr(b.CreateICmpSLT(idx, b.getInt32(0)), next, occupied);
  b.SetInsertPoint(occupied);
  Value* sh = b.CreateLoad(x.i64, b.CreateGEP(x.i64, g_hash, s));
  s->addIncoming(b.CreateAnd(b.CreateAdd(s, b.getInt64(1)), b.getInt64(mask)), occupied);
  b.CreateCondBr(b.CreateICmpEQ(sh, h), cand_bb, slot_bb);

  b.SetInsertPoint(cand_bb);
  Value* idx64 = b.CreateZExt(idx, x.i64);
  Value* plen = b.CreateZExt(b.CreateLoad(x.i32, b.CreateGEP(x.i32, g_lens, idx64)), x.i64);
  b.CreateCondBr(b.CreateICmpEQ(plen, i), verify, next);

  b.SetInsertPoint(verify);
  Value* poff = b.CreateZExt(b.CreateLoad(x.i32, b.CreateGEP(x.i32, g_offs, idx64)), x.i64);
  Value* at = reversed ? b.CreateGEP(x.i8, data, b.CreateSub(len, i)) : data;
  Value* eq = bytesEqual(x, b, at, b.CreateGEP(x.i8, g_blob, poff), i, icase);
  b.CreateCondBr(eq, hit, next);

  b.SetInsertPoint(hit);
  Value* v = b.CreateLoad(x.i32, b.CreateGEP(x.i32, g_vals, idx64));
  v = b.CreateSelect(b.CreateICmpUGE(v, f->getArg(2)), v, b.getInt32(kNoMatch));
  Value* nb = b.CreateSelect(b.CreateICmpULT(v, best), v, best);
  auto* early = llvm::BasicBlock::Create(x.c, "early", f);
  b.CreateCondBr(b.CreateICmpEQ(nb, b.getInt32(min_value)), early, next);
  b.SetInsertPoint(early);
  b.CreateRet(nb);

  // next: hash one more byte, or stop.
  b.SetInsertPoint(next);
  auto* best2 = b.CreatePHI(x.i32, 5, "best2");
  best2->addIncoming(best, check);
  best2->addIncoming(best, slot_bb);
  best2->addIncoming(best, cand_bb);
  best2->addIncoming(best, verify);
  best2->addIncoming(nb, hit);
  b.CreateCondBr(b.CreateICmpULT(i, n), loop, done);

  b.SetInsertPoint(loop);
  Value* pos = reversed ? b.CreateSub(b.CreateSub(len, b.getInt64(1)), i) : i;
  Value* c = b.CreateLoad(x.i8, b.CreateGEP(x.i8, data, pos));
  if (icase) c = foldByte(b, c);
  Value* h2 = b.CreateMul(b.CreateXor(h, b.CreateZExt(c, x.i64)), b.getInt64(kFnvPrime));
  i->addIncoming(b.CreateAdd(i, b.getInt64(1)), loop);
  h->addIncoming(h2, loop);
  best->addIncoming(best2, loop);
  b.CreateBr(check);

  b.SetInsertPoint(done);
  b.CreateRet(best2);
  b.SetInsertPoint(nomatch);
  b.CreateRet(b.getInt32(kNoMatch));
}

// ---- word-at-a-time sets --------------------------------------------------------------------
// When the patterns end at few distinct lengths, the hash of each length is computed from 8-byte
// words (one multiply per word instead of one per byte) in straight-line code: prefix (suffix)
// sets share the words across their checkpoints, exact sets switch on the length first.
// wordHash() below is the compile-time twin of emitWordHash().

constexpr uint64_t kWordPrime = 0x9E3779B97F4A7C15ull;
constexpr size_t kMaxWordLengths = 64;  // distinct pattern lengths
constexpr size_t kMaxWordLen = 512;

uint64_t loadLe(const std::string& s, size_t off, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= uint64_t(uint8_t(s[off + i])) << (8 * i);
  return v;
}

// Words are taken from the start (prefix/exact) or from the end (suffix); the tail is what is
// left of the L bytes after the whole words, loaded little-endian into the low bytes.
uint64_t wordHash(const std::string& p, bool from_end, uint64_t seed) {
  const size_t L = p.size(), k = L / 8, r = L % 8;
  uint64_t h = kFnvBasis ^ seed;
  for (size_t w = 0; w < k; ++w) h = (h ^ loadLe(p, from_end ? L - 8 * w - 8 : 8 * w, 8)) * kWordPrime;
  uint64_t tail = r ? loadLe(p, from_end ? 0 : 8 * k, r) : 0;
  return (h ^ tail ^ (uint64_t(L) << 56)) * kWordPrime;
}

// ASCII upper case to lower case in all eight bytes of a word at once.
Value* foldWord(IRBuilder<>& b, Value* w) {
  auto c = [&](uint64_t v) { return b.getInt64(v); };
  Value* hept = b.CreateAnd(w, c(0x7f7f7f7f7f7f7f7full));
  Value* ge_a = b.CreateAdd(hept, c(0x3f3f3f3f3f3f3f3full));  // high bit: byte >= 'A'
  Value* gt_z = b.CreateAdd(hept, c(0x2525252525252525ull));  // high bit: byte > 'Z'
  Value* upper = b.CreateAnd(b.CreateAnd(ge_a, b.CreateNot(gt_z)),
                             b.CreateAnd(b.CreateNot(w), c(0x8080808080808080ull)));
  return b.CreateOr(w, b.CreateLShr(upper, c(2)));
}

// n (< 8) bytes at p, little-endian, zero-extended: the bytes are known to exist.
Value* loadTail(Ctx& x, IRBuilder<>& b, Value* p, size_t n) {
  Value* v = b.getInt64(0);
  for (size_t i = 0; i < n; ++i) {
    Value* byte = b.CreateLoad(x.i8, b.CreateGEP(x.i8, p, b.getInt64(i)));
    v = b.CreateOr(v, b.CreateShl(b.CreateZExt(byte, x.i64), b.getInt64(8 * i)));
  }
  return v;
}

struct WordSet {
  Table t;
  size_t max_len = 0;
  uint32_t min_value = kNoMatch;
  llvm::GlobalVariable *blob, *offs, *lens, *vals, *hash, *idx;
};

WordSet wordTables(Ctx& x, const std::string& base, const std::vector<StrPattern>& pats, bool from_end) {
  WordSet ws;
  ws.t = buildTableWith(
      pats, [from_end](const std::string& b, uint64_t seed) { return wordHash(b, from_end, seed); });
  std::string blob;
  std::vector<int32_t> offs, lens, vals;
  for (const auto& p : pats) {
    ws.max_len = std::max(ws.max_len, p.bytes.size());
    ws.min_value = std::min(ws.min_value, p.value);
    offs.push_back(int32_t(blob.size()));
    lens.push_back(int32_t(p.bytes.size()));
    vals.push_back(int32_t(p.value));
    blob += p.bytes;
  }
  ws.blob = constBytes(x, blob, base + ".blob");
  ws.offs = constArray(x, offs, base + ".off");
  ws.lens = constArray(x, lens, base + ".len");
  ws.vals = constArray(x, vals, base + ".val");
  ws.hash = constArray(x, ws.t.hashes, base + ".hash");
  ws.idx = constArray(x, ws.t.index, base + ".idx");
  return ws;
}

// Probes for `key` and verifies a candidate of length L at `at`: returns the pattern's value or
// kNoMatch, leaving the builder in the block after the probe.
Value* probeAndVerify(Ctx& x, IRBuilder<>& b, llvm::Function* f, const WordSet& ws, Value* key, size_t L,
                      Value* at, bool icase) {
  const uint64_t mask = ws.t.hashes.size() - 1;
  auto* start = b.GetInsertBlock();
  auto* slot_bb = llvm::BasicBlock::Create(x.c, "slot", f);
  auto* occupied = llvm::BasicBlock::Create(x.c, "occupied", f);
  auto* cand = llvm::BasicBlock::Create(x.c, "cand", f);
  auto* verify = llvm::BasicBlock::Create(x.c, "verify", f);
  auto* hit = llvm::BasicBlock::Create(x.c, "hit", f);
  auto* out = llvm::BasicBlock::Create(x.c, "probed", f);
  Value* s0 = b.CreateAnd(emitMix(b, key), b.getInt64(mask));
  b.CreateBr(slot_bb);
  b.SetInsertPoint(slot_bb);
  auto* s = b.CreatePHI(x.i64, 2);
  s->addIncoming(s0, start);
  Value* idx = b.CreateLoad(x.i32, b.CreateGEP(x.i32, ws.idx, s));
  b.CreateCondBr(b.CreateICmpSLT(idx, b.getInt32(0)), out, occupied);
  b.SetInsertPoint(occupied);
  Value* sh = b.CreateLoad(x.i64, b.CreateGEP(x.i64, ws.hash, s));
  s->addIncoming(b.CreateAnd(b.CreateAdd(s, b.getInt64(1)), b.getInt64(mask)), occupied);
  b.CreateCondBr(b.CreateICmpEQ(sh, key), cand, slot_bb);
  b.SetInsertPoint(cand);
  Value* i64idx = b.CreateZExt(idx, x.i64);
  Value* plen = b.CreateLoad(x.i32, b.CreateGEP(x.i32, ws.lens, i64idx));
  b.CreateCondBr(b.CreateICmpEQ(plen, b.getInt32(L)), verify, out);
  b.SetInsertPoint(verify);
  Value* off = b.CreateZExt(b.CreateLoad(x.i32, b.CreateGEP(x.i32, ws.offs, i64idx)), x.i64);
  Value* eq =
      L == 0 ? b.getTrue() : bytesEqual(x, b, at, b.CreateGEP(x.i8, ws.blob, off), b.getInt64(L), icase);
  b.CreateCondBr(eq, hit, out);
  b.SetInsertPoint(hit);
  Value* v = b.CreateLoad(x.i32, b.CreateGEP(x.i32, ws.vals, i64idx));
  v = b.CreateSelect(b.CreateICmpUGE(v, f->getArg(2)), v, b.getInt32(kNoMatch));
  b.CreateBr(out);
  b.SetInsertPoint(out);
  auto* phi = b.CreatePHI(x.i32, 4);
  phi->addIncoming(b.getInt32(kNoMatch), slot_bb);
  phi->addIncoming(b.getInt32(kNoMatch), cand);
  phi->addIncoming(b.getInt32(kNoMatch), verify);
  phi->addIncoming(v, hit);
  return phi;
}

bool wordsApply(const std::vector<StrPattern>& pats) {
  std::set<size_t> lens;
  for (const auto& p : pats) {
    if (p.bytes.size() > kMaxWordLen) return false;
    lens.insert(p.bytes.size());
  }
  return lens.size() <= kMaxWordLengths;
}

void buildWords(Ctx& x, llvm::Function* f, stdlib::MatchMethod method, bool icase,
                const std::vector<StrPattern>& pats) {
  using stdlib::MatchMethod;
  const bool exact = method == MatchMethod::Str || method == MatchMethod::Bin;
  const bool from_end = method == MatchMethod::End;
  WordSet ws = wordTables(x, f->getName().str(), pats, from_end);
  std::set<size_t> lens;
  for (const auto& p : pats) lens.insert(p.bytes.size());
  Value* data = f->getArg(0);
  Value* len = f->getArg(1);
  IRBuilder<> b(llvm::BasicBlock::Create(x.c, "entry", f));
  auto word = [&](size_t w) {  // the w-th whole word of the input, folded when icase
    Value* at = from_end ? b.CreateGEP(x.i8, data, b.CreateSub(len, b.getInt64(8 * w + 8)))
                         : b.CreateGEP(x.i8, data, b.getInt64(8 * w));
    Value* v = b.CreateAlignedLoad(x.i64, at, llvm::Align(1));
    return icase ? foldWord(b, v) : v;
  };
  auto finish = [&](Value* hw, size_t L) {  // the key of the first (last) L bytes
    size_t r = L % 8;
    Value* tail = b.getInt64(0);
    if (r) {
      Value* at = from_end ? b.CreateGEP(x.i8, data, b.CreateSub(len, b.getInt64(L)))
                           : b.CreateGEP(x.i8, data, b.getInt64(8 * (L / 8)));
      tail = loadTail(x, b, at, r);
      if (icase) tail = foldWord(b, tail);
    }
    return b.CreateMul(b.CreateXor(b.CreateXor(hw, tail), b.getInt64(uint64_t(L) << 56)),
                       b.getInt64(kWordPrime));
  };
  auto step = [&](Value* hw, size_t w) {
    return b.CreateMul(b.CreateXor(hw, word(w)), b.getInt64(kWordPrime));
  };
  Value* basis = b.getInt64(kFnvBasis ^ ws.t.seed);

  if (exact) {
    auto* none = llvm::BasicBlock::Create(x.c, "none", f);
    auto* sw = b.CreateSwitch(len, none, lens.size());
    for (size_t L : lens) {
      auto* bb = llvm::BasicBlock::Create(x.c, "len", f);
      sw->addCase(b.getInt64(L), bb);
      b.SetInsertPoint(bb);
      Value* hw = basis;
      for (size_t w = 0; w < L / 8; ++w) hw = step(hw, w);
      b.CreateRet(probeAndVerify(x, b, f, ws, finish(hw, L), L, data, icase));
    }
    b.SetInsertPoint(none);
    b.CreateRet(b.getInt32(kNoMatch));
    return;
  }
  // Prefix / suffix: checkpoints in ascending length; each is reached only when the input is at
  // least that long, so every load is in bounds.
  auto* done = llvm::BasicBlock::Create(x.c, "done", f);
  auto* done_phi = llvm::PHINode::Create(x.i32, lens.size() + 1, "best", done);
  Value* best = b.getInt32(kNoMatch);
  Value* hw = basis;
  size_t words = 0;
  for (size_t L : lens) {
    auto* go = llvm::BasicBlock::Create(x.c, "cp", f);
    done_phi->addIncoming(best, b.GetInsertBlock());
    b.CreateCondBr(b.CreateICmpULT(len, b.getInt64(L)), done, go);
    b.SetInsertPoint(go);
    for (; words < L / 8; ++words) hw = step(hw, words);
    Value* at = from_end ? b.CreateGEP(x.i8, data, b.CreateSub(len, b.getInt64(L))) : data;
    Value* v = probeAndVerify(x, b, f, ws, finish(hw, L), L, at, icase);
    best = b.CreateSelect(b.CreateICmpULT(v, best), v, best);
    auto* early = llvm::BasicBlock::Create(x.c, "early", f);
    auto* next = llvm::BasicBlock::Create(x.c, "next", f);
    b.CreateCondBr(b.CreateICmpEQ(best, b.getInt32(ws.min_value)), early, next);
    b.SetInsertPoint(early);
    b.CreateRet(best);
    b.SetInsertPoint(next);
  }
  done_phi->addIncoming(best, b.GetInsertBlock());
  b.CreateBr(done);
  b.SetInsertPoint(done);
  b.CreateRet(done_phi);
}

// Substring sets: the prefix matcher at every start position.
void buildSub(Ctx& x, llvm::Function* f, llvm::Function* beg, uint32_t min_value) {
  auto* entry = llvm::BasicBlock::Create(x.c, "entry", f);
  auto* loop = llvm::BasicBlock::Create(x.c, "loop", f);
  auto* early = llvm::BasicBlock::Create(x.c, "early", f);
  auto* next = llvm::BasicBlock::Create(x.c, "next", f);
  auto* done = llvm::BasicBlock::Create(x.c, "done", f);
  IRBuilder<> b(entry);
  Value* len = f->getArg(1);
  b.CreateBr(loop);
  b.SetInsertPoint(loop);
  auto* s = b.CreatePHI(x.i64, 2, "s");
  auto* best = b.CreatePHI(x.i32, 2, "best");
  s->addIncoming(b.getInt64(0), entry);
  best->addIncoming(b.getInt32(kNoMatch), entry);
  Value* v = b.CreateCall(beg, {b.CreateGEP(x.i8, f->getArg(0), s), b.CreateSub(len, s), f->getArg(2)});
  Value* nb = b.CreateSelect(b.CreateICmpULT(v, best), v, best);
  b.CreateCondBr(b.CreateICmpEQ(nb, b.getInt32(min_value)), early, next);
  b.SetInsertPoint(early);
  b.CreateRet(nb);
  b.SetInsertPoint(next);
  s->addIncoming(b.CreateAdd(s, b.getInt64(1)), next);
  best->addIncoming(nb, next);
  b.CreateCondBr(b.CreateICmpULT(s, len), loop, done);
  b.SetInsertPoint(done);
  b.CreateRet(nb);
}

}  // namespace

uint64_t strHash(const std::string& s, uint64_t seed) {
  uint64_t h = kFnvBasis ^ seed;
  for (unsigned char c : s) h = (h ^ c) * kFnvPrime;
  return h;
}

llvm::Function* buildStrSetMatcher(llvm::Module& m, const std::string& name, stdlib::MatchMethod method,
                                   bool icase, std::vector<StrPattern> patterns) {
  using stdlib::MatchMethod;
  Ctx x(m);
  if (method == MatchMethod::Bin) icase = false;
  // Fold once here, then keep the smallest value of each distinct pattern.
  std::map<std::string, uint32_t> uniq;
  for (auto& p : patterns) {
    if (icase) p.bytes = stdlib::lowerCopy(std::move(p.bytes));
    auto [it, fresh] = uniq.emplace(p.bytes, p.value);
    if (!fresh) it->second = std::min(it->second, p.value);
  }
  std::vector<StrPattern> pats;
  for (auto& [k, v] : uniq) pats.push_back({k, v});
  std::stable_sort(pats.begin(), pats.end(), [](auto& a, auto& b) { return a.value < b.value; });

  auto* fty = llvm::FunctionType::get(x.i32, {x.ptr, x.i64, x.i32}, false);
  auto* f = llvm::Function::Create(fty, llvm::GlobalValue::InternalLinkage, name, m);
  auto build = [&](llvm::Function* fn, MatchMethod meth) {
    if (pats.size() <= kSmallSet)
      buildDirect(x, fn, meth, icase, pats);
    else if (wordsApply(pats))
      buildWords(x, fn, meth, icase, pats);
    else
      buildHashed(x, fn, meth, icase, pats);
  };
  if (pats.empty()) {
    IRBuilder<> b(llvm::BasicBlock::Create(x.c, "entry", f));
    b.CreateRet(b.getInt32(kNoMatch));
    return f;
  }
  if (method == MatchMethod::Sub) {
    auto* beg = llvm::Function::Create(fty, llvm::GlobalValue::InternalLinkage, name + ".beg", m);
    build(beg, MatchMethod::Beg);
    buildSub(x, f, beg, pats.front().value);
    return f;
  }
  build(f, method);
  return f;
}

}  // namespace lbc::codegen

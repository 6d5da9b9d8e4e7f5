// Random configurations and transactions for the differential suite. Everything derives from one
// 64-bit seed, so a case is replayed from its seed alone.
#pragma once
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "lbc/rt/txn.h"

namespace lbc::exec {

class Rng {
 public:
  explicit Rng(uint64_t seed) : g_(seed) {}
  uint64_t below(uint64_t n) { return n ? g_() % n : 0; }
  bool chance(unsigned percent) { return below(100) < percent; }
  template <typename T>
  const T& pick(const std::vector<T>& v) {
    return v[below(v.size())];
  }

 private:
  std::mt19937_64 g_;
};

// A configuration text: one http frontend `fe` with ACLs, rules and use_backend chains, backends
// be0..be3 with their own rules.
std::string genConfig(Rng& r);

// A transaction (request, connection, optional response). Strings are copied into t.arena.
void genTxn(Rng& r, rt::Txn& t);
std::string describeTxn(const rt::Txn& t);

}  // namespace lbc::exec

// Pattern-set lowering: a set of string patterns becomes one generated function that finds the
// matching pattern with the smallest value (the rule or ACL order it came from) in time that does
// not grow with the set: an FNV-1a hash computed in one pass over the input, probed in an
// open-addressing table built at compile time, and one final comparison. Prefix and suffix sets
// probe at each length where a pattern ends (a hashed trie); case folding of patterns happens
// here, once; small sets compare directly.
#pragma once
#include <llvm/IR/Function.h>
#include <llvm/IR/Module.h>

#include <cstdint>
#include <string>
#include <vector>

#include "lbc/stdlib/types.h"

namespace lbc::codegen {

inline constexpr uint32_t kNoMatch = ~0u;

struct StrPattern {
  std::string bytes;
  uint32_t value = 0;  // returned on a match; the smallest matching value wins
};

// Builds `i32 name(ptr data, i64 len, i32 floor)`: the smallest value >= floor of a matching
// pattern, else kNoMatch (floor lets a caller walk the matching patterns in value order).
// method: Str (exact), Beg, End, Sub, Bin (exact bytes, never folded).
llvm::Function* buildStrSetMatcher(llvm::Module& m, const std::string& name, stdlib::MatchMethod method,
                                   bool icase, std::vector<StrPattern> patterns);

// Compile-time hash, identical to the generated code's (exposed for tests).
uint64_t strHash(const std::string& s, uint64_t seed);

}  // namespace lbc::codegen

// The only symbols JIT-compiled code may reference.
#include <cstring>
#include <vector>

#include "jit/jit.h"

namespace lbc::jit {

std::span<const Symbol> abiSymbols() {
  static const std::vector<Symbol> table = [] {
    std::vector<Symbol> t;
    for (uint32_t i = 0; i < lbc_abi_symbol_count; ++i)
      t.push_back({lbc_abi_symbols[i].name, lbc_abi_symbols[i].address});
    // LLVM lowers block copies and comparisons to these libc calls.
    t.push_back({"memcpy", reinterpret_cast<const void*>(&::memcpy)});
    t.push_back({"memmove", reinterpret_cast<const void*>(&::memmove)});
    t.push_back({"memset", reinterpret_cast<const void*>(&::memset)});
    t.push_back({"memcmp", reinterpret_cast<const void*>(&::memcmp)});
    t.push_back({"bcmp", reinterpret_cast<const void*>(&::memcmp)});  // bcmp: any nonzero on difference
    return t;
  }();
  return table;
}

LoadResult compile(const ir::Program& program, const codegen::Options& opts) {
  codegen::Result r = codegen::generate(program, opts);
  if (!r.ok()) return {nullptr, r.error};
  return load(std::move(r.module));  // runs init; the program runs fini when released
}

}  // namespace lbc::jit

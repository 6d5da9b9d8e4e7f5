// A thin facade over ORC LLJIT: a codegen module becomes an immutable, refcounted
// CompiledProgram. Symbols resolve ONLY from the explicit map given (the ABI table), never from
// the process, so generated code can reach nothing but the ABI. LLVM-free header.
#pragma once
#include <memory>
#include <span>
#include <string>

#include "codegen/codegen.h"
#include "lbc/abi.h"

namespace lbc::jit {

struct Symbol {
  const char* name;
  const void* address;
};

// Owns the JIT (code and data); `program()` stays valid for the object's lifetime. Held through
// ProgramRef so a reload swaps one pointer and old transactions finish on the old code.
class CompiledProgram {
 public:
  ~CompiledProgram();
  CompiledProgram(const CompiledProgram&) = delete;
  CompiledProgram& operator=(const CompiledProgram&) = delete;
  const lbc_program* program() const { return program_; }

 private:
  struct Impl;
  CompiledProgram() = default;
  std::unique_ptr<Impl> impl_;
  const lbc_program* program_ = nullptr;
  bool initialized_ = false;  // init ran (even partly): the destructor runs fini
  friend struct Loader;
};
using ProgramRef = std::shared_ptr<const CompiledProgram>;

struct LoadResult {
  ProgramRef program;
  std::string error;
};

// The ABI table (lbc_abi_symbols from lbc_stdlib_rt) plus the few C library functions LLVM
// itself emits calls to (memcpy, memset, memmove, memcmp, bcmp): the complete symbol map.
std::span<const Symbol> abiSymbols();

// Optimises (O2) and JIT-compiles `module`; resolves its external symbols from `symbols` only.
// Runs the program's init (regexes, maps) unless `initialize` is false; the CompiledProgram then
// runs fini when the last reference goes.
LoadResult load(codegen::ModulePtr module, std::span<const Symbol> symbols = abiSymbols(),
                bool initialize = true);

// generate + load, then the program's init (regexes, maps): what `lbc run` and tests call.
LoadResult compile(const ir::Program& program, const codegen::Options& opts = {});

}  // namespace lbc::jit

// The engines the differential suite compares. The interpreter is the reference; compiled
// engines (JIT, AOT) join by adding a factory here that returns an interp::Engine (usually an
// interp::ProgramEngine over the lbc_program they produce).
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "interp/interp.h"

namespace lbc::exec {

struct EngineFactory {
  std::string name;
  // Builds an engine for `p` (which outlives it); nullptr + `err` when it cannot.
  std::function<std::unique_ptr<interp::Engine>(const ir::Program& p, std::string& err)> make;
};

inline std::vector<EngineFactory> availableEngines() {
  std::vector<EngineFactory> v;
  v.push_back({"interp",
               [](const ir::Program& p, std::string&) { return std::make_unique<interp::Interpreter>(p); }});
  // JIT / AOT: v.push_back({"jit", ...}); v.push_back({"aot", ...});
  return v;
}

}  // namespace lbc::exec

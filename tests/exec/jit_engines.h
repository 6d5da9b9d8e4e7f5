// The compiled engines (JIT, AOT) as exec::EngineFactory entries, for exec_diff's engine list.
#pragma once
#include <vector>

#include "aot/aot_engine.h"
#include "engines.h"
#include "jit/jit_engine.h"

namespace lbc::exec {

inline std::vector<EngineFactory> compiledEngines() {
  return {{"jit", [](const ir::Program& p, std::string& err) { return jit::makeEngine(p, err); }},
          {"aot", [](const ir::Program& p, std::string& err) { return aot::makeEngine(p, err); }}};
}

}  // namespace lbc::exec

// The compiled engines (JIT, AOT) as exec::EngineFactory entries, for exec_diff's engine list.
#pragma once
#include <vector>

#include "driver/pipeline.h"
#include "engines.h"

namespace lbc::exec {

inline std::vector<EngineFactory> compiledEngines() {
  return {{"jit", [](const ir::Program& p, std::string& err) { return driver::makeEngine("jit", p, err); }},
          {"aot", [](const ir::Program& p, std::string& err) { return driver::makeEngine("aot", p, err); }}};
}

}  // namespace lbc::exec

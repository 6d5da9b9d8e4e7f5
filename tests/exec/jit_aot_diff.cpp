// exec_diff with the compiled engines: interp = JIT = AOT. This reuses exec_diff.cpp unchanged,
// renaming its engine list to one that appends compiledEngines(); once engines.h's
// availableEngines() includes them itself, this file and its target can go.
#include "engines.h"
#include "jit_engines.h"

namespace lbc::exec {
inline std::vector<EngineFactory> allEngines() {
  std::vector<EngineFactory> v = availableEngines();
  for (auto& f : compiledEngines()) v.push_back(std::move(f));
  return v;
}
}  // namespace lbc::exec

#define availableEngines allEngines
#include "exec_diff.cpp"

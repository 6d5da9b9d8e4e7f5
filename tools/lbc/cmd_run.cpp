// `lbc run`.
#include <iostream>

#include "commands.h"

namespace lbc::cli {
int cmdRun(const std::vector<std::string>&) {
  std::cerr << "lbc: 'run' is not available yet in this version: only 'lbc check' is\n";
  return 2;
}
}  // namespace lbc::cli

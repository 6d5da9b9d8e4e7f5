// `lbc build`.
#include <iostream>

#include "commands.h"

namespace lbc::cli {
int cmdBuild(const std::vector<std::string>&) {
  std::cerr << "lbc: 'build' is not available yet in this version: only 'lbc check' is\n";
  return 2;
}
}  // namespace lbc::cli

// `lbc route`.
#include <iostream>

#include "commands.h"

namespace lbc::cli {
int cmdRoute(const std::vector<std::string>&) {
  std::cerr << "lbc: 'route' is not available yet in this version: only 'lbc check' is\n";
  return 2;
}
}  // namespace lbc::cli

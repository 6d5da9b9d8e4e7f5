#include "server.h"

namespace lbc::rt {

uint32_t activeUsable(const Servers& servers) {
  uint32_t n = 0;
  for (auto& s : servers) n += !s->spec->backup && s->usable();
  return n;
}

ServerState* firstBackup(const Servers& servers) {
  for (auto& s : servers)
    if (s->spec->backup && s->usable()) return s.get();
  return nullptr;
}

std::vector<ServerState*> hashPool(const Servers& servers) {
  std::vector<ServerState*> pool;
  if (activeUsable(servers)) {
    for (auto& s : servers)
      if (!s->spec->backup && s->usable()) pool.push_back(s.get());
  } else if (ServerState* b = firstBackup(servers)) {
    pool.push_back(b);
  }
  return pool;
}

}  // namespace lbc::rt

#include "server.h"

#include <netinet/in.h>

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

namespace {

void withPort(sockaddr_storage& a, uint16_t net_port) {
  if (a.ss_family == AF_INET) reinterpret_cast<sockaddr_in&>(a).sin_port = net_port;
  if (a.ss_family == AF_INET6) reinterpret_cast<sockaddr_in6&>(a).sin6_port = net_port;
}

}  // namespace

void ServerState::storeAddr(const sockaddr_storage& a, socklen_t len) {
  std::lock_guard<std::mutex> g(addr_mu);
  addr = a, addrlen = len;
  if (!spec->check.has_addr) {
    check_addr = a, check_addrlen = len;
    if (spec->check.port) withPort(check_addr, htons(spec->check.port));
  }
  conn_addr.set(addr, addrlen);
  conn_check_addr.set(check_addr, check_addrlen);
}

}  // namespace lbc::rt

// What several command families need of proxies and servers: lookup by name in the current
// generation, HAProxy's proxy ids and server state numbers.
#pragma once
#include <string_view>

#include "admin/command.h"
#include "upstream/live.h"

namespace lbc::rt {

inline Backend* findBackend(const CliContext& ctx, std::string_view name) {
  const GenerationView& v = viewOf(*ctx.gen);
  const auto& px = ctx.gen->topo.proxies;
  for (size_t i = 0; i < px.size(); ++i)
    if (px[i].backend && px[i].name == name) return v.backends[i];
  return nullptr;
}

// HAProxy numbers proxies from 1 in file order; the stats socket's own proxy ("GLOBAL") is the
// first one when there is a socket.
inline int proxyId(const CliContext& ctx, size_t index) {
  int id = ctx.global->stats_sockets.empty() ? 1 : 2;
  const auto& px = ctx.gen->topo.proxies;
  for (size_t i = 0; i < index; ++i) id += px[i].frontend || px[i].backend;
  return id;
}

// SRV_ST_*: 0 stopped (down or in maintenance), 2 running.
inline int srvOpState(const ServerState& s) {
  return s.up.load() && s.admin.load() != SrvAdmin::Maint && !s.rmaint.load() ? 2 : 0;
}
// SRV_ADMF_*: 0x01 forced maintenance, 0x04 `disabled` in the configuration, 0x08 forced drain.
inline int srvAdminBits(const ServerState& s) {
  const int r = s.rmaint.load() ? 0x20 : 0;  // SRV_ADMF_RMAINT: no address from DNS
  switch (s.admin.load()) {
    case SrvAdmin::Maint:
      return (s.spec->disabled ? 0x05 : 0x01) | r;
    case SrvAdmin::Drain:
      return 0x08 | r;
    default:
      return r;
  }
}

}  // namespace lbc::rt

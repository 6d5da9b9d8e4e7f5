#include "lower/dns.h"

#include <arpa/inet.h>

#include <algorithm>

namespace lbc::lower {

std::vector<rt::ResolversSpec> resolvers(const ir::Program& p, const EndpointOf& endpoint) {
  std::vector<rt::ResolversSpec> out;
  for (const ir::Resolvers& r : p.resolvers) {
    rt::ResolversSpec s;
    s.name = r.name;
    for (const auto& n : r.nameservers) s.nameservers.push_back({n.id, endpoint(n.addr), n.tcp});
    s.retries = r.retries;
    s.timeout_resolve = r.timeout_resolve, s.timeout_retry = r.timeout_retry;
    s.hold_valid = r.hold_valid, s.hold_nx = r.hold_nx, s.hold_refused = r.hold_refused;
    s.hold_timeout = r.hold_timeout, s.hold_other = r.hold_other, s.hold_obsolete = r.hold_obsolete;
    s.payload = r.payload;
    out.push_back(std::move(s));
  }
  return out;
}

rt::ServerDnsSpec serverDns(const ir::Program& p, const ir::Server& s, const EndpointOf& endpoint) {
  const ir::ServerOpts& o = s.opts;
  rt::ServerDnsSpec d;
  // An IP address is never resolved (HAProxy keeps no host name for it).
  uint8_t probe[16];
  bool inet = s.addr.kind == ir::Address::Kind::Ipv4 || s.addr.kind == ir::Address::Kind::Ipv6 ||
              s.addr.kind == ir::Address::Kind::Host;
  if (inet && !s.addr.host.empty() && inet_pton(AF_INET, s.addr.host.c_str(), probe) != 1 &&
      inet_pton(AF_INET6, s.addr.host.c_str(), probe) != 1)
    d.fqdn = s.addr.host;
  for (size_t i = 0; i < p.resolvers.size(); ++i)
    if (!d.fqdn.empty() && p.resolvers[i].name == o.resolvers) d.resolvers = uint32_t(i);
  d.prefer_v4 = o.resolve_prefer_v4;
  for (const auto& n : o.resolve_net) {
    rt::NetSpec ns;
    std::copy(std::begin(n.ip), std::end(n.ip), ns.ip);
    ns.prefix = n.prefix, ns.v6 = n.v6;
    d.nets.push_back(ns);
  }
  d.allow_dup_ip = o.allow_dup_ip, d.ignore_weight = o.ignore_weight;
  for (const auto& m : o.init_addr) {
    rt::InitAddrSpec i;
    i.kind = static_cast<rt::InitAddrKind>(m.kind);
    if (m.kind == ir::ServerOpts::InitAddr::Kind::Ip) i.ip = endpoint(m.ip);
    d.init_addr.push_back(i);
  }
  return d;
}

}  // namespace lbc::lower

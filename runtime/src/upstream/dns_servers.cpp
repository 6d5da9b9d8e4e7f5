#include "upstream/dns_servers.h"

#include <arpa/inet.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <set>

#include "log/sink.h"
#include "net/sockets.h"
#include "upstream/server_events.h"

namespace lbc::rt {
namespace {

std::string ipText(const sockaddr_storage& a) {
  char b[INET6_ADDRSTRLEN] = "";
  if (a.ss_family == AF_INET)
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(a).sin_addr, b, sizeof b);
  else if (a.ss_family == AF_INET6)
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(a).sin6_addr, b, sizeof b);
  else
    return "(none)";
  return b;
}

bool sameIp(const sockaddr_storage& a, const dns::Record& r) {
  if (a.ss_family == AF_INET && !r.v6)
    return std::memcmp(&reinterpret_cast<const sockaddr_in&>(a).sin_addr, r.addr, 4) == 0;
  if (a.ss_family == AF_INET6 && r.v6)
    return std::memcmp(&reinterpret_cast<const sockaddr_in6&>(a).sin6_addr, r.addr, 16) == 0;
  return false;
}

bool inNet(const NetSpec& n, const dns::Record& r) {
  if (n.v6 != r.v6) return false;
  for (int bit = 0; bit < n.prefix; ++bit) {
    uint8_t m = uint8_t(0x80 >> (bit % 8));
    if ((n.ip[bit / 8] & m) != (r.addr[bit / 8] & m)) return false;
  }
  return true;
}

// A warning on stderr (unless -q) and the same text to the backend's log targets.
void tell(bool quiet, const ServerState& s, int level, const std::string& msg, bool to_stderr = true) {
  if (to_stderr && !quiet) {
    const std::string line = stderrLine("WARNING", int(getpid()), msg);
    ssize_t w = write(2, line.data(), line.size());
    (void)w;
  }
  log::emit(s.be->spec().logs, level, log::kTargetFacility, msg);
}

// The address records of the answer for `name`, following CNAMEs.
std::vector<const dns::Record*> addresses(const dns::Answer& a, const std::string& name) {
  std::set<std::string> names{name};
  for (size_t round = 0; round < 8; ++round)
    for (const dns::Record& r : a.answers)
      if (r.type == dns::kTypeCname && names.count(r.name)) names.insert(r.target);
  std::vector<const dns::Record*> out;
  for (const dns::Record& r : a.answers)
    if ((r.type == dns::kTypeA || r.type == dns::kTypeAaaa) && names.count(r.name)) out.push_back(&r);
  return out;
}

}  // namespace

bool initServerAddress(ServerState& s, std::string& err) {
  const ServerSpec& ss = *s.spec;
  std::vector<InitAddrSpec> methods = ss.dns.init_addr;
  if (methods.empty()) methods = {InitAddrSpec{InitAddrKind::Last, {}}, InitAddrSpec{InitAddrKind::Libc, {}}};
  for (const InitAddrSpec& m : methods) {
    switch (m.kind) {
      case InitAddrKind::Last:
        break;  // no server state file: nothing to take
      case InitAddrKind::Libc:
        if (resolveEndpoint(ss.addr, 0, s.addr, s.addrlen, err)) return true;
        break;
      case InitAddrKind::Ip:
        if (resolveEndpoint(m.ip, ss.addr.port_lo, s.addr, s.addrlen, err)) return true;
        break;
      case InitAddrKind::None:
        s.addr = {};
        s.addrlen = 0;
        s.rmaint.store(true);
        return true;
    }
  }
  if (err.empty()) err = "could not resolve address '" + ss.addr.host + "'";
  return false;
}

DnsServers::DnsServers(LiveState& state, const Topology& topo, Loop& loop) : state_(state) {
  for (const ResolversSpec& rs : topo.resolvers) {
    dns::Settings s;
    for (const NameserverSpec& n : rs.nameservers) {
      dns::Nameserver ns;
      ns.id = n.id;
      ns.tcp = n.tcp;
      std::string err;
      if (resolveEndpoint(n.addr, 0, ns.addr, ns.len, err)) s.nameservers.push_back(ns);
    }
    s.retries = rs.retries;
    s.timeout_resolve = rs.timeout_resolve, s.timeout_retry = rs.timeout_retry;
    s.payload = uint16_t(std::min<uint32_t>(rs.payload, 65535));
    resolvers_.push_back(std::make_unique<dns::Resolver>(loop, std::move(s)));
  }
  for (Backend* be : state_.backends())
    for (auto& sp : be->servers()) {
      ServerState& s = *sp;
      const ServerDnsSpec& d = s.spec->dns;
      if (d.resolvers == kNoIndex || d.resolvers >= resolvers_.size() || d.fqdn.empty()) continue;
      const uint16_t prefer = d.prefer_v4 ? dns::kTypeA : dns::kTypeAaaa;
      Group* g = nullptr;
      for (auto& o : groups_)
        if (o->spec == &topo.resolvers[d.resolvers] && o->res->name == dns::canonicalName(d.fqdn) &&
            o->res->prefer == prefer)
          g = o.get();
      if (!g) {
        auto ng = std::make_unique<Group>();
        ng->spec = &topo.resolvers[d.resolvers];
        Group* raw = ng.get();
        ng->res = &resolvers_[d.resolvers]->add(
            d.fqdn, prefer, [this, raw](dns::Resolution&, uint64_t now) { resolved(*raw, now); });
        groups_.push_back(std::move(ng));
        g = raw;
      }
      g->servers.push_back(&s);
    }
}

DnsServers::~DnsServers() = default;

bool DnsServers::open(std::string& err) {
  bool ok = true;
  for (auto& r : resolvers_) {
    std::string e;
    ok &= r->open(e);
    if (!e.empty()) err += (err.empty() ? "" : ", ") + e;
  }
  return ok;
}

void DnsServers::run(uint64_t now) {
  for (auto& r : resolvers_) r->run(now);
}

uint64_t DnsServers::nextWake() const {
  uint64_t at = ~0ull;
  for (auto& r : resolvers_) at = std::min(at, r->nextWake());
  return at;
}

void DnsServers::resolved(Group& g, uint64_t now) {
  dns::Resolution& r = *g.res;
  if (r.status != dns::Status::kValid) {
    for (ServerState* s : g.servers) failed(*s, *g.spec, r, now);
    return;
  }
  std::vector<const dns::Record*> ips = addresses(r.answer, r.name);
  for (ServerState* s : g.servers) {
    if (ips.empty()) {
      noAddress(*s, "No IP for server ");
      continue;
    }
    // HAProxy's scoring (resolv_get_ip_from_response): the preferred family, then a preferred
    // network, then an address no other server of the backend has (one another server has is
    // not taken at all, unless allow-dup-ip), then the current one.
    const ServerDnsSpec& d = s->spec->dns;
    sockaddr_storage cur;
    socklen_t cur_len;
    s->loadAddr(cur, cur_len);
    int best_score = -1;
    size_t best = 0;
    for (size_t i = 0; i < ips.size(); ++i) {
      const dns::Record& rec = *ips[i];
      int score = 0;
      if (rec.v6 != d.prefer_v4) score += 8;
      for (const NetSpec& n : d.nets)
        if (inNet(n, rec)) {
          score += 4;
          break;
        }
      bool used = false;
      if (!d.allow_dup_ip)
        for (auto& o : s->be->servers()) {
          if (o.get() == s) continue;
          sockaddr_storage oa;
          socklen_t ol;
          o->loadAddr(oa, ol);
          used |= sameIp(oa, rec);
        }
      if (used && !d.allow_dup_ip) continue;  // HAProxy skips it: a server-template slot stays empty
      if (!used) score += 2;
      if (sameIp(cur, rec)) score += 1;
      if (score > best_score) best_score = score, best = i;
    }
    if (best_score < 0) {
      noAddress(*s, "No IP for server ");
      continue;
    }
    // HAProxy names the nameserver for the first server of the resolution only; the others
    // take the same answer "by DNS cache".
    setAddress(*s, *ips[best],
               s == g.servers.front() ? g.spec->name + "/" + g.spec->nameservers[r.answered_by].id
                                      : std::string("DNS cache"));
    // The chosen record goes last, so the next server of the name takes another one.
    const dns::Record* chosen = ips[best];
    ips.erase(ips.begin() + long(best));
    ips.push_back(chosen);
  }
}

void DnsServers::setAddress(ServerState& s, const dns::Record& rec, const std::string& by) {
  sockaddr_storage cur;
  socklen_t cur_len;
  s.loadAddr(cur, cur_len);
  if (!sameIp(cur, rec)) {
    sockaddr_storage a{};
    socklen_t len;
    const uint16_t port = htons(s.spec->addr.port_lo);
    if (rec.v6) {
      auto& a6 = reinterpret_cast<sockaddr_in6&>(a);
      a6.sin6_family = AF_INET6;
      std::memcpy(&a6.sin6_addr, rec.addr, 16);
      a6.sin6_port = port;
      len = sizeof a6;
    } else {
      auto& a4 = reinterpret_cast<sockaddr_in&>(a);
      a4.sin_family = AF_INET;
      std::memcpy(&a4.sin_addr, rec.addr, 4);
      a4.sin_port = port;
      len = sizeof a4;
    }
    s.storeAddr(a, len);
    tell(state_.quiet, s, 5,
         s.be->spec().name + "/" + s.spec->name + " changed its IP from " + ipText(cur) + " to " + ipText(a) +
             " by " + by + ".");
  }
  if (!s.rmaint.load()) return;
  // HAProxy's order: the state change, then the resolver's own line.
  const std::string who = s.be->spec().name + "/" + s.spec->name;
  if (s.be->setServerNoAddr(&s, false).changed)
    tell(state_.quiet, s, 5,
         std::string(s.spec->backup ? "Backup " : "") + "Server " + who + " ('" + s.spec->dns.fqdn +
             "') is UP/READY (resolves again).");
  tell(state_.quiet, s, 5, "Server " + who + " administratively READY thanks to valid DNS answer.");
}

void DnsServers::failed(ServerState& s, const ResolversSpec& spec, const dns::Resolution& r, uint64_t now) {
  uint64_t hold = spec.hold_other;
  const char* reason = "unspecified DNS error";
  switch (r.status) {
    case dns::Status::kNx:
      hold = spec.hold_nx, reason = "DNS NX status";
      break;
    case dns::Status::kTimeout:
      hold = spec.hold_timeout, reason = "DNS timeout status";
      break;
    case dns::Status::kRefused:
      hold = spec.hold_refused, reason = "DNS refused status";
      break;
    default:
      break;
  }
  // Within `hold` of the last valid answer the server keeps its address.
  if (r.last_valid && now < r.last_valid + hold) return;
  noAddress(s, reason);
}

void DnsServers::noAddress(ServerState& s, const char* reason) {
  if (s.rmaint.load()) return;
  const bool was_usable = s.usable();
  ServerTransition t = s.be->setServerNoAddr(&s, true);
  if (!t.changed) return;
  s.storeAddr(sockaddr_storage{}, 0);  // HAProxy forgets it: the next one is a change "from (none)"
  const ProxySpec& ps = s.be->spec();
  char b[200];
  std::snprintf(
      b, sizeof b,
      ". %u active and %u backup servers left.%s %u sessions active, %u requeued, %u remaining in queue",
      t.act, t.bck, t.bck && !t.act ? " Running on backup." : "", t.sessions, t.xferred, t.queued);
  tell(state_.quiet, s, was_usable ? 1 : 5,
       std::string(s.spec->backup ? "Backup " : "") + "Server " + ps.name + "/" + s.spec->name +
           " is going DOWN for maintenance (" + reason + ")" + b + ".");
  if (was_usable && t.prev_usable && !t.act && !t.bck) {
    reportNoServer(state_.quiet, ps);
  }
}

}  // namespace lbc::rt

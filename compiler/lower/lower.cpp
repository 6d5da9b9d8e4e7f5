#include "lower/lower.h"

#include <set>

namespace lbc::lower {
namespace {

class Lowering {
 public:
  Lowering(const ir::Program& prog, const front::SourceManager& sm, front::DiagEngine& diags)
      : prog_(prog), sm_(sm), diags_(diags) {}

  bool run(rt::Topology& out) {
    global(out.global);
    std::vector<uint32_t> index(prog_.proxies.size(), rt::kNoIndex);
    for (uint32_t i = 0; i < prog_.proxies.size(); ++i) {
      const ir::Proxy& p = prog_.proxies[i];
      if (!p.caps || p.disabled) continue;
      index[i] = uint32_t(out.proxies.size());
      out.proxies.emplace_back();
    }
    for (uint32_t i = 0; i < prog_.proxies.size(); ++i)
      if (index[i] != rt::kNoIndex) proxy(prog_.proxies[i], i, index, out.proxies[index[i]]);
    return diags_.errorCount() == errors_at_start_;
  }

 private:
  std::string where(const ir::SourceLoc& loc) const {
    if (!loc.valid()) return "";
    return sm_.path(loc.file) + ":" + std::to_string(loc.line);
  }
  void refuse(const ir::SourceLoc& loc, const std::string& what) {
    diags_.error(loc, what + " is not supported by 'lbc run' yet");
  }

  void global(rt::GlobalSpec& g) {
    const ir::Global& in = prog_.global;
    g.daemon = in.daemon;
    g.nbthread = in.nbthread.value_or(0);
    g.maxconn = in.maxconn.value_or(0);
    g.pidfile = in.pidfile;
    g.bufsize = in.tune_bufsize;
    g.hard_stop_after_ms = in.hard_stop_after.value_or(0);
    for (const auto& l : in.logs) refuse(l.loc, "logging ('log " + l.target + "')");
    for (const auto& s : in.stats_sockets) refuse(s.loc, "the stats socket");
    // user/group/chroot change privileges: running without them would be a silent security
    // difference, so they are refused until implemented. (The IR keeps no location for them.)
    if (!in.user.empty() || !in.group.empty() || !in.chroot.empty())
      diags_.error({}, "global 'user', 'group' and 'chroot' are not supported by 'lbc run' yet");
  }

  rt::Endpoint endpoint(const ir::Address& a) {
    rt::Endpoint e;
    e.kind = static_cast<rt::Endpoint::Kind>(a.kind);
    e.text = a.text;
    e.host = a.host;
    std::copy(std::begin(a.ip), std::end(a.ip), e.ip);
    e.wildcard = a.wildcard;
    e.port_lo = a.port_lo;
    e.port_hi = a.port_hi ? a.port_hi : a.port_lo;
    e.fd = a.fd;
    return e;
  }

  void proxy(const ir::Proxy& p, uint32_t self, const std::vector<uint32_t>& index, rt::ProxySpec& out) {
    out.where = where(p.loc);
    out.name = p.name;
    out.frontend = p.isFrontend();
    out.backend = p.isBackend();
    if (p.mode == ir::Mode::Http) {
      diags_.error(p.loc, std::string(p.kind()) + " '" + p.name +
                              "' is in 'mode http': 'lbc run' serves only 'mode tcp' proxies for now");
      return;
    }
    out.mode = rt::ProxyMode::Tcp;
    out.maxconn = p.maxconn.value_or(0);
    const ir::Timeouts& t = p.timeouts;
    out.timeouts = {t.client.value_or(0),     t.server.value_or(0), t.connect.value_or(0),
                    t.queue.value_or(0),      t.tunnel.value_or(0), t.client_fin.value_or(0),
                    t.server_fin.value_or(0), t.check.value_or(0)};
    out.retries = p.retries;
    out.redispatch = p.redispatch;
    out.redispatch_interval = p.redispatch_interval;
    unsupportedFeatures(p);
    if (p.isFrontend()) frontend(p, self, index, out);
    if (p.isBackend()) backend(p, out);
  }

  void unsupportedFeatures(const ir::Proxy& p) {
    for (const auto& r : p.rules)
      diags_.error(r.loc,
                   "'" + std::string(ir::ruleSetName(r.set)) + " " + r.action_name +
                       "' rules are not supported by 'lbc run' yet (they need the compiled rule hooks)");
    if (p.table) refuse(p.table->loc, "'stick-table'");
    for (const auto& s : p.stick_rules) refuse(s.loc, "a 'stick' rule");
    if (p.cookie) refuse(p.cookie->loc, "'cookie' persistence");
    for (const auto& l : p.logs) refuse(l.loc, "logging ('log " + l.target + "')");
    if (p.log_global && !prog_.global.logs.empty()) refuse(p.loc, "logging ('log global')");
    if (p.abortonclose)
      refuse(p.loc, "'option abortonclose' in " + std::string(p.kind()) + " '" + p.name + "'");
    if (p.tcp_check) refuse(p.loc, "'option tcp-check' in " + std::string(p.kind()) + " '" + p.name + "'");
    if (p.http_check.enabled)
      refuse(p.loc,
             "'option httpchk' in " + std::string(p.kind()) + " '" + p.name + "' (only plain TCP checks)");
  }

  void frontend(const ir::Proxy& p, uint32_t self, const std::vector<uint32_t>& index, rt::ProxySpec& out) {
    for (const auto& b : p.binds) {
      if (b.ssl || !b.crt.empty())
        refuse(b.loc, "'ssl' on a bind line");
      else if (!b.alpn.empty())
        refuse(b.loc, "'alpn' on a bind line");
      if (b.accept_proxy) refuse(b.loc, "'accept-proxy'");
      rt::BindSpec bs;
      bs.where = where(b.loc);
      bs.addr = endpoint(b.addr);
      bs.v4v6 = b.v4v6;
      bs.v6only = b.v6only;
      bs.backlog = b.backlog.value_or(0);
      bs.maxconn = b.maxconn.value_or(0);
      out.binds.push_back(std::move(bs));
    }
    // Rules run in order: the first unconditional use_backend wins, else default_backend.
    uint32_t target = ir::kNone;
    for (const auto& u : p.use_backends) {
      if (u.dynamic) {
        diags_.error(u.loc, "a dynamic 'use_backend' (log-format name) is not supported by 'lbc run' yet");
        continue;
      }
      if (u.cond) {
        diags_.error(u.loc,
                     "a conditional 'use_backend' is not supported by 'lbc run' yet (conditions need the "
                     "compiled rule hooks)");
        continue;
      }
      if (target == ir::kNone) target = u.backend;
    }
    if (target == ir::kNone && p.default_backend) target = p.default_backend->backend;
    if (target == ir::kNone && p.isBackend()) target = self;
    if (target != ir::kNone && target < index.size()) out.backend_index = index[target];
  }

  void backend(const ir::Proxy& p, rt::ProxySpec& out) {
    using A = ir::Balance::Algo;
    switch (p.balance.algo) {
      case A::RoundRobin:
        out.balance = rt::BalanceAlgo::RoundRobin;
        break;
      case A::StaticRr:
        out.balance = rt::BalanceAlgo::StaticRr;
        break;
      case A::LeastConn:
        out.balance = rt::BalanceAlgo::LeastConn;
        break;
      case A::First:
        out.balance = rt::BalanceAlgo::First;
        break;
      case A::Source:
        out.balance = rt::BalanceAlgo::Source;
        break;
      case A::Random:
        out.balance = rt::BalanceAlgo::Random;
        break;
      case A::Uri:
      case A::UrlParam:
      case A::Hdr:
        // As HAProxy in a TCP proxy (sema has already warned): round robin instead.
        out.balance = rt::BalanceAlgo::RoundRobin;
        break;
    }
    out.hash_consistent = p.hash.method == ir::HashType::Method::Consistent;
    out.hash_avalanche = p.hash.avalanche;
    out.random_draws = p.balance.random_draws;
    // Server ids: explicit ones are kept, the others take the next free number in order.
    std::set<int32_t> used;
    for (const auto& s : p.servers)
      if (s.id) used.insert(*s.id);
    int32_t next = 1;
    for (const auto& s : p.servers) {
      rt::ServerSpec ss;
      ss.where = where(s.loc);
      ss.name = s.name;
      if (s.id) {
        ss.id = *s.id;
      } else {
        while (used.count(next)) ++next;
        ss.id = next++;
      }
      server(p, s, ss);
      out.servers.push_back(std::move(ss));
    }
  }

  void server(const ir::Proxy& p, const ir::Server& s, rt::ServerSpec& ss) {
    const ir::ServerOpts& o = s.opts;
    const std::string who = "server '" + s.name + "': ";
    if (s.addr.kind == ir::Address::Kind::Fd)
      diags_.error(s.loc, who + "an fd@ address cannot be connected to");
    bool inet = s.addr.kind != ir::Address::Kind::Unix && s.addr.kind != ir::Address::Kind::Abns;
    if (inet && (!s.addr.has_port || s.addr.relative_port || s.addr.port_lo == 0))
      refuse(s.loc, who + "an address without an absolute port (the client's destination port)");
    if (o.ssl) refuse(s.loc, who + "'ssl' to servers");
    if (o.send_proxy) refuse(s.loc, who + "'send-proxy'");
    if (!o.resolvers.empty()) refuse(s.loc, who + "'resolvers'");
    if (!o.cookie.empty() && p.cookie) refuse(s.loc, who + "'cookie'");
    ss.addr = endpoint(s.addr);
    ss.weight = o.weight;
    ss.maxconn = o.maxconn;
    ss.maxqueue = o.maxqueue;
    ss.backup = o.backup;
    ss.disabled = o.disabled;
    ss.check.enabled = o.check;
    ss.check.inter_ms = o.inter_ms;
    ss.check.fastinter_ms = o.fastinter_ms ? o.fastinter_ms : o.inter_ms;
    ss.check.downinter_ms = o.downinter_ms ? o.downinter_ms : o.inter_ms;
    ss.check.fall = o.fall;
    ss.check.rise = o.rise;
    if (o.check_port) ss.check.port = *o.check_port;
    if (o.check_addr) {
      ss.check.has_addr = true;
      ss.check.addr = endpoint(*o.check_addr);
    }
  }

  const ir::Program& prog_;
  const front::SourceManager& sm_;
  front::DiagEngine& diags_;
  size_t errors_at_start_ = diags_.errorCount();
};

}  // namespace

bool lowerProgram(const ir::Program& prog, const front::SourceManager& sm, front::DiagEngine& diags,
                  rt::Topology& out) {
  return Lowering(prog, sm, diags).run(out);
}

}  // namespace lbc::lower

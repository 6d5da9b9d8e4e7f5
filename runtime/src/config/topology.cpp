// Topology <-> bytes. One `fields()` list per type drives both directions, so the encoder and
// the decoder cannot drift apart. Format: "LBCT", a format version, then the fields in order
// (little-endian integers, length-prefixed strings and vectors).
#include "lbc/rt/topology.h"

#include <cstring>

namespace lbc::rt {
namespace {

constexpr uint32_t kTopoMagic = 0x5443424Cu;  // "LBCT"
// 8: log targets, TLS, stats sockets (three branches); 9: all of them; 10: prefer-client-ciphers, a
// server's no-tls-tickets; 11: PROXY protocol; 12: stick-table store (sticky counters); 13:
// chroot/uid/gid/grace/node/description, httplog clf; 14: the stats page; 15: DNS resolvers;
// 16: tcp-check; 17: the protocol checks (smtpchk, mysql-check, pgsql-check, ldap-check,
// ssl-hello-chk, spop-check); 18: agent-check (a server's AgentSpec), log-health-checks; 19: header
// captures, dontlog-normal, log-separate-errors, http-ignore-probes
constexpr uint32_t kTopoVersion = 19;
constexpr uint64_t kMaxItems = 1u << 20;  // a corrupt length must not allocate gigabytes

class Writer {
 public:
  std::vector<uint8_t> out;
  template <typename T>
  void num(T v) {
    uint64_t u = static_cast<uint64_t>(v);
    for (size_t i = 0; i < sizeof(T); ++i) out.push_back(static_cast<uint8_t>(u >> (8 * i)));
  }
  void operator()(bool& v) { num<uint8_t>(v); }
  void operator()(uint8_t& v) { num(v); }
  void operator()(uint16_t& v) { num(v); }
  void operator()(uint32_t& v) { num(v); }
  void operator()(int32_t& v) { num(static_cast<uint32_t>(v)); }
  void operator()(uint64_t& v) { num(v); }
  template <typename E>
  requires std::is_enum_v<E>
  void operator()(E& v) { num(static_cast<uint8_t>(v)); }
  void operator()(std::string& s) {
    num<uint32_t>(s.size());
    out.insert(out.end(), s.begin(), s.end());
  }
  void operator()(uint8_t (&a)[16]) { out.insert(out.end(), a, a + 16); }
  template <typename T>
  void operator()(std::vector<T>& v) {
    num<uint32_t>(v.size());
    for (auto& x : v) item(x);
  }
  template <typename T>
  requires requires(Writer& w, T& t) { fields(w, t); }
  void operator()(T& t) { fields(*this, t); }
  template <typename T>
  void item(T& x) {
    if constexpr (std::is_same_v<T, std::string>)
      (*this)(x);
    else
      fields(*this, x);
  }
};

class Reader {
 public:
  const uint8_t* p;
  const uint8_t* end;
  bool ok = true;
  template <typename T>
  T num() {
    if (static_cast<size_t>(end - p) < sizeof(T)) {
      ok = false;
      p = end;
      return T{};
    }
    uint64_t u = 0;
    for (size_t i = 0; i < sizeof(T); ++i) u |= static_cast<uint64_t>(p[i]) << (8 * i);
    p += sizeof(T);
    return static_cast<T>(u);
  }
  void operator()(bool& v) { v = num<uint8_t>() != 0; }
  void operator()(uint8_t& v) { v = num<uint8_t>(); }
  void operator()(uint16_t& v) { v = num<uint16_t>(); }
  void operator()(uint32_t& v) { v = num<uint32_t>(); }
  void operator()(int32_t& v) { v = static_cast<int32_t>(num<uint32_t>()); }
  void operator()(uint64_t& v) { v = num<uint64_t>(); }
  template <typename E>
  requires std::is_enum_v<E>
  void operator()(E& v) { v = static_cast<E>(num<uint8_t>()); }
  void operator()(std::string& s) {
    uint32_t n = num<uint32_t>();
    if (!ok || static_cast<size_t>(end - p) < n) {
      ok = false;
      return;
    }
    s.assign(reinterpret_cast<const char*>(p), n);
    p += n;
  }
  void operator()(uint8_t (&a)[16]) {
    if (end - p < 16) {
      ok = false;
      return;
    }
    std::memcpy(a, p, 16);
    p += 16;
  }
  template <typename T>
  void operator()(std::vector<T>& v) {
    uint32_t n = num<uint32_t>();
    if (!ok || n > kMaxItems || n > static_cast<size_t>(end - p)) {
      ok = false;
      return;
    }
    v.resize(n);
    for (auto& x : v) {
      item(x);
      if (!ok) return;
    }
  }
  template <typename T>
  requires requires(Reader& r, T& t) { fields(r, t); }
  void operator()(T& t) { fields(*this, t); }
  template <typename T>
  void item(T& x) {
    if constexpr (std::is_same_v<T, std::string>)
      (*this)(x);
    else
      fields(*this, x);
  }
};

template <typename Ar>
void fields(Ar& a, Endpoint& e) {
  a(e.kind), a(e.text), a(e.host), a(e.ip), a(e.wildcard), a(e.port_lo), a(e.port_hi), a(e.fd);
}
template <typename Ar>
void fields(Ar& a, TlsBindSpec& t) {
  a(t.enabled), a(t.crt), a(t.alpn), a(t.ciphers), a(t.ciphersuites), a(t.min_ver), a(t.max_ver),
      a(t.strict_sni), a(t.no_tickets), a(t.verify), a(t.ca_file), a(t.crl_file), a(t.prefer_client_ciphers);
}
template <typename Ar>
void fields(Ar& a, BindSpec& b) {
  a(b.where), a(b.addr), a(b.v4v6), a(b.v6only), a(b.backlog), a(b.maxconn), a(b.tls), a(b.name),
      a(b.accept_proxy);
}
template <typename Ar>
void fields(Ar& a, TlsServerSpec& t) {
  a(t.enabled), a(t.verify), a(t.ca_file), a(t.crt), a(t.ciphers), a(t.ciphersuites), a(t.sni), a(t.alpn),
      a(t.reuse), a(t.min_ver), a(t.max_ver), a(t.no_tickets);
}
template <typename Ar>
void fields(Ar& a, CheckSpec& c) {
  a(c.enabled), a(c.inter_ms), a(c.fastinter_ms), a(c.downinter_ms), a(c.fall), a(c.rise), a(c.port),
      a(c.has_addr), a(c.addr);
}
template <typename Ar>
void fields(Ar& a, AgentSpec& g) {
  a(g.enabled), a(g.inter_ms), a(g.port), a(g.has_addr), a(g.addr), a(g.send);
}
template <typename Ar>
void fields(Ar& a, NetSpec& n) {
  a(n.ip), a(n.prefix), a(n.v6);
}
template <typename Ar>
void fields(Ar& a, InitAddrSpec& i) {
  a(i.kind), a(i.ip);
}
template <typename Ar>
void fields(Ar& a, ServerDnsSpec& d) {
  a(d.resolvers), a(d.fqdn), a(d.prefer_v4), a(d.nets), a(d.allow_dup_ip), a(d.ignore_weight), a(d.init_addr);
}
template <typename Ar>
void fields(Ar& a, NameserverSpec& n) {
  a(n.id), a(n.addr), a(n.tcp);
}
template <typename Ar>
void fields(Ar& a, ResolversSpec& r) {
  a(r.name), a(r.nameservers), a(r.retries), a(r.timeout_resolve), a(r.timeout_retry), a(r.hold_valid),
      a(r.hold_nx), a(r.hold_refused), a(r.hold_timeout), a(r.hold_other), a(r.hold_obsolete), a(r.payload);
}
template <typename Ar>
void fields(Ar& a, ServerSpec& s) {
  a(s.where), a(s.name), a(s.addr), a(s.id), a(s.weight), a(s.maxconn), a(s.maxqueue), a(s.backup),
      a(s.disabled), a(s.check), a(s.cookie), a(s.tls), a(s.id_forced), a(s.pp_opts), a(s.check_send_proxy),
      a(s.dns), a(s.agent);
}
template <typename Ar>
void fields(Ar& a, CheckExpectSpec& e) {
  a(e.kind), a(e.negate), a(e.pattern);
}
template <typename Ar>
void fields(Ar& a, HttpCheckSpec& h) {
  a(h.enabled), a(h.request), a(h.head), a(h.expects);
}
template <typename Ar>
void fields(Ar& a, TcpCheckStep& t) {
  a(t.kind), a(t.binary), a(t.regex), a(t.negate), a(t.port), a(t.data), a(t.comment), a(t.min_recv),
      a(t.error_l7sts), a(t.status_code), a(t.on_error), a(t.on_success), a(t.error_text), a(t.success_text),
      a(t.custom), a(t.layer6), a(t.send_time);
}
template <typename Ar>
void fields(Ar& a, TcpCheckSpec& t) {
  a(t.enabled), a(t.proto), a(t.steps);
}
template <typename Ar>
void fields(Ar& a, CookieSpec& c) {
  a(c.enabled), a(c.name), a(c.mode), a(c.indirect), a(c.nocache), a(c.postonly), a(c.preserve),
      a(c.httponly), a(c.secure), a(c.domain), a(c.attrs), a(c.maxidle_s), a(c.maxlife_s);
}
template <typename Ar>
void fields(Ar& a, TimeoutSpec& t) {
  a(t.client), a(t.server), a(t.connect), a(t.queue), a(t.tunnel), a(t.client_fin), a(t.server_fin),
      a(t.check), a(t.http_request), a(t.http_keep_alive);
}
template <typename Ar>
void fields(Ar& a, ForwardforSpec& f) {
  a(f.enabled), a(f.header), a(f.has_except), a(f.except_v6), a(f.except_addr), a(f.except_prefix),
      a(f.if_none);
}
template <typename Ar>
void fields(Ar& a, ErrorFileSpec& e) {
  a(e.status), a(e.content);
}
template <typename Ar>
void fields(Ar& a, LogSampleRange& r) {
  a(r.lo), a(r.hi);
}
template <typename Ar>
void fields(Ar& a, LogTargetSpec& l) {
  a(l.kind), a(l.fd), a(l.path), a(l.ip), a(l.port), a(l.format), a(l.facility), a(l.max_level),
      a(l.min_level), a(l.len), a(l.message_max), a(l.sample_size), a(l.sample), a(l.tag), a(l.send_hostname),
      a(l.hostname);
}
template <typename Ar>
void fields(Ar& a, StkStoreSpec& s) {
  a(s.type), a(s.period_ms);
}
template <typename Ar>
void fields(Ar& a, StickTableSpec& t) {
  a(t.present), a(t.type), a(t.key_len), a(t.size), a(t.expire_ms), a(t.nopurge), a(t.store), a(t.sticky);
}
template <typename Ar>
void fields(Ar& a, StickRuleSpec& r) {
  a(r.kind), a(r.table);
}
template <typename Ar>
void fields(Ar& a, StatsRuleSpec& r) {
  a(r.kind), a(r.realm);
}
template <typename Ar>
void fields(Ar& a, StatsPageSpec& s) {
  a(s.enabled), a(s.uri), a(s.realm), a(s.auths), a(s.scopes), a(s.refresh_s), a(s.hide_version),
      a(s.show_legends), a(s.show_node), a(s.show_desc), a(s.admin), a(s.node), a(s.desc), a(s.rules);
}
template <typename Ar>
void fields(Ar& a, CaptureSpec& c) {
  a(c.name), a(c.len);
}
template <typename Ar>
void fields(Ar& a, ProxySpec& p) {
  a(p.where), a(p.name), a(p.frontend), a(p.backend), a(p.mode), a(p.binds), a(p.maxconn), a(p.timeouts),
      a(p.retries), a(p.redispatch), a(p.redispatch_interval), a(p.balance), a(p.hash_consistent),
      a(p.hash_avalanche), a(p.hash_fn), a(p.uri_whole), a(p.uri_len), a(p.uri_depth), a(p.balance_arg),
      a(p.hdr_domain_only), a(p.random_draws), a(p.servers), a(p.backend_index), a(p.select_backend),
      a(p.hooks), a(p.tcp_inspect_delay_ms), a(p.tcp_res_inspect_delay_ms), a(p.persist), a(p.table),
      a(p.stick_rules), a(p.http_mode), a(p.forwardfor), a(p.errorfiles), a(p.logs), a(p.httplog),
      a(p.tcplog), a(p.dontlognull), a(p.httpchk), a(p.cookie), a(p.abortonclose), a(p.httplog_clf),
      a(p.stats), a(p.tcpchk), a(p.req_captures), a(p.res_captures), a(p.dontlog_normal),
      a(p.log_separate_errors), a(p.http_ignore_probes), a(p.log_health_checks);
}
template <typename Ar>
void fields(Ar& a, StatsSocketSpec& s) {
  a(s.where), a(s.addr), a(s.level), a(s.mode), a(s.uid), a(s.gid);
}
template <typename Ar>
void fields(Ar& a, GlobalSpec& g) {
  a(g.daemon), a(g.nbthread), a(g.maxconn), a(g.pidfile), a(g.bufsize), a(g.maxrewrite),
      a(g.hard_stop_after_ms), a(g.stats_sockets), a(g.stats_timeout_ms), a(g.stats_maxconn), a(g.chroot),
      a(g.uid), a(g.gid), a(g.grace_ms), a(g.node), a(g.description);
}
template <typename Ar>
void fields(Ar& a, Topology& t) {
  a(t.global), a(t.proxies), a(t.resolvers);
}

}  // namespace

std::vector<uint8_t> encodeTopology(const Topology& topo) {
  Writer w;
  w.num(kTopoMagic);
  w.num(kTopoVersion);
  Topology copy = topo;  // the visitor takes mutable references; encoding is start-up only
  fields(w, copy);
  return std::move(w.out);
}

bool decodeTopology(const uint8_t* data, size_t size, Topology& out, std::string& err) {
  if (!data) {
    err = "no topology";
    return false;
  }
  Reader r{data, data + size};
  if (r.num<uint32_t>() != kTopoMagic || !r.ok) {
    err = "topology: bad magic";
    return false;
  }
  uint32_t version = r.num<uint32_t>();
  if (version != kTopoVersion) {
    err = "topology: format version " + std::to_string(version) + ", this runtime reads " +
          std::to_string(kTopoVersion);
    return false;
  }
  Topology t;
  fields(r, t);
  if (!r.ok || r.p != r.end) {
    err = r.ok ? "topology: trailing bytes" : "topology: truncated or corrupt";
    return false;
  }
  for (size_t i = 0; i < t.proxies.size(); ++i) t.proxies[i].index = uint32_t(i);
  for (const auto& p : t.proxies) {
    if (p.backend_index != kNoIndex && p.backend_index >= t.proxies.size()) {
      err = "topology: backend index out of range";
      return false;
    }
    for (const auto& r : p.stick_rules)
      if (r.table >= t.proxies.size() || !t.proxies[r.table].table.present ||
          static_cast<uint8_t>(r.kind) > static_cast<uint8_t>(StickKind::StoreResponse)) {
        err = "topology: bad stick rule";
        return false;
      }
    if (static_cast<uint8_t>(p.table.type) > static_cast<uint8_t>(StickKeyType::Binary)) {
      err = "topology: bad enum";
      return false;
    }
    if (static_cast<uint8_t>(p.balance) > static_cast<uint8_t>(BalanceAlgo::Hdr) ||
        static_cast<uint8_t>(p.hash_fn) > static_cast<uint8_t>(HashFn::Crc32) ||
        static_cast<uint8_t>(p.mode) > static_cast<uint8_t>(ProxyMode::Http) ||
        static_cast<uint8_t>(p.http_mode) > static_cast<uint8_t>(HttpConnMode::Close) ||
        static_cast<uint8_t>(p.cookie.mode) > static_cast<uint8_t>(CookieMode::Prefix) ||
        (p.forwardfor.has_except && p.forwardfor.except_prefix > (p.forwardfor.except_v6 ? 128 : 32))) {
      err = "topology: bad enum";
      return false;
    }
    if (p.tcpchk.proto > TcpCheckProto::Spop) {
      err = "topology: bad enum";
      return false;
    }
    for (const auto& t : p.tcpchk.steps)
      if (t.kind > TcpCheckStepKind::Expect || t.on_error > TcpCheckMsg::From6 ||
          t.on_success > TcpCheckMsg::From6 || t.custom > TcpCheckCustom::SpopHello) {
        err = "topology: bad enum";
        return false;
      }
    for (const auto& r : p.stats.rules)
      if (static_cast<uint8_t>(r.kind) > static_cast<uint8_t>(StatsRuleKind::Auth)) {
        err = "topology: bad enum";
        return false;
      }
    for (const auto& e : p.httpchk.expects)
      if (static_cast<uint8_t>(e.kind) > static_cast<uint8_t>(CheckExpectKind::RString)) {
        err = "topology: bad enum";
        return false;
      }
    for (const auto& l : p.logs)
      if (l.kind > LogSinkKind::Udp6 || l.format > LogFormatKind::Local || l.facility > 23 ||
          l.max_level > 7 || l.min_level > 7 || l.len == 0 || (l.sample_size && l.sample.empty())) {
        err = "topology: bad log target";
        return false;
      }
    for (const auto& b : p.binds)
      if (static_cast<uint8_t>(b.addr.kind) > static_cast<uint8_t>(Endpoint::Kind::Host)) {
        err = "topology: bad enum";
        return false;
      }
    for (const auto& s : p.servers) {
      if (static_cast<uint8_t>(s.addr.kind) > static_cast<uint8_t>(Endpoint::Kind::Host)) {
        err = "topology: bad enum";
        return false;
      }
      if ((s.dns.resolvers != kNoIndex && s.dns.resolvers >= t.resolvers.size())) {
        err = "topology: resolvers index out of range";
        return false;
      }
      for (const auto& i : s.dns.init_addr)
        if (i.kind > InitAddrKind::Ip) {
          err = "topology: bad enum";
          return false;
        }
    }
  }
  out = std::move(t);
  return true;
}

}  // namespace lbc::rt

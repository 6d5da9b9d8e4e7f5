#include "driver/supported.h"

#include <algorithm>
#include <string>
#include <variant>

#include "lbc/stdlib/exec.h"

namespace lbc::driver {
namespace {

// ---- the rules: what every engine (interpreter, JIT, AOT) can evaluate ------------------------

class RuleCheck {
 public:
  explicit RuleCheck(front::DiagEngine& d) : d_(d) {}

  void program(const ir::Program& p) {
    for (const ir::Proxy& px : p.proxies) proxy(px);
  }

 private:
  // A fetch or converter the registry knows but the stdlib has no helper for.
  void sample(const ir::SampleExpr& e) {
    if (!stdlib::fetchHelper(e.fetch).fn)
      d_.error(e.loc, "sample fetch '" + e.fetch_name + "' has no implementation in lbc's back end yet");
    for (const ir::Converter& c : e.convs)
      if (!stdlib::convHelper(c.id).fn)
        d_.error(c.loc, "converter '" + c.name + "' has no implementation in lbc's back end yet");
  }

  // A log-format alias that rule arguments cannot render (sema set the others' LBC_ALIAS_* id).
  void format(const ir::LogFormat& lf, ir::SourceLoc at) {
    for (const auto& it : lf.items) {
      if (it.kind == ir::LogFormat::Item::Kind::Sample && it.sample) sample(*it.sample);
      if (it.kind == ir::LogFormat::Item::Kind::Alias && it.alias < 0)
        d_.error(at, "log-format alias '%" + it.text +
                         "' is not supported in rule arguments by lbc yet (supported: "
                         "%ci %cp %fi %fp %f %ft %b %HM %HU %HP %HQ %HV %r %ST)");
    }
  }

  void rule(const ir::Rule& r) {
    if (const auto* h = std::get_if<ir::HeaderArgs>(&r.args)) format(h->value, r.loc);
    if (const auto* f = std::get_if<ir::FormatArgs>(&r.args)) format(f->value, r.loc);
    if (const auto* rd = std::get_if<ir::RedirectArgs>(&r.args)) format(rd->target, r.loc);
    if (const auto* v = std::get_if<ir::VarArgs>(&r.args)) sample(v->expr);
    if (const auto* t = std::get_if<ir::TrackArgs>(&r.args)) sample(t->key);
    if (const auto* ret = std::get_if<ir::ReturnArgs>(&r.args)) {
      // `lf-file`: a log-format read from a file, not loaded by any back end yet.
      if (ret->body == ir::ReturnArgs::Body::LfFile)
        d_.error(r.loc,
                 "'" + r.action_name + " lf-file' is not supported by lbc yet: use 'lf-string' or 'file'");
      format(ret->lf, r.loc);
      for (const auto& [n, v] : ret->headers) format(v, r.loc);
    }
  }

  void proxy(const ir::Proxy& px) {
    for (const ir::Acl& a : px.acls)
      for (const ir::AclTerm& t : a.terms) sample(t.expr);
    for (const ir::Rule& r : px.rules) rule(r);
    for (const ir::UseBackend& u : px.use_backends)
      if (u.dynamic) format(*u.dynamic, u.loc);
    if (px.default_backend && px.default_backend->dynamic)
      format(*px.default_backend->dynamic, px.default_backend->loc);
    for (const ir::StickRule& s : px.stick_rules) sample(s.expr);
  }

  front::DiagEngine& d_;
};

// ---- serving: what the runtime implements ------------------------------------------------------
// Each condition is one named method, visited in the order the topology is built, so a proxy's
// messages read in the same order as its lines.

class ServingCheck {
 public:
  ServingCheck(const ir::Program& p, front::DiagEngine& d) : prog_(p), d_(d) {}

  void program() {
    global(prog_.global);
    for (const ir::Proxy& p : prog_.proxies)
      if (p.caps && !p.disabled) proxy(p);
    // lbc drops a record as soon as an answer lacks it (HAProxy's default, 0s).
    for (const ir::Resolvers& r : prog_.resolvers)
      if (r.hold_obsolete)
        refuse(r.loc, "'hold obsolete' other than 0s in resolvers section '" + r.name + "'");
  }

 private:
  void refuse(const ir::SourceLoc& loc, const std::string& what) {
    d_.error(loc, what + " is not supported by 'lbc run' yet");
  }
  static std::string who(const ir::Proxy& p) { return std::string(p.kind()) + " '" + p.name + "'"; }

  void global(const ir::Global& g) {
    for (const auto& s : g.stats_sockets)
      if (s.expose_fd_listeners) refuse(s.loc, "'expose-fd listeners' on the stats socket");
  }

  void proxy(const ir::Proxy& p) {
    if (p.mode == ir::Mode::Http) http(p);
    logs(p);
    rules(p);
    if (p.table) table(*p.table);
    if (p.isFrontend()) binds(p);
    if (p.isBackend() && p.proto_check != ir::Proxy::ProtoCheck::None && !p.tcp_checks.empty())
      // (HAProxy then runs one rule set or the other, depending on the order of the lines.)
      refuse(p.loc, "'tcp-check' rules in " + who(p) +
                        " together with a protocol check (option smtpchk, mysql-check, pgsql-check, "
                        "ldap-check, ssl-hello-chk, spop-check)");
    if (p.isBackend())
      for (const auto& s : p.servers) {
        server(s);
        // Health checks use a plain socket: an HTTP check of a TLS server would fail.
        if (s.opts.ssl && s.opts.check && p.http_check.enabled)
          refuse(s.loc, "server '" + s.name + "': HTTP health checks ('option httpchk') of an 'ssl' server");
        if (s.opts.ssl && s.opts.check &&
            (p.redis_check || p.proto_check != ir::Proxy::ProtoCheck::None ||
             (p.tcp_check && !p.tcp_checks.empty())))
          refuse(s.loc,
                 "server '" + s.name +
                     "': tcp-check send and expect rules (option tcp-check, redis-check, smtpchk, "
                     "mysql-check, pgsql-check, ldap-check, ssl-hello-chk, spop-check) on an 'ssl' server");
      }
  }

  void http(const ir::Proxy& p) {
    if (p.http_reuse == ir::Proxy::HttpReuse::Aggressive || p.http_reuse == ir::Proxy::HttpReuse::Always)
      refuse(p.loc, "'http-reuse aggressive|always' in " + who(p));
    // uri / url_param / hdr hash with 'none' (the key used as the hash).
    using A = ir::Balance::Algo;
    if (p.isBackend() &&
        (p.balance.algo == A::Uri || p.balance.algo == A::UrlParam || p.balance.algo == A::Hdr) &&
        p.hash.function == ir::HashType::Function::None)
      refuse(p.balance.loc.valid() ? p.balance.loc : p.loc,
             "'hash-type ... none' with 'balance uri|url_param|hdr' in " + who(p));
    if (p.timeouts.tarpit) refuse(p.loc, "'timeout tarpit' in " + who(p));
  }

  void logs(const ir::Proxy& p) {
    // Every target sema accepted is written (log/), in httplog [clf], tcplog (TCP streams:
    // stream/stream_log.cpp) and the legacy "Connect from" line; an HTTP stream's line in the
    // tcplog layout is not.
    const bool any = !p.logs.empty() || (p.log_global && !prog_.global.logs.empty());
    if (p.isFrontend() && any && p.mode == ir::Mode::Http && p.tcplog && !p.httplog)
      refuse(p.loc, "'option tcplog' logging of HTTP streams in " + who(p));
  }

  void rules(const ir::Proxy& p) {
    // HAProxy evaluates the `redirect` directives after `http-request allow` too; lbc's allow
    // ends the proxy's whole rule list.
    const ir::Rule* allow = nullptr;
    for (const auto& r : p.rules) {
      if (r.set == ir::RuleSet::HttpReq && r.action == stdlib::ActionId::allow && !allow) allow = &r;
      if (allow && r.legacy_redirect)
        refuse(r.loc, "a 'redirect' directive in a proxy with an 'http-request allow' rule");
    }
    for (const auto& s : p.stick_rules) {
      const ir::Proxy* tp = s.table.empty()                        ? &p
                            : s.table_proxy < prog_.proxies.size() ? &prog_.proxies[s.table_proxy]
                                                                   : nullptr;
      if (tp && tp->table && tp->disabled)
        refuse(s.loc, "a 'stick' rule using the table of disabled proxy '" + tp->name + "'");
    }
  }

  void table(const ir::StickTable& t) {
    // Stored and counted by the runtime (state/, stream/counters.cpp); the others are not counted.
    static const char* const kCounted[] = {
        "server_id",     "gpt0",         "gpc0",          "gpc0_rate",     "gpc1",          "gpc1_rate",
        "conn_cnt",      "conn_cur",     "conn_rate",     "sess_cnt",      "sess_rate",     "http_req_cnt",
        "http_req_rate", "http_err_cnt", "http_err_rate", "http_fail_cnt", "http_fail_rate"};
    for (const std::string& d : t.store) {
      std::string base = d.substr(0, d.find('('));
      if (std::find(std::begin(kCounted), std::end(kCounted), base) == std::end(kCounted))
        refuse(t.loc, "'store " + base + "' in a stick-table");
    }
    if (!t.peers.empty()) refuse(t.loc, "'peers' in a stick-table");
  }

  void binds(const ir::Proxy& p) {
    for (const auto& b : p.binds) {
      if (!b.ssl && !b.alpn.empty()) refuse(b.loc, "'alpn' on a bind line without 'ssl'");
    }
    // HAProxy runs `tcp-request connection` rules at the accept, before the PROXY header (they see
    // the socket's addresses); lbc runs them when the session starts, after it.
    bool proxied = false;
    for (const auto& b : p.binds) proxied = proxied || b.accept_proxy;
    if (proxied)
      for (const auto& r : p.rules)
        if (r.set == ir::RuleSet::TcpReqConn)
          refuse(r.loc,
                 "'tcp-request connection' rules in a frontend with an 'accept-proxy' bind (run after "
                 "the PROXY header here, before it in HAProxy)");
  }

  void server(const ir::Server& s) {
    const ir::ServerOpts& o = s.opts;
    const std::string at = "server '" + s.name + "': ";
    bool inet = s.addr.kind != ir::Address::Kind::Unix && s.addr.kind != ir::Address::Kind::Abns;
    if (inet && (!s.addr.has_port || s.addr.relative_port || s.addr.port_lo == 0))
      refuse(s.loc, at + "an address without an absolute port (the client's destination port)");
    // The runtime takes the name of `sni str(NAME)` (lower/tls.cpp); an expression per request is not done.
    if (o.ssl && !o.sni.empty() && (o.sni.rfind("str(", 0) != 0 || o.sni.back() != ')'))
      refuse(s.loc, at + "'sni' other than a constant 'str(NAME)'");
    if (!o.srv_record.empty())
      refuse(s.loc, at + "a server-template filled from SRV records ('" + o.srv_record +
                        "'; templates of A/AAAA names are supported)");
  }

  const ir::Program& prog_;
  front::DiagEngine& d_;
};

}  // namespace

bool checkSupported(const ir::Program& p, Need need, front::DiagEngine& diags) {
  size_t before = diags.errorCount();
  RuleCheck(diags).program(p);
  if (need == Need::Serving) ServingCheck(p, diags).program();
  return diags.errorCount() == before;
}

}  // namespace lbc::driver

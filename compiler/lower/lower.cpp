#include "lower/lower.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <variant>

#include "lbc/stdlib/text.h"
#include "lower/dns.h"
#include "lower/tls.h"
#include "sema/values.h"

namespace lbc::lower {
namespace {

class Lowering {
 public:
  Lowering(const ir::Program& prog, const front::SourceManager& sm, front::DiagEngine& diags)
      : prog_(prog), sm_(sm), diags_(diags) {}

  // One topology proxy per IR proxy, same order: the compiled hooks take IR indices, and the
  // runtime passes its own indices to them. A `defaults` section or a disabled proxy stays as a
  // placeholder that is neither frontend nor backend.
  bool run(rt::Topology& out) {
    global(out.global);
    out.resolvers = resolvers(prog_, [this](const ir::Address& a) { return endpoint(a); });
    std::vector<uint32_t> index(prog_.proxies.size(), rt::kNoIndex);
    out.proxies.resize(prog_.proxies.size());
    for (uint32_t i = 0; i < prog_.proxies.size(); ++i) {
      const ir::Proxy& p = prog_.proxies[i];
      out.proxies[i].name = p.name;
      out.proxies[i].where = where(p.loc);
      if (p.caps && !p.disabled) index[i] = i;
    }
    for (uint32_t i = 0; i < prog_.proxies.size(); ++i)
      if (index[i] != rt::kNoIndex) proxy(prog_.proxies[i], i, index, out.proxies[i]);
    return diags_.errorCount() == errors_at_start_;
  }

 private:
  std::string where(const ir::SourceLoc& loc) const {
    if (!loc.valid()) return "";
    return sm_.path(loc.file) + ":" + std::to_string(loc.line);
  }
  // The largest `len` of every `log` line of the configuration (HAProxy's global.max_syslog_len).
  uint32_t messageMax() const {
    uint32_t m = 0;
    for (const auto& l : prog_.global.logs) m = std::max(m, l.len);
    for (const auto& p : prog_.proxies)
      for (const auto& l : p.logs) m = std::max(m, l.len);
    return m;
  }

  // A `log` line as the runtime's log/ layer takes it, with the tag and host name it sends.
  rt::LogTargetSpec logTarget(const ir::LogTarget& l, const ir::Proxy& p) {
    rt::LogTargetSpec t;
    t.kind = static_cast<rt::LogSinkKind>(l.kind);
    t.fd = uint8_t(l.fd);
    t.path = l.path;
    std::copy(std::begin(l.ip), std::end(l.ip), t.ip);
    t.port = l.port;
    t.format = static_cast<rt::LogFormatKind>(l.format);
    t.facility = l.facility;
    t.max_level = l.level;
    t.min_level = l.min_level;
    t.len = l.len;
    t.message_max = messageMax();
    t.sample_size = l.sample_size;
    for (const auto& [lo, hi] : l.sample) t.sample.push_back({lo, hi});
    t.tag = p.log_tag.value_or(prog_.global.log_tag);
    t.send_hostname = prog_.global.log_send_hostname.has_value();
    t.hostname = prog_.global.log_send_hostname.value_or("");
    return t;
  }

  // A proxy's log targets (its own, or the global ones for `log global`) and log options.
  void logs(const ir::Proxy& p, rt::ProxySpec& out) {
    if (p.log_global)
      for (const auto& l : prog_.global.logs) out.logs.push_back(logTarget(l, p));
    for (const auto& l : p.logs) out.logs.push_back(logTarget(l, p));
    const bool http = p.mode == ir::Mode::Http;
    out.httplog = p.httplog && http;
    out.tcplog = p.tcplog || (p.httplog && !http);  // HAProxy: httplog in a TCP proxy means tcplog
    out.dontlognull = p.dontlognull;
    out.dontlog_normal = p.dontlog_normal;
    out.log_separate_errors = p.log_separate_errors;
    out.http_ignore_probes = p.http_ignore_probes;
    out.httplog_clf = out.httplog && p.httplog_clf;
    for (const auto& c : p.req_captures) out.req_captures.push_back({c.name, c.len});
    for (const auto& c : p.res_captures) out.res_captures.push_back({c.name, c.len});
  }

  void global(rt::GlobalSpec& g) {
    const ir::Global& in = prog_.global;
    g.daemon = in.daemon;
    g.nbthread = in.nbthread.value_or(0);
    g.maxconn = in.maxconn.value_or(0);
    g.pidfile = in.pidfile;
    g.chroot = in.chroot;
    g.uid = in.uid.value_or(0);
    g.gid = in.gid.value_or(0);
    g.bufsize = in.tune_bufsize;
    g.maxrewrite = in.tune_maxrewrite;
    g.hard_stop_after_ms = in.hard_stop_after.value_or(0);
    g.grace_ms = in.grace.value_or(0);
    g.node = in.node;
    g.description = in.description;
    for (const ir::StatsSocket& s : in.stats_sockets) {
      rt::StatsSocketSpec o;
      o.where = where(s.loc);
      o.addr = endpoint(s.addr);
      o.level = static_cast<rt::CliLevel>(s.level);
      o.mode = s.mode.value_or(0);
      o.uid = s.uid ? int32_t(*s.uid) : -1;
      o.gid = s.gid ? int32_t(*s.gid) : -1;
      g.stats_sockets.push_back(std::move(o));
    }
    if (in.stats_timeout) g.stats_timeout_ms = *in.stats_timeout;
    if (in.stats_maxconn) g.stats_maxconn = *in.stats_maxconn;
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
    out.mode = p.mode == ir::Mode::Http ? rt::ProxyMode::Http : rt::ProxyMode::Tcp;
    out.maxconn = p.maxconn.value_or(0);
    const ir::Timeouts& t = p.timeouts;
    out.timeouts = {t.client.value_or(0),     t.server.value_or(0), t.connect.value_or(0),
                    t.queue.value_or(0),      t.tunnel.value_or(0), t.client_fin.value_or(0),
                    t.server_fin.value_or(0), t.check.value_or(0)};
    out.timeouts.http_request = t.http_request.value_or(0);
    out.timeouts.http_keep_alive = t.http_keep_alive.value_or(0);
    if (p.mode == ir::Mode::Http) http(p, out);
    out.retries = p.retries;
    out.redispatch = p.redispatch;
    out.abortonclose = p.abortonclose;
    out.log_health_checks = p.log_health_checks;
    out.redispatch_interval = p.redispatch_interval;
    out.tcp_inspect_delay_ms = p.tcp_inspect_delay.value_or(0);
    out.tcp_res_inspect_delay_ms = p.tcp_res_inspect_delay.value_or(0);
    out.persist = p.persist;
    logs(p, out);
    rules(p, self, out);
    if (p.table) table(*p.table, self, out.table);
    if (p.isFrontend()) frontend(p, self, index, out);
    if (p.isBackend()) backend(p, out);
    httpCheck(p, out);
    tcpCheck(p, out);
    cookie(p, out);
    stats(p, out);
  }

  // `stats ...`: the page the HTTP session answers itself (HAProxy: only in mode http).
  void stats(const ir::Proxy& p, rt::ProxySpec& out) {
    if (!p.stats || p.mode != ir::Mode::Http) return;
    const ir::StatsPage& s = *p.stats;
    rt::StatsPageSpec& o = out.stats;
    o.enabled = true;
    o.uri = s.uri;
    o.realm = s.realm.empty() ? "HAProxy Statistics" : s.realm;
    o.auths = s.auths;
    o.scopes = s.scopes;
    o.refresh_s = s.refresh_s;
    o.hide_version = s.hide_version;
    o.show_legends = s.show_legends;
    o.show_node = s.node.has_value();
    o.node = s.node.value_or("");
    o.show_desc = s.desc.has_value();
    o.desc = s.desc.value_or("");
    o.admin = s.admin;
    for (const ir::StatsPage::Rule& r : s.rules)
      o.rules.push_back({static_cast<rt::StatsRuleKind>(r.kind), r.realm});
  }

  // What the HTTP stream needs: connection mode, forwardfor, error pages.
  void http(const ir::Proxy& p, rt::ProxySpec& out) {
    // The strongest mode of the proxy wins (the IR keeps no order between the three options).
    out.http_mode = p.httpclose           ? rt::HttpConnMode::Close
                    : p.http_server_close ? rt::HttpConnMode::ServerClose
                                          : rt::HttpConnMode::KeepAlive;
    if (p.forwardfor.enabled) {
      rt::ForwardforSpec& f = out.forwardfor;
      f.enabled = true;
      f.header = p.forwardfor.header == "X-Forwarded-For" ? "" : p.forwardfor.header;
      f.if_none = p.forwardfor.if_none;
      if (!p.forwardfor.except.empty()) {
        bool v6 = false;
        if (sema::parseNetwork(p.forwardfor.except, f.except_addr, f.except_prefix, v6).empty()) {
          f.has_except = true;
          f.except_v6 = v6;
        }
      }
    }
    for (const auto& e : p.errorfiles) out.errorfiles.push_back({e.status, e.content});
  }

  // The rule lists run as compiled hooks; the runtime needs to know which ones exist (to buffer
  // data for tcp-request content, or to wait for the server's first data) and what the stick
  // rules refer to. http-* rules are ignored in TCP proxies, as HAProxy does (sema warned). What
  // the runtime cannot run yet was refused by the supported-check (driver/supported.cpp).
  void rules(const ir::Proxy& p, uint32_t self, rt::ProxySpec& out) {
    for (const auto& r : p.rules) {
      switch (r.set) {
        case ir::RuleSet::TcpReqConn:
          out.hooks |= rt::kHasTcpReqConn;
          break;
        case ir::RuleSet::TcpReqSess:
          out.hooks |= rt::kHasTcpReqSess;
          break;
        case ir::RuleSet::TcpReqCont:
          out.hooks |= rt::kHasTcpReqCont;
          break;
        case ir::RuleSet::TcpResCont:
          out.hooks |= rt::kHasTcpResCont;
          break;
        case ir::RuleSet::HttpReq:
          if (p.mode == ir::Mode::Http) out.hooks |= rt::kHasHttpReq;
          continue;
        case ir::RuleSet::HttpRes:
          if (p.mode == ir::Mode::Http) out.hooks |= rt::kHasHttpRes;
          continue;
        case ir::RuleSet::HttpAfterRes:
          if (p.mode == ir::Mode::Http) out.hooks |= rt::kHasHttpAfterRes;
          continue;
      }
    }
    for (const auto& s : p.stick_rules) {
      rt::StickRuleSpec rs;
      rs.kind = static_cast<rt::StickKind>(s.kind);
      rs.table = s.table.empty() ? self : s.table_proxy;  // no `table`: the proxy's own
      const ir::Proxy* tp = rs.table < prog_.proxies.size() ? &prog_.proxies[rs.table] : nullptr;
      if (!tp || !tp->table) {
        diags_.error(s.loc, "this 'stick' rule has no stick-table to use");
        continue;
      }
      out.stick_rules.push_back(rs);
    }
  }

  void table(const ir::StickTable& t, uint32_t self, rt::StickTableSpec& out) {
    out.present = true;
    // A table `stick` rules use stores the server's id and name, as HAProxy adds server_id and
    // server_key to it.
    for (const ir::Proxy& p : prog_.proxies)
      for (const ir::StickRule& r : p.stick_rules) out.sticky |= r.table_proxy == self;
    out.type = static_cast<rt::StickKeyType>(t.type);
    out.key_len = t.key_len;
    out.size = t.size;
    out.expire_ms = t.expire_ms.value_or(0);
    out.nopurge = t.nopurge;
    for (const std::string& d : t.store) {
      // sema checked the names and periods; what the runtime does not store is refused by the
      // supported-check (compiler/driver/supported.cpp).
      rt::StkStoreSpec st;
      size_t open = d.find('(');
      if (!rt::stkDataFromName(std::string_view(d).substr(0, open), st.type)) continue;
      uint64_t ms = 0;
      if (open != std::string::npos && d.back() == ')' &&
          sema::parseDuration(std::string_view(d).substr(open + 1, d.size() - open - 2), ms).empty())
        st.period_ms = static_cast<uint32_t>(ms);
      out.store.push_back(st);
    }
    if (t.size == 0) diags_.error(t.loc, "stick-table: 'size' must be greater than 0");
  }

  // `cookie NAME ...`: persistence in mode http; HAProxy ignores it in a TCP proxy.
  void cookie(const ir::Proxy& p, rt::ProxySpec& out) {
    if (!p.cookie || !p.isBackend()) return;
    const ir::Cookie& c = *p.cookie;
    if (p.mode != ir::Mode::Http) {
      diags_.warning(c.loc, "'cookie' is ignored in " + std::string(p.kind()) + " '" + p.name +
                                "': persistence cookies need 'mode http' (HAProxy ignores it too)");
      return;
    }
    rt::CookieSpec& k = out.cookie;
    k.enabled = true;
    k.name = c.name;
    k.mode = static_cast<rt::CookieMode>(c.mode);
    k.indirect = c.indirect, k.nocache = c.nocache, k.postonly = c.postonly, k.preserve = c.preserve;
    k.httponly = c.httponly, k.secure = c.secure;
    for (const auto& d : c.domains) k.domain += (k.domain.empty() ? "" : "; domain=") + d;
    for (const auto& a : c.attrs) k.attrs += (k.attrs.empty() ? "" : "; ") + a;
    // HAProxy keeps these in seconds (the cookie dates have a 4-second resolution).
    if (c.maxidle_ms) k.maxidle_s = uint32_t(std::max<uint64_t>(1, *c.maxidle_ms / 1000));
    if (c.maxlife_ms) k.maxlife_s = uint32_t(std::max<uint64_t>(1, *c.maxlife_ms / 1000));
  }

  static std::string lower(std::string s) { return stdlib::lowerCopy(std::move(s)); }

  // `option httpchk` and its `http-check send|expect` rules: the request bytes as HAProxy 2.6
  // writes them (lower-case header names, content-length for a body, `connection: close` from
  // HTTP/1.1 on), and the expect rules.
  void httpCheck(const ir::Proxy& p, rt::ProxySpec& out) {
    const ir::HttpCheck& hc = p.http_check;
    const std::string who = std::string(p.kind()) + " '" + p.name + "'";
    if (!hc.enabled) {
      if (!hc.rules.empty() && p.isBackend())
        diags_.warning(hc.rules.front().loc,
                       who + " uses http-check rules without 'option httpchk', so the rules are ignored");
      return;
    }
    if (!p.isBackend()) return;
    std::string meth = hc.method, uri = hc.uri, ver = hc.version, body;
    std::vector<std::pair<std::string, std::string>> headers;
    // The legacy form hides headers (and a body) in the version: `HTTP/1.1\r\nHost:\ x`.
    if (size_t eol = ver.find("\r\n"); eol != std::string::npos) {
      std::string rest = ver.substr(eol + 2);
      ver.resize(eol);
      while (!rest.empty()) {
        size_t e = rest.find("\r\n");
        std::string line = rest.substr(0, e);
        rest = e == std::string::npos ? "" : rest.substr(e + 2);
        if (line.empty()) {  // an empty line: the body follows
          body = rest;
          break;
        }
        size_t colon = line.find(':');
        std::string name = line.substr(0, colon), value;
        if (colon != std::string::npos) {
          value = line.substr(colon + 1);
          value.erase(0, value.find_first_not_of(" \t"));
        }
        headers.emplace_back(name, value);
      }
    }
    bool sent = false;
    for (const auto& r : hc.rules) {
      if (r.kind == ir::HttpCheckRule::Kind::Send) {
        if (sent) {
          diags_.error(r.loc,
                       "'http-check send': a second request needs an 'http-check connect' rule before "
                       "it (HAProxy refuses it too); only one 'http-check send' per check");
          continue;
        }
        sent = true;
        if (!r.meth.empty()) meth = r.meth;
        if (!r.uri.empty()) uri = r.uri;
        if (!r.ver.empty()) ver = r.ver;
        if (!r.headers.empty()) headers = r.headers;
        if (!r.body.empty()) body = r.body;
        continue;
      }
      rt::CheckExpectSpec e;
      e.negate = r.negate;
      e.pattern = r.pattern;
      using M = ir::HttpCheckRule::Match;
      switch (r.match) {
        case M::Status:
          e.kind = rt::CheckExpectKind::Status;
          break;
        case M::RStatus:
          e.kind = rt::CheckExpectKind::RStatus;
          break;
        case M::String:
          e.kind = rt::CheckExpectKind::String;
          break;
        case M::RString:
          e.kind = rt::CheckExpectKind::RString;
          break;
      }
      if (r.match == M::Status && !validStatusList(r.pattern))
        diags_.error(r.loc, "'http-check expect status': '" + r.pattern +
                                "' is not a list of status codes or ranges (e.g. '200,300-399')");
      out.httpchk.expects.push_back(std::move(e));
    }
    std::string req = meth + " " + uri + " " + ver + "\r\n";
    bool has_conn = false;
    for (const auto& [n, v] : headers) {
      std::string ln = lower(n);
      has_conn |= ln == "connection";
      req += ln + ": " + v + "\r\n";
    }
    if (!body.empty()) req += "content-length: " + std::to_string(body.size()) + "\r\n";
    const bool http11 = ver.size() == 8 && ver.compare(0, 5, "HTTP/") == 0 &&
                        (ver[5] > '1' || (ver[5] == '1' && ver[7] >= '1'));
    if (http11 && !has_conn) req += "connection: close\r\n";
    req += "\r\n" + body;
    out.httpchk.enabled = true;
    out.httpchk.request = std::move(req);
    out.httpchk.head = meth == "HEAD";
  }

  // `option tcp-check` and its rules, or one of HAProxy 2.6's built-in rule sets (redis-check,
  // smtpchk, mysql-check, pgsql-check, ldap-check) as the rules it makes of it (src/tcpcheck.c).
  void tcpCheck(const ir::Proxy& p, rt::ProxySpec& out) {
    using PC = ir::Proxy::ProtoCheck;
    if (!p.isBackend() || (!p.tcp_check && !p.redis_check && p.proto_check == PC::None)) return;
    rt::TcpCheckSpec& t = out.tcpchk;
    t.enabled = true;
    using K = rt::TcpCheckStepKind;
    using M = rt::TcpCheckMsg;
    auto connect = [&]() {  // "connect default linger"
      t.steps.emplace_back();
      t.steps.back().kind = K::Connect;
    };
    auto send = [&](std::string bytes) {
      rt::TcpCheckStep s;
      s.kind = K::Send;
      s.data = std::move(bytes);
      t.steps.push_back(std::move(s));
    };
    // expect rstring|rbinary|custom ... min-recv N error-status L7STS|L7RSP on-error ... on-success ...
    // [status-code "res.payload(0,3)"]
    auto expect = [&](std::string re, int min_recv, bool l7sts, M on_error,
                      M on_success) -> rt::TcpCheckStep& {
      rt::TcpCheckStep s;
      s.kind = K::Expect;
      s.regex = !re.empty(), s.data = std::move(re), s.min_recv = min_recv;
      s.error_l7sts = l7sts, s.on_error = on_error, s.on_success = on_success;
      t.steps.push_back(std::move(s));
      return t.steps.back();
    };
    auto custom = [&](rt::TcpCheckCustom c) { expect("", -1, false, M::None, M::None).custom = c; };
    auto le24 = [](size_t n) {
      return std::string{char(n & 0xff), char((n >> 8) & 0xff), char((n >> 16) & 0xff)};
    };
    auto be32 = [](size_t n) {
      return std::string{char((n >> 24) & 0xff), char((n >> 16) & 0xff), char((n >> 8) & 0xff),
                         char(n & 0xff)};
    };
    if (p.redis_check) {
      t.proto = rt::TcpCheckProto::Redis;
      send("*1\r\n$4\r\nPING\r\n");
      rt::TcpCheckStep e;
      e.kind = K::Expect;
      e.data = "+PONG\r\n";
      e.error_l7sts = true, e.on_error = M::Line, e.on_success = M::Text;
      e.success_text = "Redis server is ok";
      t.steps.push_back(std::move(e));
      return;
    }
    switch (p.proto_check) {
      case PC::None:
        break;
      case PC::Smtp:  // the greeting, HELO/EHLO (a multi-line 2xx allowed), QUIT: each a 2xx
        t.proto = rt::TcpCheckProto::Smtp;
        connect();
        expect("^[0-9]{3}[ \r]", 4, false, M::Line, M::None);
        expect("^2[0-9]{2}[ \r]", 4, true, M::AfterCode, M::None).status_code = true;
        send(p.proto_arg + "\r\n");
        expect("^(2[0-9]{2}-[^\r]*\r\n)*2[0-9]{2}[ \r]", -1, true, M::AfterCode, M::AfterCode).status_code =
            true;
        send("QUIT\r\n");
        expect("^2[0-9]{2}[- \r]", 4, true, M::AfterCode, M::AfterCode).status_code = true;
        return;
      case PC::Mysql: {  // the client authentication packet (4.1 or 4.0 format) and a COM_QUIT
        t.proto = rt::TcpCheckProto::Mysql;
        connect();
        if (!p.proto_arg.empty()) {
          const std::string& u = p.proto_arg;
          std::string pkt;
          if (p.mysql_pre41) {
            pkt = le24(u.size() + 7) + '\x01' + std::string("\x00\x80", 2) + std::string("\x00\x00\x01", 3);
          } else {
            pkt = le24(u.size() + 7 + 27) + '\x01' + std::string("\x00\x82\x00\x00", 4) +
                  std::string("\x00\x80\x00\x01", 4) + '\x21' + std::string(23, '\0');
          }
          pkt += u + '\0' + '\0' + std::string("\x01\x00\x00\x00\x01", 5);
          send(std::move(pkt));
        }
        custom(rt::TcpCheckCustom::MysqlHandshake);
        if (!p.proto_arg.empty()) custom(rt::TcpCheckCustom::MysqlOk);
        return;
      }
      case PC::Pgsql: {  // a StartupMessage (protocol 3.0, "user"); an authentication request expected
        t.proto = rt::TcpCheckProto::Pgsql;
        connect();
        const std::string& u = p.proto_arg;
        send(be32(15 + u.size()) + std::string("\x00\x03\x00\x00", 4) + std::string("user\0", 5) + u + '\0' +
             '\0');
        auto& e = expect("^E", 5, false, M::From6, M::None);
        e.negate = true;
        auto& r = expect("^52000000[A-Z0-9]{2}000000(00|02|03|04|05|06|07|09|0A)", 9, true, M::Text, M::Text);
        r.binary = true;
        r.error_text = "PostgreSQL unknown error";
        r.success_text = "PostgreSQL server is ok";
        return;
      }
      case PC::Ldap: {  // an anonymous simple bind request; its bind response
        t.proto = rt::TcpCheckProto::Ldap;
        send(std::string("\x30\x0c\x02\x01\x01\x60\x07\x02\x01\x03\x04\x00\x80\x00", 14));
        auto& e = expect("^30", 14, false, M::Text, M::None);
        e.binary = true;
        e.error_text = "Not LDAPv3 protocol";
        custom(rt::TcpCheckCustom::LdapBind);
        return;
      }
      case PC::SslHello: {  // an SSLv3 CLIENT HELLO; a handshake or alert record expected (layer 6)
        t.proto = rt::TcpCheckProto::SslHello;
        std::string hello("\x16\x03\x00\x00\x79\x01\x00\x00\x75\x03\x00", 11);
        hello += std::string(4, '\0');  // the time, filled in at each check
        hello += "HAPROXYSSLCHK\nHAPROXYSSLCHK\n";
        hello += std::string("\x00\x00\x4e", 3);
        for (int c = 0x01; c <= 0x3a; ++c)  // 39 common ciphers: 0x01...0x1B, 0x2F...0x3A
          if (c <= 0x1b || c >= 0x2f) hello += std::string{'\0', char(c)};
        hello += std::string("\x01\x00", 2);
        send(std::move(hello));
        t.steps.back().send_time = true;
        auto& e = expect("^1[56]", 5, false, M::None, M::None);
        e.binary = true;
        e.layer6 = true;
        return;
      }
      case PC::Spop: {  // a HAPROXY-HELLO frame with "healthcheck" true; the AGENT-HELLO frame
        t.proto = rt::TcpCheckProto::Spop;
        std::string hello("\x01\x00\x00\x00\x01\x00\x00", 7);  // type, flags FIN, stream and frame ids
        auto str = [&](std::string_view v) { hello += char(v.size()), hello += v; };
        str("supported-versions"), hello += '\x08', str("2.0");
        str("max-frame-size"), hello += std::string("\x03\xfc\xf0\x06", 4);  // uint32 16380 (varint)
        str("capabilities"), hello += '\x08', str("");
        str("healthcheck"), hello += '\x11';  // boolean true
        send(be32(hello.size()) + hello);
        auto& e = expect("", 4, false, M::None, M::None);
        e.custom = rt::TcpCheckCustom::SpopHello;
        return;
      }
    }
    bool first = true;  // no rule but comments so far
    for (const auto& r : p.tcp_checks) {
      rt::TcpCheckStep s;
      s.binary = r.binary, s.regex = r.regex, s.negate = r.negate, s.port = r.port;
      s.data = r.data, s.comment = r.comment;
      using RK = ir::TcpCheckRule::Kind;
      s.kind = r.kind == RK::Comment   ? K::Comment
               : r.kind == RK::Connect ? K::Connect
               : r.kind == RK::Send    ? K::Send
                                       : K::Expect;
      if (r.kind == RK::Connect && !first)
        diags_.error(r.loc,
                     "'tcp-check connect' after other rules (a second connection in one check) is not "
                     "supported by lbc yet; only as the first rule");
      if (r.kind != RK::Comment) first = false;
      t.steps.push_back(std::move(s));
    }
  }

  static bool validStatusList(const std::string& s) {
    size_t i = 0;
    auto code = [&]() {
      size_t b = i;
      while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
      return i > b && i - b <= 3;
    };
    while (true) {
      if (!code()) return false;
      if (i < s.size() && s[i] == '-') {
        ++i;
        if (!code()) return false;
      }
      if (i == s.size()) return true;
      if (s[i++] != ',') return false;
    }
  }

  void frontend(const ir::Proxy& p, uint32_t self, const std::vector<uint32_t>& index, rt::ProxySpec& out) {
    for (const auto& b : p.binds) {
      rt::BindSpec bs;
      bs.where = where(b.loc);
      bs.addr = endpoint(b.addr);
      bs.v4v6 = b.v4v6;
      bs.v6only = b.v6only;
      bs.backlog = b.backlog.value_or(0);
      bs.maxconn = b.maxconn.value_or(0);
      bs.tls = bindTls(prog_.global, b);
      if (bs.tls.alpn.size() != b.alpn.size())
        diags_.warning(b.loc,
                       "'alpn' lists 'h2': HTTP/2 is not served yet, it is not advertised (HTTP/1.1 is)");
      bs.name = b.name;
      bs.accept_proxy = b.accept_proxy;
      out.binds.push_back(std::move(bs));
    }
    // Conditional or dynamic rules are the program's select_backend; a static choice (the first
    // unconditional use_backend, else default_backend) is resolved here.
    uint32_t target = ir::kNone;
    for (const auto& u : p.use_backends) {
      if (u.dynamic || u.cond) {
        out.select_backend = true;
        break;
      }
      if (target == ir::kNone) target = u.backend;
      break;
    }
    if (p.default_backend && p.default_backend->dynamic) out.select_backend = true;
    if (out.select_backend) return;
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
        if (p.mode != ir::Mode::Http) {
          // As HAProxy in a TCP proxy (sema has already warned): round robin instead.
          out.balance = rt::BalanceAlgo::RoundRobin;
          break;
        }
        out.balance = p.balance.algo == A::Uri        ? rt::BalanceAlgo::Uri
                      : p.balance.algo == A::UrlParam ? rt::BalanceAlgo::UrlParam
                                                      : rt::BalanceAlgo::Hdr;
        out.uri_whole = p.balance.uri_whole;
        out.uri_len = p.balance.uri_len;
        out.uri_depth = p.balance.uri_depth;
        out.balance_arg = p.balance.param;
        out.hdr_domain_only = p.balance.hdr_use_domain_only;
        break;
    }
    using F = ir::HashType::Function;
    out.hash_fn = p.hash.function == F::Djb2    ? rt::HashFn::Djb2
                  : p.hash.function == F::Wt6   ? rt::HashFn::Wt6
                  : p.hash.function == F::Crc32 ? rt::HashFn::Crc32
                                                : rt::HashFn::Sdbm;
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
        ss.id_forced = true;
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
    if (p.cookie && p.mode == ir::Mode::Http) ss.cookie = o.cookie;
    ss.tls = serverTls(prog_.global, o);
    static_assert(ir::ServerOpts::kPpV1 == rt::kPpV1 && ir::ServerOpts::kPpV2UniqueId == rt::kPpV2UniqueId);
    ss.pp_opts = o.pp_opts;
    ss.check_send_proxy = o.check_send_proxy;
    ss.addr = endpoint(s.addr);
    ss.dns = serverDns(prog_, s, [this](const ir::Address& a) { return endpoint(a); });
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
    // HAProxy: the agent goes to agent-addr, else the check's `addr`, else the server's address;
    // its interval is agent-inter, else the check's inter.
    ss.agent.enabled = o.agent_check;
    ss.agent.inter_ms = o.agent_inter_ms ? o.agent_inter_ms : o.inter_ms;
    if (o.agent_port) ss.agent.port = *o.agent_port;
    if (o.agent_addr || o.check_addr) {
      ss.agent.has_addr = true;
      ss.agent.addr = endpoint(o.agent_addr ? *o.agent_addr : *o.check_addr);
    }
    if (o.agent_send) ss.agent.send = *o.agent_send;
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

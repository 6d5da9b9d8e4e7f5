#include "ir/printer.h"

#include <arpa/inet.h>

#include <ostream>

#include "lbc/stdlib/registry.h"

namespace lbc::ir {

namespace {
constexpr std::string_view kVarScopes[] = {"proc", "sess", "txn", "req", "res"};
static_assert(LBC_VAR_PROC == 0 && LBC_VAR_RES == 4, "kVarScopes follows LBC_VAR_*");
}  // namespace

const char* varScopeName(VarScope s) {
  auto i = static_cast<size_t>(s);
  return i < std::size(kVarScopes) ? kVarScopes[i].data() : "?";
}

std::optional<VarScope> parseVarScope(std::string_view s) {
  for (size_t i = 0; i < std::size(kVarScopes); ++i)
    if (kVarScopes[i] == s) return static_cast<VarScope>(i);
  return std::nullopt;
}

const char* hashFunctionName(HashType::Function f) {
  static constexpr const char* kNames[] = {"sdbm", "djb2", "wt6", "crc32", "none"};
  return kNames[static_cast<size_t>(f)];
}

const char* checkMatchName(HttpCheckRule::Match m) {
  static constexpr const char* kNames[] = {"status", "rstatus", "string", "rstring"};
  return kNames[static_cast<size_t>(m)];
}

std::string formatDuration(uint64_t ms) {
  if (ms && ms % 86400000 == 0) return std::to_string(ms / 86400000) + "d";
  if (ms && ms % 3600000 == 0) return std::to_string(ms / 3600000) + "h";
  if (ms && ms % 60000 == 0) return std::to_string(ms / 60000) + "m";
  if (ms && ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

std::string formatAddress(const Address& a) {
  char buf[INET6_ADDRSTRLEN] = {};
  std::string host;
  switch (a.kind) {
    case Address::Kind::Unix:
      return "unix@" + a.host;
    case Address::Kind::Abns:
      return "abns@" + a.host;
    case Address::Kind::Fd:
      return "fd@" + std::to_string(a.fd);
    case Address::Kind::Host:
      host = a.host + "(unresolved)";
      break;
    case Address::Kind::Ipv4:
      host = a.wildcard && a.host.empty() ? "0.0.0.0"
                                          : (inet_ntop(AF_INET, a.ip, buf, sizeof buf), std::string(buf));
      if (!a.host.empty() && a.host != host) host = a.host + "=" + host;
      break;
    case Address::Kind::Ipv6:
      host = a.wildcard && a.host.empty() ? "::"
                                          : (inet_ntop(AF_INET6, a.ip, buf, sizeof buf), std::string(buf));
      if (!a.host.empty() && a.host != host) host = a.host + "=" + host;
      host = "[" + host + "]";
      break;
  }
  if (a.relative_port) return host + ":" + (a.port_offset >= 0 ? "+" : "") + std::to_string(a.port_offset);
  if (!a.has_port) return host;
  std::string s = host + ":" + std::to_string(a.port_lo);
  if (a.port_hi != a.port_lo) s += "-" + std::to_string(a.port_hi);
  return s;
}

namespace {

class Printer {
 public:
  Printer(std::ostream& o, const std::vector<std::string>& f) : out_(o), files_(f) {}

  std::string loc(SourceLoc l) const {
    if (!l.valid()) return "";
    std::string f = l.file <= files_.size() ? files_[l.file - 1] : "?";
    size_t slash = f.rfind('/');
    if (slash != std::string::npos) f = f.substr(slash + 1);
    return "  @" + f + ":" + std::to_string(l.line);
  }

  static std::string quote(const std::string& s) {
    std::string o = "\"";
    for (char c : s) {
      if (c == '"' || c == '\\') o += '\\';
      if (static_cast<unsigned char>(c) < 0x20) {
        static const char* hex = "0123456789abcdef";
        o += "\\x";
        o += hex[(c >> 4) & 15];
        o += hex[c & 15];
        continue;
      }
      o += c;
    }
    return o + "\"";
  }

  std::string sample(const SampleExpr& e) const {
    std::string s = e.fetch_name;
    if (!e.args.empty()) {
      s += "(";
      for (size_t i = 0; i < e.args.size(); ++i) s += (i ? "," : "") + e.args[i].str;
      s += ")";
    }
    for (const auto& c : e.convs) {
      s += "," + c.name;
      if (!c.args.empty()) {
        s += "(";
        for (size_t i = 0; i < c.args.size(); ++i) s += (i ? "," : "") + c.args[i].str;
        s += ")";
      }
    }
    return s + " : " + stdlib::smpTypeName(e.type);
  }

  std::string logFormat(const LogFormat& lf) const {
    std::string s = "lf[";
    for (size_t i = 0; i < lf.items.size(); ++i) {
      const auto& it = lf.items[i];
      if (i) s += " ";
      if (it.kind == LogFormat::Item::Kind::Text)
        s += quote(it.text);
      else if (it.kind == LogFormat::Item::Kind::Alias)
        s += "%" + it.text;
      else
        s += "%[" + sample(*it.sample) + "]";
    }
    return s + "]";
  }

  std::string condition(const Condition& c, const Proxy& p) const {
    std::string s = c.unless ? "unless " : "if ";
    for (size_t i = 0; i < c.alternatives.size(); ++i) {
      if (i) s += " || ";
      for (size_t j = 0; j < c.alternatives[i].size(); ++j) {
        const CondRef& r = c.alternatives[i][j];
        if (j) s += " ";
        if (r.negated) s += "!";
        const Acl& a = p.acls[r.acl];
        s += a.name.empty() ? "acl#" + std::to_string(r.acl) : a.name;
      }
    }
    return s;
  }

  void acl(const Acl& a, uint32_t idx) {
    out_ << "  acl " << (a.name.empty() ? "#" + std::to_string(idx) + " (anonymous)" : a.name)
         << (a.predefined ? " (predefined)" : "") << loc(a.loc) << "\n";
    for (const auto& t : a.terms) {
      out_ << "    " << sample(t.expr) << " -m " << stdlib::matchMethodName(t.method)
           << (t.icase ? " -i" : "");
      for (const auto& f : t.files) out_ << " -f " << f;
      for (const auto& pat : t.patterns) {
        if (t.method == MatchMethod::Int || t.method == MatchMethod::Len) {
          out_ << " " << (pat.has_lo ? std::to_string(pat.lo) : "") << ":"
               << (pat.has_hi ? std::to_string(pat.hi) : "");
        } else {
          out_ << " " << quote(pat.text);
        }
      }
      out_ << "\n";
    }
  }

  void rule(const Rule& r, const Proxy& p, const std::vector<Proxy>& all) {
    out_ << "  " << ruleSetName(r.set) << " " << r.action_name;
    std::visit(
        [&](const auto& a) {
          using T = std::decay_t<decltype(a)>;
          if constexpr (std::is_same_v<T, HeaderArgs>) {
            out_ << " " << quote(a.name);
            if (!a.regex.empty()) out_ << " regex " << quote(a.regex);
            if (!a.value.items.empty() || r.action_name != "del-header") out_ << " " << logFormat(a.value);
            if (a.method) out_ << " -m " << stdlib::matchMethodName(*a.method);
          } else if constexpr (std::is_same_v<T, FormatArgs>) {
            out_ << " " << logFormat(a.value);
          } else if constexpr (std::is_same_v<T, RedirectArgs>) {
            const char* t = a.type == RedirectArgs::Type::Location ? "location"
                            : a.type == RedirectArgs::Type::Prefix ? "prefix"
                                                                   : "scheme";
            out_ << " " << t << " " << logFormat(a.target) << " code " << a.code;
            if (a.drop_query) out_ << " drop-query";
            if (a.append_slash) out_ << " append-slash";
            if (a.ignore_empty) out_ << " ignore-empty";
          } else if constexpr (std::is_same_v<T, ReturnArgs>) {
            out_ << " status " << a.status;
            if (!a.content_type.empty()) out_ << " content-type " << quote(a.content_type);
            if (a.body == ReturnArgs::Body::LfString)
              out_ << " lf-string " << logFormat(a.lf);
            else if (a.body != ReturnArgs::Body::None)
              out_ << " body " << quote(a.text);
            for (const auto& [n, v] : a.headers) out_ << " hdr " << quote(n) << " " << logFormat(v);
          } else if constexpr (std::is_same_v<T, VarArgs>) {
            out_ << " " << varScopeName(a.scope) << "." << a.name << " = " << sample(a.expr);
          } else if constexpr (std::is_same_v<T, TrackArgs>) {
            out_ << " key " << sample(a.key) << " table "
                 << (a.table_proxy == kNone ? "?" : all[a.table_proxy].name);
          } else if constexpr (std::is_same_v<T, CounterArgs>) {
            out_ << " sc" << a.slot << " " << (a.expr ? sample(*a.expr) : std::to_string(a.value));
          } else if constexpr (std::is_same_v<T, StatusArgs>) {
            out_ << " " << a.status;
            if (!a.reason.empty()) out_ << " reason " << quote(a.reason);
          }
        },
        r.args);
    if (r.cond) out_ << " " << condition(*r.cond, p);
    out_ << loc(r.loc) << "\n";
  }

  void serverOpts(const ServerOpts& o) {
    if (o.check)
      out_ << " check inter " << formatDuration(o.inter_ms) << " fall " << o.fall << " rise " << o.rise;
    if (o.fastinter_ms) out_ << " fastinter " << formatDuration(o.fastinter_ms);
    if (o.downinter_ms) out_ << " downinter " << formatDuration(o.downinter_ms);
    out_ << " weight " << o.weight;
    if (o.maxconn) out_ << " maxconn " << o.maxconn;
    if (o.maxqueue) out_ << " maxqueue " << o.maxqueue;
    if (o.backup) out_ << " backup";
    if (o.disabled) out_ << " disabled";
    if (!o.cookie.empty()) out_ << " cookie " << quote(o.cookie);
    if (o.ssl) out_ << " ssl verify " << (o.verify == ServerOpts::Verify::None ? "none" : "required");
    if (!o.ca_file.empty()) out_ << " ca-file " << quote(o.ca_file);
    if (!o.sni.empty()) out_ << " sni " << o.sni;
    if (!o.alpn.empty()) {
      out_ << " alpn ";
      for (size_t i = 0; i < o.alpn.size(); ++i) out_ << (i ? "," : "") << o.alpn[i];
    }
    if (o.pp_opts & ir::ServerOpts::kPpV1) out_ << " send-proxy";
    if (o.pp_opts & ir::ServerOpts::kPpV2) out_ << " send-proxy-v2";
    if (o.pp_opts & ~(ir::ServerOpts::kPpV1 | ir::ServerOpts::kPpV2))
      out_ << " proxy-v2-options(" << (o.pp_opts >> 2) << ")";
    if (o.check_send_proxy) out_ << " check-send-proxy";
    if (o.check_port) out_ << " port " << *o.check_port;
    if (o.check_addr) out_ << " addr " << formatAddress(*o.check_addr);
    if (o.agent_check) out_ << " agent-check";
    if (o.agent_port) out_ << " agent-port " << *o.agent_port;
    if (o.agent_inter_ms) out_ << " agent-inter " << formatDuration(o.agent_inter_ms);
    if (o.agent_addr) out_ << " agent-addr " << formatAddress(*o.agent_addr);
    if (o.agent_send) out_ << " agent-send \"" << *o.agent_send << '"';
  }

  void timeouts(const Timeouts& t) {
    std::string s;
    auto one = [&](const char* n, const std::optional<uint64_t>& v) {
      if (v) s += std::string(" ") + n + "=" + formatDuration(*v);
    };
    one("client", t.client);
    one("server", t.server);
    one("connect", t.connect);
    one("queue", t.queue);
    one("http-request", t.http_request);
    one("http-keep-alive", t.http_keep_alive);
    one("tunnel", t.tunnel);
    one("client-fin", t.client_fin);
    one("server-fin", t.server_fin);
    one("check", t.check);
    if (!s.empty()) out_ << "  timeouts:" << s << "\n";
  }

  void proxy(const Proxy& p, uint32_t idx, const std::vector<Proxy>& all) {
    out_ << p.kind() << " " << p.name << " #" << idx << loc(p.loc) << "\n";
    out_ << "  mode " << (p.mode == Mode::Http ? "http" : "tcp");
    if (!p.defaults.empty()) out_ << "  (defaults " << p.defaults << ")";
    out_ << "\n";
    for (const auto& b : p.binds) {
      out_ << "  bind " << formatAddress(b.addr);
      if (!b.name.empty()) out_ << " name " << b.name;
      if (b.ssl) out_ << " ssl";
      for (const auto& c : b.crt) out_ << " crt " << quote(c);
      if (!b.alpn.empty()) {
        out_ << " alpn ";
        for (size_t i = 0; i < b.alpn.size(); ++i) out_ << (i ? "," : "") << b.alpn[i];
      }
      if (b.accept_proxy) out_ << " accept-proxy";
      if (b.v4v6) out_ << " v4v6";
      if (b.v6only) out_ << " v6only";
      if (b.backlog) out_ << " backlog " << *b.backlog;
      if (b.maxconn) out_ << " maxconn " << *b.maxconn;
      out_ << loc(b.loc) << "\n";
    }
    if (p.maxconn) out_ << "  maxconn " << *p.maxconn << "\n";
    timeouts(p.timeouts);
    std::string opts;
    auto flag = [&](bool v, const char* n) {
      if (v) opts += std::string(" ") + n;
    };
    flag(p.httplog, p.httplog_clf ? "httplog(clf)" : "httplog");
    flag(p.tcplog, "tcplog");
    flag(p.dontlognull, "dontlognull");
    flag(p.httpclose, "httpclose");
    flag(p.http_server_close, "http-server-close");
    flag(p.http_keep_alive, "http-keep-alive");
    flag(p.abortonclose, "abortonclose");
    flag(p.log_health_checks, "log-health-checks");
    flag(p.redispatch, "redispatch");
    flag(p.persist, "persist");
    flag(p.tcp_check, "tcp-check");
    flag(p.redis_check, "redis-check");
    if (p.proto_check != ir::Proxy::ProtoCheck::None) {
      static const char* const kNames[] = {"",           "smtpchk",       "mysql-check", "pgsql-check",
                                           "ldap-check", "ssl-hello-chk", "spop-check"};
      opts += std::string(" ") + kNames[size_t(p.proto_check)];
      if (!p.proto_arg.empty()) opts += "(" + p.proto_arg + (p.mysql_pre41 ? ",pre-41" : "") + ")";
    }
    if (p.forwardfor.enabled) {
      opts += " forwardfor(header=" + p.forwardfor.header;
      if (!p.forwardfor.except.empty()) opts += ",except=" + p.forwardfor.except;
      if (p.forwardfor.if_none) opts += ",if-none";
      opts += ")";
    }
    if (!opts.empty()) out_ << "  options:" << opts << "\n";
    if (p.log_global) out_ << "  log global\n";
    for (const auto& l : p.logs) out_ << "  log " << l.target << " " << kLogFacilities[l.facility] << "\n";
    if (p.isBackend()) {
      static const char* kAlgos[] = {"roundrobin", "static-rr", "leastconn", "first", "source",
                                     "uri",        "url_param", "hdr",       "random"};
      out_ << "  balance " << kAlgos[static_cast<int>(p.balance.algo)];
      if (!p.balance.param.empty()) out_ << " " << p.balance.param;
      if (p.balance.uri_whole) out_ << " whole";
      if (p.balance.uri_len) out_ << " len " << p.balance.uri_len;
      if (p.balance.uri_depth) out_ << " depth " << p.balance.uri_depth;
      out_ << "  hash-type " << (p.hash.method == HashType::Method::Consistent ? "consistent" : "map-based")
           << (p.hash.avalanche ? " avalanche" : "") << "\n";
      out_ << "  retries " << p.retries << "\n";
      if (p.http_check.enabled) {
        out_ << "  httpchk " << p.http_check.method << " " << p.http_check.uri << " " << p.http_check.version
             << "\n";
      }
      for (const auto& r : p.http_check.rules) {
        if (r.kind == HttpCheckRule::Kind::Expect)
          out_ << "  http-check expect " << (r.negate ? "! " : "") << checkMatchName(r.match) << " "
               << quote(r.pattern) << loc(r.loc) << "\n";
        else
          out_ << "  http-check send" << (r.meth.empty() ? "" : " meth " + r.meth)
               << (r.uri.empty() ? "" : " uri " + r.uri) << loc(r.loc) << "\n";
      }
      if (p.cookie) {
        static const char* kModes[] = {"rewrite", "insert", "prefix"};
        out_ << "  cookie " << p.cookie->name << " " << kModes[static_cast<int>(p.cookie->mode)]
             << (p.cookie->indirect ? " indirect" : "") << (p.cookie->nocache ? " nocache" : "") << "\n";
      }
      for (const auto& s : p.servers) {
        out_ << "  server " << s.name << " " << formatAddress(s.addr);
        if (s.id) out_ << " id " << *s.id;
        serverOpts(s.opts);
        out_ << loc(s.loc) << "\n";
      }
    }
    if (p.table) {
      static const char* kTypes[] = {"ip", "ipv6", "integer", "string", "binary"};
      const StickTable& t = *p.table;
      out_ << "  stick-table type " << kTypes[static_cast<int>(t.type)];
      if (t.key_len) out_ << " len " << t.key_len;
      out_ << " size " << t.size;
      if (t.expire_ms) out_ << " expire " << formatDuration(*t.expire_ms);
      for (const auto& s : t.store) out_ << " store " << s;
      out_ << loc(t.loc) << "\n";
    }
    for (uint32_t i = 0; i < p.acls.size(); ++i) acl(p.acls[i], i);
    if (p.tcp_inspect_delay)
      out_ << "  tcp-request inspect-delay " << formatDuration(*p.tcp_inspect_delay) << "\n";
    if (p.tcp_res_inspect_delay)
      out_ << "  tcp-response inspect-delay " << formatDuration(*p.tcp_res_inspect_delay) << "\n";
    for (const auto& r : p.rules) rule(r, p, all);
    for (const auto& r : p.stick_rules) {
      static const char* kKinds[] = {"on", "match", "store-request", "store-response"};
      out_ << "  stick " << kKinds[static_cast<int>(r.kind)] << " " << sample(r.expr) << " table "
           << (r.table_proxy == kNone ? "?" : all[r.table_proxy].name);
      if (r.cond) out_ << " " << condition(*r.cond, p);
      out_ << loc(r.loc) << "\n";
    }
    for (const auto& u : p.use_backends) {
      out_ << "  use_backend " << (u.dynamic ? logFormat(*u.dynamic) : u.name);
      if (u.backend != kNone) out_ << " -> #" << u.backend;
      if (u.cond) out_ << " " << condition(*u.cond, p);
      out_ << loc(u.loc) << "\n";
    }
    if (p.default_backend && p.isFrontend()) {
      const auto& u = *p.default_backend;
      out_ << "  default_backend " << (u.dynamic ? logFormat(*u.dynamic) : u.name);
      if (u.backend != kNone) out_ << " -> #" << u.backend;
      out_ << loc(u.loc) << "\n";
    }
    for (const auto& e : p.errorfiles) out_ << "  errorfile " << e.status << " " << quote(e.path) << "\n";
  }

 private:
  std::ostream& out_;
  const std::vector<std::string>& files_;
};

}  // namespace

void print(std::ostream& out, const Program& p, const std::vector<std::string>& files) {
  Printer pr(out, files);
  const Global& g = p.global;
  out << "global\n";
  if (g.daemon) out << "  daemon\n";
  if (g.nbthread) out << "  nbthread " << *g.nbthread << "\n";
  if (g.maxconn) out << "  maxconn " << *g.maxconn << "\n";
  for (const auto& l : g.logs)
    out << "  log " << l.target << " " << kLogFacilities[l.facility]
        << (l.format == LogTarget::Format::Unspec ? std::string()
                                                  : " format " + std::string(kLogFormats[int(l.format)]))
        << "\n";
  if (!g.user.empty()) out << "  user " << g.user << "\n";
  if (!g.group.empty()) out << "  group " << g.group << "\n";
  if (g.uid && g.user.empty()) out << "  uid " << *g.uid << "\n";
  if (g.gid && g.group.empty()) out << "  gid " << *g.gid << "\n";
  if (!g.chroot.empty()) out << "  chroot " << g.chroot << "\n";
  if (!g.pidfile.empty()) out << "  pidfile " << g.pidfile << "\n";
  for (const auto& s : g.stats_sockets)
    out << "  stats socket " << formatAddress(s.addr) << " level " << ir::StatsSocket::levelName(s.level)
        << (s.mode ? " mode " + std::to_string(*s.mode) : "") << "\n";
  if (g.stats_timeout) out << "  stats timeout " << formatDuration(*g.stats_timeout) << "\n";
  if (g.stats_maxconn) out << "  stats maxconn " << *g.stats_maxconn << "\n";
  out << "  tune.bufsize " << g.tune_bufsize << "\n  tune.maxrewrite " << g.tune_maxrewrite << "\n";
  if (g.hard_stop_after) out << "  hard-stop-after " << formatDuration(*g.hard_stop_after) << "\n";
  if (!g.node.empty()) out << "  node " << g.node << "\n";
  if (!g.description.empty()) out << "  description " << g.description << "\n";
  if (g.grace) out << "  grace " << formatDuration(*g.grace) << "\n";
  if (!g.ssl_default_bind_options.empty())
    out << "  ssl-default-bind-options " << g.ssl_default_bind_options << "\n";
  if (!g.ssl_default_bind_ciphers.empty())
    out << "  ssl-default-bind-ciphers " << g.ssl_default_bind_ciphers << "\n";
  for (const auto& h : p.http_errors) {
    out << "http-errors " << h.name << "\n";
    for (const auto& e : h.errorfiles) out << "  errorfile " << e.status << " \"" << e.path << "\"\n";
  }
  for (uint32_t i = 0; i < p.proxies.size(); ++i) pr.proxy(p.proxies[i], i, p.proxies);
}

}  // namespace lbc::ir

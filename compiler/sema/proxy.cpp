// Proxy directives that describe topology: bind, server, balance, timeouts, options, mode,
// cookie, health checks, stick tables, logging, error files.
#include <fcntl.h>

#include <cctype>

#include <fstream>
#include <sstream>

#include <algorithm>

#include "front/words.h"
#include "sema/context.h"
#include "sema/values.h"

namespace lbc::sema {

using stdlib::Status;

static std::vector<std::string> splitList(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

// ---- bind -------------------------------------------------------------------------------------

void Sema::bind(const Line& l) {
  st_->bind_seen = true;
  if (!noCondition(l)) return;
  if (!needArgs(l, 1, "<address>[:port] as its first argument")) return;
  std::vector<ir::Bind> binds;
  std::string addr_text = l.words[1].text;
  for (size_t p = addr_text.find("${"); p != std::string::npos; p = addr_text.find("${", p)) {
    size_t close = addr_text.find('}', p);
    if (close == std::string::npos) break;
    std::string var = addr_text.substr(p + 2, close - p - 2);
    if (var.empty() ||
        var.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") !=
            std::string::npos ||
        std::isdigit(static_cast<unsigned char>(var[0]))) {
      error(l.words[1], "invalid address '" + l.words[1].text +
                            "': an unquoted bind address only expands plain "
                            "'${NAME}' (no default value); quote the word to use '${NAME-default}'");
      return;
    }
    auto v = front::processEnv()(var);
    addr_text.replace(p, close - p + 1, v.value_or(""));
    p += v ? v->size() : 0;
  }
  if (addr_text.empty()) {
    error(l.words[1], "bind address '" + l.words[1].text +
                          "' is empty after environment expansion (is the variable set?)");
    return;
  }
  for (const std::string& a : splitList(addr_text, ',')) {
    ir::Bind b;
    b.loc = l.words[1].loc;
    std::string e = parseAddress(a, AddrUse::Bind, opts_.resolve_hosts, b.addr);
    if (e.empty() && b.addr.kind == ir::Address::Kind::Fd && fcntl(b.addr.fd, F_GETFD) < 0)
      e = "cannot use file descriptor " + std::to_string(b.addr.fd) + " in '" + a + "': it is not open";
    if (!e.empty()) {
      error(l.words[1], e);
      return;
    }
    binds.push_back(std::move(b));
  }
  ir::Bind opts;
  bool crt_given = false;
  for (size_t i = 2; i < l.words.size(); ++i) {
    const Word& w = l.words[i];
    const stdlib::BindOptInfo* o = stdlib::findBindOption(w.text);
    if (!o) {
      std::vector<std::string_view> names;
      for (const auto& bo : stdlib::bindOptions()) names.push_back(bo.name);
      error(w, "unknown bind option '" + w.text + "'" + front::didYouMean(w.text, names));
      return;
    }
    if (o->status != Status::Supported) {
      error(w, "unsupported bind option '" + w.text + "': HAProxy knows it, lbc does not support it yet");
      return;
    }
    stdlib::noteUse(*o);
    const Word* arg = nullptr;
    if (o->nargs > 0) {
      if (i + 1 >= l.words.size()) {
        error(w, "bind option '" + w.text + "' expects an argument");
        return;
      }
      arg = &l.words[++i];
    }
    using B = stdlib::BindOptId;
    int64_t v = 0;
    switch (o->id) {
      case B::ssl:
        opts.ssl = true;
        break;
      case B::crt: {
        crt_given = true;
        const std::string path = underBase(prog_.global.crt_base, arg->text);
        std::string e = opts_.check_files ? checkCertificateFile(path) : std::string();
        if (!e.empty())
          error(*arg, e);
        else
          opts.crt.push_back(path);
        break;
      }
      case B::ciphers:
      case B::ciphersuites: {
        std::string e = o->id == B::ciphers ? checkCipherList(arg->text) : std::string();
        if (!e.empty()) error(*arg, e);
        (o->id == B::ciphers ? opts.ciphers : opts.ciphersuites) = arg->text;
        break;
      }
      case B::ssl_min_ver:
      case B::ssl_max_ver:
        if (!tlsVersion(*arg)) return;
        (o->id == B::ssl_min_ver ? opts.min_ver : opts.max_ver) = arg->text;
        break;
      case B::no_sslv3:
      case B::no_tlsv10:
      case B::no_tlsv11:
      case B::no_tlsv12:
      case B::no_tlsv13:
        opts.no_versions |= o->id == B::no_sslv3    ? 1
                            : o->id == B::no_tlsv10 ? 2
                            : o->id == B::no_tlsv11 ? 4
                            : o->id == B::no_tlsv12 ? 8
                                                    : 16;
        break;
      case B::strict_sni:
        opts.strict_sni = true;
        break;
      case B::no_tls_tickets:
        opts.no_tls_tickets = true;
        break;
      case B::prefer_client_ciphers:
        opts.prefer_client_ciphers = true;
        break;
      case B::verify:
        if (arg->text == "none")
          opts.verify = ir::Bind::Verify::None;
        else if (arg->text == "optional")
          opts.verify = ir::Bind::Verify::Optional;
        else if (arg->text == "required")
          opts.verify = ir::Bind::Verify::Required;
        else {
          error(*arg, "'verify' expects 'none', 'optional' or 'required', not '" + arg->text + "'");
          return;
        }
        break;
      case B::ca_file:
      case B::crl_file: {
        const std::string path = underBase(prog_.global.ca_base, arg->text);
        if (fileExists(*arg, path, o->id == B::ca_file ? "CA" : "CRL"))
          (o->id == B::ca_file ? opts.ca_file : opts.crl_file) = path;
        break;
      }
      case B::alpn:
        opts.alpn = splitList(arg->text, ',');
        for (const auto& p : opts.alpn)
          if (p.empty() || p.size() > 255) error(*arg, "invalid ALPN protocol list '" + arg->text + "'");
        break;
      case B::accept_proxy:
        opts.accept_proxy = true;
        break;
      case B::name:
        opts.name = arg->text;
        break;
      case B::v4v6:
        opts.v4v6 = true;
        break;
      case B::v6only:
        opts.v6only = true;
        break;
      case B::backlog:
        if (!lenientInteger(*arg, v, 0, 0x7fffffff)) return;
        opts.backlog = static_cast<uint32_t>(v);
        break;
      case B::maxconn:
        if (!integer(*arg, v, 1, 0x7fffffff)) return;
        opts.maxconn = static_cast<uint32_t>(v);
        break;
      default:
        break;  // every other option is Unsupported (refused above)
    }
  }
  if (opts.v4v6 && opts.v6only)
    error(l.words[0], "'v4v6' and 'v6only' are mutually exclusive on the same bind line");
  if (opts.ssl && !crt_given)
    error(l.words[1], "bind '" + l.words[1].text + "' uses 'ssl' but has no certificate: add 'crt <file>'");
  if (!opts.ssl && !opts.crt.empty())
    warning(l.words[1],
            "bind '" + l.words[1].text + "' has a 'crt' but no 'ssl': the certificate is not used");
  for (auto& b : binds) {
    SourceLoc loc = b.loc;
    ir::Address addr = std::move(b.addr);
    b = opts;
    b.loc = loc;
    b.addr = std::move(addr);
    cur_->binds.push_back(std::move(b));
  }
}

// ---- server / default-server ------------------------------------------------------------------

void Sema::server(const Line& l, bool is_default) {
  if (!noCondition(l)) return;
  ir::Server s;
  s.loc = l.loc;
  size_t i = 1;
  if (!is_default) {
    auto isOption = [](const std::string& w) { return stdlib::findServerOption(w) != nullptr; };
    if (l.words.size() < 2) {
      SourceLoc at = l.words[0].loc;
      at.col += at.len;
      diags_.error(at, "'server' expects <name> and <address>[:port] as arguments");
      return;
    }
    s.name = l.words[1].text;
    if (l.words.size() < 3 || isOption(l.words[2].text)) {
      SourceLoc at = l.words.size() < 3 ? l.words[1].loc : l.words[2].loc;
      if (l.words.size() < 3) {
        at.col += at.len + 1;
        at.len = 1;
      }
      std::string msg =
          "server '" + s.name + "' has no address: expected 'server <name> <address>[:port] [options]'";
      if (l.words.size() >= 3) msg += "; '" + l.words[2].text + "' is a server option, not an address";
      diags_.error(at, msg);
      return;
    }
    // A host name is looked up once the options are known (init-addr may allow it to fail).
    std::string e = parseAddress(l.words[2].text, AddrUse::Server, false, s.addr);
    if (!e.empty()) {
      error(l.words[2], "server '" + s.name + "': " + e);
      return;
    }
    if (auto it = st_->server_names.find(s.name); it != st_->server_names.end()) {
      error(l.words[1], "server '" + s.name + "' is already defined in " + sectionDesc());
      diags_.note(it->second, "previous definition of server '" + s.name + "' is here");
      return;
    }
    st_->server_names.emplace(s.name, l.words[1].loc);
    i = 3;
  }
  s.opts = cur_->default_server;
  ir::ServerOpts& o = s.opts;
  for (; i < l.words.size(); ++i) {
    const Word& w = l.words[i];
    const stdlib::ServerOptInfo* info = stdlib::findServerOption(w.text);
    if (!info) {
      std::vector<std::string_view> names;
      for (const auto& so : stdlib::serverOptions()) names.push_back(so.name);
      error(w, "unknown server option '" + w.text + "'" + front::didYouMean(w.text, names));
      return;
    }
    if (info->status != Status::Supported) {
      error(w, "unsupported server option '" + w.text + "': HAProxy knows it, lbc does not support it yet");
      return;
    }
    stdlib::noteUse(*info);
    const Word* arg = nullptr;
    if (info->nargs > 0) {
      if (i + 1 >= l.words.size()) {
        error(w, "server option '" + w.text + "' expects an argument");
        return;
      }
      arg = &l.words[++i];
    }
    if (!serverOption(info->id, w, arg, is_default, s)) return;
  }
  if (is_default) {
    cur_->default_server = o;
    return;
  }
  resolveServerHost(l.words[2], s);
  if (o.agent_check && !o.agent_port) {
    error(l.words[1],
          "server '" + s.name + "' has 'agent-check' but no 'agent-port': the agent check needs one");
    return;
  }
  const bool verifies = o.verify == ir::ServerOpts::Verify::Required ||
                        (o.verify == ir::ServerOpts::Verify::Default && prog_.global.ssl_server_verify);
  if (o.ssl && verifies && o.ca_file.empty()) {
    error(l.words[1], "server '" + s.name +
                          "' uses 'ssl' with certificate verification but no 'ca-file': add "
                          "'ca-file <file>', or 'verify none' if the network to this server is trusted");
    return;
  }
  if (s.id) {
    for (const auto& other : cur_->servers) {
      if (other.id == s.id) {
        error(l.words[1], "server '" + s.name + "' has the same id " + std::to_string(*s.id) +
                              " as server '" + other.name + "' in " + sectionDesc());
        diags_.note(other.loc, "server '" + other.name + "' is here");
        return;
      }
    }
  }
  cur_->servers.push_back(std::move(s));
}

// One server option (registry id `id`, its word `w` and argument `arg`) into `s`. False after an
// error that ends the line.
bool Sema::serverOption(stdlib::ServerOptId id, const Word& w, const Word* arg, bool is_default,
                        ir::Server& s) {
  using S = stdlib::ServerOptId;
  using P = ir::ServerOpts;
  ir::ServerOpts& o = s.opts;
  int64_t v = 0;
  uint64_t ms = 0;
  switch (id) {
    case S::check:
      o.check = true;
      break;
    case S::no_check:
      o.check = false;
      break;
    case S::inter:
    case S::fastinter:
    case S::downinter:
      if (!duration(*arg, ms)) return false;
      if (ms == 0) {
        error(*arg, "server option '" + w.text + "' expects a positive delay");
        return false;
      }
      (id == S::inter ? o.inter_ms : id == S::fastinter ? o.fastinter_ms : o.downinter_ms) = ms;
      break;
    case S::fall:
    case S::rise:
      if (!integer(*arg, v, 1, 0x7fffffff)) return false;
      (id == S::fall ? o.fall : o.rise) = static_cast<uint32_t>(v);
      break;
    case S::weight:
      if (!lenientInteger(*arg, v, 0, 256)) return false;
      o.weight = static_cast<uint32_t>(v);
      break;
    case S::maxconn:
    case S::maxqueue:
      if (!lenientInteger(*arg, v, 0, 0x7fffffff)) return false;
      (id == S::maxconn ? o.maxconn : o.maxqueue) = static_cast<uint32_t>(v);
      break;
    case S::backup:
      o.backup = true;
      break;
    case S::no_backup:
      o.backup = false;
      break;
    case S::disabled:
      o.disabled = true;
      break;
    case S::enabled:
      o.disabled = false;
      break;
    case S::id:
      if (is_default) {
        error(w, "'id' is not allowed on a 'default-server' line: each server needs its own");
        return false;
      }
      if (!integer(*arg, v, 1, 0x7fffffff)) return false;
      s.id = static_cast<int32_t>(v);
      break;
    case S::cookie:
      o.cookie = arg->text;
      break;
    case S::ssl:
      o.ssl = true;
      break;
    case S::no_ssl:
      o.ssl = false;
      break;
    case S::verify:
      if (arg->text == "none")
        o.verify = ir::ServerOpts::Verify::None;
      else if (arg->text == "required")
        o.verify = ir::ServerOpts::Verify::Required;
      else {
        error(*arg, "'verify' expects 'none' or 'required', not '" + arg->text + "'");
        return false;
      }
      break;
    case S::ca_file: {
      const std::string path = underBase(prog_.global.ca_base, arg->text);
      if (fileExists(*arg, path, "CA")) o.ca_file = path;
      break;
    }
    case S::crt: {
      const std::string path = underBase(prog_.global.crt_base, arg->text);
      std::string e = opts_.check_files ? checkCertificateFile(path) : std::string();
      if (!e.empty()) {
        error(*arg, e);
        return false;
      }
      o.crt = path;
      break;
    }
    case S::ciphers:
      if (std::string e = checkCipherList(arg->text); !e.empty()) {
        error(*arg, e);
        return false;
      }
      o.ciphers = arg->text;
      break;
    case S::ssl_min_ver:
    case S::ssl_max_ver:
      if (!tlsVersion(*arg)) return false;
      (id == S::ssl_min_ver ? o.min_ver : o.max_ver) = arg->text;
      break;
    case S::no_ssl_reuse:
      o.no_ssl_reuse = true;
      break;
    case S::sni: {
      // `str(NAME)`, a constant, is what the runtime takes (lower/tls.cpp); other expressions are
      // checked as samples (and refused by the supported-check).
      const bool constant = arg->text.rfind("str(", 0) == 0 && arg->text.back() == ')';
      Phase ph{1u << stdlib::kUseSrvSource, "server sni"};
      if (!constant && !sample(*arg, &ph)) return false;
      o.sni = arg->text;
      break;
    }
    case S::alpn:
      o.alpn = splitList(arg->text, ',');
      break;
    case S::send_proxy:
      o.pp_opts |= P::kPpV1;
      break;
    case S::no_send_proxy:
      o.pp_opts &= uint16_t(~P::kPpV1);
      break;
    case S::send_proxy_v2:
      o.pp_opts |= P::kPpV2;
      break;
    case S::send_proxy_v2_ssl:
      o.pp_opts |= P::kPpV2 | P::kPpV2Ssl;
      break;
    case S::send_proxy_v2_ssl_cn:
      o.pp_opts |= P::kPpV2 | P::kPpV2Ssl | P::kPpV2SslCn;
      break;
    case S::no_send_proxy_v2:
      o.pp_opts &= uint16_t(~P::kPpV2);
      break;
    case S::no_send_proxy_v2_ssl:
      o.pp_opts &= uint16_t(~(P::kPpV2 | P::kPpV2Ssl));
      break;
    case S::no_send_proxy_v2_ssl_cn:
      o.pp_opts &= uint16_t(~(P::kPpV2 | P::kPpV2Ssl | P::kPpV2SslCn));
      break;
    case S::proxy_v2_options:
      // HAProxy's srv_parse_proxy_v2_options: the cert-* and ssl-cipher options imply ssl.
      for (const std::string& opt : splitList(arg->text, ',')) {
        static const std::pair<std::string_view, uint16_t> kOpts[] = {
            {"ssl", P::kPpV2Ssl},
            {"cert-cn", P::kPpV2Ssl | P::kPpV2SslCn},
            {"cert-key", P::kPpV2Ssl | P::kPpV2SslKeyAlg},
            {"cert-sig", P::kPpV2Ssl | P::kPpV2SslSigAlg},
            {"ssl-cipher", P::kPpV2Ssl | P::kPpV2SslCipher},
            {"authority", P::kPpV2Authority},
            {"crc32c", P::kPpV2Crc32c},
            {"unique-id", P::kPpV2UniqueId},
        };
        const auto* it =
            std::find_if(std::begin(kOpts), std::end(kOpts), [&](const auto& e) { return e.first == opt; });
        if (it == std::end(kOpts)) {
          error(*arg, "'" + opt + "' : proxy v2 option not implemented");
          return false;
        }
        o.pp_opts |= it->second;
      }
      break;
    case S::check_send_proxy:
      o.check_send_proxy = true;
      break;
    case S::no_check_send_proxy:
      o.check_send_proxy = false;
      break;
    case S::port:
      if (!lenientInteger(*arg, v, 0, 65535)) return false;
      o.check_port = static_cast<uint16_t>(v);
      break;
    case S::addr: {
      ir::Address a;
      std::string e = parseAddress(arg->text, AddrUse::Other, opts_.resolve_hosts, a);
      if (!e.empty()) {
        error(*arg, e);
        return false;
      }
      o.check_addr = a;
      break;
    }
    case S::agent_check:
      o.agent_check = true;
      break;
    case S::no_agent_check:
      o.agent_check = false;
      break;
    case S::agent_port:
      if (!lenientInteger(*arg, v, 1, 65535)) return false;
      o.agent_port = static_cast<uint16_t>(v);
      break;
    case S::agent_inter:
      if (!duration(*arg, ms)) return false;
      if (ms == 0) {
        error(*arg, "server option 'agent-inter' expects a positive delay");
        return false;
      }
      o.agent_inter_ms = ms;
      break;
    case S::agent_send:
      o.agent_send = arg->text;
      break;
    case S::agent_addr: {
      // HAProxy takes an address without a port here (agent-port gives it).
      ir::Address a;
      std::string e = parseAddress(arg->text, AddrUse::Other, opts_.resolve_hosts, a);
      if (e.empty() && a.port_lo) e = "'agent-addr' takes an address without a port (use 'agent-port')";
      if (e.empty() && a.kind != ir::Address::Kind::Ipv4 && a.kind != ir::Address::Kind::Ipv6 &&
          a.kind != ir::Address::Kind::Host)
        e = "'agent-addr' expects an IPv4 or IPv6 address";
      if (!e.empty()) {
        error(*arg, e);
        return false;
      }
      o.agent_addr = a;
      break;
    }
    case S::resolvers:
      o.resolvers = arg->text;  // checked by the cross-reference pass
      break;
    case S::resolve_prefer:
    case S::resolve_net:
    case S::resolve_opts:
    case S::init_addr:
      return dnsServerOption(id, *arg, o);
    default:
      break;  // every other option is Unsupported (refused before)
  }
  return true;
}

// ---- balance, hash-type

namespace {
std::optional<ir::HashType::Function> hashFunction(std::string_view w) {
  using F = ir::HashType::Function;
  for (F f : {F::Sdbm, F::Djb2, F::Wt6, F::Crc32, F::None})
    if (w == ir::hashFunctionName(f)) return f;
  return std::nullopt;
}
}  // namespace

void Sema::balance(const Line& l) {
  if (!noCondition(l)) return;
  using Algo = ir::Balance::Algo;
  ir::Balance b;
  if (l.words.size() == 1) {  // HAProxy: a bare `balance` is roundrobin
    b.loc = l.words[0].loc;
    b.algo = Algo::RoundRobin;
    cur_->balance = b;
    return;
  }
  b.loc = l.words[1].loc;
  const std::string& a = l.words[1].text;
  size_t extra = 2;
  if (a == "roundrobin")
    b.algo = Algo::RoundRobin;
  else if (a == "static-rr")
    b.algo = Algo::StaticRr;
  else if (a == "leastconn")
    b.algo = Algo::LeastConn;
  else if (a == "first")
    b.algo = Algo::First;
  else if (a == "source")
    b.algo = Algo::Source;
  else if (a == "random" || a.starts_with("random(")) {
    b.algo = Algo::Random;
    if (a != "random") {
      int64_t v = 0;
      if (a.back() != ')' || !integer(Word{a.substr(7, a.size() - 8), l.words[1].loc, false}, v, 1, 1000)) {
        if (a.back() != ')') error(l.words[1], "missing ')' in '" + a + "'");
        return;
      }
      b.random_draws = static_cast<uint32_t>(v);
    }
  } else if (a == "uri") {
    b.algo = Algo::Uri;
    for (; extra < l.words.size(); ++extra) {
      const std::string& o = l.words[extra].text;
      int64_t v = 0;
      if (o == "whole")
        b.uri_whole = true;
      else if ((o == "len" || o == "depth") && extra + 1 < l.words.size()) {
        if (!integer(l.words[extra + 1], v, 1, 0x7fffffff)) return;
        (o == "len" ? b.uri_len : b.uri_depth) = static_cast<uint32_t>(v);
        ++extra;
      } else if (o == "len" || o == "depth") {
        error(l.words[extra], "'balance uri " + o + "' expects a number");
        return;
      } else {
        error(l.words[extra],
              "unknown 'balance uri' option '" + o + "': expected 'whole', 'len <n>' or 'depth <n>'");
        return;
      }
    }
  } else if (a == "url_param") {
    b.algo = Algo::UrlParam;
    if (l.words.size() < 3) {
      error(l.words[1], "'balance url_param' expects the parameter name");
      return;
    }
    b.param = l.words[2].text;
    extra = 3;
    if (extra < l.words.size() && l.words[extra].text == "check_post") {
      error(l.words[extra],
            "unsupported 'balance url_param' option 'check_post': lbc does not support it yet");
      return;
    }
  } else if (a.starts_with("hdr(")) {
    b.algo = Algo::Hdr;
    if (a.back() != ')' || a.size() <= 5) {
      error(l.words[1], "'balance hdr' expects a header name: 'hdr(<name>)'");
      return;
    }
    b.param = a.substr(4, a.size() - 5);
    if (extra < l.words.size() && l.words[extra].text == "use_domain_only") {
      b.hdr_use_domain_only = true;
      ++extra;
    }
  } else if (a == "rdp-cookie" || a.starts_with("rdp-cookie(") || a == "hash") {
    error(l.words[1],
          "unsupported balance algorithm '" + a + "': HAProxy knows it, lbc does not support it yet");
    return;
  } else {
    static const std::vector<std::string_view> kAlgos = {
        "roundrobin", "static-rr", "leastconn", "first", "source", "uri", "url_param", "hdr", "random"};
    error(l.words[1], "unknown balance algorithm '" + a + "'" + front::didYouMean(a, kAlgos) +
                          " (expected roundrobin, static-rr, leastconn, first, source, uri, url_param, "
                          "hdr(<name>) or random; "
                          "rdp-cookie and hash are not supported by lbc yet)");
    return;
  }
  if (extra < l.words.size()) {
    error(l.words[extra], "unexpected '" + l.words[extra].text + "' after 'balance " + a + "'");
    return;
  }
  cur_->balance = b;
}

void Sema::hashType(const Line& l) {
  if (!noCondition(l)) return;
  if (!needArgs(l, 1, "'map-based' or 'consistent'")) return;
  ir::HashType h;
  const std::string& m = l.words[1].text;
  if (m == "map-based")
    h.method = ir::HashType::Method::MapBased;
  else if (m == "consistent")
    h.method = ir::HashType::Method::Consistent;
  else {
    error(l.words[1], "unknown hash method '" + m + "': expected 'map-based' or 'consistent'" +
                          front::didYouMean(m, {"map-based", "consistent"}));
    return;
  }
  for (size_t i = 2; i < l.words.size(); ++i) {
    const std::string& w = l.words[i].text;
    if (w == "avalanche") {
      if (i == 2) {
        error(l.words[i],
              "'avalanche' must follow a hash function: 'hash-type " + m + " sdbm|djb2|wt6|crc32 avalanche'");
        return;
      }
      h.avalanche = true;
    } else if (auto f = hashFunction(w)) {
      if (i != 2) {
        error(l.words[i], "the hash function must come right after the hash method");
        return;
      }
      h.function = *f;
    } else {
      error(l.words[i],
            "unexpected '" + w +
                "' in 'hash-type': expected a function (sdbm, djb2, wt6, crc32, none) or 'avalanche'");
      return;
    }
  }
  // HAProxy: "consistent hash uses sdbm and avalanche if no hash function is specified".
  if (h.method == ir::HashType::Method::Consistent && l.words.size() == 2) h.avalanche = true;
  cur_->hash = h;
}

// ---- timeouts ---------------------------------------------------------------------------------

void Sema::timeout(const Line& l) {
  if (!noCondition(l)) return;
  if (!needArgs(l, 1, "a timeout name and a duration, e.g. 'timeout client 30s'")) return;
  const std::string& n = l.words[1].text;
  ir::Timeouts& t = cur_->timeouts;
  struct Entry {
    const char* name;
    std::optional<uint64_t> ir::Timeouts::*field;
    uint8_t caps;
  };
  static const Entry kTimeouts[] = {
      {"client", &ir::Timeouts::client, ir::kCapFe},
      {"server", &ir::Timeouts::server, ir::kCapBe},
      {"connect", &ir::Timeouts::connect, ir::kCapBe},
      {"queue", &ir::Timeouts::queue, ir::kCapBe},
      {"http-request", &ir::Timeouts::http_request, ir::kCapFe | ir::kCapBe},
      {"http-keep-alive", &ir::Timeouts::http_keep_alive, ir::kCapFe | ir::kCapBe},
      {"tunnel", &ir::Timeouts::tunnel, ir::kCapBe},
      {"client-fin", &ir::Timeouts::client_fin, ir::kCapFe},
      {"server-fin", &ir::Timeouts::server_fin, ir::kCapBe},
      {"check", &ir::Timeouts::check, ir::kCapBe},
      {"tarpit", &ir::Timeouts::tarpit, ir::kCapFe | ir::kCapBe},
  };
  static const std::vector<std::string_view> kRemoved = {"clitimeout", "srvtimeout", "contimeout",
                                                         "appsession"};
  const Entry* e = nullptr;
  for (const auto& k : kTimeouts)
    if (n == k.name) e = &k;
  if (!e) {
    std::vector<std::string_view> names;
    for (const auto& k : kTimeouts) names.push_back(k.name);
    error(l.words[1], "unknown timeout '" + n + "'" + front::didYouMean(n, names) +
                          " (expected client, server, connect, queue, http-request, http-keep-alive, tunnel, "
                          "client-fin, server-fin, check or tarpit)");
    return;
  }
  if (n == "tarpit") {
    error(l.words[1], "unsupported keyword 'timeout tarpit': HAProxy knows it, lbc does not support it yet");
    return;
  }
  if (!needArgs(l, 2, "a duration after 'timeout " + n + "'")) return;
  if (l.words.size() > 3) {
    error(l.words[3],
          "unexpected '" + l.words[3].text + "' after 'timeout " + n + " " + l.words[2].text + "'");
    return;
  }
  uint64_t ms = 0;
  if (!duration(l.words[2], ms)) return;
  if (cur_->caps && !(cur_->caps & e->caps)) {
    warning(l.words[1], "'timeout " + n + "' is ignored in " + sectionDesc() + ": it applies to " +
                            (e->caps == ir::kCapFe ? "frontends" : "backends") + " only");
    return;
  }
  t.*(e->field) = ms;
}

// ---- mode, maxconn, retries, http-reuse --------------------------------------------------------

void Sema::mode(const Line& l) {
  if (!noCondition(l)) return;
  if (!needArgs(l, 1, "'http' or 'tcp'")) return;
  const std::string& m = l.words[1].text;
  if (m == "http")
    cur_->mode = ir::Mode::Http;
  else if (m == "tcp")
    cur_->mode = ir::Mode::Tcp;
  else if (m == "health") {
    error(l.words[1],
          "'mode health' was removed from HAProxy; use 'monitor-uri' in an http frontend instead");
    return;
  } else if (m == "log") {
    error(l.words[1], "unsupported mode 'log': lbc does not support it yet");
    return;
  } else {
    error(l.words[1],
          "unknown mode '" + m + "': expected 'http' or 'tcp'" + front::didYouMean(m, {"http", "tcp"}));
    return;
  }
}

void Sema::maxconnProxy(const Line& l) {
  if (!noCondition(l) || !needArgs(l, 1, "a number")) return;
  int64_t v = 0;
  if (lenientInteger(l.words[1], v, 0, 0x7fffffff)) cur_->maxconn = static_cast<uint32_t>(v);
}

void Sema::retries(const Line& l) {
  if (!noCondition(l) || !needArgs(l, 1, "a number")) return;
  int64_t v = 0;
  if (lenientInteger(l.words[1], v, 0, 0x7fffffff)) cur_->retries = static_cast<uint32_t>(v);
}

void Sema::httpReuse(const Line& l) {
  if (!noCondition(l) || !needArgs(l, 1, "'never', 'safe', 'aggressive' or 'always'")) return;
  using R = ir::Proxy::HttpReuse;
  const std::string& m = l.words[1].text;
  if (m == "never")
    cur_->http_reuse = R::Never;
  else if (m == "safe")
    cur_->http_reuse = R::Safe;
  else if (m == "aggressive")
    cur_->http_reuse = R::Aggressive;
  else if (m == "always")
    cur_->http_reuse = R::Always;
  else
    error(l.words[1],
          "unknown 'http-reuse' mode '" + m + "': expected 'never', 'safe', 'aggressive' or 'always'");
}

}  // namespace lbc::sema

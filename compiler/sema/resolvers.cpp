// `resolvers` sections (HAProxy 2.6 manual, 5.3.2) and the DNS options of server lines
// (`resolvers`, `resolve-prefer`, `resolve-net`, `resolve-opts`, `init-addr`).
#include <fstream>
#include <sstream>

#include "context.h"
#include "values.h"

namespace lbc::sema {

namespace {

std::vector<std::string> splitList(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::istringstream in(s);
  std::string item;
  while (std::getline(in, item, sep)) out.push_back(item);
  return out;
}

// "udp@" / "tcp@" prefixes of a nameserver address; false for other prefixes.
bool nameserverProto(std::string& text, bool& tcp) {
  tcp = false;
  if (text.rfind("udp@", 0) == 0 || text.rfind("udp4@", 0) == 0 || text.rfind("udp6@", 0) == 0) {
    text = text.substr(text.find('@') + 1);
    return true;
  }
  if (text.rfind("tcp@", 0) == 0 || text.rfind("tcp4@", 0) == 0 || text.rfind("tcp6@", 0) == 0) {
    tcp = true;
    text = text.substr(text.find('@') + 1);
    return true;
  }
  return text.find('@') == std::string::npos;
}

}  // namespace

void Sema::resolversSection(const Line& l) {
  sec_ = Sec::Resolvers;
  if (!needArgs(l, 1, "<name> as an argument")) {
    sec_ = Sec::Unsupported;
    return;
  }
  for (const auto& r : prog_.resolvers) {
    if (r.name == l.words[1].text) {
      error(l.words[1], "resolvers section '" + r.name + "' is already defined");
      diags_.note(r.loc, "previous definition is here");
      sec_ = Sec::Unsupported;
      return;
    }
  }
  ir::Resolvers r;
  r.loc = l.loc;
  r.name = l.words[1].text;
  prog_.resolvers.push_back(std::move(r));
}

void Sema::nameserver(const Line& l, ir::Resolvers& r, const Word& id, std::string text) {
  ir::Resolvers::Nameserver ns;
  ns.loc = l.loc;
  ns.id = id.text;
  if (!nameserverProto(text, ns.tcp)) {
    error(l.words[2], "nameserver '" + id.text + "': unsupported address family in '" + text + "'");
    return;
  }
  if (text.find(':') == std::string::npos || text.back() == ']') text += ":53";
  std::string e = parseAddress(text, AddrUse::Server, false, ns.addr);
  if (e.empty() && ns.addr.kind != ir::Address::Kind::Ipv4 && ns.addr.kind != ir::Address::Kind::Ipv6)
    e = "a nameserver needs an IP address, not '" + text + "'";
  if (!e.empty()) {
    error(l.words.size() > 2 ? l.words[2] : id, "nameserver '" + id.text + "': " + e);
    return;
  }
  for (const auto& other : r.nameservers)
    if (other.id == ns.id) {
      error(id, "nameserver '" + ns.id + "' is already defined in resolvers section '" + r.name + "'");
      return;
    }
  r.nameservers.push_back(std::move(ns));
}

// parse-resolv-conf: every `nameserver` line of /etc/resolv.conf, named as HAProxy names them.
void Sema::parseResolvConf(const Line& l, ir::Resolvers& r) {
  std::ifstream in("/etc/resolv.conf");
  if (!in) {
    error(l.words[0], "failed to open /etc/resolv.conf");
    return;
  }
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ws(line);
    std::string kw, addr;
    if (!(ws >> kw >> addr) || kw != "nameserver") continue;
    Word id = l.words[0];
    id.text = "resolvconf/nameserver" + std::to_string(r.nameservers.size() + 1);
    if (addr.find(':') != std::string::npos) addr = "[" + addr + "]";
    nameserver(l, r, id, addr);
  }
}

void Sema::resolversDirective(const Line& l, const stdlib::DirectiveInfo&) {
  ir::Resolvers& r = prog_.resolvers.back();
  const std::string& kw = l.words[0].text;
  int64_t v = 0;
  if (kw == "nameserver") {
    if (needArgs(l, 2, "<name> <address>[:<port>]")) nameserver(l, r, l.words[1], l.words[2].text);
  } else if (kw == "parse-resolv-conf") {
    parseResolvConf(l, r);
  } else if (kw == "resolve_retries") {
    if (needArgs(l, 1, "a number") && integer(l.words[1], v, 1, 0x7fffffff)) r.retries = uint32_t(v);
  } else if (kw == "accepted_payload_size") {
    if (needArgs(l, 1, "a number") && integer(l.words[1], v, 512, 65535)) r.payload = uint32_t(v);
  } else if (kw == "timeout") {
    if (!needArgs(l, 2, "'resolve' or 'retry' and a time")) return;
    const std::string& ev = l.words[1].text;
    uint64_t* slot = ev == "resolve" ? &r.timeout_resolve : ev == "retry" ? &r.timeout_retry : nullptr;
    if (!slot) {
      error(l.words[1], "'timeout' supports 'resolve' and 'retry' in resolvers section '" + r.name +
                            "', not '" + ev + "'");
      return;
    }
    duration(l.words[2], *slot);
  } else if (kw == "hold") {
    if (!needArgs(l, 2, "a status and a time")) return;
    const std::string& st = l.words[1].text;
    uint64_t* slot = st == "valid"      ? &r.hold_valid
                     : st == "nx"       ? &r.hold_nx
                     : st == "refused"  ? &r.hold_refused
                     : st == "timeout"  ? &r.hold_timeout
                     : st == "other"    ? &r.hold_other
                     : st == "obsolete" ? &r.hold_obsolete
                                        : nullptr;
    if (!slot) {
      error(l.words[1], "'" + st +
                            "' unknown in 'hold': expects 'nx', 'other', 'refused', 'timeout', 'valid' "
                            "or 'obsolete'");
      return;
    }
    duration(l.words[2], *slot);
  }
}

bool Sema::dnsServerOption(stdlib::ServerOptId id, const Word& arg, ir::ServerOpts& o) {
  using S = stdlib::ServerOptId;
  switch (id) {
    case S::resolve_prefer:
      if (arg.text != "ipv4" && arg.text != "ipv6") {
        error(arg, "'resolve-prefer' expects 'ipv4' or 'ipv6', not '" + arg.text + "'");
        return false;
      }
      o.resolve_prefer_v4 = arg.text == "ipv4";
      return true;
    case S::resolve_net: {
      o.resolve_net.clear();
      for (const std::string& n : splitList(arg.text, ',')) {
        ir::ServerOpts::Net net;
        std::string e = parseNetwork(n, net.ip, net.prefix, net.v6);
        if (!e.empty()) {
          error(arg, "'resolve-net': " + e);
          return false;
        }
        o.resolve_net.push_back(net);
      }
      return true;
    }
    case S::resolve_opts:
      for (const std::string& opt : splitList(arg.text, ',')) {
        if (opt == "allow-dup-ip")
          o.allow_dup_ip = true;
        else if (opt == "prevent-dup-ip")
          o.allow_dup_ip = false;
        else if (opt == "ignore-weight")
          o.ignore_weight = true;
        else {
          error(arg, "'resolve-opts': unknown option '" + opt + "'");
          return false;
        }
      }
      return true;
    case S::init_addr:
      o.init_addr.clear();
      for (const std::string& m : splitList(arg.text, ',')) {
        ir::ServerOpts::InitAddr a;
        using K = ir::ServerOpts::InitAddr::Kind;
        if (m == "last") {
          a.kind = K::Last;
        } else if (m == "libc") {
          a.kind = K::Libc;
        } else if (m == "none") {
          a.kind = K::None;
        } else {
          a.kind = K::Ip;
          std::string e = parseAddress(m, AddrUse::Other, false, a.ip);
          if (!e.empty() || (a.ip.kind != ir::Address::Kind::Ipv4 && a.ip.kind != ir::Address::Kind::Ipv6)) {
            error(arg, "'init-addr': unsupported method '" + m + "'");
            return false;
          }
        }
        o.init_addr.push_back(a);
      }
      return true;
    default:
      return true;
  }
}

// As haproxy -c, a server's host name must resolve, unless its `init-addr` lets it start without
// (`none` or an IP address among the methods).
void Sema::resolveServerHost(const Word& w, ir::Server& s) {
  if (!opts_.resolve_hosts || s.addr.kind != ir::Address::Kind::Host || srv_template_) return;
  bool may_fail = false;
  for (const auto& m : s.opts.init_addr)
    may_fail |=
        m.kind == ir::ServerOpts::InitAddr::Kind::None || m.kind == ir::ServerOpts::InitAddr::Kind::Ip;
  ir::Address r;
  std::string e = parseAddress(w.text, AddrUse::Server, true, r);
  if (e.empty())
    s.addr = r;
  else if (!may_fail)
    error(w, "server '" + s.name + "': " + e);
}

// server-template <prefix> <num | range> <fqdn>[:<port>] [params*]: one server per number, named
// <prefix><n>, as HAProxy 2.6 declares them; DNS fills them at run time.
void Sema::serverTemplate(const Line& l) {
  if (!needArgs(l, 3, "<prefix> <num | range> <fqdn>[:<port>]")) return;
  const Word& range = l.words[2];
  int64_t lo = 1, hi = 0;
  const size_t dash = range.text.find('-');
  Word a = range, b = range;
  if (dash == std::string::npos) {
    if (!integer(range, hi, 1, 0x7fffffff)) return;
  } else {
    a.text = range.text.substr(0, dash), b.text = range.text.substr(dash + 1);
    if (!integer(a, lo, 1, 0x7fffffff) || !integer(b, hi, 1, 0x7fffffff)) return;
    if (lo > hi) {
      error(range, "server-template: invalid range '" + range.text + "'");
      return;
    }
  }
  // An SRV name (`_http._tcp.svc`) is never looked up with libc (haproxy -c accepts it);
  // supported.cpp refuses it for `lbc run`.
  const bool srv = !l.words[3].text.empty() && l.words[3].text[0] == '_';
  for (int64_t n = lo; n <= hi; ++n) {
    Line one = l;
    one.words[0].text = "server";
    one.words[1].text = l.words[1].text + std::to_string(n);
    one.words.erase(one.words.begin() + 2);
    const size_t before = cur_->servers.size();
    srv_template_ = srv;
    server(one, false);
    srv_template_ = false;
    if (srv && cur_->servers.size() > before) cur_->servers.back().opts.srv_record = l.words[3].text;
  }
}

// Servers name existing resolvers sections; a section has a nameserver.
void Sema::checkResolvers(const ir::Program& prog) {
  std::vector<std::string_view> names;
  for (const auto& r : prog.resolvers) {
    names.push_back(r.name);
    if (r.nameservers.empty()) diags_.error(r.loc, "resolvers section '" + r.name + "' has no nameserver");
  }
  for (const auto& p : prog.proxies)
    for (const auto& s : p.servers) {
      const std::string& want = s.opts.resolvers;
      if (want.empty()) continue;
      bool found = false;
      for (const auto& r : prog.resolvers) found |= r.name == want;
      if (!found)
        diags_.error(s.loc, std::string(p.kind()) + " '" + p.name + "': server '" + s.name +
                                "' refers to resolvers section '" + want + "', which does not exist" +
                                front::didYouMean(want, names));
    }
}

}  // namespace lbc::sema

// `lbc route CFG [--frontend NAME] 'METHOD URI' [-H 'Name: value']... [--src IP[:PORT]] [--ssl]
//  [--engine=interp|jit|aot]`: runs one request through the configuration's rules without
// starting a proxy, and prints the backend, every rule that fired (file:line) and the rewritten
// request.
#include <arpa/inet.h>

#include <cstring>
#include <iostream>
#include <memory>

#include "commands.h"
#include "driver/pipeline.h"
#include "interp/outcome.h"

namespace lbc::cli {

namespace {

void routeUsage(std::ostream& o) {
  o << "usage: lbc route CONFIG... [--frontend NAME] 'METHOD URI [VERSION]' [-H 'Name: value']...\n"
       "                 [--src IP[:PORT]] [--dst IP[:PORT]] [--ssl] [--sni NAME] "
       "[--engine=interp|jit|aot]\n";
}

bool parseAddr(const std::string& s, uint8_t ip[16], bool& v6, uint16_t& port) {
  std::string host = s, p;
  if (!s.empty() && s[0] == '[') {  // [v6]:port
    size_t e = s.find(']');
    if (e == std::string::npos) return false;
    host = s.substr(1, e - 1);
    if (e + 1 < s.size() && s[e + 1] == ':') p = s.substr(e + 2);
  } else if (std::count(s.begin(), s.end(), ':') == 1) {
    host = s.substr(0, s.find(':'));
    p = s.substr(s.find(':') + 1);
  }
  std::memset(ip, 0, 16);
  if (inet_pton(AF_INET, host.c_str(), ip) == 1)
    v6 = false;
  else if (inet_pton(AF_INET6, host.c_str(), ip) == 1)
    v6 = true;
  else
    return false;
  if (!p.empty()) {
    char* end = nullptr;
    long v = std::strtol(p.c_str(), &end, 10);
    if (*end || v < 0 || v > 65535) return false;
    port = static_cast<uint16_t>(v);
  }
  return true;
}

}  // namespace

int cmdRoute(const std::vector<std::string>& args) {
  std::vector<std::string> paths, headers;
  std::string frontend, request, engine = "interp", src = "127.0.0.1:40000", dst, sni;
  bool ssl = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](const char* opt) -> const std::string* {
      if (i + 1 >= args.size()) {
        std::cerr << "lbc route: '" << opt << "' expects a value\n";
        return nullptr;
      }
      return &args[++i];
    };
    if (a == "--frontend" || a == "-H" || a == "--src" || a == "--dst" || a == "--sni") {
      const std::string* v = value(a.c_str());
      if (!v) return 2;
      (a == "--frontend" ? frontend
       : a == "--src"    ? src
       : a == "--dst"    ? dst
       : a == "--sni"    ? sni
                         : headers.emplace_back()) = *v;
    } else if (a == "--ssl") {
      ssl = true;
    } else if (a.starts_with("--engine=")) {
      engine = a.substr(9);
    } else if (a == "-h" || a == "--help") {
      routeUsage(std::cout);
      return 0;
    } else if (!a.empty() && a[0] == '-') {
      std::cerr << "lbc route: unknown option '" << a << "'\n";
      routeUsage(std::cerr);
      return 2;
    } else if (a.find(' ') != std::string::npos) {
      request = a;
    } else {
      paths.push_back(a);
    }
  }
  if (paths.empty() || request.empty()) {
    routeUsage(std::cerr);
    return 2;
  }
  driver::Options opts;
  opts.sema.lint = false;
  opts.goal = driver::Goal::Evaluate;
  driver::Product built = driver::build(paths, opts, front::processEnv());
  auto& c = built.c;
  if (!c->ok()) {
    c->diags->render(std::cerr, front::DiagFormat::Text);
    return 1;
  }
  const ir::Program& p = c->program;
  uint32_t fe = ir::kNone;
  for (uint32_t i = 0; i < p.proxies.size(); ++i)
    if (p.proxies[i].isFrontend() && (frontend.empty() || p.proxies[i].name == frontend)) {
      fe = i;
      break;
    }
  if (fe == ir::kNone) {
    std::cerr << "lbc route: "
              << (frontend.empty() ? "the configuration has no frontend"
                                   : "no frontend named '" + frontend + "'")
              << "\n";
    return 2;
  }
  std::string err;
  auto eng = driver::makeEngine(engine, c->program, err);
  if (!eng) {
    std::cerr << "lbc route: " << err << "\n";
    return 2;
  }

  rt::Txn t;
  t.frontend = fe;
  const ir::Proxy& fp = p.proxies[fe];
  t.http = fp.mode == ir::Mode::Http;
  size_t sp1 = request.find(' ');
  size_t sp2 = request.find(' ', sp1 + 1);
  t.method = t.arena.copy(request.substr(0, sp1));
  t.uri = t.arena.copy(request.substr(sp1 + 1, sp2 == std::string::npos ? std::string::npos : sp2 - sp1 - 1));
  if (sp2 != std::string::npos) t.version = t.arena.copy(request.substr(sp2 + 1));
  for (const std::string& h : headers) {
    size_t colon = h.find(':');
    if (colon == std::string::npos || colon == 0) {
      std::cerr << "lbc route: header '" << h << "' is not 'Name: value'\n";
      return 2;
    }
    size_t v = h.find_first_not_of(" \t", colon + 1);
    t.req_headers.push_back(
        {t.arena.copy(h.substr(0, colon)), t.arena.copy(v == std::string::npos ? "" : h.substr(v))});
  }
  if (!parseAddr(src, t.src, t.src_v6, t.src_port)) {
    std::cerr << "lbc route: invalid --src '" << src << "'\n";
    return 2;
  }
  // The destination defaults to the frontend's first bind (loopback for a wildcard).
  t.dst_port = fp.binds.empty() ? 80 : fp.binds[0].addr.port_lo;
  if (dst.empty() && !fp.binds.empty() && !fp.binds[0].addr.wildcard &&
      fp.binds[0].addr.kind == ir::Address::Kind::Ipv4)
    std::memcpy(t.dst, fp.binds[0].addr.ip, 4);
  else if (dst.empty())
    t.dst[0] = 127, t.dst[3] = 1;
  else if (!parseAddr(dst, t.dst, t.dst_v6, t.dst_port)) {
    std::cerr << "lbc route: invalid --dst '" << dst << "'\n";
    return 2;
  }
  t.ssl = ssl;
  t.sni = t.arena.copy(sni);

  interp::Outcome o = eng->evaluate(p, t);
  std::cout << "frontend: " << fp.name << " (engine " << eng->name() << ")\n";
  std::cout << interp::describe(o, p, c->files);
  return 0;
}

}  // namespace lbc::cli

// lbc_tls_echo: TlsTransport's server side alone on one loop, for real TLS clients and scanners
// (sslscan, testssl, openssl s_time, curl) before TLS is wired into lbc's binds. Each connection
// echoes what it reads; with --http, a read holding the end of a request head is answered with a
// fixed "200 OK" (keep-alive), so HTTP/1.1 clients and load generators can drive it.
//
//   lbc_tls_echo --port N --crt a.pem [--crt b.pem ...] [--alpn h2,http/1.1] [--http]
//                [--ciphers ...] [--ciphersuites ...] [--curves ...] [--no-tickets]
//                [--ca-file ca.pem --verify optional|required] [--strict-sni]
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <list>
#include <memory>
#include <string>

#include "net/acceptor.h"
#include "net/tls_transport.h"

namespace lbc::rt {
namespace {

volatile std::sig_atomic_t g_stop = 0;

constexpr char kResponse[] = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Type: text/plain\r\n\r\nok\n";

struct Server;

struct Conn final : TransportUser {
  Server* srv = nullptr;
  TlsTransport t;
  char buf[16384];
  std::string head;  // --http: the request bytes seen so far
  bool closing = false;
  std::list<Conn>::iterator self;

  void onTransport(Transport&, const TransportEvent& ev) override;
  void read() { t.recvInto(buf, sizeof buf); }
  void finish();
};

struct Server final : Acceptor {
  Server(int fd, Loop& l, TlsServerContext& c, bool h) : Acceptor(fd), loop(l), ctx(c), http(h) {}
  void onAccepted(int res, bool more) override {
    if (res >= 0) {
      conns.emplace_front();
      Conn& c = conns.front();
      c.self = conns.begin();
      c.srv = this;
      c.t.setLoop(&loop);
      c.t.setUser(&c);
      if (!c.t.setServer(ctx)) {
        ::close(res);
        conns.erase(c.self);
      } else {
        c.t.adopt(res, true);
        if (c.t.handshake()) c.read();
      }
    }
    if (!more) arm(loop);
  }
  Loop& loop;
  TlsServerContext& ctx;
  bool http;
  std::list<Conn> conns;
  uint64_t handshakes = 0, failures = 0;
};

void Conn::finish() {
  if (!closing) {
    closing = true;
    t.close(false);
  }
  if (!t.busy()) srv->conns.erase(self);  // the last action: `this` is gone
}

void Conn::onTransport(Transport&, const TransportEvent& ev) {
  if (closing) return finish();
  switch (ev.kind) {
    case TransportEvent::kReady:
      if (ev.res != 0) {
        ++srv->failures;
        return finish();
      }
      ++srv->handshakes;
      return read();
    case TransportEvent::kRecv:
      if (ev.res <= 0) return finish();
      if (!srv->http) return t.send(buf, size_t(ev.res));
      head.append(buf, size_t(ev.res));
      if (head.find("\r\n\r\n") == std::string::npos) {
        if (head.size() > 65536) return finish();
        return read();
      }
      head.clear();
      return t.send(kResponse, sizeof kResponse - 1);
    case TransportEvent::kSent:
      if (ev.res < 0) return finish();
      return read();
    default:
      if (!t.busy() && !t.open()) finish();
      return;
  }
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i <= s.size()) {
    size_t j = s.find(',', i);
    if (j == std::string::npos) j = s.size();
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

int run(int argc, char** argv) {
  TlsServerSettings s;
  int port = 0;
  bool http = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto val = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--port")
      port = std::atoi(val().c_str());
    else if (a == "--crt")
      s.crt.push_back(val());
    else if (a == "--alpn")
      s.alpn = split(val());
    else if (a == "--http")
      http = true;
    else if (a == "--ciphers")
      s.ciphers = val();
    else if (a == "--ciphersuites")
      s.ciphersuites = val();
    else if (a == "--curves")
      s.curves = val();
    else if (a == "--no-tickets")
      s.no_tickets = true;
    else if (a == "--strict-sni")
      s.strict_sni = true;
    else if (a == "--ca-file")
      s.ca_file = val();
    else if (a == "--verify") {
      std::string v = val();
      s.verify = v == "required"   ? TlsVerify::kRequired
                 : v == "optional" ? TlsVerify::kOptional
                                   : TlsVerify::kNone;
    } else {
      std::fprintf(stderr, "lbc_tls_echo: unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  TlsServerContext ctx;
  std::string err;
  if (!ctx.build(s, err)) {
    std::fprintf(stderr, "lbc_tls_echo: %s\n", err.c_str());
    return 1;
  }
  Loop loop;
  if (!loop.init(LoopOptions{}, err)) {
    std::fprintf(stderr, "lbc_tls_echo: %s\n", err.c_str());
    return 1;
  }
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(uint16_t(port));
  socklen_t len = sizeof a;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(fd, 1024) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    std::perror("lbc_tls_echo: listen");
    return 1;
  }
  std::printf("listening on 127.0.0.1:%d\n", ntohs(a.sin_port));
  std::fflush(stdout);
  std::signal(SIGINT, [](int) { g_stop = 1; });
  std::signal(SIGTERM, [](int) { g_stop = 1; });
  Server srv(fd, loop, ctx, http);
  srv.arm(loop);
  while (!g_stop) {
    loop.bufs().refill(loop.now());
    loop.waitAndDispatch(100);
  }
  std::printf("handshakes %llu failed %llu\n", static_cast<unsigned long long>(srv.handshakes),
              static_cast<unsigned long long>(srv.failures));
  return 0;
}

}  // namespace
}  // namespace lbc::rt

int main(int argc, char** argv) {
  return lbc::rt::run(argc, argv);
}

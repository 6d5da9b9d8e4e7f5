// lbc_testsrv: a test backend for benchmarks and end-to-end tests. See tools/bench/README.md.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "server.h"

namespace lbc::testsrv {
namespace {

const char kUsage[] =
    "usage: lbc_testsrv [--host ADDR]... [--port P] [--threads T] [--name NAME] [--body-size N] MODE [ARG]\n"
    "modes:\n"
    "  echo            echo every byte back\n"
    "  identity NAME   write NAME \"\\n\" on accept, then echo\n"
    "  sink            read and discard; at the client's EOF write the byte count + \"\\n\" and close\n"
    "  source N        write N bytes, then shut the write side; discard input until EOF\n"
    "  hold            accept and keep the connection idle (never read) until the peer closes\n"
    "  http [NAME]     HTTP/1.1 keep-alive responder: 200, body NAME \"\\n\" (or --body-size N bytes),\n"
    "                  header X-Backend: NAME\n"
    "--host may be repeated: the server listens on every address, on the same port (several loopback\n"
    "addresses give a proxy more source-port space towards one backend).\n"
    "Prints \"ready PORT\" on stdout once listening (--port 0 picks a free port). SIGUSR1 prints the\n"
    "counters as one JSON line on stdout; SIGTERM/SIGINT print them and exit 0.\n";

[[noreturn]] void usage(const char* msg) {
  if (msg) std::fprintf(stderr, "lbc_testsrv: %s\n", msg);
  std::fputs(kUsage, stderr);
  std::exit(2);
}

long long parseNumber(const char* s, const char* what) {
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(s, &end, 10);
  if (errno || end == s || *end || v < 0) {
    std::fprintf(stderr, "lbc_testsrv: %s must be a non-negative integer, got '%s'\n", what, s);
    std::exit(2);
  }
  return v;
}

Options parseArgs(int argc, char** argv) {
  Options o;
  std::vector<std::string> pos;
  bool nameSet = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) usage(("missing value for " + a).c_str());
      return argv[++i];
    };
    if (a == "--host") {
      o.hosts.push_back(value());
    } else if (a == "--port") {
      o.port = int(parseNumber(value(), "--port"));
    } else if (a == "--threads") {
      o.threads = int(parseNumber(value(), "--threads"));
    } else if (a == "--name") {
      o.name = value();
      nameSet = true;
    } else if (a == "--body-size") {
      o.bodySize = long(parseNumber(value(), "--body-size"));
    } else if (a == "--backlog") {
      o.backlog = int(parseNumber(value(), "--backlog"));
    } else if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    } else if (a.size() > 1 && a[0] == '-') {
      usage(("unknown option " + a).c_str());
    } else {
      pos.push_back(a);
    }
  }
  if (pos.empty()) usage("missing MODE");
  o.modeName = pos[0];
  size_t want = 1;
  if (o.modeName == "echo") {
    o.mode = Mode::kEcho;
  } else if (o.modeName == "identity") {
    o.mode = Mode::kIdentity;
    if (pos.size() < 2 && !nameSet) usage("identity needs a NAME");
    if (pos.size() >= 2) o.name = pos[1];
    want = 2;
  } else if (o.modeName == "sink") {
    o.mode = Mode::kSink;
  } else if (o.modeName == "source") {
    o.mode = Mode::kSource;
    if (pos.size() < 2) usage("source needs a byte count N");
    o.sourceBytes = uint64_t(parseNumber(pos[1].c_str(), "source N"));
    want = 2;
  } else if (o.modeName == "hold") {
    o.mode = Mode::kHold;
  } else if (o.modeName == "http") {
    o.mode = Mode::kHttp;
    if (pos.size() >= 2) o.name = pos[1];
    want = 2;
  } else {
    usage(("unknown mode '" + o.modeName + "'").c_str());
  }
  if (pos.size() > want) usage(("unexpected argument '" + pos[want] + "'").c_str());
  if (o.port > 65535) usage("--port must be at most 65535");
  if (o.hosts.empty()) o.hosts.push_back("127.0.0.1");
  if (o.threads == 0) o.threads = int(std::thread::hardware_concurrency());
  if (o.threads <= 0) o.threads = 1;
  return o;
}

// A listener per thread on the same port (SO_REUSEPORT): the kernel spreads connections across them.
// Binds a socket to host:port; with reusePort the socket can share the port with our other listeners.
int bindSocket(const std::string& host, int port, bool reusePort) {
  sockaddr_storage ss{};
  socklen_t len;
  int family;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    family = AF_INET;
    v4->sin_family = AF_INET;
    v4->sin_port = htons(uint16_t(port));
    len = sizeof *v4;
  } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    family = AF_INET6;
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(uint16_t(port));
    len = sizeof *v6;
  } else {
    std::fprintf(stderr, "lbc_testsrv: --host '%s' is not a numeric IPv4 or IPv6 address\n", host.c_str());
    std::exit(2);
  }
  int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    std::perror("lbc_testsrv: socket");
    std::exit(1);
  }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (reusePort) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) < 0) {
    std::fprintf(stderr, "lbc_testsrv: bind %s:%d: %s%s\n", host.c_str(), port, std::strerror(errno),
                 reusePort ? "" : " (another process listens there)");
    std::exit(1);
  }
  return fd;
}

int makeListener(const std::string& host, int backlog, int port) {
  int fd = bindSocket(host, port, true);
  if (listen(fd, backlog) < 0) {
    std::perror("lbc_testsrv: listen");
    std::exit(1);
  }
  return fd;
}

int boundPort(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
}

void report(const Options& o, const std::vector<std::unique_ptr<Worker>>& workers) {
  uint64_t accepted = 0, closed = 0, in = 0, out = 0, requests = 0, errors = 0;
  for (const auto& w : workers) {
    const Counters& c = w->counters();
    accepted += c.accepted.load(std::memory_order_relaxed);
    closed += c.closed.load(std::memory_order_relaxed);
    in += c.bytesIn.load(std::memory_order_relaxed);
    out += c.bytesOut.load(std::memory_order_relaxed);
    requests += c.requests.load(std::memory_order_relaxed);
    errors += c.errors.load(std::memory_order_relaxed);
  }
  std::printf(
      "{\"mode\":\"%s\",\"accepted\":%llu,\"open\":%llu,\"bytes_in\":%llu,\"bytes_out\":%llu,"
      "\"requests\":%llu,\"accept_errors\":%llu}\n",
      o.modeName.c_str(), (unsigned long long)accepted, (unsigned long long)(accepted - closed),
      (unsigned long long)in, (unsigned long long)out, (unsigned long long)requests,
      (unsigned long long)errors);
  std::fflush(stdout);
}

int run(int argc, char** argv) {
  Options opts = parseArgs(argc, argv);

  // Signals are taken synchronously by the main thread; workers inherit the blocked mask.
  signal(SIGPIPE, SIG_IGN);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  // SO_REUSEPORT lets any process of the same user join a port and take a share of its connections
  // (haproxy and lbc listen that way too). So the port is first bound without it, which fails if
  // anyone else listens there; then one listener per address per thread shares it among ourselves.
  int port = opts.port;
  for (const std::string& host : opts.hosts) {
    int probe = bindSocket(host, port, false);
    if (port == 0) port = boundPort(probe);
    close(probe);
  }
  std::vector<std::vector<int>> listeners(size_t(opts.threads));
  for (int t = 0; t < opts.threads; ++t) {
    for (const std::string& host : opts.hosts)
      listeners[size_t(t)].push_back(makeListener(host, opts.backlog, port));
  }

  int stopFd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  std::vector<std::unique_ptr<Worker>> workers;
  std::vector<std::thread> threads;
  for (auto& fds : listeners) workers.push_back(std::make_unique<Worker>(opts, fds, stopFd));
  for (auto& w : workers) threads.emplace_back([&w] { w->run(); });

  std::printf("ready %d\n", port);
  std::fflush(stdout);

  for (;;) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0) continue;
    if (sig == SIGUSR1) {
      report(opts, workers);
      continue;
    }
    break;
  }
  uint64_t one = 1;
  if (write(stopFd, &one, sizeof one) != sizeof one) std::perror("lbc_testsrv: eventfd write");
  for (auto& t : threads) t.join();
  report(opts, workers);
  return 0;
}

}  // namespace
}  // namespace lbc::testsrv

int main(int argc, char** argv) {
  return lbc::testsrv::run(argc, argv);
}

// lbc_loadgen: load generator for tools/bench/run (the same one for every proxy under test).
#include <arpa/inet.h>
#include <signal.h>
#include <sys/resource.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "common.h"

namespace lbc::loadgen {
namespace {

const char kUsage[] =
    "usage: lbc_loadgen SCENARIO --target HOST:PORT [options]\n"
    "scenarios:\n"
    "  conn    --concurrency N (32) --message-size B (64) --duration S (5) --threads T (1)\n"
    "          each worker: connect, send B bytes, read the echo, close; repeat for S seconds\n"
    "  stream  --connections C (4) --direction up|down (up) --bytes N --duration S --threads T\n"
    "          up: send to `lbc_testsrv sink` for S seconds and check its count;\n"
    "          down: read from `lbc_testsrv source N` (--bytes N), reconnecting for S seconds\n"
    "  idle    --connections K (10000) --connect-concurrency N (256) --message-size B (64)\n"
    "          [--hold S]: establish K echo connections, print, hold until stdin EOF, verify\n"
    "common: --timeout S (10): an exchange, or a stream stall, longer than S is an error\n"
    "        --sources N (1): connect from 127.0.0.1..127.0.0.N in turn (more source ports per second)\n"
    "Prints one JSON line per result on stdout (idle: two). Exit 0 when there was no error.\n";

[[noreturn]] void usage(const std::string& msg) {
  if (!msg.empty()) std::fprintf(stderr, "lbc_loadgen: %s\n", msg.c_str());
  std::fputs(kUsage, stderr);
  std::exit(2);
}

double parseDouble(const char* s, const std::string& what) {
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(s, &end);
  if (errno || end == s || *end || !(v >= 0)) usage(what + " must be a non-negative number, got '" + s + "'");
  return v;
}

long long parseInt(const char* s, const std::string& what) {
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(s, &end, 10);
  if (errno || end == s || *end || v < 0) usage(what + " must be a non-negative integer, got '" + s + "'");
  return v;
}

void parseTarget(Options& o) {
  std::string host, port;
  const std::string& t = o.target;
  if (!t.empty() && t[0] == '[') {
    size_t close = t.find("]:");
    if (close == std::string::npos) usage("--target must be HOST:PORT or [V6]:PORT");
    host = t.substr(1, close - 1);
    port = t.substr(close + 2);
  } else {
    size_t colon = t.rfind(':');
    if (colon == std::string::npos) usage("--target must be HOST:PORT");
    host = t.substr(0, colon);
    port = t.substr(colon + 1);
  }
  long long p = parseInt(port.c_str(), "--target port");
  if (p == 0 || p > 65535) usage("--target port must be 1..65535");
  auto* v4 = reinterpret_cast<sockaddr_in*>(&o.addr);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&o.addr);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(uint16_t(p));
    o.addrLen = sizeof *v4;
  } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(uint16_t(p));
    o.addrLen = sizeof *v6;
  } else {
    usage("--target host must be a numeric IPv4 or IPv6 address, got '" + host + "'");
  }
}

Options parseArgs(int argc, char** argv) {
  Options o;
  bool haveTarget = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) usage("missing value for " + a);
      return argv[++i];
    };
    if (a == "--target") {
      o.target = value();
      haveTarget = true;
    } else if (a == "--threads") {
      o.threads = int(parseInt(value(), a));
    } else if (a == "--duration") {
      o.duration = parseDouble(value(), a);
    } else if (a == "--timeout") {
      o.timeout = parseDouble(value(), a);
    } else if (a == "--concurrency") {
      o.concurrency = int(parseInt(value(), a));
    } else if (a == "--message-size") {
      o.messageSize = size_t(parseInt(value(), a));
    } else if (a == "--connections") {
      o.connections = int(parseInt(value(), a));
    } else if (a == "--direction") {
      o.direction = value();
    } else if (a == "--bytes") {
      o.bytes = uint64_t(parseInt(value(), a));
    } else if (a == "--chunk") {
      o.chunk = size_t(parseInt(value(), a));
    } else if (a == "--connect-concurrency") {
      o.connectConcurrency = int(parseInt(value(), a));
    } else if (a == "--sources") {
      o.sources = int(parseInt(value(), a));
    } else if (a == "--hold") {
      o.hold = parseDouble(value(), a);
    } else if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    } else if (a.size() > 1 && a[0] == '-') {
      usage("unknown option " + a);
    } else if (o.scenario.empty()) {
      o.scenario = a;
    } else {
      usage("unexpected argument '" + a + "'");
    }
  }
  if (o.scenario.empty()) usage("missing SCENARIO");
  if (!haveTarget) usage("missing --target HOST:PORT");
  if (o.threads < 1) usage("--threads must be at least 1");
  if (o.messageSize < 1) usage("--message-size must be at least 1");
  if (o.chunk < 1) usage("--chunk must be at least 1");
  if (o.timeout <= 0) usage("--timeout must be positive");
  parseTarget(o);
  if (o.sources < 1 || o.sources > 254) usage("--sources must be 1..254");
  if (o.sources > 1 && o.addr.ss_family != AF_INET) usage("--sources needs an IPv4 target");
  return o;
}

// Thousands of sockets: lift the soft descriptor limit to the hard one.
void raiseFdLimit() {
  rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

}  // namespace
}  // namespace lbc::loadgen

int main(int argc, char** argv) {
  using namespace lbc::loadgen;
  Options o = parseArgs(argc, argv);
  signal(SIGPIPE, SIG_IGN);
  raiseFdLimit();
  if (o.scenario == "conn") return runConn(o);
  if (o.scenario == "stream") return runStream(o);
  if (o.scenario == "idle") return runIdle(o);
  usage("unknown scenario '" + o.scenario + "'");
}

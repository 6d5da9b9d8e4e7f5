// lbc_loadgen: the load generator shared by every proxy under test (tools/bench/run).
// Each scenario prints exactly one JSON line on stdout with its result (idle prints two: one when the
// connections are established, one after they were checked again). Diagnostics go to stderr.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace lbc::loadgen {

struct Options {
  std::string scenario;
  std::string target = "127.0.0.1:8000";
  sockaddr_storage addr{};
  socklen_t addrLen = 0;
  int threads = 1;
  double duration = 5;
  double timeout = 10;           // an exchange (or, for stream, a stall) longer than this is an error
  int concurrency = 32;          // conn: connections in flight
  size_t messageSize = 64;       // conn, idle: bytes per exchange
  int connections = -1;          // stream: parallel transfers (4); idle: connections held (10000)
  std::string direction = "up";  // stream: up = to a sink, down = from a source
  uint64_t bytes = 0;            // stream down: bytes each connection must receive (the source's N)
  size_t chunk = 64 * 1024;      // stream up: bytes per send
  int connectConcurrency = 256;  // idle: connects in flight while establishing
  double hold = -1;              // idle: seconds to hold; < 0 means until stdin reaches EOF
  // --sources N: connections come from 127.0.0.1 .. 127.0.0.N in turn. Towards one address and port, a
  // loopback client can only open about (ephemeral ports / 2) connections per second: connect() uses
  // even ports first and a TIME_WAIT port is reused only after one second (tcp_tw_reuse = 2).
  int sources = 1;
};

uint64_t nowNs();

// A non-blocking TCP socket with TCP_NODELAY and a connect() in progress. Returns -1 with errno set
// when socket() or connect() fails at once; *connected says whether connect() already completed.
int startConnect(const Options& o, bool* connected);

// The pending error of a socket whose connect() completed (0 when it succeeded).
int socketError(int fd);

// Errors by kind ("connect", "reset", "eof", "mismatch", "timeout", ...), and the first message seen.
struct Errors {
  std::map<std::string, uint64_t> kinds;
  std::string first;
  uint64_t total = 0;

  void add(const std::string& kind, const std::string& detail);
  void merge(const Errors& other);
};

// Builds one flat JSON object; values are numbers, strings or nested raw JSON.
class Json {
 public:
  Json& num(const char* key, double v);
  Json& num(const char* key, uint64_t v);
  Json& str(const char* key, const std::string& v);
  Json& raw(const char* key, const std::string& v);
  std::string done() const { return "{" + body_ + "}"; }

 private:
  void key(const char* k);
  std::string body_;
};

std::string errorsJson(const Errors& e);

// Percentile (0..100) of the values, nearest rank; sorts in place.
uint32_t percentile(std::vector<uint32_t>& v, double p);

int runConn(const Options& o);
int runStream(const Options& o);
int runIdle(const Options& o);

}  // namespace lbc::loadgen

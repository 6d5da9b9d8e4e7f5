// The runtime's own description of what to serve: global settings, proxies, binds, servers,
// timeouts. The compiler fills it (compiler/lower), encodes it into bytes that travel in the
// `lbc_program` descriptor, and the runtime decodes it at start-up, so `lbc run` and an AOT
// executable start the same way. Plain data: no compiler or stdlib types here (DESIGN.md).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace lbc::rt {

inline constexpr uint32_t kNoIndex = ~0u;

struct Endpoint {
  enum class Kind : uint8_t { Ipv4, Ipv6, Unix, Abns, Fd, Host };
  Kind kind = Kind::Ipv4;
  std::string text;     // as written, for messages
  std::string host;     // literal address, host name (resolved at start-up) or socket path
  uint8_t ip[16] = {};  // network order (Ipv4: first 4 bytes)
  bool wildcard = false;
  uint16_t port_lo = 0, port_hi = 0;  // a bind may carry a range
  int32_t fd = -1;                    // fd@N
};

struct BindSpec {
  std::string where;  // "file:line" of the bind line
  Endpoint addr;
  bool v4v6 = false, v6only = false;
  uint32_t backlog = 0;  // 0 = the frontend's maxconn, as HAProxy
  uint32_t maxconn = 0;  // 0 = no per-listener limit
};

struct CheckSpec {
  bool enabled = false;
  uint64_t inter_ms = 2000, fastinter_ms = 0, downinter_ms = 0;
  uint32_t fall = 3, rise = 2;
  uint16_t port = 0;  // 0 = the server's port
  bool has_addr = false;
  Endpoint addr;  // `addr` check option
};

struct ServerSpec {
  std::string where;  // "file:line" of the server line
  std::string name;
  Endpoint addr;
  int32_t id = 0;  // always set (explicit or automatic, as HAProxy numbers them)
  uint32_t weight = 1, maxconn = 0, maxqueue = 0;
  bool backup = false, disabled = false;
  CheckSpec check;
};

// Milliseconds; 0 = not set (infinite), as in HAProxy.
struct TimeoutSpec {
  uint64_t client = 0, server = 0, connect = 0, queue = 0, tunnel = 0, client_fin = 0, server_fin = 0,
           check = 0;
};

enum class ProxyMode : uint8_t { Tcp, Http };
enum class BalanceAlgo : uint8_t { RoundRobin, StaticRr, LeastConn, First, Source, Random };

struct ProxySpec {
  std::string where;  // "file:line" of the section header
  std::string name;
  bool frontend = false, backend = false;
  ProxyMode mode = ProxyMode::Tcp;
  std::vector<BindSpec> binds;
  uint32_t maxconn = 0;  // 0 = the global maxconn
  TimeoutSpec timeouts;
  uint32_t retries = 3;
  bool redispatch = false;
  int32_t redispatch_interval = -1;
  BalanceAlgo balance = BalanceAlgo::RoundRobin;
  bool hash_consistent = false, hash_avalanche = false;
  uint32_t random_draws = 2;
  std::vector<ServerSpec> servers;
  uint32_t backend_index = kNoIndex;  // frontends: the backend every connection goes to
};

struct GlobalSpec {
  bool daemon = false;
  uint32_t nbthread = 0;  // 0 = online CPUs
  uint32_t maxconn = 0;   // 0 = derived from the fd limit, as HAProxy
  std::string pidfile;
  uint32_t bufsize = 16384;
  uint64_t hard_stop_after_ms = 0;  // 0 = unbounded
};

struct Topology {
  GlobalSpec global;
  std::vector<ProxySpec> proxies;
};

std::vector<uint8_t> encodeTopology(const Topology& topo);
// Never trusts its input: a truncated or corrupt blob yields false and a reason.
bool decodeTopology(const uint8_t* data, size_t size, Topology& out, std::string& err);

}  // namespace lbc::rt

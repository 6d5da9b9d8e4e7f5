// A backend's server as the balancing algorithms, the queues and the health checks see it: its
// resolved addresses, its live load and health, and the per-algorithm bookkeeping.
#pragma once
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "lbc/rt/topology.h"
#include "net/tls_context.h"
#include "queue.h"

namespace lbc::rt {

class Backend;

// HAProxy's weight scales: a server's effective weight is its weight * 16 (BE_WEIGHT_SCALE), at
// most 256 * 16 (SRV_EWGHT_MAX); fwrr positions are counted in units of 256 (SRV_UWGHT_RANGE).
constexpr int64_t kWeightScale = 16;
constexpr int64_t kEweightMax = 256 * kWeightScale;
constexpr int64_t kUweightRange = 256;

// The operator's state of a server (`set server ... state`, the stats socket): drain takes it out
// of balancing but persistence still reaches it; maint takes it out of both.
enum class SrvAdmin : uint8_t { Ready, Drain, Maint };

// An address connects on other threads read while DNS changes it. A connect hands the kernel a
// pointer that it reads when the batched submission goes out, after the caller returned, so the
// memory must stay put: two slots, the writer fills the one not in use and flips. A pointer taken
// stays valid until the change after next (changes are `timeout resolve` apart at least).
struct LiveAddr {
  sockaddr_storage slot[2]{};
  socklen_t len[2]{};
  std::atomic<uint8_t> cur{0};
  const sockaddr* get(socklen_t& l) const {
    uint8_t c = cur.load(std::memory_order_acquire);
    l = len[c];
    return reinterpret_cast<const sockaddr*>(&slot[c]);
  }
  void set(const sockaddr_storage& a, socklen_t l) {  // one writer at a time (ServerState::addr_mu)
    uint8_t n = cur.load(std::memory_order_relaxed) ^ 1;
    slot[n] = a, len[n] = l;
    cur.store(n, std::memory_order_release);
  }
};

struct ServerState {
  const ServerSpec* spec = nullptr;
  Backend* be = nullptr;
  uint32_t index = 0;
  // The address new connections (and checks) go to. DNS resolution (dns_servers.cpp) changes it
  // at run time from one thread while the others connect: once the workers run, connects take
  // connectAddr()/checkConnectAddr(), others read a copy with loadAddr(), storeAddr() changes it;
  // addr/check_addr themselves are only written at start-up and under addr_mu.
  sockaddr_storage addr{};
  socklen_t addrlen = 0;
  sockaddr_storage check_addr{};
  socklen_t check_addrlen = 0;
  mutable std::mutex addr_mu;
  LiveAddr conn_addr, conn_check_addr;
  // No address (HAProxy's SRV_ADMF_RMAINT): `init-addr none`, or DNS said the name has none.
  std::atomic<bool> rmaint{false};
  std::atomic<uint32_t> served{0};  // connections assigned (connecting or established)
  std::atomic<bool> up{true};       // health; disabled servers are never up
  std::atomic<SrvAdmin> admin{SrvAdmin::Ready};
  std::atomic<uint32_t> uweight{1};  // the current weight (`set weight`), from the spec's at start
  std::atomic<uint32_t> maxconn{0};  // the spec's, or what an agent said ("maxconn:N")
  // The agent check (`agent-check`): its address (agent-addr, resolved at start; else the
  // server's with agent-port) and its last result, as the stats show it.
  sockaddr_storage agent_addr{};
  socklen_t agent_addrlen = 0;
  std::atomic<int8_t> agent_status{-1};  // CheckStatus, -1 = none yet
  std::atomic<int16_t> agent_code{0};
  std::atomic<int32_t> agent_duration{-1};
  std::atomic<uint32_t> agent_health{1};  // HAProxy's agent rise = fall = 1: 1 up, 0 down
  std::atomic<bool> agent_running{false};
  mutable std::mutex agent_mu;
  std::string agent_desc;  // under agent_mu
  // counters the stats socket shows
  std::atomic<uint64_t> cum_sess{0};
  std::atomic<uint32_t> max_sess{0};
  std::atomic<uint64_t> last_change_s{0};  // wall clock seconds of the last up/down/admin change
  std::atomic<int8_t> check_status{-1};    // CheckStatus of the last check, -1 = none yet
  std::atomic<int16_t> check_code{0};
  std::atomic<int32_t> check_duration{-1};
  std::atomic<uint32_t> check_health{0};
  mutable std::mutex check_mu;
  std::string check_info;  // under check_mu: the last check's info (HAProxy's check desc, last_chk)
  std::atomic<uint64_t> lc_stamp{0};  // leastconn: servers with equal load rotate by this
  Fifo queue;                         // under the backend lock
  // fwrr state, under the backend lock
  uint64_t key = 0;
  void* tree = nullptr;
  int64_t npos = 0, lpos = 0, rweight = 0;
  uint32_t eweight = 0;
  // `ssl`: built with the backend and kept with the live state (not the generation) because a
  // parked idle TLS connection's SSL refers to it after any generation may be gone.
  std::unique_ptr<TlsClientContext> tls;

  uint32_t weight() const { return uweight.load(std::memory_order_relaxed); }
  bool usable() const {
    return up.load(std::memory_order_relaxed) && admin.load(std::memory_order_relaxed) == SrvAdmin::Ready &&
           !rmaint.load(std::memory_order_relaxed) && weight() > 0;
  }
  // Persistence (stick tables, cookies) may still send here: up and not in maintenance.
  bool reachable() const {
    return up.load(std::memory_order_relaxed) && admin.load(std::memory_order_relaxed) != SrvAdmin::Maint &&
           !rmaint.load(std::memory_order_relaxed);
  }
  const sockaddr* connectAddr(socklen_t& len) const { return conn_addr.get(len); }
  const sockaddr* checkConnectAddr(socklen_t& len) const { return conn_check_addr.get(len); }
  std::string checkInfo() const {
    std::lock_guard<std::mutex> g(check_mu);
    return check_info;
  }
  void loadAddr(sockaddr_storage& out, socklen_t& len) const {
    std::lock_guard<std::mutex> g(addr_mu);
    out = addr, len = addrlen;
  }
  void loadCheckAddr(sockaddr_storage& out, socklen_t& len) const {
    std::lock_guard<std::mutex> g(addr_mu);
    out = check_addr, len = check_addrlen;
  }
  // A new address (published to connects); the check address follows unless the check has its
  // own `addr`.
  void storeAddr(const sockaddr_storage& a, socklen_t len);
  // A connection took a slot: counted for the stats.
  void took() {
    uint32_t n = served.fetch_add(1) + 1;
    cum_sess.fetch_add(1, std::memory_order_relaxed);
    uint32_t m = max_sess.load(std::memory_order_relaxed);
    while (n > m && !max_sess.compare_exchange_weak(m, n, std::memory_order_relaxed)) {
    }
  }
  // A new connection may take a slot now: no maxconn, or below it with nobody waiting.
  bool hasRoom() const {
    uint32_t max = maxconn.load(std::memory_order_relaxed);
    return !max || (queue.length == 0 && served.load() < max);
  }
};

using Servers = std::vector<std::unique_ptr<ServerState>>;

// Usable active servers.
uint32_t activeUsable(const Servers& servers);
// Without `option allbackups` HAProxy sends everything to the first usable backup.
ServerState* firstBackup(const Servers& servers);
// What the map and the consistent-hash ring are built from: the usable active servers, or the
// first usable backup when none is.
std::vector<ServerState*> hashPool(const Servers& servers);

}  // namespace lbc::rt

// Process-wide state built at start-up from the topology: resolved server addresses, their
// live counters, the per-backend balancing state and queues, the connection limits.
// Everything a worker touches per connection is either its own or an atomic here.
#pragma once
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "lbc/abi.h"
#include "lbc/rt/http.h"
#include "lbc/rt/topology.h"
#include "server_events.h"

namespace lbc::rt {

class Worker;
class Backend;
struct Txn;
class StickTable;
struct ServerState;

// A waiting connection's place in a queue; lives inside the connection (no allocation).
struct QueueLink {
  QueueLink* prev = nullptr;
  QueueLink* next = nullptr;
  uint64_t seq = 0;                  // arrival order across the server and backend queues
  ServerState* queued_on = nullptr;  // the server queue it is in; null = the backend queue
  bool queued = false;               // in a queue (under the backend lock)
  ServerState* assigned = nullptr;   // set when a freed slot was handed to it
  Worker* owner = nullptr;
};

struct Fifo {
  QueueLink* head = nullptr;
  QueueLink* tail = nullptr;
  uint32_t length = 0;
  void push(QueueLink* l);
  void remove(QueueLink* l);
};

// A connection limit shared by every thread (global, frontend, listener).
struct Limit {
  uint32_t max = 0;  // 0 = none
  std::atomic<uint32_t> cur{0};
  bool full() const { return max && cur.load(std::memory_order_relaxed) >= max; }
};

struct ServerState {
  const ServerSpec* spec = nullptr;
  Backend* be = nullptr;
  uint32_t index = 0;
  sockaddr_storage addr{};
  socklen_t addrlen = 0;
  sockaddr_storage check_addr{};
  socklen_t check_addrlen = 0;
  std::atomic<uint32_t> served{0};    // connections assigned (connecting or established)
  std::atomic<bool> up{true};         // health; disabled servers are never up
  std::atomic<uint64_t> lc_stamp{0};  // leastconn: servers with equal load rotate by this
  Fifo queue;                         // under the backend lock
  // fwrr state, under the backend lock
  uint64_t key = 0;
  void* tree = nullptr;
  int64_t npos = 0, lpos = 0, rweight = 0;
  uint32_t eweight = 0;

  bool usable() const { return up.load(std::memory_order_relaxed) && spec->weight > 0; }
};

struct Frontend {
  const ProxySpec* spec = nullptr;
  Limit limit;
  Backend* backend = nullptr;  // null: connections are closed at once (no backend)
};

struct Shared;

class Backend {
 public:
  enum class Result { Assigned, Queued, Failed };
  Backend(Shared& shared, const ProxySpec& spec);
  ~Backend();
  const ProxySpec& spec() const { return *spec_; }
  std::vector<std::unique_ptr<ServerState>>& servers() { return servers_; }
  // Picks a server for `link`, avoiding `avoid` when another is possible. Assigned: the slot
  // is reserved and link->assigned set. Queued: the owner is woken when a slot frees. Failed:
  // no usable server, or the chosen server's queue is at its maxqueue.
  // `force` (a stick table's server) is taken instead of balancing: its slot, or its queue.
  // `txn`: the HTTP transaction (uri, headers) that balance uri / url_param / hdr hash; without
  // it those fall back to round robin, as HAProxy does when the hashed part is absent.
  Result assign(QueueLink* link, ServerState* avoid, const sockaddr_storage* src,
                ServerState* force = nullptr, const Txn* txn = nullptr);
  // The server with this id (HAProxy's puid), or null.
  ServerState* serverById(int32_t id) const;
  // A connection to `s` ended: frees its slot and hands it to the oldest waiter, if any.
  void release(ServerState* s);
  // A queued connection gives up (timeout, shutdown). False when a slot was handed to it
  // meanwhile: the wake-up is on its way and the caller must release that slot.
  bool leaveQueue(QueueLink* link);
  // Health transitions: rebuild the balancing state, let waiters in when a server comes up.
  // Returns what changed, for the state-change messages.
  ServerTransition setServerUp(ServerState* s, bool up);
  uint32_t activeUsable() const;

 private:
  ServerState* pickLocked(ServerState* avoid, const sockaddr_storage* src, const Txn* txn, bool& all_full);
  // balance uri / url_param / hdr: false when there is nothing to hash (round robin then).
  bool httpHash(const Txn& txn, uint32_t& hash) const;
  ServerState* mapNextRr(ServerState* avoid, bool& all_full);
  ServerState* chashNextRr(ServerState* avoid, bool& all_full);
  bool hasRoom(const ServerState* s) const;
  void rebuildLocked();
  void dispatchLocked(ServerState* s);
  ServerState* fwrrNext(ServerState* avoid);
  ServerState* firstBackup() const;
  ServerState* mapPick(uint32_t hash);
  ServerState* chashPick(uint32_t hash, ServerState* avoid = nullptr);
  void enqueueLocked(QueueLink* link, ServerState* on);

  Shared& shared_;
  const ProxySpec* spec_;
  std::vector<std::unique_ptr<ServerState>> servers_;
  std::mutex lock_;
  Fifo queue_;
  uint64_t seq_ = 0;
  std::atomic<uint32_t> waiting_{0};  // total queued (server + backend queues)
  struct Fwrr;
  std::unique_ptr<Fwrr> fwrr_;
  std::vector<ServerState*> map_;  // static-rr and map-based hashing
  uint32_t map_idx_ = 0;
  std::vector<std::pair<uint32_t, ServerState*>> chash_;
  uint64_t rnd_ = 0x9E3779B97F4A7C15ull;
  size_t chash_rr_ = SIZE_MAX;  // the ring node the round-robin fallback took last (none yet)
};

struct Shared {
  const Topology* topo = nullptr;
  const lbc_program* program = nullptr;  // the compiled rule hooks (may all be null)
  // True when some proxy has rules, a rule-chosen backend or stick rules: connections then carry
  // a transaction (lbc::rt::Txn) through the analysis stages; otherwise they skip it entirely.
  bool analyse = false;
  bool quiet = false;  // -q: no state-change messages on stderr (HAProxy's MODE_QUIET)
  std::vector<std::unique_ptr<StickTable>> tables;  // indexed like topo->proxies (null: no table)
  Limit global;
  std::vector<std::unique_ptr<Backend>> backends;  // indexed like topo->proxies (null if not a backend)
  std::vector<std::unique_ptr<Frontend>> frontends;
  std::vector<http::ErrorPages> pages;       // indexed like topo->proxies: errorfiles over built-ins
  std::vector<http::Forwardfor> forwardfor;  // indexed like topo->proxies
  // Delivers a handed-over connection to its owner thread (set by the engine).
  void (*wake)(QueueLink* link) = nullptr;
  // Lets paused listeners resume when a limit frees (set by the engine).
  void (*resume_all)() = nullptr;
};

}  // namespace lbc::rt

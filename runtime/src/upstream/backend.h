// One backend's live state: its servers, the balancing algorithm, the queues. Picking happens
// under the backend's lock (as HAProxy's LBPRM lock); slot counters are atomics so releasing a
// slot takes the lock only when someone waits.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <vector>

#include "balancer.h"
#include "lbc/rt/topology.h"
#include "queue.h"
#include "server.h"
#include "server_events.h"

namespace lbc::rt {

// Algorithms whose weights change at run time (BE_LB_PROP_DYN): not static-rr nor a map-based
// hash.
inline bool dynamicWeights(const ProxySpec& p) {
  switch (p.balance) {
    case BalanceAlgo::StaticRr:
      return false;
    case BalanceAlgo::Source:
    case BalanceAlgo::Uri:
    case BalanceAlgo::UrlParam:
    case BalanceAlgo::Hdr:
      return p.hash_consistent;
    default:
      return true;
  }
}

class Backend {
 public:
  enum class Result { Assigned, Queued, Failed };
  // `wake` delivers a connection that was handed a slot while it waited.
  Backend(const ProxySpec& spec, WakeFn wake);
  ~Backend();
  const ProxySpec& spec() const { return *spec_; }
  Servers& servers() { return servers_; }
  // Picks a server for `link`, avoiding `avoid` when another is possible. Assigned: the slot
  // is reserved and link->assigned set. Queued: the owner is woken when a slot frees. Failed:
  // no usable server, or the chosen server's queue is at its maxqueue.
  // `key`: the hash of what `balance` hashes (source address, uri, url_param, hdr), computed by
  // the caller (stream/lb_key.h); absent, the hashing algorithms fall back to round robin, as
  // HAProxy does when the hashed part is absent. Other algorithms ignore it.
  // `force` (a stick table's server) is taken instead of balancing: its slot, or its queue.
  Result assign(QueueLink* link, ServerState* avoid, std::optional<uint32_t> key,
                ServerState* force = nullptr);
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
  // DNS gave `s` no address (true: HAProxy's RMAINT) or one again (false).
  ServerTransition setServerNoAddr(ServerState* s, bool none);
  // The operator changed `s`'s state or weight (the stats socket): rebuild the balancing state,
  // let waiters in or move its queue back to the backend's.
  // `leave_up`: a server leaving maintenance whose checks decide is up (true) or down (false)
  // at once; null: a checked server goes on from what its health check said before.
  ServerTransition setServerAdmin(ServerState* s, SrvAdmin admin, uint32_t weight,
                                  const bool* leave_up = nullptr);
  // HAProxy's server_parse_weight_change_request ("N", or "N%" of the initial weight): null when
  // applied, else why not (HAProxy's text).
  const char* changeWeight(ServerState* s, std::string_view arg);
  // HAProxy's server_parse_maxconn_change_request (an agent's "maxconn:N").
  const char* changeMaxconn(ServerState* s, std::string_view arg);
  uint32_t activeUsable() const { return rt::activeUsable(servers_); }
  // Connections waiting in the backend queue and the server queues.
  uint32_t waiting() const { return waiting_.load(); }

 private:
  // Sets `flag` (up, or no address) to `value`; `up`: the server becomes usable by it.
  ServerTransition transition(ServerState* s, std::atomic<bool>& flag, bool value, bool up);
  void countUsableLocked(ServerTransition& t) const;  // usable active/backup servers into t
  ServerState* pickLocked(ServerState* avoid, std::optional<uint32_t> key, bool& all_full);
  // queue.cpp
  void dispatchLocked(ServerState* s);
  void enqueueLocked(QueueLink* link, ServerState* on);

  const ProxySpec* spec_;
  WakeFn wake_;
  Servers servers_;
  std::unique_ptr<Balancer> balancer_;
  std::mutex lock_;
  Fifo queue_;
  uint64_t seq_ = 0;
  std::atomic<uint32_t> waiting_{0};  // total queued (server + backend queues)
};

}  // namespace lbc::rt

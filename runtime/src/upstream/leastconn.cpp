// balance leastconn: the server with the lowest (served + queued + 1) / weight; servers with equal
// loads rotate, the least recently changed first (HAProxy's lb_fwlc.c keeps them in a tree keyed
// by load where a changed server goes behind its equals).
#include "balancer.h"

namespace lbc::rt {
namespace {

class LeastConn final : public Balancer {
 public:
  explicit LeastConn(const Servers& servers) : servers_(servers) {}
  void rebuild() override {}
  ServerState* pick(ServerState* avoid, std::optional<uint32_t> key, bool& all_full) override;

 private:
  const Servers& servers_;
};

ServerState* LeastConn::pick(ServerState* avoid, std::optional<uint32_t>, bool& all_full) {
  const bool backup = activeUsable(servers_) == 0;
  ServerState* first_backup = backup ? firstBackup(servers_) : nullptr;
  ServerState* best = nullptr;
  ServerState* avoided = nullptr;
  uint64_t best_key = 0, best_stamp = 0;
  bool any = false;
  for (auto& sp : servers_) {
    ServerState* s = sp.get();
    if (!s->usable() || s->spec->backup != backup) continue;
    if (backup && s != first_backup) continue;
    any = true;
    uint64_t inflight = s->served.load() + s->queue.length;
    // A server whose slots and queue are both full is no candidate.
    if (uint32_t mc = s->maxconn.load(std::memory_order_relaxed);
        mc && inflight >= uint64_t(mc) + s->spec->maxqueue)
      continue;
    if (s == avoid) {
      avoided = s;
      continue;
    }
    uint64_t key = inflight ? (inflight + 1) * kEweightMax / (s->weight() * kWeightScale) : 0;
    uint64_t stamp = s->lc_stamp.load();
    if (!best || key < best_key || (key == best_key && stamp < best_stamp)) {
      best = s;
      best_key = key;
      best_stamp = stamp;
    }
  }
  if (!best) best = avoided;
  if (!best && any) all_full = true;
  return best;
}

}  // namespace

std::unique_ptr<Balancer> makeLeastConn(const Servers& servers) {
  return std::make_unique<LeastConn>(servers);
}

}  // namespace lbc::rt

// hash-type consistent: HAProxy's consistent-hashing ring (lb_chash.c). Each usable server puts
// weight*16 points on the ring, so when one goes down only the keys that fell on its points move.
#include <algorithm>
#include <utility>
#include <vector>

#include "balancer.h"
#include "hash.h"

namespace lbc::rt {
namespace {

class Chash final : public Balancer {
 public:
  explicit Chash(const Servers& servers) : servers_(servers) {}
  void rebuild() override;
  ServerState* pick(ServerState* avoid, std::optional<uint32_t> key, bool& all_full) override;

 private:
  ServerState* at(uint32_t hash, ServerState* avoid);
  ServerState* nextRr(ServerState* avoid, bool& all_full);

  const Servers& servers_;
  std::vector<std::pair<uint32_t, ServerState*>> ring_;
  size_t pool_size_ = 0;
  size_t rr_ = SIZE_MAX;  // the ring node the round-robin fallback took last (none yet)
};

// chash_init_server_tree: the n-th point of a server at full_hash(id * SRV_EWGHT_RANGE + n);
// equal keys keep insertion order, as the ebtree does. The round-robin position survives, as
// HAProxy's does.
void Chash::rebuild() {
  ring_.clear();
  std::vector<ServerState*> pool = hashPool(servers_);
  pool_size_ = pool.size();
  for (auto* s : pool)
    for (uint32_t i = 0; i < s->weight() * kWeightScale; ++i)
      ring_.emplace_back(
          fullHash(static_cast<uint32_t>(s->spec->id) * static_cast<uint32_t>(kEweightMax) + i), s);
  std::stable_sort(ring_.begin(), ring_.end(), [](auto& a, auto& b) { return a.first < b.first; });
}

ServerState* Chash::pick(ServerState* avoid, std::optional<uint32_t> key, bool& all_full) {
  // One usable server needs no hashing (tot_used == 1); nothing to hash: round robin around the
  // ring, as assign_server falls back.
  if (key || pool_size_ == 1) return at(key.value_or(0), avoid);
  return nextRr(avoid, all_full);
}

// chash_get_server_hash: the ring point closest to the hash (the lower one on a tie), then onwards
// past `avoid` when another server is on the ring.
ServerState* Chash::at(uint32_t hash, ServerState* avoid) {
  if (ring_.empty()) return nullptr;
  const size_t n = ring_.size();
  size_t next =
      std::lower_bound(ring_.begin(), ring_.end(), hash, [](auto& e, uint32_t h) { return e.first < h; }) -
      ring_.begin();
  if (next == n) next = 0;
  size_t prev = next ? next - 1 : n - 1;
  uint32_t dp = hash - ring_[prev].first, dn = ring_[next].first - hash;
  size_t pos = dp <= dn ? prev : next;
  if (avoid) {
    for (size_t i = 0; i < n && ring_[pos].second == avoid; ++i) pos = (pos + 1) % n;
    if (ring_[pos].second == avoid) return avoid;
  }
  return ring_[pos].second;
}

// chash_get_next_server: walk the ring from the node after the last one taken (the first node at
// the start), skipping full servers; `avoid` only as a last resort, and then the walk resumes
// from its node.
ServerState* Chash::nextRr(ServerState* avoid, bool& all_full) {
  if (ring_.empty()) return nullptr;
  const size_t n = ring_.size();
  size_t avoided = SIZE_MAX;
  for (size_t k = 0; k < n; ++k) {
    rr_ = rr_ == SIZE_MAX || rr_ + 1 >= n ? 0 : rr_ + 1;
    ServerState* s = ring_[rr_].second;
    if (!s->hasRoom()) continue;
    if (s == avoid) {
      avoided = rr_;
      continue;
    }
    return s;
  }
  if (avoided != SIZE_MAX) {
    rr_ = avoided;
    return ring_[avoided].second;
  }
  all_full = true;
  return nullptr;
}

}  // namespace

std::unique_ptr<Balancer> makeChash(const Servers& servers) {
  return std::make_unique<Chash>(servers);
}

}  // namespace lbc::rt

// balance static-rr, and map-based hashing (hash-type map-based) for source, uri, url_param and
// hdr: HAProxy's server map (lb_map.c), entry for entry, so a hash modulo its size lands where
// haproxy's does.
#include "balancer.h"

namespace lbc::rt {
namespace {

class Map final : public Balancer {
 public:
  Map(const Servers& servers, bool hashing) : servers_(servers), hashing_(hashing) {}
  void rebuild() override;
  ServerState* pick(ServerState* avoid, std::optional<uint32_t> key, bool& all_full) override;
  bool fairQueue() const override { return !hashing_; }

 private:
  ServerState* nextRr(ServerState* avoid, bool& all_full);

  const Servers& servers_;
  const bool hashing_;
  std::vector<ServerState*> map_;
  uint32_t idx_ = 0;
  size_t pool_size_ = 0;
};

// recalc_server_map: each usable server eweight times, interleaved by score buckets where the
// first best bucket wins.
void Map::rebuild() {
  map_.clear();
  idx_ = 0;
  std::vector<ServerState*> pool = hashPool(servers_);
  pool_size_ = pool.size();
  int64_t tot = 0;
  for (auto* s : pool) tot += s->weight() * kWeightScale;
  if (pool.size() == 1) tot = 1;
  std::vector<int64_t> score(pool.size(), 0);
  for (int64_t o = 0; o < tot; ++o) {
    size_t best = 0;
    int64_t max = 0;
    for (size_t i = 0; i < pool.size(); ++i) {
      score[i] += pool[i]->weight() * kWeightScale;
      int64_t v = (score[i] + tot) / tot;
      if (i == 0 || v > max) {
        max = v;
        best = i;
      }
    }
    map_.push_back(pool[best]);
    score[best] -= tot;
  }
}

ServerState* Map::pick(ServerState* avoid, std::optional<uint32_t> key, bool& all_full) {
  // One usable server needs no hashing (tot_used == 1); nothing to hash: round robin over the
  // same map, as assign_server falls back.
  if (hashing_ && (key || pool_size_ == 1))
    return map_.empty() ? nullptr : map_[key.value_or(0) % map_.size()];
  return nextRr(avoid, all_full);
}

// map_get_server_rr: the next server of the map with room, `avoid` only as a last resort.
ServerState* Map::nextRr(ServerState* avoid, bool& all_full) {
  if (map_.empty()) return nullptr;
  if (idx_ >= map_.size()) idx_ = 0;
  ServerState* avoided = nullptr;
  for (size_t n = 0; n < map_.size(); ++n) {
    ServerState* s = map_[idx_];
    idx_ = (idx_ + 1) % map_.size();
    if (!s->hasRoom()) continue;
    if (s == avoid && !avoided) {
      avoided = s;
      continue;
    }
    return s;
  }
  if (avoided) return avoided;
  all_full = true;
  return nullptr;
}

}  // namespace

std::unique_ptr<Balancer> makeStaticRr(const Servers& servers) {
  return std::make_unique<Map>(servers, false);
}

std::unique_ptr<Balancer> makeMapHash(const Servers& servers) {
  return std::make_unique<Map>(servers, true);
}

}  // namespace lbc::rt

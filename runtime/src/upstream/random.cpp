// balance random(<draws>): `draws` servers drawn by weight (xorshift), the least loaded of them
// wins ("power of two choices" with the default of 2).
#include <algorithm>
#include <vector>

#include "balancer.h"

namespace lbc::rt {
namespace {

class Random final : public Balancer {
 public:
  Random(const Servers& servers, uint32_t draws) : servers_(servers), draws_(std::max<uint32_t>(1, draws)) {}
  void rebuild() override {}
  ServerState* pick(ServerState* avoid, std::optional<uint32_t> key, bool& all_full) override;

 private:
  ServerState* draw(const std::vector<ServerState*>& cand, uint64_t tot);

  const Servers& servers_;
  const uint32_t draws_;
  uint64_t rnd_ = 0x9E3779B97F4A7C15ull;
};

ServerState* Random::pick(ServerState* avoid, std::optional<uint32_t>, bool&) {
  const bool backup = activeUsable(servers_) == 0;
  std::vector<ServerState*> cand;
  uint64_t tot = 0;
  for (auto& s : servers_)
    if (s->usable() && s->spec->backup == backup && s.get() != avoid) {
      cand.push_back(s.get());
      tot += s->weight();
    }
  if (backup && !cand.empty()) cand.resize(1), tot = cand[0]->weight();
  if (cand.empty()) return avoid && avoid->usable() ? avoid : nullptr;
  ServerState* best = nullptr;
  auto load = [](ServerState* s) { return (s->served.load() + s->queue.length) * kEweightMax / s->weight(); };
  for (uint32_t d = 0; d < draws_; ++d) {
    ServerState* pick = draw(cand, tot);
    if (!best || load(pick) < load(best)) best = pick;
  }
  return best;
}

// One server drawn with a probability proportional to its weight.
ServerState* Random::draw(const std::vector<ServerState*>& cand, uint64_t tot) {
  rnd_ ^= rnd_ << 13, rnd_ ^= rnd_ >> 7, rnd_ ^= rnd_ << 17;
  uint64_t r = rnd_ % tot;
  for (ServerState* s : cand) {
    if (r < s->weight()) return s;
    r -= s->weight();
  }
  return cand.back();
}

}  // namespace

std::unique_ptr<Balancer> makeRandom(const Servers& servers, uint32_t draws) {
  return std::make_unique<Random>(servers, draws);
}

}  // namespace lbc::rt

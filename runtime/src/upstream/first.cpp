// balance first: the usable server with the lowest id that has room, so the first servers fill up
// and the last ones can be stopped when idle (HAProxy's lb_fas.c).
#include <algorithm>
#include <vector>

#include "balancer.h"

namespace lbc::rt {
namespace {

class First final : public Balancer {
 public:
  explicit First(const Servers& servers) : servers_(servers) {}
  void rebuild() override {}
  ServerState* pick(ServerState* avoid, std::optional<uint32_t> key, bool& all_full) override;
  bool fairQueue() const override { return true; }

 private:
  const Servers& servers_;
};

ServerState* First::pick(ServerState* avoid, std::optional<uint32_t>, bool& all_full) {
  const bool backup = activeUsable(servers_) == 0;
  std::vector<ServerState*> order;
  for (auto& s : servers_)
    if (s->usable() && s->spec->backup == backup) order.push_back(s.get());
  if (backup && !order.empty()) order.resize(1);
  std::stable_sort(order.begin(), order.end(), [](auto* a, auto* b) { return a->spec->id < b->spec->id; });
  ServerState* avoided = nullptr;
  for (ServerState* s : order) {
    if (!s->hasRoom()) continue;
    if (s == avoid && !avoided) {
      avoided = s;
      continue;
    }
    return s;
  }
  if (avoided) return avoided;
  all_full = !order.empty();
  return nullptr;
}

}  // namespace

std::unique_ptr<Balancer> makeFirst(const Servers& servers) {
  return std::make_unique<First>(servers);
}

}  // namespace lbc::rt

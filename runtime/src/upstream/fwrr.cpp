// balance roundrobin: HAProxy's "fast weighted round robin" (lb_fwrr.c), reproduced so the same
// weights give the same sequence. Each group (active, backup) keeps three trees: `curr` holds the
// servers due in the current window ordered by position, `init` the ones starting over, `next`
// the ones pushed to the next window.
#include <algorithm>
#include <vector>

#include "balancer.h"

namespace lbc::rt {
namespace {

// A sorted list where equal keys keep insertion order, as ebtree duplicates do.
struct Tree {
  std::vector<ServerState*> v;
  void insert(ServerState* s, uint64_t key) {
    s->key = key;
    auto it = std::upper_bound(v.begin(), v.end(), key,
                               [](uint64_t k, const ServerState* x) { return k < x->key; });
    v.insert(it, s);
    s->tree = this;
  }
  void erase(ServerState* s) {
    auto it = std::find(v.begin(), v.end(), s);
    if (it != v.end()) v.erase(it);
  }
  ServerState* first() const { return v.empty() ? nullptr : v.front(); }
};

struct Group {
  Tree t0, t1, curr;
  Tree* init = &t0;
  Tree* next = &t1;
  int64_t curr_pos = 0, curr_weight = 0, next_weight = 0;
};

class Fwrr final : public Balancer {
 public:
  explicit Fwrr(const Servers& servers) : servers_(servers) {}
  void rebuild() override;
  ServerState* pick(ServerState* avoid, std::optional<uint32_t> key, bool& all_full) override;
  bool fairQueue() const override { return true; }

 private:
  void initGroup(Group& g, bool backup);
  ServerState* next(ServerState* avoid);

  const Servers& servers_;
  Group act_, bck_;
};

// Both groups start over from their weights (HAProxy's fwrr_init_server_groups).
void Fwrr::initGroup(Group& g, bool backup) {
  g.t0 = g.t1 = g.curr = Tree{};
  g.init = &g.t0;
  g.next = &g.t1;
  int64_t total = 0;
  for (auto& s : servers_) {
    if (s->spec->backup != backup) continue;
    s->tree = nullptr;
    s->npos = s->lpos = s->rweight = 0;
    s->eweight = s->usable() ? s->weight() * kWeightScale : 0;
    total += s->eweight;
  }
  g.curr_pos = g.curr_weight = g.next_weight = total;
  for (auto& s : servers_)
    if (s->spec->backup == backup && s->usable()) g.init->insert(s.get(), kEweightMax - s->eweight);
}

void Fwrr::rebuild() {
  initGroup(act_, false);
  initGroup(bck_, true);
}

ServerState* Fwrr::pick(ServerState* avoid, std::optional<uint32_t>, bool& all_full) {
  ServerState* s = next(avoid);
  bool backup = activeUsable(servers_) == 0;
  if (!s && (backup ? firstBackup(servers_) != nullptr : activeUsable(servers_) > 0)) all_full = true;
  return s;
}

ServerState* Fwrr::next(ServerState* avoid) {
  Group* grp;
  if (activeUsable(servers_))
    grp = &act_;
  else if (ServerState* b = firstBackup(servers_))
    return b;
  else
    return nullptr;

  auto remove = [&](ServerState* s) {
    if (s->tree) static_cast<Tree*>(s->tree)->erase(s);
    s->tree = nullptr;
  };
  auto queueByWeight = [&](Tree* t, ServerState* s) { t->insert(s, kEweightMax - s->eweight); };
  auto queueSrv = [&](ServerState* s) {
    if (!s->usable()) {
      remove(s);
    } else if (s->eweight == 0 || s->npos >= 2 * grp->curr_weight ||
               s->npos >= grp->curr_weight + grp->next_weight) {
      s->npos -= grp->curr_weight;
      queueByWeight(grp->next, s);
    } else {
      grp->curr.insert(s, kUweightRange * s->npos + (kEweightMax + s->rweight - s->eweight) / kWeightScale);
    }
  };
  auto fromGroup = [&]() -> ServerState* {
    ServerState* s1 = grp->curr.first();
    if (s1 && s1->eweight && s1->npos <= grp->curr_pos) return s1;
    ServerState* s2 = grp->init->first();
    if (s2 && s2->eweight) {
      s2->npos = s2->rweight = 0;  // taken from the init tree: a fresh start
      remove(s2);
      return s2;
    }
    return s1;
  };
  auto updatePosition = [&](ServerState* s) {
    int64_t ew = s->eweight;
    if (!ew) return;
    if (!s->npos) s->npos = grp->curr_pos;
    s->lpos = s->npos;
    s->npos += grp->next_weight / ew;
    s->rweight += grp->next_weight % ew;
    if (s->rweight >= ew) {
      s->rweight -= ew;
      s->npos++;
    }
  };

  bool switched = false;
  ServerState* avoided = nullptr;
  std::vector<ServerState*> full;  // saturated or avoided, requeued at the end
  ServerState* srv = nullptr;
  bool take = false;
  while (true) {
    if (!grp->curr_weight) grp->curr_pos = grp->curr_weight = grp->next_weight;
    while (true) {
      srv = fromGroup();
      if (srv) break;
      if (switched) {
        if (avoided) {
          srv = avoided;
          take = true;
        }
        break;
      }
      switched = true;
      std::swap(grp->init, grp->next);
      grp->curr_weight = grp->next_weight;
      grp->curr_pos = grp->curr_weight;
    }
    if (!srv || take) break;
    updatePosition(srv);
    remove(srv);
    grp->curr_pos++;
    if (srv->hasRoom()) {
      if (srv != avoid || avoided) {
        take = true;
        break;
      }
      avoided = srv;
    }
    full.push_back(srv);
  }
  if (take) queueSrv(srv);
  for (ServerState* f : full) {
    if (f == srv && take) continue;
    if (switched)
      queueByWeight(grp->init, f);
    else
      queueSrv(f);
  }
  return take ? srv : nullptr;
}
}  // namespace

std::unique_ptr<Balancer> makeFwrr(const Servers& servers) {
  return std::make_unique<Fwrr>(servers);
}

}  // namespace lbc::rt

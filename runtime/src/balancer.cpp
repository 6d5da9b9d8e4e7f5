// Server selection and queues for one backend. Picking happens under the backend's lock (as
// HAProxy's LBPRM lock); slot counters are atomics so releasing a slot takes the lock only when
// someone waits. roundrobin reproduces HAProxy's "fast weighted round robin" ordering so the
// same weights give the same sequence.
#include <netinet/in.h>

#include <algorithm>
#include <cstring>

#include "shared.h"

namespace lbc::rt {

void Fifo::push(QueueLink* l) {
  l->prev = tail;
  l->next = nullptr;
  if (tail)
    tail->next = l;
  else
    head = l;
  tail = l;
  ++length;
}

void Fifo::remove(QueueLink* l) {
  if (l->prev)
    l->prev->next = l->next;
  else
    head = l->next;
  if (l->next)
    l->next->prev = l->prev;
  else
    tail = l->prev;
  l->prev = l->next = nullptr;
  --length;
}

namespace {

constexpr int64_t kWeightScale = 16;                 // BE_WEIGHT_SCALE
constexpr int64_t kEweightMax = 256 * kWeightScale;  // SRV_EWGHT_MAX
constexpr int64_t kUweightRange = 256;               // SRV_UWGHT_RANGE

// Bob Jenkins' 32-bit integer avalanche (the one HAProxy calls full_hash).
uint32_t fullHash(uint32_t a) {
  a = (a + 0x7ed55d16) + (a << 12);
  a = (a ^ 0xc761c23c) ^ (a >> 19);
  a = (a + 0x165667b1) + (a << 5);
  a = (a + 0xd3a2646c) ^ (a << 9);
  a = (a + 0xfd7046c5) + (a << 3);
  a = (a ^ 0xb55a4f09) ^ (a >> 16);
  return a;
}

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

}  // namespace

struct Backend::Fwrr {
  struct Group {
    Tree t0, t1, curr;
    Tree* init = &t0;
    Tree* next = &t1;
    int64_t curr_pos = 0, curr_weight = 0, next_weight = 0;
  } act, bck;
};

Backend::Backend(Shared& shared, const ProxySpec& spec) : shared_(shared), spec_(&spec), fwrr_(new Fwrr) {
  for (uint32_t i = 0; i < spec.servers.size(); ++i) {
    auto s = std::make_unique<ServerState>();
    s->spec = &spec.servers[i];
    s->be = this;
    s->index = i;
    s->up = !spec.servers[i].disabled;
    servers_.push_back(std::move(s));
  }
  std::lock_guard g(lock_);
  rebuildLocked();
}

Backend::~Backend() = default;

uint32_t Backend::activeUsable() const {
  uint32_t n = 0;
  for (auto& s : servers_) n += !s->spec->backup && s->usable();
  return n;
}

ServerState* Backend::firstBackup() const {
  // Without `option allbackups` HAProxy sends everything to the first usable backup.
  for (auto& s : servers_)
    if (s->spec->backup && s->usable()) return s.get();
  return nullptr;
}

bool Backend::hasRoom(const ServerState* s) const {
  uint32_t max = s->spec->maxconn;
  return !max || (s->queue.length == 0 && s->served.load() < max);
}

// ---- rebuilding after a state change -----------------------------------------------------------

void Backend::rebuildLocked() {
  bool use_backup = activeUsable() == 0;
  // fwrr: both groups start over from their weights (HAProxy's fwrr_init_server_groups).
  auto initGroup = [&](Fwrr::Group& g, bool backup) {
    g = Fwrr::Group{};
    g.init = &g.t0;
    g.next = &g.t1;
    int64_t total = 0;
    for (auto& s : servers_) {
      if (s->spec->backup != backup) continue;
      s->tree = nullptr;
      s->npos = s->lpos = s->rweight = 0;
      s->eweight = s->usable() ? s->spec->weight * kWeightScale : 0;
      total += s->eweight;
    }
    g.curr_pos = g.curr_weight = g.next_weight = total;
    for (auto& s : servers_)
      if (s->spec->backup == backup && s->usable()) g.init->insert(s.get(), kEweightMax - s->eweight);
  };
  initGroup(fwrr_->act, false);
  initGroup(fwrr_->bck, true);

  // map: each usable server `weight` times, spread by smooth weighted interleaving.
  map_.clear();
  map_idx_ = 0;
  std::vector<ServerState*> pool;
  if (!use_backup) {
    for (auto& s : servers_)
      if (!s->spec->backup && s->usable()) pool.push_back(s.get());
  } else if (ServerState* b = firstBackup()) {
    pool.push_back(b);
  }
  int64_t tot = 0;
  for (auto* s : pool) tot += s->spec->weight;
  std::vector<int64_t> score(pool.size(), 0);
  for (int64_t o = 0; o < tot; ++o) {
    size_t best = 0;
    for (size_t i = 0; i < pool.size(); ++i) {
      score[i] += pool[i]->spec->weight;
      if (score[i] > score[best]) best = i;
    }
    map_.push_back(pool[best]);
    score[best] -= tot;
  }
  // consistent hashing ring: weight*16 points per server keyed by its id.
  chash_.clear();
  for (auto* s : pool)
    for (uint32_t i = 0; i < s->spec->weight * kWeightScale; ++i)
      chash_.emplace_back(
          fullHash(static_cast<uint32_t>(s->spec->id) * static_cast<uint32_t>(kEweightMax) + i), s);
  std::stable_sort(chash_.begin(), chash_.end(), [](auto& a, auto& b) { return a.first < b.first; });
}

// ---- fast weighted round robin -----------------------------------------------------------------

ServerState* Backend::fwrrNext(ServerState* avoid) {
  Fwrr::Group* grp;
  if (activeUsable())
    grp = &fwrr_->act;
  else if (ServerState* b = firstBackup())
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
    if (hasRoom(srv)) {
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

ServerState* Backend::mapPick(uint32_t hash) {
  return map_.empty() ? nullptr : map_[hash % map_.size()];
}

ServerState* Backend::chashPick(uint32_t hash) {
  if (chash_.empty()) return nullptr;
  auto it =
      std::lower_bound(chash_.begin(), chash_.end(), hash, [](auto& e, uint32_t h) { return e.first < h; });
  if (it == chash_.end()) it = chash_.begin();
  return it->second;
}

// ---- picking -----------------------------------------------------------------------------------

ServerState* Backend::pickLocked(ServerState* avoid, const sockaddr_storage* src, bool& all_full) {
  all_full = false;
  const BalanceAlgo algo = spec_->balance;
  bool fair_queue =
      algo == BalanceAlgo::RoundRobin || algo == BalanceAlgo::StaticRr || algo == BalanceAlgo::First;
  if (fair_queue && queue_.length) {  // waiters first: every server is full anyway
    all_full = true;
    return nullptr;
  }
  bool backup = activeUsable() == 0;
  switch (algo) {
    case BalanceAlgo::RoundRobin: {
      ServerState* s = fwrrNext(avoid);
      if (!s && (backup ? firstBackup() != nullptr : activeUsable() > 0)) all_full = true;
      return s;
    }
    case BalanceAlgo::StaticRr: {
      if (map_.empty()) return nullptr;
      ServerState* avoided = nullptr;
      for (size_t n = 0; n < map_.size(); ++n) {
        ServerState* s = map_[map_idx_];
        map_idx_ = (map_idx_ + 1) % map_.size();
        if (!hasRoom(s)) continue;
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
    case BalanceAlgo::First: {
      std::vector<ServerState*> order;
      for (auto& s : servers_)
        if (s->usable() && s->spec->backup == backup) order.push_back(s.get());
      if (backup && !order.empty()) order.resize(1);
      std::stable_sort(order.begin(), order.end(),
                       [](auto* a, auto* b) { return a->spec->id < b->spec->id; });
      ServerState* avoided = nullptr;
      for (ServerState* s : order) {
        if (!hasRoom(s)) continue;
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
    case BalanceAlgo::LeastConn: {
      // Lowest (served+queued+1)/weight; equal loads rotate (the least recently changed wins).
      ServerState* best = nullptr;
      ServerState* avoided = nullptr;
      uint64_t best_key = 0, best_stamp = 0;
      bool any = false;
      for (auto& sp : servers_) {
        ServerState* s = sp.get();
        if (!s->usable() || s->spec->backup != backup) continue;
        if (backup && s != firstBackup()) continue;
        any = true;
        uint64_t inflight = s->served.load() + s->queue.length;
        if (s->spec->maxconn && inflight >= uint64_t(s->spec->maxconn) + s->spec->maxqueue) continue;
        if (s == avoid) {
          avoided = s;
          continue;
        }
        uint64_t key = inflight ? (inflight + 1) * kEweightMax / (s->spec->weight * kWeightScale) : 0;
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
    case BalanceAlgo::Source: {
      uint32_t h = 0;
      if (src && src->ss_family == AF_INET) {
        h = ntohl(reinterpret_cast<const sockaddr_in*>(src)->sin_addr.s_addr);
      } else if (src && src->ss_family == AF_INET6) {
        const uint8_t* a = reinterpret_cast<const sockaddr_in6*>(src)->sin6_addr.s6_addr;
        for (int i = 0; i < 16; i += 4) {
          uint32_t w;
          std::memcpy(&w, a + i, 4);
          h ^= ntohl(w);
        }
      }
      if (spec_->hash_avalanche) h = fullHash(h);
      return spec_->hash_consistent ? chashPick(h) : mapPick(h);
    }
    case BalanceAlgo::Random: {
      std::vector<ServerState*> cand;
      uint64_t tot = 0;
      for (auto& s : servers_)
        if (s->usable() && s->spec->backup == backup && s.get() != avoid) {
          cand.push_back(s.get());
          tot += s->spec->weight;
        }
      if (backup && !cand.empty()) cand.resize(1), tot = cand[0]->spec->weight;
      if (cand.empty()) return avoid && avoid->usable() ? avoid : nullptr;
      ServerState* best = nullptr;
      for (uint32_t d = 0; d < std::max<uint32_t>(1, spec_->random_draws); ++d) {
        rnd_ ^= rnd_ << 13, rnd_ ^= rnd_ >> 7, rnd_ ^= rnd_ << 17;
        uint64_t r = rnd_ % tot;
        ServerState* pick = cand.back();
        for (ServerState* s : cand) {
          if (r < s->spec->weight) {
            pick = s;
            break;
          }
          r -= s->spec->weight;
        }
        auto load = [](ServerState* s) {
          return (s->served.load() + s->queue.length) * kEweightMax / s->spec->weight;
        };
        if (!best || load(pick) < load(best)) best = pick;
      }
      return best;
    }
  }
  return nullptr;
}

void Backend::enqueueLocked(QueueLink* link, ServerState* on) {
  link->seq = ++seq_;
  link->queued_on = on;
  link->queued = true;
  link->assigned = nullptr;
  (on ? on->queue : queue_).push(link);
}

Backend::Result Backend::assign(QueueLink* link, ServerState* avoid, const sockaddr_storage* src) {
  std::lock_guard g(lock_);
  waiting_.fetch_add(1);  // announce first: a concurrent release() then takes the lock (see release)
  bool all_full = false;
  ServerState* s = pickLocked(avoid, src, all_full);
  Result r = Result::Failed;
  if (s) {
    uint32_t max = s->spec->maxconn;
    if (!max || (s->queue.length == 0 && s->served.load() < max)) {
      s->served.fetch_add(1);
      s->lc_stamp.store(++seq_);
      link->assigned = s;
      r = Result::Assigned;
    } else if (s->spec->maxqueue && s->queue.length >= s->spec->maxqueue) {
      r = Result::Failed;  // the server's queue is full: HAProxy answers 503 / closes
    } else {
      enqueueLocked(link, s);
      r = Result::Queued;
    }
  } else if (all_full) {
    enqueueLocked(link, nullptr);
    r = Result::Queued;
  }
  if (r != Result::Queued) waiting_.fetch_sub(1);
  return r;
}

void Backend::dispatchLocked(ServerState* s) {
  // The freed slot goes to the oldest waiter of this server's queue or the backend's queue.
  while (s->usable() || s->queue.length) {
    uint32_t max = s->spec->maxconn;
    if (max && s->served.load() >= max) return;
    QueueLink* a = s->queue.head;
    QueueLink* b = s->usable() ? queue_.head : nullptr;
    QueueLink* w = a && b ? (a->seq < b->seq ? a : b) : a ? a : b;
    if (!w) return;
    (w->queued_on ? w->queued_on->queue : queue_).remove(w);
    w->queued = false;
    waiting_.fetch_sub(1);
    s->served.fetch_add(1);
    s->lc_stamp.store(++seq_);
    w->assigned = s;
    shared_.wake(w);
  }
}

void Backend::release(ServerState* s) {
  s->served.fetch_sub(1);
  s->lc_stamp.store(s->lc_stamp.load() + 1);
  if (waiting_.load() == 0) return;
  std::lock_guard g(lock_);
  dispatchLocked(s);
  // A waiter of the backend queue may also fit any other server with room.
  for (auto& o : servers_)
    if (queue_.length && o.get() != s && o->usable()) dispatchLocked(o.get());
}

bool Backend::leaveQueue(QueueLink* link) {
  std::lock_guard g(lock_);
  if (!link->queued) return false;
  (link->queued_on ? link->queued_on->queue : queue_).remove(link);
  link->queued = false;
  waiting_.fetch_sub(1);
  return true;
}

void Backend::setServerUp(ServerState* s, bool up) {
  std::lock_guard g(lock_);
  if (s->up.load() == up) return;
  s->up.store(up);
  rebuildLocked();
  if (up) {
    dispatchLocked(s);
  } else {
    // Connections queued on a server that went down go back to the backend queue, as HAProxy
    // redistributes them (pendconn_redistribute).
    while (QueueLink* w = s->queue.head) {
      s->queue.remove(w);
      w->queued_on = nullptr;
      queue_.push(w);
    }
    for (auto& o : servers_)
      if (o->usable()) dispatchLocked(o.get());
  }
}

}  // namespace lbc::rt

// Server selection and queues for one backend. Picking happens under the backend's lock (as
// HAProxy's LBPRM lock); slot counters are atomics so releasing a slot takes the lock only when
// someone waits. roundrobin reproduces HAProxy's "fast weighted round robin" ordering so the
// same weights give the same sequence.
#include <netinet/in.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "lbc/rt/txn.h"
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

// HAProxy 2.6's full_hash: Bob Jenkins' 32-bit integer avalanche, then a product with a large prime
// near 3/4 of 2^32 that spreads the values over the whole ring (it changes nothing modulo a power
// of two, so only consistent-hash rings and maps of other sizes show it).
uint32_t fullHash(uint32_t a) {
  a = (a + 0x7ed55d16) + (a << 12);
  a = (a ^ 0xc761c23c) ^ (a >> 19);
  a = (a + 0x165667b1) + (a << 5);
  a = (a + 0xd3a2646c) ^ (a << 9);
  a = (a + 0xfd7046c5) + (a << 3);
  a = (a ^ 0xb55a4f09) ^ (a >> 16);
  return a * 3221225473u;
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

// hash-type's functions (HAProxy's hash.c), over the bytes as unsigned.
uint32_t hashSdbm(std::string_view k) {
  uint32_t h = 0;
  for (unsigned char c : k) h = c + (h << 6) + (h << 16) - h;
  return h;
}
uint32_t hashDjb2(std::string_view k) {
  uint32_t h = 5381;
  for (unsigned char c : k) h = ((h << 5) + h) + c;
  return h;
}
uint32_t rotl(uint32_t v, uint32_t n) {
  n &= 31;
  return n ? (v << n) | (v >> (32 - n)) : v;
}
uint32_t hashWt6(std::string_view k) {
  uint32_t h0 = 0xa53c965a, h1 = 0x5ca6953a, step0 = 6, step1 = 18;
  for (unsigned char c : k) {
    uint32_t t = c;
    h0 = ~(h0 ^ t);
    h1 = ~(h1 + t);
    t = rotl(h1, step0);
    h1 = rotl(h0, step1);
    h0 = t;
    t = ((h0 >> 16) ^ h1) & 0xffff;
    step0 = t & 0x1f;
    step1 = t >> 11;
  }
  return h0 ^ h1;
}
uint32_t hashCrc32(std::string_view k) {
  uint32_t h = ~0u;
  for (unsigned char c : k) {
    h ^= c;
    for (int b = 0; b < 8; ++b) h = (h >> 1) ^ ((h & 1) ? 0xedb88320u : 0);
  }
  return ~h;
}

bool ieq(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

std::string_view trim(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

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

  // map: HAProxy's recalc_server_map, entry for entry (hashes index it modulo its size): each
  // usable server eweight times, interleaved by score buckets where the first best bucket wins.
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
  for (auto* s : pool) tot += s->spec->weight * kWeightScale;
  if (pool.size() == 1) tot = 1;
  std::vector<int64_t> score(pool.size(), 0);
  for (int64_t o = 0; o < tot; ++o) {
    size_t best = 0;
    int64_t max = 0;
    for (size_t i = 0; i < pool.size(); ++i) {
      score[i] += pool[i]->spec->weight * kWeightScale;
      int64_t v = (score[i] + tot) / tot;
      if (i == 0 || v > max) {
        max = v;
        best = i;
      }
    }
    map_.push_back(pool[best]);
    score[best] -= tot;
  }
  // consistent hashing ring (chash_init_server_tree): weight*16 points per server, the n-th one at
  // full_hash(id * SRV_EWGHT_RANGE + n); equal keys keep insertion order, as the ebtree does.
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

ServerState* Backend::chashPick(uint32_t hash, ServerState* avoid) {
  // As chash_get_server_hash: the ring point closest to the hash (the lower one on a tie), then
  // onwards past `avoid` when another server is on the ring.
  if (chash_.empty()) return nullptr;
  const size_t n = chash_.size();
  size_t next =
      std::lower_bound(chash_.begin(), chash_.end(), hash, [](auto& e, uint32_t h) { return e.first < h; }) -
      chash_.begin();
  if (next == n) next = 0;
  size_t prev = next ? next - 1 : n - 1;
  uint32_t dp = hash - chash_[prev].first, dn = chash_[next].first - hash;
  size_t at = dp <= dn ? prev : next;
  if (avoid) {
    for (size_t i = 0; i < n && chash_[at].second == avoid; ++i) at = (at + 1) % n;
    if (chash_[at].second == avoid) return avoid;
  }
  return chash_[at].second;
}

ServerState* Backend::mapNextRr(ServerState* avoid, bool& all_full) {
  // map_get_server_rr: the next server of the map with room, `avoid` only as a last resort.
  if (map_.empty()) return nullptr;
  if (map_idx_ >= map_.size()) map_idx_ = 0;
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

ServerState* Backend::chashNextRr(ServerState* avoid, bool& all_full) {
  // chash_get_next_server: walk the ring from the node after the last one taken (the first node
  // at the start), skipping full servers; `avoid` only as a last resort, and then the walk
  // resumes from its node.
  if (chash_.empty()) return nullptr;
  const size_t n = chash_.size();
  size_t avoided = SIZE_MAX;
  for (size_t k = 0; k < n; ++k) {
    chash_rr_ = chash_rr_ == SIZE_MAX || chash_rr_ + 1 >= n ? 0 : chash_rr_ + 1;
    ServerState* s = chash_[chash_rr_].second;
    if (!hasRoom(s)) continue;
    if (s == avoid) {
      avoided = chash_rr_;
      continue;
    }
    return s;
  }
  if (avoided != SIZE_MAX) {
    chash_rr_ = avoided;
    return chash_[avoided].second;
  }
  all_full = true;
  return nullptr;
}

bool Backend::httpHash(const Txn& txn, uint32_t& hash) const {
  const ProxySpec& p = *spec_;
  std::string_view key;
  if (p.balance == BalanceAlgo::Uri) {
    // get_server_uh: the first `len` characters, up to the '?' unless whole, up to the slash
    // ending the `depth`th directory.
    std::string_view uri = txn.uri;
    if (p.uri_len && uri.size() > p.uri_len) uri = uri.substr(0, p.uri_len);
    uint32_t slashes = 0, stop = p.uri_depth ? p.uri_depth + 1 : 0;
    size_t end = 0;
    for (; end < uri.size(); ++end) {
      char c = uri[end];
      if (c == '/') {
        if (++slashes == stop) break;
      } else if (c == '?' && !p.uri_whole) {
        break;
      }
    }
    key = uri.substr(0, end);
  } else if (p.balance == BalanceAlgo::UrlParam) {
    // get_server_ph: `name=` at the start of a '&'-separated parameter of the query string,
    // compared case-sensitively; the value runs to the next '&'.
    size_t q = txn.uri.find('?');
    if (q == std::string_view::npos) return false;
    std::string_view qs = txn.uri.substr(q + 1);
    const std::string& name = p.balance_arg;
    bool found = false;
    while (qs.size() > name.size()) {
      if (qs[name.size()] == '=' && qs.substr(0, name.size()) == name) {
        std::string_view v = qs.substr(name.size() + 1);
        key = v.substr(0, v.find('&'));
        found = true;
        break;
      }
      size_t amp = qs.find('&');
      if (amp == std::string_view::npos) break;
      qs.remove_prefix(amp + 1);
    }
    if (!found) return false;
  } else {
    // get_server_hh: the header's first value (up to a comma); absent or empty: round robin.
    const Header* h = nullptr;
    for (const Header& x : txn.req_headers)
      if (ieq(x.name, p.balance_arg)) {
        h = &x;
        break;
      }
    if (!h) return false;
    std::string_view v = trim(h->value.substr(0, h->value.find(',')));
    if (v.empty()) return false;
    key = v;
    if (p.hdr_domain_only) {
      // Only the label before the last dot ("example" of "www.example.com"); no dot: all.
      size_t last = v.rfind('.');
      if (last != std::string_view::npos) {
        size_t prev = last ? v.rfind('.', last - 1) : std::string_view::npos;
        size_t start = prev == std::string_view::npos ? 0 : prev + 1;
        key = v.substr(start, last - start);
      }
    }
  }
  switch (p.hash_fn) {
    case HashFn::Sdbm:
      hash = hashSdbm(key);
      break;
    case HashFn::Djb2:
      hash = hashDjb2(key);
      break;
    case HashFn::Wt6:
      hash = hashWt6(key);
      break;
    case HashFn::Crc32:
      hash = hashCrc32(key);
      break;
  }
  if (p.hash_avalanche) hash = fullHash(hash);
  return true;
}

// ---- picking -----------------------------------------------------------------------------------

ServerState* Backend::pickLocked(ServerState* avoid, const sockaddr_storage* src, const Txn* txn,
                                 bool& all_full) {
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
    case BalanceAlgo::StaticRr:
      return mapNextRr(avoid, all_full);
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
      return spec_->hash_consistent ? chashPick(h, avoid) : mapPick(h);
    }
    case BalanceAlgo::Uri:
    case BalanceAlgo::UrlParam:
    case BalanceAlgo::Hdr: {
      // Nothing to hash (no transaction, no parameter, no header): round robin over the same
      // map or ring, as assign_server falls back.
      uint32_t h = 0;
      bool one = (backup ? (firstBackup() ? 1u : 0u) : activeUsable()) == 1;  // tot_used == 1: no hashing
      if (one || (txn && httpHash(*txn, h))) return spec_->hash_consistent ? chashPick(h, avoid) : mapPick(h);
      return spec_->hash_consistent ? chashNextRr(avoid, all_full) : mapNextRr(avoid, all_full);
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

ServerState* Backend::serverById(int32_t id) const {
  for (const auto& s : servers_)
    if (s->spec->id == id) return s.get();
  return nullptr;
}

Backend::Result Backend::assign(QueueLink* link, ServerState* avoid, const sockaddr_storage* src,
                                ServerState* force, const Txn* txn) {
  std::lock_guard g(lock_);
  waiting_.fetch_add(1);  // announce first: a concurrent release() then takes the lock (see release)
  bool all_full = false;
  ServerState* s = force ? force : pickLocked(avoid, src, txn, all_full);
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

ServerTransition Backend::setServerUp(ServerState* s, bool up) {
  std::lock_guard g(lock_);
  ServerTransition t;
  if (s->up.load() == up) return t;
  auto count = [&] {
    t.act = t.bck = 0;
    for (auto& o : servers_)
      if (o->usable()) ++(o->spec->backup ? t.bck : t.act);
  };
  count();
  t.prev_usable = t.act + t.bck;
  t.changed = true;
  s->up.store(up);
  rebuildLocked();
  if (up) {
    uint32_t waiting = queue_.length + s->queue.length;
    dispatchLocked(s);
    t.xferred = waiting - (queue_.length + s->queue.length);
  } else {
    // Connections queued on a server that went down go back to the backend queue, as HAProxy
    // redistributes them (pendconn_redistribute).
    while (QueueLink* w = s->queue.head) {
      s->queue.remove(w);
      w->queued_on = nullptr;
      queue_.push(w);
      ++t.xferred;
    }
    for (auto& o : servers_)
      if (o->usable()) dispatchLocked(o.get());
  }
  count();
  t.sessions = s->served.load();
  t.queued = s->queue.length;
  return t;
}

}  // namespace lbc::rt

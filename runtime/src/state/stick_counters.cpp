// Sticky counters of a stick table's entries (`store gpc0,conn_cur,http_req_rate(10s),...`):
// trackers hold entries (acquire/release), counters and rates change under the entry's shard
// lock. Rates follow HAProxy 2.6's freq_ctr: events of the current period plus the previous
// period's share of the time still to run in the sliding window.
#include <algorithm>

#include "stick_table.h"

namespace lbc::rt {

void StickTable::rateAdd(Slot& s, uint32_t period, uint32_t inc, uint32_t now) {
  if (now - s.tick < period) {
    s.v += inc;
    return;
  }
  // Rotate: the current period becomes the previous one (none when two or more have passed).
  uint32_t tick = s.tick + period;
  s.prev = uint32_t(s.v);
  s.v = inc;
  if (now - tick >= period) {
    s.prev = 0;
    tick = now;
  }
  s.tick = tick & ~1u;  // HAProxy keeps bit 0 for its rotation lock: ticks are even
}

uint32_t StickTable::rateRead(const Slot& s, uint32_t period, uint32_t now) {
  if (!period) return 0;
  int64_t remain = int32_t(s.tick + period - now);
  uint64_t curr = uint32_t(s.v), past = s.prev;
  if (remain < 0) {  // past the current period: part of it may still be in the window
    remain += period;
    past = remain >= 0 ? curr : 0;
    curr = 0;
  }
  if (remain < 0) remain = 0;
  return uint32_t((past * uint64_t(remain) + curr * period) / period);
}

void StickTable::addLocked(Entry& e, StkData d, int64_t inc, uint64_t now_ms) {
  int32_t i = slot_[static_cast<uint32_t>(d)];
  if (i < 0) return;
  Slot& s = e.data[size_t(i)];
  if (stkDataIsRate(d)) {
    if (inc > 0) rateAdd(s, period_[static_cast<uint32_t>(d)], uint32_t(inc), uint32_t(now_ms));
    return;
  }
  s.v = inc < 0 && uint64_t(-inc) > s.v ? 0 : s.v + uint64_t(inc);
}

std::optional<uint64_t> StickTable::getLocked(const Entry& e, StkData d, uint64_t now_ms) const {
  if (d == StkData::ServerId && spec_.sticky) return uint64_t(uint32_t(e.server_id));
  int32_t i = slot_[static_cast<uint32_t>(d)];
  if (i < 0) return std::nullopt;
  if (d == StkData::ServerId) return uint64_t(uint32_t(e.server_id));
  const Slot& s = e.data[size_t(i)];
  if (stkDataIsRate(d)) return rateRead(s, period_[static_cast<uint32_t>(d)], uint32_t(now_ms));
  return s.v;
}

StickTable::Entry* StickTable::acquire(std::string_view key, uint64_t now_ms) {
  const uint32_t index = shardIndex(key);
  Shard& s = *shards_[index];
  std::lock_guard g(s.lock);
  auto it = findLocked(s, key, now_ms);
  Entry* e = it != s.lru.end() ? &*it : createLocked(s, index, key, now_ms);
  if (!e) return nullptr;
  ++e->ref;
  touchLocked(s, *e, now_ms);
  return e;
}

void StickTable::release(Entry* e, uint64_t now_ms) {
  Shard& s = *shards_[e->shard];
  std::lock_guard g(s.lock);
  if (e->ref) --e->ref;
  touchLocked(s, *e, now_ms);
}

std::optional<uint64_t> StickTable::add(Entry* e, StkData d, int64_t inc, uint64_t now_ms) {
  if (!stores(d)) return std::nullopt;
  Shard& s = *shards_[e->shard];
  std::lock_guard g(s.lock);
  addLocked(*e, d, inc, now_ms);
  touchLocked(s, *e, now_ms);
  return getLocked(*e, d, now_ms);
}

std::optional<uint64_t> StickTable::set(Entry* e, StkData d, uint64_t v, uint64_t now_ms) {
  Shard& s = *shards_[e->shard];
  std::lock_guard g(s.lock);
  std::optional<uint64_t> prev = getLocked(*e, d, now_ms);
  if (d == StkData::ServerId) {
    e->server_id = int32_t(v);
    return prev ? prev : std::optional<uint64_t>(0);
  }
  int32_t i = slot_[static_cast<uint32_t>(d)];
  if (i < 0) return std::nullopt;
  Slot& sl = e->data[size_t(i)];
  if (stkDataIsRate(d)) {
    sl.tick = uint32_t(now_ms) & ~1u;
    sl.prev = 0;
  }
  sl.v = stkDataIsRate(d) ? uint32_t(v) : v;
  touchLocked(s, *e, now_ms);
  return prev;
}

std::optional<uint64_t> StickTable::get(Entry* e, StkData d, uint64_t now_ms) const {
  const Shard& s = *shards_[e->shard];
  std::lock_guard g(s.lock);
  return getLocked(*e, d, now_ms);
}

std::optional<uint64_t> StickTable::getKey(std::string_view key, StkData d, uint64_t now_ms) {
  Shard& s = shardOf(key);
  std::lock_guard g(s.lock);
  auto it = findLocked(s, key, now_ms);
  if (it == s.lru.end()) return std::nullopt;
  return getLocked(*it, d, now_ms);
}

std::optional<uint64_t> StickTable::addKey(std::string_view key, StkData d, int64_t inc, uint64_t now_ms) {
  if (!stores(d)) return std::nullopt;
  const uint32_t index = shardIndex(key);
  Shard& s = *shards_[index];
  std::lock_guard g(s.lock);
  auto it = findLocked(s, key, now_ms);
  Entry* e = it != s.lru.end() ? &*it : createLocked(s, index, key, now_ms);
  if (!e) return std::nullopt;
  addLocked(*e, d, inc, now_ms);
  touchLocked(s, *e, now_ms);
  return getLocked(*e, d, now_ms);
}

bool StickTable::has(std::string_view key, uint64_t now_ms) {
  Shard& s = shardOf(key);
  std::lock_guard g(s.lock);
  return findLocked(s, key, now_ms) != s.lru.end();
}

uint32_t StickTable::refs(std::string_view key, uint64_t now_ms) {
  Shard& s = shardOf(key);
  std::lock_guard g(s.lock);
  auto it = findLocked(s, key, now_ms);
  return it == s.lru.end() ? 0 : it->ref;
}

void StickTable::erase(std::string_view key, uint64_t now_ms) {
  Shard& s = shardOf(key);
  std::lock_guard g(s.lock);
  auto it = findLocked(s, key, now_ms);
  if (it == s.lru.end() || it->ref) return;  // HAProxy keeps an entry in use
  s.map.erase(it->key);
  s.lru.erase(it);
}

void StickTable::clearAll(uint64_t) {
  for (auto& sh : shards_) {
    std::lock_guard g(sh->lock);
    for (auto it = sh->lru.begin(); it != sh->lru.end();) {
      if (it->ref) {
        ++it;
        continue;
      }
      sh->map.erase(it->key);
      it = sh->lru.erase(it);
    }
  }
}

}  // namespace lbc::rt

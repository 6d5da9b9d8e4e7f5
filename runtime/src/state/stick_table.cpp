#include "stick_table.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <functional>

namespace lbc::rt {
namespace {

constexpr size_t kMaxShards = 16;
constexpr size_t kMinPerShard = 64;  // small tables keep one shard, so `size` stays exact

bool parseIp(std::string_view s, bool v6, uint8_t out[16]) {
  char buf[64];
  if (s.size() >= sizeof buf) return false;
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = 0;
  return inet_pton(v6 ? AF_INET6 : AF_INET, buf, out) == 1;
}

std::string ipText(const lbc_smp& smp) {
  char buf[INET6_ADDRSTRLEN];
  bool v6 = smp.type == LBC_SMP_IPV6;
  if (!inet_ntop(v6 ? AF_INET6 : AF_INET, smp.ip, buf, sizeof buf)) return {};
  return buf;
}

bool isMapped(const uint8_t* a) {
  static const uint8_t kPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return std::memcmp(a, kPrefix, 12) == 0;
}

}  // namespace

StickTable::StickTable(const StickTableSpec& spec) : spec_(spec) {
  std::fill(std::begin(slot_), std::end(slot_), -1);
  for (size_t i = 0; i < spec.store.size(); ++i) {
    slot_[static_cast<uint32_t>(spec.store[i].type)] = int32_t(i);
    period_[static_cast<uint32_t>(spec.store[i].type)] = spec.store[i].period_ms;
  }
  size_t n = 1;
  while (n < kMaxShards && spec.size / (n * 2) >= kMinPerShard) n *= 2;
  per_shard_ = std::max<size_t>(1, (spec.size + n - 1) / n);
  for (size_t i = 0; i < n; ++i) shards_.push_back(std::make_unique<Shard>());
}

bool StickTable::makeKey(const lbc_smp& smp, std::string& key) const {
  auto text = [&](std::string_view s) {
    key.assign(s.data(), std::min<size_t>(s.size(), spec_.key_len ? spec_.key_len : s.size()));
  };
  switch (spec_.type) {
    case StickKeyType::Ip: {
      uint8_t a[16] = {};
      if (smp.type == LBC_SMP_IPV4) {
        std::memcpy(a, smp.ip, 4);
      } else if (smp.type == LBC_SMP_IPV6 && isMapped(smp.ip)) {
        std::memcpy(a, smp.ip + 12, 4);
      } else if (smp.type == LBC_SMP_STR && parseIp({smp.ptr, size_t(smp.len)}, false, a)) {
      } else if (smp.type == LBC_SMP_SINT) {
        uint32_t v = htonl(uint32_t(smp.sint));
        std::memcpy(a, &v, 4);
      } else {
        return false;
      }
      key.assign(reinterpret_cast<const char*>(a), 4);
      return true;
    }
    case StickKeyType::Ipv6: {
      uint8_t a[16] = {};
      if (smp.type == LBC_SMP_IPV6) {
        std::memcpy(a, smp.ip, 16);
      } else if (smp.type == LBC_SMP_IPV4) {
        a[10] = a[11] = 0xff;
        std::memcpy(a + 12, smp.ip, 4);
      } else if (smp.type == LBC_SMP_STR) {
        std::string_view s(smp.ptr, size_t(smp.len));
        if (!parseIp(s, true, a)) {
          uint8_t v4[16];
          if (!parseIp(s, false, v4)) return false;
          a[10] = a[11] = 0xff;
          std::memcpy(a + 12, v4, 4);
        }
      } else {
        return false;
      }
      key.assign(reinterpret_cast<const char*>(a), 16);
      return true;
    }
    case StickKeyType::Integer: {
      int64_t v = 0;
      if (smp.type == LBC_SMP_SINT || smp.type == LBC_SMP_BOOL) {
        v = smp.sint;
      } else if (smp.type == LBC_SMP_IPV4) {
        uint32_t n;
        std::memcpy(&n, smp.ip, 4);
        v = ntohl(n);
      } else if (smp.type == LBC_SMP_STR) {
        const char* b = smp.ptr;
        const char* e = smp.ptr + smp.len;
        if (std::from_chars(b, e, v).ptr == b) return false;  // HAProxy's str->int takes leading digits
      } else {
        return false;
      }
      uint32_t k = uint32_t(v);  // a 32-bit key in HAProxy 2.6
      key.assign(reinterpret_cast<const char*>(&k), 4);
      return true;
    }
    case StickKeyType::String:
      if (smp.type == LBC_SMP_STR || smp.type == LBC_SMP_BIN || smp.type == LBC_SMP_METH)
        text({smp.ptr, size_t(smp.len)});
      else if (smp.type == LBC_SMP_SINT || smp.type == LBC_SMP_BOOL)
        text(std::to_string(smp.sint));
      else if (smp.type == LBC_SMP_IPV4 || smp.type == LBC_SMP_IPV6)
        text(ipText(smp));
      else
        return false;
      return true;
    case StickKeyType::Binary:
      if (smp.type == LBC_SMP_STR || smp.type == LBC_SMP_BIN || smp.type == LBC_SMP_METH)
        text({smp.ptr, size_t(smp.len)});
      else if (smp.type == LBC_SMP_SINT || smp.type == LBC_SMP_BOOL)
        text(std::to_string(smp.sint));
      else if (smp.type == LBC_SMP_IPV4)
        text({reinterpret_cast<const char*>(smp.ip), 4});
      else if (smp.type == LBC_SMP_IPV6)
        text({reinterpret_cast<const char*>(smp.ip), 16});
      else
        return false;
      // Shorter binary keys are padded with zeros to the key length, as HAProxy does.
      if (key.size() < spec_.key_len) key.resize(spec_.key_len, '\0');
      return true;
  }
  return false;
}

uint32_t StickTable::shardIndex(std::string_view key) const {
  return uint32_t(std::hash<std::string_view>{}(key) & (shards_.size() - 1));
}

StickTable::Shard& StickTable::shardOf(std::string_view key) {
  return *shards_[shardIndex(key)];
}

std::list<StickTable::Entry>::iterator StickTable::findLocked(Shard& s, std::string_view key,
                                                              uint64_t now_ms) {
  auto it = s.map.find(key);
  if (it == s.map.end()) return s.lru.end();
  auto e = it->second;
  if (e->expires && e->expires <= now_ms && !e->ref) {
    s.map.erase(it);
    s.lru.erase(e);
    return s.lru.end();
  }
  return e;
}

void StickTable::touchLocked(Shard& s, Entry& e, uint64_t now_ms) {
  if (spec_.expire_ms) e.expires = now_ms + spec_.expire_ms;
  auto it = s.map.find(e.key);
  if (it != s.map.end()) s.lru.splice(s.lru.begin(), s.lru, it->second);
}

int32_t StickTable::lookup(std::string_view key, uint64_t now_ms) {
  Shard& s = shardOf(key);
  std::lock_guard g(s.lock);
  auto e = findLocked(s, key, now_ms);
  if (e == s.lru.end()) return 0;
  touchLocked(s, *e, now_ms);
  return e->server_id;
}

void StickTable::evictLocked(Shard& s, uint64_t now_ms) {
  // Expired entries first (they are at the cold end too), then the least recently used one no
  // tracker holds (HAProxy's stktable_trash_oldest skips entries in use).
  while (!s.lru.empty() && s.lru.back().expires && s.lru.back().expires <= now_ms && !s.lru.back().ref) {
    s.map.erase(s.lru.back().key);
    s.lru.pop_back();
  }
  if (s.map.size() < per_shard_ || spec_.nopurge) return;
  for (auto it = s.lru.end(); it != s.lru.begin();) {
    --it;
    if (it->ref) continue;
    s.map.erase(it->key);
    s.lru.erase(it);
    return;
  }
}

StickTable::Entry* StickTable::createLocked(Shard& s, uint32_t index, std::string_view key, uint64_t now_ms) {
  if (s.map.size() >= per_shard_) evictLocked(s, now_ms);
  if (s.map.size() >= per_shard_) return nullptr;  // nopurge (or all in use) and full
  Entry e;
  e.key = std::string(key);
  e.expires = spec_.expire_ms ? now_ms + spec_.expire_ms : 0;
  e.shard = index;
  e.data.resize(spec_.store.size());
  s.lru.push_front(std::move(e));
  s.map.emplace(s.lru.front().key, s.lru.begin());
  return &s.lru.front();
}

void StickTable::store(std::string_view key, int32_t server_id, uint64_t now_ms) {
  const uint32_t index = shardIndex(key);
  Shard& s = *shards_[index];
  std::lock_guard g(s.lock);
  auto it = findLocked(s, key, now_ms);
  Entry* e = it != s.lru.end() ? &*it : createLocked(s, index, key, now_ms);
  if (!e) return;
  e->server_id = server_id;
  touchLocked(s, *e, now_ms);
}

size_t StickTable::entries() const {
  size_t n = 0;
  for (const auto& s : shards_) {
    std::lock_guard g(s->lock);
    n += s->map.size();
  }
  return n;
}

std::vector<StickTable::EntryView> StickTable::snapshot(uint64_t now_ms) const {
  std::vector<EntryView> out;
  for (const auto& sh : shards_) {
    std::lock_guard g(sh->lock);
    for (const Entry& e : sh->lru) {
      if (e.expires && e.expires <= now_ms && !e.ref) continue;
      EntryView v{e.key, e.server_id, e.expires, e.ref, {}};
      v.data.resize(kStkDataCount);
      for (uint32_t d = 0; d < kStkDataCount; ++d) v.data[d] = getLocked(e, StkData(d), now_ms);
      out.push_back(std::move(v));
    }
  }
  return out;
}

}  // namespace lbc::rt

// A stick table as `stick on/match/store-*` use it: key -> server id, bounded (`size`), entries
// expire (`expire`) and the least recently used one is evicted when the table is full (unless
// `nopurge`). Shared by every thread: the keys are spread over shards, each with its own lock,
// so two connections contend only when their keys fall in the same shard.
#pragma once
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "lbc/abi.h"
#include "lbc/rt/topology.h"

namespace lbc::rt {

class StickTable {
 public:
  explicit StickTable(const StickTableSpec& spec);
  StickTable(const StickTable&) = delete;
  StickTable& operator=(const StickTable&) = delete;

  // The table's key for a sample, as HAProxy converts a sample to a key of the table's type
  // (ip: IPv4 or v4-mapped IPv6 or text; ipv6: IPv6 or IPv4 mapped; integer; string truncated to
  // `len`; binary truncated or padded with zeros to `len`). False: the sample cannot be a key.
  bool makeKey(const lbc_smp& smp, std::string& key) const;
  // The server id stored for `key`, or 0 when absent or expired. A hit refreshes the entry
  // (recency and expiry), as HAProxy's stktable_touch.
  int32_t lookup(std::string_view key, uint64_t now_ms);
  // Creates or updates the entry: its server id becomes `server_id`.
  void store(std::string_view key, int32_t server_id, uint64_t now_ms);
  size_t entries() const;
  const StickTableSpec& spec() const { return spec_; }
  // Every live entry (the stats socket's `show table`): its key, server id and expiry (0 never).
  struct EntryView {
    std::string key;
    int32_t server_id;
    uint64_t expires;
  };
  std::vector<EntryView> snapshot(uint64_t now_ms) const;

 private:
  struct Entry {
    std::string key;
    int32_t server_id = 0;
    uint64_t expires = 0;  // 0 = never
  };
  struct Shard {
    mutable std::mutex lock;
    std::list<Entry> lru;  // front = most recently used
    std::unordered_map<std::string_view, std::list<Entry>::iterator> map;
  };
  Shard& shardOf(std::string_view key);
  void evictLocked(Shard& s, uint64_t now_ms);

  StickTableSpec spec_;
  size_t per_shard_ = 0;
  std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace lbc::rt

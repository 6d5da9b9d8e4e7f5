// A stick table: key -> server id (`stick on/match/store-*`) and the data types of `store ...`
// (sticky counters: gpc0, conn_cur, http_req_rate(10s), ...). Bounded (`size`); entries expire
// (`expire`) and the least recently used one no tracker holds is evicted when the table is full
// (unless `nopurge`). Shared by every thread: the keys are spread over shards, each with its
// own lock, so two connections contend only when their keys fall in the same shard.
#pragma once
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "lbc/abi.h"
#include "lbc/rt/topology.h"

namespace lbc::rt {

class StickTable {
 public:
  // One stored data type of an entry: a counter or tag (`v`), or a rate (HAProxy's freq_ctr:
  // `v` counts the period that began at `tick`, `prev` the period before it).
  struct Slot {
    uint64_t v = 0;
    uint32_t tick = 0;
    uint32_t prev = 0;
  };
  struct Entry {
    std::string key;
    int32_t server_id = 0;
    uint64_t expires = 0;  // 0 = never
    uint32_t ref = 0;      // trackers holding it: never evicted nor expired while > 0
    uint32_t shard = 0;
    std::vector<Slot> data;  // one per `store` type, in the table's order
  };

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
  bool stores(StkData d) const { return slot_[static_cast<uint32_t>(d)] >= 0; }

  // ---- sticky counters ----
  // The entry of `key`, created when absent, held (ref) until release(); null when the table
  // is full and nothing can be evicted.
  Entry* acquire(std::string_view key, uint64_t now_ms);
  void release(Entry* e, uint64_t now_ms);
  // Adds `inc` to a counter or a rate (a counter never goes below 0); refreshes the entry.
  // The new value; nullopt when the table does not store `d`.
  std::optional<uint64_t> add(Entry* e, StkData d, int64_t inc, uint64_t now_ms);
  // Sets a counter or tag; a rate reads as `v` over the coming period (HAProxy's `set table`).
  // The previous value; nullopt when the table does not store `d`.
  std::optional<uint64_t> set(Entry* e, StkData d, uint64_t v, uint64_t now_ms);
  // A counter's value or a rate's events over its period (HAProxy's read_freq_ctr_period).
  std::optional<uint64_t> get(Entry* e, StkData d, uint64_t now_ms) const;
  // The same on the entry of `key`, when present and live (src_*, table_*): nullopt when absent
  // or `d` is not stored; `create` makes the entry (src_inc_gpc0).
  std::optional<uint64_t> getKey(std::string_view key, StkData d, uint64_t now_ms);
  std::optional<uint64_t> addKey(std::string_view key, StkData d, int64_t inc, uint64_t now_ms);
  bool has(std::string_view key, uint64_t now_ms);
  uint32_t refs(std::string_view key, uint64_t now_ms);
  // Removes the entry of `key` (or every entry no tracker holds when `all`), `clear table`.
  void erase(std::string_view key, uint64_t now_ms);
  void clearAll(uint64_t now_ms);

  // Every live entry (the stats socket's `show table`).
  struct EntryView {
    std::string key;
    int32_t server_id;
    uint64_t expires;
    uint32_t ref;
    std::vector<std::optional<uint64_t>> data;  // by StkData, nullopt when not stored
  };
  std::vector<EntryView> snapshot(uint64_t now_ms) const;

  // HAProxy's freq_ctr arithmetic over `period` ms, exposed for the tests.
  static void rateAdd(Slot& s, uint32_t period, uint32_t inc, uint32_t now);
  static uint32_t rateRead(const Slot& s, uint32_t period, uint32_t now);

 private:
  struct Shard {
    mutable std::mutex lock;
    std::list<Entry> lru;  // front = most recently used
    std::unordered_map<std::string_view, std::list<Entry>::iterator> map;
  };
  Shard& shardOf(std::string_view key);
  uint32_t shardIndex(std::string_view key) const;
  void evictLocked(Shard& s, uint64_t now_ms);
  // The live entry of `key` or the end; an expired one no tracker holds is removed.
  std::list<Entry>::iterator findLocked(Shard& s, std::string_view key, uint64_t now_ms);
  Entry* createLocked(Shard& s, uint32_t index, std::string_view key, uint64_t now_ms);
  void touchLocked(Shard& s, Entry& e, uint64_t now_ms);
  void addLocked(Entry& e, StkData d, int64_t inc, uint64_t now_ms);
  std::optional<uint64_t> getLocked(const Entry& e, StkData d, uint64_t now_ms) const;

  StickTableSpec spec_;
  size_t per_shard_ = 0;
  int32_t slot_[kStkDataCount];       // data type -> index in Entry::data, -1 when not stored
  uint32_t period_[kStkDataCount]{};  // a rate's period (ms)
  std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace lbc::rt

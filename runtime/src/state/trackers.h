// The sticky counters a connection or a stream tracks (HAProxy's stkctr array, tune.stick-counters
// = 3): each holds an entry of a table until released, when the entry's conn_cur goes down.
#pragma once
#include <cstdint>

#include "state/stick_table.h"

namespace lbc::rt {

constexpr int32_t kStkCounters = 3;  // track-sc0 .. track-sc2

struct StkCounter {
  StickTable* table = nullptr;
  StickTable::Entry* entry = nullptr;
};

struct StkSet {
  StkCounter sc[kStkCounters];
  bool any = false;

  // Ends every tracking: conn_cur - 1 and the entry released (HAProxy's stream_store_counters).
  void release(uint64_t now_ms) {
    if (!any) return;
    for (StkCounter& c : sc) {
      if (!c.entry) continue;
      c.table->add(c.entry, StkData::ConnCur, -1, now_ms);
      c.table->release(c.entry, now_ms);
      c = {};
    }
    any = false;
  }
  // Adds `inc` to data type `d` of every tracked entry storing it.
  void add(StkData d, int64_t inc, uint64_t now_ms) {
    if (!any) return;
    for (StkCounter& c : sc)
      if (c.entry) c.table->add(c.entry, d, inc, now_ms);
  }
};

}  // namespace lbc::rt

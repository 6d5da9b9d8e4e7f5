// Connection limits (global maxconn, a frontend's, a listener's): counters shared by every
// thread, kept across a configuration's life.
#pragma once
#include <atomic>
#include <cstdint>

namespace lbc::rt {

struct Limit {
  uint32_t max = 0;  // 0 = none
  std::atomic<uint32_t> cur{0};
  bool full() const { return max && cur.load(std::memory_order_relaxed) >= max; }
};

}  // namespace lbc::rt

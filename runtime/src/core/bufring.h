// The provided buffers every multishot recv of a worker takes its data in.
//
// A kernel buffer ring is consumed in FIFO order: had every buffer been posted to it, the kernel
// would walk through all of them before reusing one, so each receive would land in a cold buffer
// and the pool's whole size would end up resident. Instead the buffers live in a user-space LIFO
// free stack and only a small, adaptive number of them is posted to the ring at a time: a
// buffer that comes back is the next one posted, the working set is the data in flight plus
// that small window, and the rest of the pool (reserved address space, MAP_NORESERVE) is only
// touched when that much data is really in flight. Pages of buffers that stayed unused for a
// whole trim period are given back to the kernel.
#pragma once
#include <liburing.h>

#include <cstdint>
#include <string>
#include <vector>

namespace lbc::rt {

inline constexpr uint64_t kNever = ~uint64_t(0);

class BufRing {
 public:
  BufRing() = default;
  BufRing(const BufRing&) = delete;
  BufRing& operator=(const BufRing&) = delete;
  ~BufRing();

  // Reserves `count` buffers of `size` bytes and registers an empty ring as group `bgid`.
  bool init(io_uring* ring, uint16_t bgid, uint32_t size, uint32_t count, std::string& err);

  uint8_t* base() const { return bufs_; }
  uint32_t size() const { return size_; }
  uint32_t count() const { return count_; }

  // A completion carried buffer `bid`: the kernel took it from the ring.
  void taken() {
    if (posted_) --posted_;  // never wraps: a wrapped count would stop every refill
    ++taken_now_;
  }
  // A receive ended with ENOBUFS while its connection could still take data: the window was
  // too small for one round of completions.
  void starved() { ++starved_now_; }
  // Buffer `bid` is free again; it is the first one posted next.
  void put(uint16_t bid) { free_.push_back(bid); }
  // A free buffer taken in user space by a transport that fills it itself (TLS decrypts into
  // it); false when none is free. It comes back through put() like any other.
  bool takeFree(uint16_t& bid);

  // Once per loop round, before submitting: adapts the window and posts free buffers up to it.
  // Returns how many were posted.
  uint32_t refill(uint64_t now_ms);

  // Milliseconds until the next trim could give pages back, kNever when nothing can be.
  uint64_t msToTrim(uint64_t now_ms) const {
    if (touched_ <= posted_) return kNever;
    uint64_t due = trim_start_ + kTrimMs;
    return due > now_ms ? due - now_ms : 0;
  }

  // Figures for tests and benchmarks.
  uint32_t window() const { return target_; }
  uint32_t posted() const { return posted_; }
  uint32_t touched() const { return touched_; }

 private:
  void trim();

  static constexpr uint32_t kMinWindow = 16;
  static constexpr uint64_t kAdaptMs = 1000;  // the window shrinks at most once per period
  static constexpr uint64_t kTrimMs = 10000;  // idle this long: its pages go back to the kernel

  io_uring* ring_ = nullptr;
  uint16_t bgid_ = 0;
  io_uring_buf_ring* br_ = nullptr;
  size_t br_bytes_ = 0;
  uint32_t entries_ = 0;  // ring slots (a power of two)
  uint8_t* bufs_ = nullptr;
  uint32_t size_ = 0, count_ = 0;

  std::vector<uint16_t> free_;  // the top (back) is the most recently returned buffer
  std::vector<bool> dirty_;     // its pages may be resident
  uint32_t touched_ = 0;        // dirty buffers
  uint32_t posted_ = 0;         // in the ring, not yet taken by the kernel
  uint32_t target_ = kMinWindow;

  uint32_t taken_now_ = 0;  // taken since the last refill
  uint32_t starved_now_ = 0;
  uint32_t peak_ = 0;  // most taken in one round in this period
  bool starved_period_ = false;
  uint64_t period_start_ = 0;
  size_t low_ = 0;  // fewest free buffers in this trim period: the bottom ones were all unused
  uint64_t trim_start_ = 0;
};

}  // namespace lbc::rt

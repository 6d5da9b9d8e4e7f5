#include "bufring.h"

#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace lbc::rt {
namespace {
uint32_t pow2AtLeast(uint32_t v) {
  uint32_t p = 1;
  while (p < v) p <<= 1;
  return p;
}
// The largest window, in bytes: posted buffers stay resident while the worker is idle (only
// the free ones can be trimmed), so this is what a burst can leave behind. A round that needs
// more buffers gets ENOBUFS on the rest; those receives are re-armed as buffers are posted again.
constexpr uint32_t kMaxWindowBytes = 4 << 20;
constexpr uint32_t kMaxEntries = 4096;
}  // namespace

BufRing::~BufRing() {
  // The ring itself is torn down by io_uring_queue_exit, which also drops the registration.
  if (br_) munmap(br_, br_bytes_);
  if (bufs_) munmap(bufs_, size_t(count_) * size_);
}

bool BufRing::init(io_uring* ring, uint16_t bgid, uint32_t size, uint32_t count, std::string& err) {
  ring_ = ring;
  bgid_ = bgid;
  size_ = size;
  count_ = std::min<uint32_t>(count, 0xFFFE);  // buffer ids are 16 bits; 0xFFFF means "none"
  entries_ = std::min({kMaxEntries, pow2AtLeast(std::max(count_, kMinWindow)),
                       std::max(kMinWindow, pow2AtLeast(kMaxWindowBytes / size_))});
  br_bytes_ = size_t(entries_) * sizeof(io_uring_buf);
  void* m = mmap(nullptr, br_bytes_, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  if (m == MAP_FAILED) {
    err = std::string("mmap: ") + strerror(errno);
    return false;
  }
  br_ = static_cast<io_uring_buf_ring*>(m);
  // Address space only: a buffer's pages become resident when the kernel first writes into it.
  void* b = mmap(nullptr, size_t(count_) * size_, PROT_READ | PROT_WRITE,
                 MAP_ANONYMOUS | MAP_PRIVATE | MAP_NORESERVE, -1, 0);
  if (b == MAP_FAILED) {
    err = std::string("mmap: ") + strerror(errno);
    return false;
  }
  bufs_ = static_cast<uint8_t*>(b);
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<uint64_t>(br_);
  reg.ring_entries = entries_;
  reg.bgid = bgid_;
  int r = io_uring_register_buf_ring(ring_, &reg, 0);
  if (r < 0) {
    err = std::string("io_uring_register_buf_ring: ") + strerror(-r);
    return false;
  }
  io_uring_buf_ring_init(br_);
  free_.reserve(count_);
  for (uint32_t i = count_; i-- > 0;) free_.push_back(uint16_t(i));  // buffer 0 on top
  dirty_.assign(count_, false);
  low_ = free_.size();
  return true;
}

uint32_t BufRing::refill(uint64_t now_ms) {
  // Grow at once when a round ran the window dry under a connection that could take data;
  // shrink slowly, to twice the largest round of the period, when nothing starved in it.
  // Growing only when re-arms outweigh the buffers moved keeps bulk transfers in 16 hot
  // buffers, but measured 3-5% more CPU per GB (each ENOBUFS re-arms a multishot recv): the
  // cache gain of a window below 8 MiB did not show, the re-arms did.
  if (starved_now_) {
    starved_period_ = true;
    target_ = std::min(entries_, std::max(target_ * 2, pow2AtLeast(taken_now_ * 2)));
  }
  peak_ = std::max(peak_, taken_now_);
  taken_now_ = 0;
  starved_now_ = 0;
  if (now_ms - period_start_ >= kAdaptMs) {
    if (!starved_period_) {
      uint32_t want = std::max(kMinWindow, pow2AtLeast(peak_ * 2));
      if (want < target_) target_ = std::max(want, target_ / 2);
    }
    peak_ = 0;
    starved_period_ = false;
    period_start_ = now_ms;
  }
  if (now_ms - trim_start_ >= kTrimMs) {
    if (trim_start_) trim();
    trim_start_ = now_ms;
    low_ = free_.size();
  }
  uint32_t n = 0;
  const int mask = io_uring_buf_ring_mask(entries_);
  while (posted_ < target_ && !free_.empty()) {
    uint16_t bid = free_.back();
    free_.pop_back();
    if (!dirty_[bid]) {
      dirty_[bid] = true;
      ++touched_;
    }
    io_uring_buf_ring_add(br_, bufs_ + size_t(bid) * size_, size_, bid, mask, int(n));
    ++n;
    ++posted_;
  }
  if (n) io_uring_buf_ring_advance(br_, n);
  low_ = std::min(low_, free_.size());
  return n;
}

bool BufRing::takeFree(uint16_t& bid) {
  if (free_.empty()) return false;
  bid = free_.back();
  free_.pop_back();
  if (!dirty_[bid]) {
    dirty_[bid] = true;
    ++touched_;
  }
  low_ = std::min(low_, free_.size());
  return true;
}

// The bottom `low_` entries of the free stack were not taken during the whole period: release
// the pages of those that had been used. They stay free (and at the bottom); the next use
// faults fresh zero pages in.
void BufRing::trim() {
  for (size_t i = 0; i < low_; ++i) {
    uint16_t bid = free_[i];
    if (!dirty_[bid]) continue;
    madvise(bufs_ + size_t(bid) * size_, size_, MADV_DONTNEED);
    dirty_[bid] = false;
    --touched_;
  }
}

}  // namespace lbc::rt

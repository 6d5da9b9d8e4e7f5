// The per-thread pools an HTTP/1 stream takes its memory from while bytes wait, as HAProxy
// allocates a buffer only while data is in it: an idle connection (waiting for its first byte or
// its next request) holds none of them. Taking and giving back swap pointers (no allocation once
// the pools have grown to the thread's peak of busy streams). Blocks are not zeroed: only the
// pages really written become resident.
#pragma once
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace lbc::rt {

// Arrays of `n` T (receive buffers, header arrays), all the same size.
template <class T>
class BlockPool {
 public:
  explicit BlockPool(size_t n) : n_(n) {}

  // `p` (empty) gets a block.
  void take(std::unique_ptr<T[]>& p) {
    if (free_.empty()) {
      p = std::make_unique_for_overwrite<T[]>(n_);
      return;
    }
    p = std::move(free_.back());
    free_.pop_back();
  }
  // `p`'s block (if any) goes back; `p` is empty then.
  void give(std::unique_ptr<T[]>& p) {
    if (p) free_.push_back(std::move(p));
  }
  size_t idle() const { return free_.size(); }

 private:
  size_t n_;
  std::vector<std::unique_ptr<T[]>> free_;
};

// Strings with `cap` bytes reserved (the bytes lbc writes for a side: heads, replies, re-encoded
// chunks). Within that capacity appends never move the bytes, so a send from one may be in
// flight while more is appended behind it.
class StringPool {
 public:
  explicit StringPool(size_t cap) : cap_(cap) {}

  bool held(const std::string& s) const { return s.capacity() >= cap_; }
  // `s` (empty, or already held) has the reserved capacity.
  void take(std::string& s) {
    if (held(s)) return;
    if (free_.empty()) {
      s.reserve(cap_);
      return;
    }
    s.swap(free_.back());
    free_.pop_back();
  }
  // `s` goes back empty; it holds no heap memory then. Never while a send from it is in flight.
  void give(std::string& s) {
    if (!held(s)) return;
    s.clear();
    free_.push_back(std::move(s));
    s = std::string();
  }
  size_t idle() const { return free_.size(); }

 private:
  size_t cap_;
  std::vector<std::string> free_;
};

}  // namespace lbc::rt

// One thread's io_uring (SINGLE_ISSUER | DEFER_TASKRUN): submission queue entries with batched
// submission, the provided-buffer ring every multishot recv takes its data in, a mailbox other
// threads wake it through, the stop request, and the dispatch of each completion to the
// IoHandler that submitted the operation. The loop knows no protocol and no connection.
#pragma once
#include <liburing.h>

#include <atomic>
#include <cstdint>
#include <string>

#include "bufring.h"
#include "io_handler.h"

namespace lbc::rt {

struct LoopOptions {
  unsigned sq_entries = 2048;
  unsigned cq_entries = 16384;
  uint32_t buf_size = 16384;  // each provided buffer
  uint32_t buf_count = 256;
};

class Loop {
 public:
  static constexpr uint16_t kBufGroup = 0;  // the provided-buffer group of every multishot recv

  Loop() = default;
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;
  ~Loop();

  // Creates the ring, the buffers and the mailbox; false with `err` set when the kernel refuses.
  bool init(const LoopOptions& o, std::string& err);
  // Tears the ring down (idempotent): no operation can use a buffer or a descriptor after it.
  void shutdown();

  // Never null: when the submission queue is full, what it holds is submitted first.
  io_uring_sqe* sqe();
  void submit() { io_uring_submit(&ring_); }
  io_uring* ring() { return &ring_; }

  // Submits what is queued, waits up to `wait_ms` (kNever: no bound) for a completion, reads the
  // clock, and hands every completion to its handler.
  void waitAndDispatch(uint64_t wait_ms);
  uint64_t now() const { return now_; }
  void readClock();

  BufRing& bufs() { return bufs_; }
  uint8_t* bufBase() const { return buf_base_; }
  uint32_t bufSize() const { return buf_size_; }

  // The mailbox: `onWake` runs on the loop's thread after any thread called wake().
  void setWakeHandler(void (*fn)(void*), void* arg) {
    wake_fn_ = fn;
    wake_arg_ = arg;
  }
  void armMailbox();
  void wake();  // any thread

  // Stop requests, from any thread: 1 soft (finish what runs), 2 hard (cut everything).
  void requestStop(bool hard);
  int stopLevel() const { return stop_.load(); }

 private:
  void dispatch(io_uring_cqe* cqe);

  class Mailbox final : public IoHandler {
   public:
    explicit Mailbox(Loop& l) : loop_(l) {}
    void onCompletion(io_uring_cqe&, uint32_t) override;
    Loop& loop_;
    int efd_ = -1;
    uint64_t buf_ = 0;
  };

  io_uring ring_{};
  bool ring_ok_ = false;
  uint64_t now_ = 0;
  BufRing bufs_;
  uint8_t* buf_base_ = nullptr;  // bufs_'s, mirrored for hot paths
  uint32_t buf_size_ = 0;
  Mailbox mbox_{*this};
  void (*wake_fn_)(void*) = nullptr;
  void* wake_arg_ = nullptr;
  std::atomic<int> stop_{0};
};

}  // namespace lbc::rt

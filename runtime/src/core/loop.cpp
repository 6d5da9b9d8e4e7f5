#include "loop.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "clock.h"

namespace lbc::rt {

Loop::~Loop() {
  shutdown();
  if (mbox_.efd_ >= 0) close(mbox_.efd_);
}

bool Loop::init(const LoopOptions& o, std::string& err) {
  io_uring_params params{};
  params.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SUBMIT_ALL;
  params.flags |= IORING_SETUP_CQSIZE;
  params.cq_entries = o.cq_entries;
  int r = io_uring_queue_init_params(o.sq_entries, &ring_, &params);
  if (r < 0) {
    err = std::string("io_uring_queue_init: ") + strerror(-r);
    return false;
  }
  ring_ok_ = true;
  if (!bufs_.init(&ring_, kBufGroup, o.buf_size, o.buf_count, err)) return false;
  buf_base_ = bufs_.base();
  buf_size_ = o.buf_size;
  mbox_.efd_ = eventfd(0, EFD_CLOEXEC);
  if (mbox_.efd_ < 0) {
    err = std::string("eventfd: ") + strerror(errno);
    return false;
  }
  now_ = monoMs();
  return true;
}

void Loop::shutdown() {
  if (!ring_ok_) return;
  io_uring_queue_exit(&ring_);
  ring_ok_ = false;
}

io_uring_sqe* Loop::sqe() {
  io_uring_sqe* s = io_uring_get_sqe(&ring_);
  while (!s) {
    io_uring_submit(&ring_);
    s = io_uring_get_sqe(&ring_);
  }
  return s;
}

void Loop::readClock() {
  now_ = monoMs();
}

void Loop::waitAndDispatch(uint64_t wait_ms) {
  __kernel_timespec ts{};
  const bool timed = wait_ms != kNever;
  if (timed) {
    ts.tv_sec = int64_t(wait_ms / 1000);
    ts.tv_nsec = int64_t(wait_ms % 1000) * 1000000;
  }
  io_uring_cqe* cqe = nullptr;
  (void)io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, timed ? &ts : nullptr, nullptr);
  now_ = monoMs();
  unsigned head, n = 0;
  io_uring_for_each_cqe(&ring_, head, cqe) {
    dispatch(cqe);
    ++n;
  }
  io_uring_cq_advance(&ring_, n);
}

void Loop::dispatch(io_uring_cqe* cqe) {
  const uint64_t data = io_uring_cqe_get_data64(cqe);
  if (cqe->flags & IORING_CQE_F_BUFFER) {
    bufs_.taken();
    if (cqe->res <= 0) {  // no data in it after all: straight back to the pool
      bufs_.put(uint16_t(cqe->flags >> IORING_CQE_BUFFER_SHIFT));
      cqe->flags &= ~IORING_CQE_F_BUFFER;
    }
  }
  auto* h = reinterpret_cast<IoHandler*>(data & ~IoHandler::kOpMask);
  if (h) h->onCompletion(*cqe, uint32_t(data & IoHandler::kOpMask));
}

void Loop::armMailbox() {
  io_uring_sqe* s = sqe();
  io_uring_prep_read(s, mbox_.efd_, &mbox_.buf_, sizeof mbox_.buf_, 0);
  io_uring_sqe_set_data64(s, mbox_.ioData(0));
}

void Loop::Mailbox::onCompletion(io_uring_cqe&, uint32_t) {
  if (loop_.wake_fn_) loop_.wake_fn_(loop_.wake_arg_);
  loop_.armMailbox();
}

void Loop::wake() {
  uint64_t one = 1;
  (void)!write(mbox_.efd_, &one, sizeof one);
}

void Loop::requestStop(bool hard) {
  int cur = stop_.load();
  while (cur < (hard ? 2 : 1) && !stop_.compare_exchange_weak(cur, hard ? 2 : 1)) {
  }
  wake();
}

}  // namespace lbc::rt

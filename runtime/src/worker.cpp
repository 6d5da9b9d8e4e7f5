// The engine loop: one ring per thread (SINGLE_ISSUER | DEFER_TASKRUN), multishot accept on
// this thread's listeners, a provided-buffer ring for every recv, a hashed timer wheel, and a
// mailbox (eventfd) through which other threads hand over queued connections.
#include "worker.h"

#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "analyse.h"
#include "conn.h"
#include "http_stream.h"

namespace lbc::rt {
namespace {
thread_local Worker* tl_worker = nullptr;
constexpr uint16_t kBgid = 0;

uint64_t monoMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000 + uint64_t(ts.tv_nsec) / 1000000;
}
}  // namespace

Worker::Worker(Shared& shared, uint32_t index, std::vector<Listener> listeners)
    : shared_(shared),
      topo_(*shared.topo),
      index_(index),
      listeners_(std::move(listeners)),
      wheel_(kSlots, nullptr) {}

Worker::~Worker() {
  if (ring_ok_) io_uring_queue_exit(&ring_);
  if (efd_ >= 0) close(efd_);
  for (auto& l : listeners_)
    if (l.owned && !l.closed && l.fd >= 0) close(l.fd);
}

bool Worker::init(std::string& err) {
  io_uring_params params{};
  params.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SUBMIT_ALL;
  params.flags |= IORING_SETUP_CQSIZE;
  params.cq_entries = 16384;
  int r = io_uring_queue_init_params(2048, &ring_, &params);
  if (r < 0) {
    err = std::string("io_uring_queue_init: ") + strerror(-r);
    return false;
  }
  ring_ok_ = true;
  // Buffers hold data in flight, not connections: an idle connection holds none (a multishot
  // recv takes one only when bytes arrive). The pool is address space until used (BufRing);
  // its bound leaves room for two buffers per connection, within 1 GiB for the process.
  // Past it, ENOBUFS pauses reads until buffers come back.
  uint32_t nthreads = std::max<uint32_t>(1, topo_.global.nbthread);
  uint32_t per_thread = topo_.global.maxconn / nthreads + 1;
  bufsize_ = topo_.global.bufsize;
  head_scratch_ = std::make_unique_for_overwrite<char[]>(size_t(2) * bufsize_);
  uint64_t budget = std::max<uint64_t>(256, (uint64_t(1) << 30) / nthreads / bufsize_);
  uint32_t count = uint32_t(std::min<uint64_t>(uint64_t(per_thread) * 2 + 256, budget));
  if (!pool_.init(&ring_, kBgid, bufsize_, count, err)) return false;
  bufs_ = pool_.base();
  buf_len_.assign(pool_.count(), 0);
  buf_next_.assign(pool_.count(), kNoBuf);
  efd_ = eventfd(0, EFD_CLOEXEC);
  if (efd_ < 0) {
    err = std::string("eventfd: ") + strerror(errno);
    return false;
  }
  return true;
}

io_uring_sqe* Worker::sqe() {
  io_uring_sqe* s = io_uring_get_sqe(&ring_);
  while (!s) {
    io_uring_submit(&ring_);
    s = io_uring_get_sqe(&ring_);
  }
  return s;
}

void Worker::recycle(uint16_t bid) {
  pool_.put(bid);
}

void Worker::flushBuffers() {
  pool_.refill(now_);
  // Connections stopped by ENOBUFS get their recv back as soon as the ring holds buffers, even
  // when this refill posted none: an ENOBUFS reaped after an earlier refill had already filled
  // the window (at its maximum, so a starved round cannot grow it) would otherwise wait for a
  // refill that never comes, and its connection (a FIN never read) for its timeout.
  if (!starved_.empty() && pool_.posted() > 0) {
    auto list = std::move(starved_);
    starved_.clear();
    for (auto [c, dir] : list) {
      c->p[dir].starved = false;
      if (recvActive(c, dir) && !c->p[dir].armed && !c->p[dir].eof && !c->p[dir].paused)
        armRecv(c, dir);
      opDone(c);  // the starved list held a reference
    }
  }
}

void Worker::armAccept(Listener& l) {
  io_uring_sqe* s = sqe();
  io_uring_prep_multishot_accept(s, l.fd, nullptr, nullptr, SOCK_CLOEXEC);
  io_uring_sqe_set_data64(s, ud(&l, kAccept));
  l.armed = true;
}

void Worker::armEvent() {
  io_uring_sqe* s = sqe();
  io_uring_prep_read(s, efd_, &ev_buf_, sizeof ev_buf_, 0);
  io_uring_sqe_set_data64(s, ud(this, kEvent));
}

void Worker::post(QueueLink* link) {
  if (tl_worker == this) {
    local_.push_back(link);
    return;
  }
  {
    std::lock_guard g(mbox_lock_);
    mbox_.push_back(link);
  }
  uint64_t one = 1;
  (void)!write(efd_, &one, sizeof one);
}

void Worker::postResume() {
  resume_.store(true);
  if (tl_worker == this) return;
  uint64_t one = 1;
  (void)!write(efd_, &one, sizeof one);
}

void Worker::requestStop(bool hard) {
  int cur = stop_.load();
  while (cur < (hard ? 2 : 1) && !stop_.compare_exchange_weak(cur, hard ? 2 : 1)) {
  }
  uint64_t one = 1;
  (void)!write(efd_, &one, sizeof one);
}

void Worker::onEvent() {
  std::vector<QueueLink*> in;
  {
    std::lock_guard g(mbox_lock_);
    in.swap(mbox_);
  }
  for (QueueLink* l : in) handoff(l);
  if (resume_.exchange(false)) resumeListeners();
  if (stop_.load() && !stopping_) beginStop();
  if (stop_.load() == 2) {
    // Hard stop: every live connection is cut.
    for (auto& chunk : chunks_)
      for (size_t i = 0; i < 256; ++i) {
        Conn* c = &chunk[i];
        if (c->st != ConnState::Free && c->st != ConnState::Closing) finish(c, true);
      }
  }
  armEvent();
}

void Worker::beginStop() {
  stopping_ = true;
  for (auto& l : listeners_) {
    if (l.armed) {
      io_uring_sqe* s = sqe();
      io_uring_prep_cancel64(s, ud(&l, kAccept), 0);
      io_uring_sqe_set_data64(s, ud(nullptr, kIgnore));
    }
    if (l.owned && !l.closed) {
      close(l.fd);
      l.closed = true;
    }
  }
  for (auto [fd, l] : held_) close(fd);
  held_.clear();
  io_uring_submit(&ring_);
  released_.store(true);
  released_.notify_all();
}

bool Worker::limitsFull(const Listener& l) const {
  return shared_.global.full() || l.fe->limit.full() || (l.limit && l.limit->full());
}

void Worker::onAccept(Listener& l, int res, bool more) {
  if (!more) l.armed = false;
  if (res >= 0) {
    if (stopping_) {
      close(res);
    } else if (!held_.empty() || limitsFull(l)) {
      held_.emplace_back(res, &l);
    } else {
      startConn(res, l);
    }
  } else if (res != -ECANCELED && !stopping_ && res != -EBADF && res != -EINVAL) {
    // EMFILE/ENFILE/ENOMEM: the listener stays armed; HAProxy likewise retries later.
  }
  if (stopping_ || l.closed) return;
  if (limitsFull(l)) {
    if (!l.paused) {
      l.paused = true;
      if (l.armed) {
        io_uring_sqe* s = sqe();
        io_uring_prep_cancel64(s, ud(&l, kAccept), 0);
        io_uring_sqe_set_data64(s, ud(nullptr, kIgnore));
      }
    }
  } else if (!l.armed && !l.paused) {
    armAccept(l);
  }
}

void Worker::resumeListeners() {
  if (stopping_) return;
  while (!held_.empty()) {
    auto [fd, l] = held_.front();
    if (limitsFull(*l)) break;
    held_.erase(held_.begin());
    startConn(fd, *l);
  }
  for (auto& l : listeners_) {
    if (!l.paused || limitsFull(l)) continue;
    l.paused = false;
    if (!l.armed) armAccept(l);
  }
}

Conn* Worker::allocConn() {
  if (!free_) {
    auto chunk = std::make_unique<Conn[]>(256);
    for (size_t i = 0; i < 256; ++i) {
      chunk[i].free_next = free_;
      free_ = &chunk[i];
    }
    chunks_.push_back(std::move(chunk));
  }
  Conn* c = free_;
  free_ = c->free_next;
  c->reset();
  c->link.owner = this;
  ++live_;
  return c;
}

// ---- timers --------------------------------------------------------------------------------------

void Worker::wheelInsert(Conn* c, uint64_t when) {
  uint64_t tick = (when + kTickMs - 1) / kTickMs;
  if (tick < wheel_tick_) tick = wheel_tick_;
  if (tick >= wheel_tick_ + kSlots) tick = wheel_tick_ + kSlots - 1;  // beyond the horizon: look again then
  Conn*& head = wheel_[tick % kSlots];
  c->tprev = nullptr;
  c->tnext = head;
  if (head) head->tprev = c;
  head = c;
  markSlot(tick);
  c->twhen = tick * kTickMs;
  c->in_wheel = true;
  ++timed_;
}

void Worker::wheelRemove(Conn* c) {
  if (!c->in_wheel) return;
  Conn*& head = wheel_[(c->twhen / kTickMs) % kSlots];
  if (c->tprev)
    c->tprev->tnext = c->tnext;
  else
    head = c->tnext;
  if (c->tnext) c->tnext->tprev = c->tprev;
  c->tprev = c->tnext = nullptr;
  c->in_wheel = false;
  --timed_;
}

void Worker::arm(Conn* c) {
  uint64_t d = deadline(c);
  if (!d) {
    wheelRemove(c);
    return;
  }
  // Lazy: an earlier wheel position is kept and re-evaluated when it comes, so activity never
  // touches the wheel.
  if (c->in_wheel && c->twhen <= d) return;
  wheelRemove(c);
  wheelInsert(c, d);
}

void Worker::runTimers() {
  uint64_t now_tick = now_ / kTickMs;
  while (wheel_tick_ <= now_tick && timed_) {
    Conn* c = wheel_[wheel_tick_ % kSlots];
    wheel_[wheel_tick_ % kSlots] = nullptr;
    uint64_t tick = wheel_tick_++;
    while (c) {
      Conn* next = c->tnext;
      if (c->twhen / kTickMs != tick) {  // a later round in the same slot: keep it
        c->tprev = nullptr;
        c->tnext = wheel_[tick % kSlots];
        if (c->tnext) c->tnext->tprev = c;
        wheel_[tick % kSlots] = c;
        markSlot(tick);
      } else {
        c->in_wheel = false;
        c->tprev = c->tnext = nullptr;
        --timed_;
        uint64_t d = deadline(c);
        if (d && d <= now_)
          onTimeout(c);
        else if (d)
          wheelInsert(c, d);
      }
      c = next;
    }
  }
  if (!timed_) wheel_tick_ = now_tick + 1;
}

// The first tick from wheel_tick_ on whose slot holds a list (wheel_tick_ + kSlots if none).
uint64_t Worker::nextTimedTick() {
  const uint32_t start = uint32_t(wheel_tick_ % kSlots);
  for (uint32_t k = 0; k <= kSlotWords; ++k) {
    const uint32_t w = (start / 64 + k) % kSlotWords;
    uint64_t bits = occupied_[w];
    if (k == 0) bits &= ~uint64_t(0) << (start % 64);  // the start word: from `start` on
    if (k == kSlotWords) bits &= (uint64_t(1) << (start % 64)) - 1;  // wrapped: below `start`
    while (bits) {
      const uint32_t slot = w * 64 + uint32_t(__builtin_ctzll(bits));
      if (wheel_[slot]) return wheel_tick_ + (slot + kSlots - start) % kSlots;
      occupied_[w] &= ~(uint64_t(1) << (slot % 64));  // stale: emptied by removals
      bits &= bits - 1;
    }
  }
  return wheel_tick_ + kSlots;
}

bool Worker::nextWait(__kernel_timespec& ts) {
  // Also wake to give idle buffers' pages back, or RSS would stay at the last burst's peak.
  uint64_t wait = pool_.msToTrim(now_);
  if (timed_) {
    uint64_t at = nextTimedTick() * kTickMs;
    wait = std::min(wait, at > now_ ? at - now_ : 0);
  }
  if (!idle_srv_.empty()) wait = std::min<uint64_t>(wait, 250);  // parked server connections expire
  if (checker_ && !stopping_) {
    uint64_t at = checker_->nextWake();
    if (at != ~0ull) wait = std::min(wait, at > now_ ? at - now_ : 0);
  }
  if (wait == kNever) return false;
  ts.tv_sec = int64_t(wait / 1000);
  ts.tv_nsec = int64_t(wait % 1000) * 1000000;
  return true;
}

// ---- the loop ------------------------------------------------------------------------------------

void Worker::run() {
  tl_worker = this;
  now_ = monoMs();
  wheel_tick_ = now_ / kTickMs + 1;
  for (auto& l : listeners_) armAccept(l);
  armEvent();
  checker_ = std::make_unique<HealthChecker>(shared_, &ring_, index_,
                                             std::max<uint32_t>(1, topo_.global.nbthread), bufsize_);
  if (checker_->empty())
    checker_.reset();
  else
    checker_->start(now_);
  while (true) {
    flushBuffers();
    for (size_t i = 0; i < local_.size(); ++i) handoff(local_[i]);
    local_.clear();
    if (stopping_ && live_ == 0) break;
    __kernel_timespec ts{};
    bool timed = nextWait(ts);
    io_uring_cqe* cqe = nullptr;
    int r = io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, timed ? &ts : nullptr, nullptr);
    (void)r;
    now_ = monoMs();
    unsigned head, n = 0;
    io_uring_for_each_cqe(&ring_, head, cqe) {
      dispatch(cqe);
      ++n;
    }
    io_uring_cq_advance(&ring_, n);
    runTimers();
    httpSweepIdle(stopping_);
    if (checker_ && !stopping_ && now_ >= checker_->nextWake()) checker_->run(now_, stopping_);
  }
  // Tear the ring down now, not at process exit: with DEFER_TASKRUN a cancelled accept only
  // lets go of its listening socket when this thread reaps it, and an idle worker leaves the
  // loop at once, so the port would keep accepting into a queue nobody serves.
  io_uring_queue_exit(&ring_);
  ring_ok_ = false;
  checker_.reset();  // after the ring: no operation can still use its buffers or descriptors
  tl_worker = nullptr;
}

void Worker::dispatch(io_uring_cqe* cqe) {
  uint64_t data = io_uring_cqe_get_data64(cqe);
  Tag tag = static_cast<Tag>(data & kTagMask);
  void* p = reinterpret_cast<void*>(data & ~kTagMask);
  bool more = cqe->flags & IORING_CQE_F_MORE;
  switch (tag) {
    case kAccept:
      onAccept(*static_cast<Listener*>(p), cqe->res, more);
      break;
    case kEvent:
      onEvent();
      break;
    case kRecvC:
    case kRecvS: {
      int dir = tag == kRecvC ? 0 : 1;
      if (cqe->flags & IORING_CQE_F_BUFFER) {
        pool_.taken();
        if (cqe->res <= 0) {  // no data in it after all: straight back to the pool
          recycle(uint16_t(cqe->flags >> IORING_CQE_BUFFER_SHIFT));
          cqe->flags &= ~IORING_CQE_F_BUFFER;
        }
      }
      // A pipe already paused by backpressure would not have taken more: its ENOBUFS says
      // nothing about the window being too small.
      if (cqe->res == -ENOBUFS && !static_cast<Conn*>(p)->p[dir].paused) pool_.starved();
      onRecv(static_cast<Conn*>(p), dir, cqe->res, cqe->flags);
      break;
    }
    case kSendS:
    case kSendC:
      onSend(static_cast<Conn*>(p), tag == kSendS ? 0 : 1, cqe->res);
      break;
    case kConnect:
      onConnect(static_cast<Conn*>(p), cqe->res);
      break;
    case kIgnore:
      if (p) opDone(static_cast<Conn*>(p));
      break;
    case kCheck:
      if (checker_) checker_->onCompletion(p, cqe->res, now_);
      break;
    case kPollC:
      onClientPoll(static_cast<Conn*>(p), cqe->res);
      break;
  }
}

}  // namespace lbc::rt

// A worker: the engine thread around its loop (core/loop.h): multishot accept on this thread's
// listeners, connections, their timers (core/timer_wheel.h), and the mailbox through which other
// threads hand over queued connections.
#include "worker.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "analyse.h"
#include "conn.h"
#include "core/clock.h"
#include "health.h"
#include "http_stream.h"
#include "sessions.h"

namespace lbc::rt {
namespace {
thread_local Worker* tl_worker = nullptr;
}  // namespace

void Listener::onAccepted(int res, bool more) {
  worker->onAccept(*this, res, more);
}

void ConnIo::onTransport(Transport& t, const TransportEvent& ev) {
  conn->link.owner->onConnIo(conn, &t == &conn->tr[kClientSide] ? kClientSide : kServerSide, ev);
}

Worker::Worker(LiveState& state, GenerationRef gen, uint32_t index, std::vector<Listener> listeners)
    : state_(state),
      gen_(std::move(gen)),
      global_(gen_->topo.global),
      index_(index),
      listeners_(std::move(listeners)) {
  for (auto& l : listeners_) l.worker = this;
}

Worker::~Worker() {
  loop_.shutdown();
  for (auto& l : listeners_)
    if (l.owned && !l.closed) l.closeSocket();
}

bool Worker::init(std::string& err) {
  // Buffers hold data in flight, not connections: an idle connection holds none (a multishot
  // recv takes one only when bytes arrive). The pool is address space until used (BufRing);
  // its bound leaves room for two buffers per connection, within 1 GiB for the process.
  // Past it, ENOBUFS pauses reads until buffers come back.
  uint32_t nthreads = std::max<uint32_t>(1, global_.nbthread);
  uint32_t per_thread = global_.maxconn / nthreads + 1;
  bufsize_ = global_.bufsize;
  head_scratch_ = std::make_unique_for_overwrite<char[]>(size_t(2) * bufsize_);
  uint64_t budget = std::max<uint64_t>(256, (uint64_t(1) << 30) / nthreads / bufsize_);
  LoopOptions o;
  o.buf_size = bufsize_;
  o.buf_count = uint32_t(std::min<uint64_t>(uint64_t(per_thread) * 2 + 256, budget));
  if (!loop_.init(o, err)) return false;
  loop_.setWakeHandler(&Worker::onWake, this);
  relay_session_ = std::make_unique<RelaySession>(*this);
  http1_session_ = std::make_unique<Http1Session>(*this);
  bufs_ = loop_.bufBase();
  buf_len_.assign(loop_.bufs().count(), 0);
  buf_next_.assign(loop_.bufs().count(), kNoBuf);
  return true;
}

void Worker::recycle(uint16_t bid) {
  loop_.bufs().put(bid);
}

void Worker::flushBuffers() {
  loop_.bufs().refill(now());
  // Connections stopped by ENOBUFS get their recv back as soon as the ring holds buffers, even
  // when this refill posted none: an ENOBUFS reaped after an earlier refill had already filled
  // the window (at its maximum, so a starved round cannot grow it) would otherwise wait for a
  // refill that never comes, and its connection (a FIN never read) for its timeout.
  if (!starved_.empty() && loop_.bufs().posted() > 0) {
    auto list = std::move(starved_);
    starved_.clear();
    for (auto [c, dir] : list) {
      c->p[dir].starved = false;
      if (recvActive(c, dir) && !c->p[dir].armed && !c->p[dir].eof && !c->p[dir].paused) armRecv(c, dir);
      opDone(c);  // the starved list held a reference
    }
  }
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
  loop_.wake();
}

void Worker::postResume() {
  resume_.store(true);
  if (tl_worker == this) return;
  loop_.wake();
}

void Worker::adopt(GenerationRef gen, std::atomic<uint32_t>* adopted) {
  {
    std::lock_guard g(mbox_lock_);
    next_gen_ = std::move(gen);
    next_adopted_ = adopted;
  }
  loop_.wake();
}

void Worker::requestStop(bool hard) {
  loop_.requestStop(hard);
}

void Worker::onEvent() {
  std::vector<QueueLink*> in;
  GenerationRef next;
  std::atomic<uint32_t>* adopted = nullptr;
  {
    std::lock_guard g(mbox_lock_);
    in.swap(mbox_);
    next = std::move(next_gen_);
    std::swap(adopted, next_adopted_);
  }
  if (next) {
    gen_ = std::move(next);
    adopted->fetch_add(1);
    adopted->notify_all();
  }
  for (QueueLink* l : in) handoff(l);
  if (resume_.exchange(false)) resumeListeners();
  if (loop_.stopLevel() && !stopping_) beginStop();
  if (loop_.stopLevel() == 2) {
    // Hard stop: every live connection is cut.
    for (auto& chunk : chunks_)
      for (size_t i = 0; i < 256; ++i) {
        Conn* c = &chunk[i];
        if (c->st != ConnState::Free && c->st != ConnState::Closing) finish(c, true);
      }
  }
}

void Worker::beginStop() {
  stopping_ = true;
  for (auto& l : listeners_) {
    l.cancel(loop_);
    if (l.owned && !l.closed) {
      l.closeSocket();
      l.closed = true;
    }
  }
  for (auto [fd, l] : held_) RawTransport::closeDetached(fd);
  held_.clear();
  loop_.submit();
  released_.store(true);
  released_.notify_all();
}

bool Worker::limitsFull(const Listener& l) const {
  return state_.global.full() || l.fe->limit.full() || (l.limit && l.limit->full());
}

void Worker::onAccept(Listener& l, int res, bool more) {
  (void)more;
  if (res >= 0) {
    if (stopping_) {
      RawTransport::closeDetached(res);
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
      l.cancel(loop_);
    }
  } else if (!l.armed() && !l.paused) {
    l.arm(loop_);
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
    if (!l.armed()) l.arm(loop_);
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
  c->tr[kClientSide].setLoop(&loop_);
  c->tr[kServerSide].setLoop(&loop_);
  ++live_;
  return c;
}

// ---- timers --------------------------------------------------------------------------------------

void Worker::wheelRemove(Conn* c) {
  wheel_.remove(&c->timer);
}

void Worker::arm(Conn* c) {
  // Lazy: an earlier wheel position is kept and re-evaluated when it comes, so activity never
  // touches the wheel.
  wheel_.schedule(&c->timer, deadline(c));
}

void Worker::runTimers() {
  wheel_.expire(now(), [this](TimerEntry* e) {
    Conn* c = static_cast<Conn*>(e->owner);
    uint64_t d = deadline(c);
    if (d && d <= now())
      onTimeout(c);
    else if (d)
      wheel_.insert(e, d);
  });
}

uint64_t Worker::nextWait() {
  // Also wake to give idle buffers' pages back, or RSS would stay at the last burst's peak.
  const uint64_t now_ms = now();
  uint64_t wait = loop_.bufs().msToTrim(now_ms);
  uint64_t at = wheel_.nextDue();
  if (at != TimerWheel::kNoTimer) wait = std::min(wait, at > now_ms ? at - now_ms : 0);
  if (!idle_srv_.empty()) wait = std::min<uint64_t>(wait, 250);  // parked server connections expire
  if (checker_ && !stopping_) {
    at = checker_->nextWake();
    if (at != ~0ull) wait = std::min(wait, at > now_ms ? at - now_ms : 0);
  }
  return wait;
}

// ---- the loop ------------------------------------------------------------------------------------

void Worker::run() {
  tl_worker = this;
  loop_.readClock();
  wheel_.start(now());
  for (auto& l : listeners_) l.arm(loop_);
  loop_.armMailbox();
  checker_ = std::make_unique<HealthChecker>(state_, global_, loop_, index_,
                                             std::max<uint32_t>(1, global_.nbthread), bufsize_);
  if (checker_->empty())
    checker_.reset();
  else
    checker_->start(now());
  while (true) {
    flushBuffers();
    for (size_t i = 0; i < local_.size(); ++i) handoff(local_[i]);
    local_.clear();
    if (stopping_ && live_ == 0) break;
    loop_.waitAndDispatch(nextWait());
    runTimers();
    httpSweepIdle(stopping_);
    if (checker_ && !stopping_ && now() >= checker_->nextWake()) checker_->run(now(), stopping_);
  }
  // Tear the ring down now, not at process exit: with DEFER_TASKRUN a cancelled accept only
  // lets go of its listening socket when this thread reaps it, and an idle worker leaves the
  // loop at once, so the port would keep accepting into a queue nobody serves.
  loop_.shutdown();
  checker_.reset();  // after the ring: no operation can still use its buffers or descriptors
  tl_worker = nullptr;
}

// What a connection's transport reports: `side` is the transport's (client or server); a pipe's
// direction is the side it reads from (0: client -> server).
void Worker::onConnIo(Conn* c, int side, const TransportEvent& ev) {
  switch (ev.kind) {
    case TransportEvent::kRecv:
      // A pipe already paused by backpressure would not have taken more: its ENOBUFS says
      // nothing about the window being too small.
      if (ev.res == -ENOBUFS && !c->p[side].paused) loop_.bufs().starved();
      onRecv(c, side, ev.res, ev.more, ev.bid);
      break;
    case TransportEvent::kSent:
      onSend(c, side == kServerSide ? 0 : 1, ev.res);
      break;
    case TransportEvent::kReady:
      onConnect(c, ev.res);
      break;
    case TransportEvent::kPeerClosed:
      onClientPoll(c, ev.res);
      break;
    case TransportEvent::kDone:
      maybeFree(c);
      break;
  }
}

}  // namespace lbc::rt

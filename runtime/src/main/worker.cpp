// A worker: the engine thread around its loop (core/loop.h): multishot accept on this thread's
// listeners, connections, their timers (core/timer_wheel.h), and the mailbox through which other
// threads hand over queued connections.
#include "main/worker.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "admin/cli.h"
#include "http1/session.h"
#include "stream/relay.h"
#include "upstream/dns_servers.h"
#include "upstream/health.h"
#include "upstream/server_events.h"

namespace lbc::rt {
namespace {
thread_local Worker* tl_worker = nullptr;
}  // namespace

void Listener::onAccepted(int res, bool more) {
  worker->onAccept(*this, res, more);
}

Worker::Worker(LiveState& state, GenerationRef gen, uint32_t index, std::vector<Listener> listeners)
    : state_(state),
      gen_(std::move(gen)),
      global_(gen_->topo.global),
      index_(index),
      listeners_(std::move(listeners)),
      engine_(state, loop_, *this, this) {
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
  const uint32_t bufsize = global_.bufsize;
  uint64_t budget = std::max<uint64_t>(256, (uint64_t(1) << 30) / nthreads / bufsize);
  LoopOptions o;
  o.buf_size = bufsize;
  o.buf_count = uint32_t(std::min<uint64_t>(uint64_t(per_thread) * 2 + 256, budget));
  if (!loop_.init(o, err)) return false;
  loop_.setWakeHandler(&Worker::onWake, this);
  engine_.init();
  relay_session_ = std::make_unique<RelaySession>(engine_);
  http1_session_ = std::make_unique<Http1Session>(engine_, global_);
  if (!cli_fds_.empty())
    cli_ = std::make_unique<CliServer>(
        loop_, state_, global_, [this] { return gen_.get(); }, std::move(cli_fds_));
  return true;
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
  for (QueueLink* l : in) engine_.handoff(l);
  if (resume_.exchange(false)) resumeListeners();
  if (loop_.stopLevel() && !stopping_) beginStop();
  if (loop_.stopLevel() == 2) engine_.cutAll();  // hard stop: every live connection is cut
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
  if (cli_) cli_->stop();
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

void Worker::startConn(int fd, Listener& l) {
  const GenerationView& v = viewOf(*gen_);
  Frontend* fe = l.fe->slot < v.by_slot.size() ? v.by_slot[l.fe->slot] : nullptr;
  if (!fe) {  // the frontend is gone from the generation installed since the bind
    RawTransport::closeDetached(fd);
    return;
  }
  Session* s =
      fe->spec->mode == ProxyMode::Http ? static_cast<Session*>(http1_session_.get()) : relay_session_.get();
  engine_.accept(fd, fe, gen_, l.limit, s, l.bind);
  l.fe->accepted();
  state_.cum_conns.fetch_add(1, std::memory_order_relaxed);
}

void Worker::limitsFreed(bool was_full) {
  if (!was_full && held_.empty()) return;
  resumeListeners();
  if (was_full && state_.resume_all) state_.resume_all();
}

// ---- the loop ------------------------------------------------------------------------------------

uint64_t Worker::nextWait() {
  // Also wake to give idle buffers' pages back, or RSS would stay at the last burst's peak.
  const uint64_t now_ms = now();
  uint64_t wait = loop_.bufs().msToTrim(now_ms);
  uint64_t at = engine_.nextDue();
  if (at != TimerWheel::kNoTimer) wait = std::min(wait, at > now_ms ? at - now_ms : 0);
  if (http1_session_->idleParked()) wait = std::min<uint64_t>(wait, 250);  // parked server connections expire
  if (checker_ && !stopping_) {
    at = checker_->nextWake();
    if (at != ~0ull) wait = std::min(wait, at > now_ms ? at - now_ms : 0);
  }
  if (dns_ && !stopping_) {
    at = dns_->nextWake();
    if (at != ~0ull) wait = std::min(wait, at > now_ms ? at - now_ms : 0);
  }
  return wait;
}

// The servers resolved at run time (`resolvers` sections) are the first worker's.
void Worker::startDns() {
  if (index_ != 0) return;
  dns_ = std::make_unique<DnsServers>(state_, gen_->topo, loop_);
  std::string err;
  if (dns_->empty()) {
    dns_.reset();
    return;
  }
  const bool ok = dns_->open(err);
  if (!err.empty() && !state_.quiet) {
    const std::string line = stderrLine(ok ? "WARNING" : "ALERT", int(getpid()), "resolvers: " + err + ".");
    ssize_t w = write(2, line.data(), line.size());
    (void)w;
  }
  dns_->run(now());
}

void Worker::run() {
  tl_worker = this;
  loop_.readClock();
  engine_.start();
  for (auto& l : listeners_) l.arm(loop_);
  if (cli_) cli_->start();
  loop_.armMailbox();
  checker_ = std::make_unique<HealthChecker>(state_, global_, loop_, index_,
                                             std::max<uint32_t>(1, global_.nbthread), global_.bufsize);
  if (checker_->empty())
    checker_.reset();
  else
    checker_->start(now());
  startDns();
  while (true) {
    engine_.flushBuffers();
    for (size_t i = 0; i < local_.size(); ++i) engine_.handoff(local_[i]);
    local_.clear();
    if (stopping_ && engine_.live() == 0) break;
    loop_.waitAndDispatch(nextWait());
    engine_.runTimers();
    http1_session_->sweepIdle(stopping_);
    if (checker_ && !stopping_ && now() >= checker_->nextWake()) checker_->run(now(), stopping_);
    if (dns_ && !stopping_ && now() >= dns_->nextWake()) dns_->run(now());
  }
  // Tear the ring down now, not at process exit: with DEFER_TASKRUN a cancelled accept only
  // lets go of its listening socket when this thread reaps it, and an idle worker leaves the
  // loop at once, so the port would keep accepting into a queue nobody serves.
  loop_.shutdown();
  checker_.reset();  // after the ring: no operation can still use its buffers or descriptors
  dns_.reset();
  cli_.reset();
  tl_worker = nullptr;
}

}  // namespace lbc::rt

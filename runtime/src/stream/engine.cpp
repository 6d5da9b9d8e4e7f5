// A connection's life on its worker: accepted -> server assigned (or queued) -> connecting
// (retries, redispatch, turn-around) -> established relay with backpressure and half-close
// -> closed. Operations in flight are counted; the object returns to the pool only when the
// last completion for it has arrived.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "stream/analyse.h"
#include "stream/engine.h"
#include "stream/lb_key.h"
#include "stream/session.h"

namespace lbc::rt {

void StreamIo::onTransport(Transport& t, const TransportEvent& ev) {
  engine->onStreamIo(stream, &t == &stream->cx->tr.get() ? kClientSide : kServerSide, ev);
}

Engine::Engine(LiveState& state, Loop& loop, EngineHost& host, QueueOwner* owner)
    : state_(state), loop_(loop), host_(host), owner_(owner) {}

Engine::~Engine() = default;

void Engine::init() {
  bufs_ = loop_.bufBase();
  bufsize_ = loop_.bufs().size();
  buf_len_.assign(loop_.bufs().count(), 0);
  buf_next_.assign(loop_.bufs().count(), kNoBuf);
}

void Engine::start() {
  wheel_.start(now());
}

Stream* Engine::accept(int fd, Frontend* fe, GenerationRef gen, Limit* listener_limit, Session* session,
                       uint32_t bind) {
  state_.global.cur.fetch_add(1);
  fe->limit.cur.fetch_add(1);
  if (listener_limit) listener_limit->cur.fetch_add(1);
  Stream* c = allocStream();
  c->cx->counted = true;
  c->cx->li_limit = listener_limit;
  c->cx->gen = std::move(gen);  // the one reference a connection takes: none per request
  c->cx->fe = fe;
  c->cx->bind = bind;
  c->cx->act = c->act_s = c->cx->accepted = now();
  const TlsServerContext* tls = bind < fe->tls.size() ? fe->tls[bind].get() : nullptr;
  if (bind < fe->spec->binds.size() && fe->spec->binds[bind].accept_proxy) {
    awaitProxyHeader(c, fd, session);  // then TLS, then the session (proxy_accept.cpp)
    return c;
  }
  if (!tls) {
    c->cx->tr.useRaw();
    c->cx->tr.adopt(fd, true);
  } else if (!startHandshake(c, fd, *tls, session)) {
    return c;
  }
  c->cx->session = session;
  session->start(c);
  return c;
}

// The backend is known (c->be, or the frontend's static one): server selection starts.
void Engine::toBackend(Stream* c, ServerState* force) {
  if (!c->be) c->be = c->cx->fe->backend;
  if (!c->be) {
    // A frontend without a backend: nothing to serve the connection. (A fresh connection is
    // still Free, which finish() would skip, leaking its descriptor.)
    if (c->st == ConnState::Free) c->st = ConnState::Analysing;
    finish(c, false);
    return;
  }
  c->retries_left = int32_t(c->be->spec().retries);
  c->redispatched = false;
  if (c->be->spec().balance == BalanceAlgo::Source && !c->tx) {
    c->cx->peerSrc();
  }
  assignServer(c, nullptr, force);
}

void Engine::assignServer(Stream* c, ServerState* avoid, ServerState* force) {
  if (c->be->spec().abortonclose) watchClient(c);  // a client closing may abort it (abort_on_close.cpp)
  const std::optional<uint32_t> key = lbKey(c->be->spec(), &c->cx->src, c->cx->session->balanceTxn(c));
  switch (c->be->assign(&c->link, avoid, key, force)) {
    case Backend::Result::Assigned:
      c->srv = c->link.assigned;
      // A redispatch that really moved it (HAProxy's SF_REDISP: the '+' of %rc); a hash that
      // lands on the same server again is no move.
      if (avoid && c->srv != avoid) c->redispatched = true;
      connectServer(c);
      break;
    case Backend::Result::Queued: {
      c->st = ConnState::Queued;
      if (c->cx->session->watchWhileQueued()) watchClient(c);  // (TCP: without the option too)
      const TimeoutSpec& t = c->be->spec().timeouts;
      uint64_t wait = t.queue ? t.queue : t.connect;  // HAProxy: the connect timeout when unset
      c->state_deadline = wait ? now() + wait : 0;
      arm(c);
      break;
    }
    case Backend::Result::Failed:
      c->cx->session->noServer(c, false);
      break;
  }
}

void Engine::handoff(QueueLink* link) {
  Stream* c = Stream::fromLink(link);
  if (c->awaiting_wake) {  // it gave up meanwhile: give the slot back
    c->awaiting_wake = false;
    c->be->release(link->assigned);
    maybeFree(c);
    return;
  }
  if (c->st != ConnState::Queued) return;
  c->srv = link->assigned;
  c->state_deadline = 0;
  connectServer(c);
}

void Engine::connectServer(Stream* c) {
  ServerState* s = c->srv;
  if (!c->t_assigned) c->t_assigned = now();
  c->st = ConnState::Connecting;
  c->state_deadline = 0;
  wheelRemove(c);
  if (c->cx->session->beforeConnect(c)) return;  // an idle connection took the exchange
  if (!serverTransport(c)) return;
  const uint64_t to = c->be->spec().timeouts.connect;
  socklen_t addrlen;
  const sockaddr* addr = s->connectAddr(addrlen);  // stable memory: the kernel reads it at submission
  if (!c->tr_server.connect(addr, addrlen, to, true)) connectFailed(c, false);
}

void Engine::onConnect(Stream* c, int res) {
  if (c->st != ConnState::Connecting) {
    maybeFree(c);
    return;
  }
  if (res == 0) {
    c->t_est = now();
    c->cx->session->established(c);
  } else {
    connectFailed(c, res == -ECANCELED || res == -ETIMEDOUT);
  }
}

// HAProxy's retry rules (sess_update_st_cer): each failure uses one of `retries`; with
// `option redispatch`, a retry goes to another server when the server is down, on the
// redispatch interval, or at once when the algorithm is not a hash and other servers exist.
// Otherwise the same server is retried, after a turn-around of min(timeout connect, 1s) when
// the failure was immediate.
void Engine::connectFailed(Stream* c, bool timeout) {
  c->tr_server.closeNow(false);
  if (loop_.stopLevel() == 2) {  // a hard stop: no retry
    endBy(c, TermCause::kKilled);
    finish(c, true);
    return;
  }
  if (--c->retries_left < 0) {
    c->cx->session->noServer(c, timeout);
    return;
  }
  const ProxySpec& be = c->be->spec();
  int32_t done = int32_t(be.retries) - c->retries_left;
  // HAProxy's BE_LB_KIND_HI: a hash (or random) choice is retried on its server, not redispatched
  // at the first failure while other servers are up.
  const bool hashed = be.balance == BalanceAlgo::Source || be.balance == BalanceAlgo::Random ||
                      be.balance == BalanceAlgo::Uri || be.balance == BalanceAlgo::UrlParam ||
                      be.balance == BalanceAlgo::Hdr;
  int32_t every =
      be.redispatch_interval > 0 ? be.redispatch_interval : int32_t(be.retries) + 1 + be.redispatch_interval;
  // A server chosen by a persistence cookie is not left at once (HAProxy's SF_DIRECT).
  const bool direct = c->cx->session->pinned(c);
  bool redisp = be.redispatch && (!c->srv->usable() || (every > 0 && done % every == 0) ||
                                  (!hashed && !direct && c->be->activeUsable() > 1));
  if (redisp) {
    c->cx->session->redispatching(c);
    ServerState* old = c->srv;
    c->srv = nullptr;
    c->be->release(old);
    assignServer(c, old);
    return;
  }
  if (timeout) {
    connectServer(c);
    return;
  }
  c->st = ConnState::TurnAround;
  uint64_t delay = be.timeouts.connect ? std::min<uint64_t>(be.timeouts.connect, 1000) : 1000;
  c->state_deadline = now() + delay;
  arm(c);
}

void Engine::armRecv(Stream* c, int dir) {
  c->side(dir).recvMultishot();
  c->p[dir].armed = true;
}

void Engine::pump(Stream* c, int dir) {
  Pipe& p = c->p[dir];
  if (p.sending || c->st != ConnState::Established) return;
  AnyTransport& dst = c->side(dir == 0 ? kServerSide : kClientSide);
  if (c->tx) {  // inspected bytes first; the response waits while it is being analysed
    TxnSlot& t = *c->tx;
    const char* b = dir == 0 ? t.req.get() : t.res.get();
    uint32_t len = dir == 0 ? t.req_len : t.res_len, sent = dir == 0 ? t.req_sent : t.res_sent;
    if (dir == 1 && t.res_pending) return;
    if (sent < len) {
      dst.send(b + sent, len - sent);
      p.sending = true;
      return;
    }
  }
  if (p.count) {
    dst.send(bufs_ + size_t(p.head) * bufsize_ + p.off, buf_len_[p.head] - p.off);
    p.sending = true;
    return;
  }
  if (p.eof && !p.shut) {
    p.shut = true;
    dst.shutdownWrite();
    if (c->p[0].shut && c->p[1].shut) finish(c, false);
  }
}

void Engine::opDone(Stream* c) {
  --c->inflight;
  maybeFree(c);
}

void Engine::finish(Stream* c, bool reset) {
  if (c->st == ConnState::Closing || c->st == ConnState::Free) return;
  ConnState was = c->st;
  c->st = ConnState::Closing;
  if (c->cx->session) c->cx->session->closing(c);  // none while a TLS handshake runs
  wheelRemove(c);
  if (was == ConnState::Queued && !c->be->leaveQueue(&c->link)) c->awaiting_wake = true;
  for (Pipe& p : c->p) {
    while (p.head != kNoBuf) {
      uint16_t bid = p.head;
      p.head = buf_next_[bid];
      recycle(bid);
    }
    p.tail = kNoBuf;
    p.count = 0;
  }
  // An abort is forwarded as a reset, as the peer would have seen it.
  c->cx->tr.close(reset);
  c->tr_server.close(reset);
  if (c->srv) {
    ServerState* s = c->srv;
    c->srv = nullptr;
    c->be->release(s);
  }
  releaseLimits(c);
}

void Engine::releaseLimits(Stream* c) {
  if (!c->cx->counted) return;
  c->cx->counted = false;
  bool was_full =
      state_.global.full() || c->cx->fe->limit.full() || (c->cx->li_limit && c->cx->li_limit->full());
  state_.global.cur.fetch_sub(1);
  c->cx->fe->limit.cur.fetch_sub(1);
  if (c->cx->li_limit) c->cx->li_limit->cur.fetch_sub(1);
  host_.limitsFreed(was_full);
}

void Engine::maybeFree(Stream* c) {
  if (c->st != ConnState::Closing || !c->idle() || c->awaiting_wake) return;
  c->st = ConnState::Free;
  if (c->tx) {  // only now: a send from its buffers may have been in flight until here
    freeTxn(c->tx);
    c->tx = nullptr;
  }
  if (c->cx->session) c->cx->session->freed(c);
  c->cx->session = nullptr;
  c->cx->counters.release(now());  // the session's trackers end with the connection
  c->cx->gen.reset();
  ConnSlot* slot = slotOf(c);
  slot->free_next = free_;
  free_ = slot;
  --live_;
}

ConnSlot* Engine::slotOf(Stream* c) {
  return reinterpret_cast<ConnSlot*>(c);  // the stream is the slot's first member
}

Stream* Engine::allocStream() {
  if (!free_) {
    auto chunk = std::make_unique<ConnSlot[]>(kChunk);
    for (size_t i = 0; i < kChunk; ++i) {
      chunk[i].free_next = free_;
      free_ = &chunk[i];
    }
    chunks_.push_back(std::move(chunk));
  }
  ConnSlot* slot = free_;
  free_ = slot->free_next;
  slot->reset();
  Stream* c = &slot->stream;
  c->link.owner = owner_;
  c->io.engine = this;
  c->cx->tr.setLoop(&loop_);
  c->tr_server.setLoop(&loop_);
  ++live_;
  return c;
}

void Engine::cutAll() {
  for (auto& chunk : chunks_)
    for (size_t i = 0; i < kChunk; ++i) {
      Stream* c = &chunk[i].stream;
      if (c->st != ConnState::Free && c->st != ConnState::Closing) {
        endBy(c, TermCause::kKilled);
        finish(c, true);
      }
    }
}

// ---- provided buffers ----------------------------------------------------------------------------

// A received buffer joins the tail of pipe `dir`.
void Engine::enqueue(Stream* c, int dir, uint16_t bid, uint32_t len) {
  Pipe& p = c->p[dir];
  buf_len_[bid] = len;
  buf_next_[bid] = kNoBuf;
  if (p.tail != kNoBuf)
    buf_next_[p.tail] = bid;
  else
    p.head = bid;
  p.tail = bid;
  ++p.count;
}

// A recv ended with ENOBUFS: it is armed again once buffers come back.
void Engine::starve(Stream* c, int dir) {
  Pipe& p = c->p[dir];
  if (p.starved) return;
  p.starved = true;
  ++c->inflight;  // keeps the connection alive while it sits in starved_
  starved_.emplace_back(c, dir);
}

void Engine::flushBuffers() {
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

// ---- timers --------------------------------------------------------------------------------------

void Engine::wheelRemove(Stream* c) {
  wheel_.remove(&c->timer);
}

void Engine::arm(Stream* c) {
  // Lazy: an earlier wheel position is kept and re-evaluated when it comes, so activity never
  // touches the wheel.
  wheel_.schedule(&c->timer, c->cx->session ? c->cx->session->deadline(c) : c->state_deadline);
}

void Engine::runTimers() {
  wheel_.expire(now(), [this](TimerEntry* e) {
    Stream* c = static_cast<Stream*>(e->owner);
    if (!c->cx->session) {  // a TLS handshake (handshake.cpp) or a PROXY header (proxy_accept.cpp)
      if (c->st == ConnState::Handshake) handshakeTimeout(c);
      return;
    }
    uint64_t d = c->cx->session->deadline(c);
    if (d && d <= now())
      c->cx->session->onTimeout(c);
    else if (d)
      wheel_.insert(e, d);
  });
}

uint64_t Engine::nextDue() {
  return wheel_.nextDue();
}

// What a connection's transport reports: `side` is the transport's (client or server); a pipe's
// direction is the side it reads from (0: client -> server).
void Engine::onStreamIo(Stream* c, int side, const TransportEvent& ev) {
  switch (ev.kind) {
    case TransportEvent::kRecv:
      // A pipe already paused by backpressure would not have taken more: its ENOBUFS says
      // nothing about the window being too small.
      if (ev.res == -ENOBUFS && !c->p[side].paused) loop_.bufs().starved();
      c->cx->session->onRecv(c, side, ev.res, ev.more, ev.bid);
      break;
    case TransportEvent::kSent:
      c->cx->session->onSent(c, side == kServerSide ? 0 : 1, ev.res);
      break;
    case TransportEvent::kReady:
      if (side == kClientSide)
        onHandshake(c, ev.res);
      else
        onConnect(c, ev.res);
      break;
    case TransportEvent::kPeerClosed:
      if (c->cx->pp_wait && side == kClientSide)
        onProxyReadable(c, ev.res);
      else
        onClientPoll(c, ev.res);
      break;
    case TransportEvent::kDone:
      maybeFree(c);
      break;
  }
}

}  // namespace lbc::rt

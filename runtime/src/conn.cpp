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

#include "analyse.h"
#include "conn.h"
#include "http_stream.h"
#include "stream/lb_key.h"
#include "stream/session.h"
#include "worker.h"

namespace lbc::rt {
namespace {
constexpr uint16_t kPauseBufs = 4;  // per direction; beyond it the source is not read (backpressure)
}  // namespace

void Worker::startConn(int fd, Listener& l) {
  const GenerationView& v = viewOf(*gen_);
  Frontend* fe = l.fe->slot < v.by_slot.size() ? v.by_slot[l.fe->slot] : nullptr;
  if (!fe) {  // the frontend is gone from the generation installed since the bind
    RawTransport::closeDetached(fd);
    return;
  }
  state_.global.cur.fetch_add(1);
  l.fe->limit.cur.fetch_add(1);
  if (l.limit) l.limit->cur.fetch_add(1);
  Conn* c = allocConn();
  c->counted = true;
  c->li = &l;
  c->gen = gen_;  // the one reference a connection takes: none per request
  c->fe = fe;
  c->tr[kClientSide].adopt(fd, true);
  c->act_c = c->act_s = now();
  c->session = fe->spec->mode == ProxyMode::Http ? http1_session_.get() : relay_session_.get();
  c->session->start(c);
}

// The backend is known (c->be, or the frontend's static one): server selection starts.
void Worker::toBackend(Conn* c, ServerState* force) {
  if (!c->be) c->be = c->fe->backend;
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
    c->tr[kClientSide].peerAddr(c->src);
  }
  assignServer(c, nullptr, force);
}

void Worker::assignServer(Conn* c, ServerState* avoid, ServerState* force) {
  if (c->be->spec().abortonclose) watchClient(c);  // a client closing may abort it (abort_on_close.cpp)
  const std::optional<uint32_t> key = lbKey(c->be->spec(), &c->src, c->hs && c->tx ? &c->tx->txn : nullptr);
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
      if (c->session->watchWhileQueued()) watchClient(c);  // (TCP: without the option too)
      const TimeoutSpec& t = c->be->spec().timeouts;
      uint64_t wait = t.queue ? t.queue : t.connect;  // HAProxy: the connect timeout when unset
      c->state_deadline = wait ? now() + wait : 0;
      arm(c);
      break;
    }
    case Backend::Result::Failed:
      c->session->noServer(c, false);
      break;
  }
}

void Worker::handoff(QueueLink* link) {
  Conn* c = Conn::fromLink(link);
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

void Worker::connectServer(Conn* c) {
  ServerState* s = c->srv;
  c->st = ConnState::Connecting;
  c->state_deadline = 0;
  wheelRemove(c);
  if (c->session->beforeConnect(c)) return;  // an idle connection took the exchange
  const uint64_t to = c->be->spec().timeouts.connect;
  if (!c->tr[kServerSide].connect(reinterpret_cast<const sockaddr*>(&s->addr), s->addrlen, to, true))
    connectFailed(c, false);
}

void Worker::onConnect(Conn* c, int res) {
  if (c->st != ConnState::Connecting) {
    maybeFree(c);
    return;
  }
  if (res == 0) {
    established(c);
  } else {
    connectFailed(c, res == -ECANCELED || res == -ETIMEDOUT);
  }
}

// HAProxy's retry rules (sess_update_st_cer): each failure uses one of `retries`; with
// `option redispatch`, a retry goes to another server when the server is down, on the
// redispatch interval, or at once when the algorithm is not a hash and other servers exist.
// Otherwise the same server is retried, after a turn-around of min(timeout connect, 1s) when
// the failure was immediate.
void Worker::connectFailed(Conn* c, bool timeout) {
  c->tr[kServerSide].closeNow(false);
  if (stopping_ && loop_.stopLevel() == 2) {
    finish(c, true);
    return;
  }
  if (--c->retries_left < 0) {
    c->session->noServer(c, timeout);
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
  const bool direct = c->session->pinned(c);
  bool redisp = be.redispatch && (!c->srv->usable() || (every > 0 && done % every == 0) ||
                                  (!hashed && !direct && c->be->activeUsable() > 1));
  if (redisp) {
    c->session->redispatching(c);
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

void Worker::onRecv(Conn* c, int dir, int res, bool more, uint16_t bid) {
  c->session->onRecv(c, dir, res, more, bid);
}

void Worker::onSend(Conn* c, int dir, int res) {
  c->session->onSent(c, dir, res);
}

void Worker::established(Conn* c) {
  c->session->established(c);
}

void Worker::relayEstablished(Conn* c) {
  c->st = ConnState::Established;
  c->act_c = c->act_s = now();
  if (c->tx) startResponse(c);
  // The client may already be read (tcp-request inspect-delay): its recv stays as it is.
  Pipe& p = c->p[0];
  if (!p.armed && !p.eof && !p.paused && !p.starved) armRecv(c, 0);
  armRecv(c, 1);
  pump(c, 0);  // inspected bytes and what arrived while connecting go first
  arm(c);
}

void Worker::armRecv(Conn* c, int dir) {
  c->tr[dir].recvMultishot();
  c->p[dir].armed = true;
}

void Worker::relayRecv(Conn* c, int dir, int res, bool more, uint16_t bid) {
  Pipe& p = c->p[dir];
  if (!more) p.armed = false;
  if (res > 0) {
    if (!recvActive(c, dir)) {
      recycle(bid);
    } else if (c->st == ConnState::Analysing && c->tx->inspecting) {
      absorb(c, 0, bid, uint32_t(res));
      analyse(c);
    } else if (dir == 1 && c->tx && c->tx->res_pending) {
      absorb(c, 1, bid, uint32_t(res));
      analyseResponse(c);
    } else {
      buf_len_[bid] = uint32_t(res);
      buf_next_[bid] = kNoBuf;
      if (p.tail != kNoBuf)
        buf_next_[p.tail] = bid;
      else
        p.head = bid;
      p.tail = bid;
      ++p.count;
      (dir == 0 ? c->act_c : c->act_s) = now();
      pump(c, dir);
      if (p.count >= kPauseBufs && p.armed && !p.paused) {
        p.paused = true;
        c->tr[dir].stopRecv();
      }
    }
  } else if (recvActive(c, dir)) {
    if (res == 0) {
      p.eof = true;
      if (c->st == ConnState::Analysing && c->tx->inspecting) {
        analyse(c);  // the client closed: the data is final
      } else if (dir == 1 && c->tx && c->tx->res_pending) {
        analyseResponse(c);
      } else if (c->st == ConnState::Established) {
        pump(c, dir);
        arm(c);
      }
    } else if (res == -ENOBUFS) {
      if (!p.starved) {
        p.starved = true;
        ++c->inflight;  // keeps the connection alive while it sits in starved_
        starved_.emplace_back(c, dir);
      }
    } else if (res != -ECANCELED) {
      finish(c, true);
      maybeFree(c);
      return;
    }
  }
  if (recvActive(c, dir) && !p.armed && !p.eof && !p.paused && !p.starved) armRecv(c, dir);
  maybeFree(c);
}

void Worker::pump(Conn* c, int dir) {
  Pipe& p = c->p[dir];
  if (p.sending || c->st != ConnState::Established) return;
  Transport& dst = c->tr[dir == 0 ? kServerSide : kClientSide];
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

void Worker::relaySent(Conn* c, int dir, int res) {
  Pipe& p = c->p[dir];
  p.sending = false;
  if (c->st != ConnState::Established) {
    maybeFree(c);
    return;
  }
  if (res <= 0) {  // EPIPE, ECONNRESET: the destination is gone
    finish(c, true);
    maybeFree(c);
    return;
  }
  (dir == 0 ? c->act_s : c->act_c) = now();
  uint32_t* inspected = nullptr;  // the send came from an inspection buffer
  if (c->tx) {
    TxnSlot& t = *c->tx;
    if (dir == 0 && t.req_sent < t.req_len) inspected = &t.req_sent;
    if (dir == 1 && t.res_sent < t.res_len) inspected = &t.res_sent;
  }
  if (inspected) {
    *inspected += uint32_t(res);
  } else if ((p.off += uint32_t(res)) >= buf_len_[p.head]) {  // else a short send: the rest goes next
    uint16_t bid = p.head;
    p.head = buf_next_[bid];
    if (p.head == kNoBuf) p.tail = kNoBuf;
    --p.count;
    p.off = 0;
    recycle(bid);
  }
  pump(c, dir);
  if (c->st == ConnState::Established && p.paused && p.count < kPauseBufs / 2) {
    p.paused = false;
    if (!p.armed && !p.eof && !p.starved) armRecv(c, dir);
  }
  maybeFree(c);
}

void Worker::opDone(Conn* c) {
  --c->inflight;
  maybeFree(c);
}

void Worker::finish(Conn* c, bool reset) {
  if (c->st == ConnState::Closing || c->st == ConnState::Free) return;
  ConnState was = c->st;
  c->st = ConnState::Closing;
  c->session->closing(c);
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
  for (Transport& t : c->tr) t.close(reset);
  if (c->srv) {
    ServerState* s = c->srv;
    c->srv = nullptr;
    c->be->release(s);
  }
  releaseLimits(c);
}

void Worker::releaseLimits(Conn* c) {
  if (!c->counted) return;
  c->counted = false;
  bool was_full = state_.global.full() || c->fe->limit.full() || (c->li->limit && c->li->limit->full());
  state_.global.cur.fetch_sub(1);
  c->fe->limit.cur.fetch_sub(1);
  if (c->li->limit) c->li->limit->cur.fetch_sub(1);
  if (was_full || !held_.empty()) {
    resumeListeners();
    if (was_full && state_.resume_all) state_.resume_all();
  }
}

void Worker::maybeFree(Conn* c) {
  if (c->st != ConnState::Closing || !c->idle() || c->awaiting_wake) return;
  c->st = ConnState::Free;
  if (c->tx) {  // only now: a send from its buffers may have been in flight until here
    freeTxn(c->tx);
    c->tx = nullptr;
  }
  c->session->freed(c);
  c->session = nullptr;
  c->gen.reset();
  c->free_next = free_;
  free_ = c;
  --live_;
}

void Worker::abort(Conn* c) {
  finish(c, true);
}

// ---- timeouts ------------------------------------------------------------------------------------

// The earliest moment this connection must be looked at, 0 = never. In TCP mode a side's
// inactivity timeout is refreshed by reads from it and writes to it (HAProxy refreshes a read
// timeout on write activity unless independent-streams); `timeout tunnel` replaces both once
// established, and client-fin/server-fin replace them on a half-closed side.
uint64_t Worker::deadline(const Conn* c) const {
  return c->session->deadline(c);
}

uint64_t Worker::relayDeadline(const Conn* c) const {
  const TimeoutSpec& t = c->be ? c->be->spec().timeouts : c->fe->spec->timeouts;
  const TimeoutSpec& ft = c->fe->spec->timeouts;
  switch (c->st) {
    case ConnState::Analysing: {  // the inspect delay, bounded by the client's timeout
      uint64_t d = ft.client ? c->act_c + ft.client : 0;
      if (c->inspect_deadline) d = d ? std::min(d, c->inspect_deadline) : c->inspect_deadline;
      return d;
    }
    case ConnState::Queued:
    case ConnState::TurnAround:
      return c->state_deadline;
    case ConnState::Established: {
      bool half_c = c->p[0].eof || c->p[1].shut;
      bool half_s = c->p[1].eof || c->p[0].shut;
      uint64_t tc = half_c && ft.client_fin ? ft.client_fin : t.tunnel ? t.tunnel : ft.client;
      uint64_t ts = half_s && t.server_fin ? t.server_fin : t.tunnel ? t.tunnel : t.server;
      uint64_t d = 0;
      if (tc) d = c->act_c + tc;
      if (ts) d = d ? std::min(d, c->act_s + ts) : c->act_s + ts;
      if (c->tx && c->tx->res_pending && c->inspect_deadline)
        d = d ? std::min(d, c->inspect_deadline) : c->inspect_deadline;
      return d;
    }
    default:
      return 0;
  }
}

void Worker::onTimeout(Conn* c) {
  c->session->onTimeout(c);
}

void Worker::relayTimeout(Conn* c) {
  switch (c->st) {
    case ConnState::TurnAround:
      c->state_deadline = 0;
      connectServer(c);
      break;
    case ConnState::Analysing:  // the inspect delay ended (rules see final data), or timeout client
      if (c->inspect_deadline && now() >= c->inspect_deadline)
        analyse(c);
      else
        finish(c, false);
      maybeFree(c);
      break;
    case ConnState::Established:
      if (c->tx && c->tx->res_pending && c->inspect_deadline && now() >= c->inspect_deadline) {
        analyseResponse(c);  // tcp-response inspect-delay over
        maybeFree(c);
        break;
      }
      [[fallthrough]];
    case ConnState::Queued:  // timeout queue: HAProxy closes the client in TCP mode
      finish(c, false);      // (Established: client/server/tunnel/fin timeouts)
      maybeFree(c);
      break;
    default:
      break;
  }
}

}  // namespace lbc::rt

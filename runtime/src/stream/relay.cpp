// The TCP relay: established -> both sides read into the pipes, each buffer sent on as it comes,
// with backpressure (a pipe of kPauseBufs buffers stops its source) and half-close (a FIN is
// forwarded once its pipe drained); content and response rules see bounded copies first.
#include "stream/relay.h"

#include <poll.h>

#include <algorithm>
#include <cerrno>

#include "stream/analyse.h"
#include "stream/engine.h"

namespace lbc::rt {
namespace {
constexpr uint16_t kPauseBufs = 4;  // per direction; beyond it the source is not read (backpressure)

// An established stream's timeout was the client's (else the server's): as deadline() computes.
bool clientTimedOut(const Stream* c, uint64_t now) {
  const TimeoutSpec& t = c->be ? c->be->spec().timeouts : c->cx->fe->spec->timeouts;
  const TimeoutSpec& ft = c->cx->fe->spec->timeouts;
  const bool half_c = c->p[0].eof || c->p[1].shut;
  const uint64_t tc = half_c && ft.client_fin ? ft.client_fin : t.tunnel ? t.tunnel : ft.client;
  return tc && now >= c->cx->act + tc;
}
}  // namespace

// ---- the TCP relay ----------------------------------------------------------------------------------

void RelaySession::start(Stream* c) {
  if (c->cx->gen->analyse) {
    e_.startTxn(c);  // rules run first; they end in toBackend() or close the connection
    return;
  }
  e_.logConnect(c);
  e_.toBackend(c, nullptr);
}

void RelaySession::noServer(Stream* c, bool connect_timeout) {
  if (!c->term.known())
    c->term.set(connect_timeout ? TermCause::kServerTimeout : TermCause::kServerAbort, TermState::kConnect);
  if (c->st == ConnState::Free) c->st = ConnState::Analysing;  // a new connection: finish() must close it
  e_.finish(c, false);
}

void RelaySession::clientShut(Stream* c, int res, bool waiting, bool abortonclose) {
  if (waiting && ((res & (POLLERR | POLLHUP)) || abortonclose)) {
    const bool reset = (res & (POLLERR | POLLHUP)) != 0;
    if (!reset) c->cx->tr.discardUnread();
    e_.endBy(c, TermCause::kClientAbort);
    e_.finish(c, reset);
  }
}

void RelaySession::established(Stream* c) {
  c->st = ConnState::Established;
  c->cx->act = c->act_s = e_.now();
  if (c->tx) e_.startResponse(c);
  // The client may already be read (tcp-request inspect-delay): its recv stays as it is.
  Pipe& p = c->p[0];
  if (!p.armed && !p.eof && !p.paused && !p.starved) e_.armRecv(c, 0);
  e_.armRecv(c, 1);
  e_.pump(c, 0);  // inspected bytes and what arrived while connecting go first
  e_.arm(c);
}
void RelaySession::onRecv(Stream* c, int dir, int res, bool more, uint16_t bid) {
  Pipe& p = c->p[dir];
  if (!more) p.armed = false;
  if (res > 0) {
    if (!e_.recvActive(c, dir)) {
      e_.recycle(bid);
    } else if (c->st == ConnState::Analysing && c->tx->inspecting) {
      e_.absorb(c, 0, bid, uint32_t(res));
      e_.analyse(c);
    } else if (dir == 1 && c->tx && c->tx->res_pending) {
      e_.absorb(c, 1, bid, uint32_t(res));
      e_.analyseResponse(c);
    } else {
      e_.enqueue(c, dir, bid, uint32_t(res));
      (dir == 0 ? c->cx->act : c->act_s) = e_.now();
      e_.pump(c, dir);
      if (p.count >= kPauseBufs && p.armed && !p.paused) {
        p.paused = true;
        c->side(dir).stopRecv();
      }
    }
  } else if (e_.recvActive(c, dir)) {
    if (res == 0) {
      p.eof = true;
      if (c->st == ConnState::Analysing && c->tx->inspecting) {
        e_.analyse(c);  // the client closed: the data is final
      } else if (dir == 1 && c->tx && c->tx->res_pending) {
        e_.analyseResponse(c);
      } else if (c->st == ConnState::Established) {
        e_.pump(c, dir);
        e_.arm(c);
      }
    } else if (res == -ENOBUFS) {
      e_.starve(c, dir);
    } else if (res != -ECANCELED) {
      e_.endBy(c, dir == 0 ? TermCause::kClientAbort : TermCause::kServerAbort);
      e_.finish(c, true);
      e_.maybeFree(c);
      return;
    }
  }
  if (e_.recvActive(c, dir) && !p.armed && !p.eof && !p.paused && !p.starved) e_.armRecv(c, dir);
  e_.maybeFree(c);
}
void RelaySession::onSent(Stream* c, int dir, int res) {
  Pipe& p = c->p[dir];
  p.sending = false;
  if (c->st != ConnState::Established) {
    e_.maybeFree(c);
    return;
  }
  if (res <= 0) {  // EPIPE, ECONNRESET: the destination is gone
    e_.endBy(c, dir == 0 ? TermCause::kServerAbort : TermCause::kClientAbort);
    e_.finish(c, true);
    e_.maybeFree(c);
    return;
  }
  (dir == 0 ? c->act_s : c->cx->act) = e_.now();
  if (dir == 1) c->bytes_out += uint32_t(res);  // %B
  uint32_t* inspected = nullptr;                // the send came from an inspection buffer
  if (c->tx) {
    TxnSlot& t = *c->tx;
    if (dir == 0 && t.req_sent < t.req_len) inspected = &t.req_sent;
    if (dir == 1 && t.res_sent < t.res_len) inspected = &t.res_sent;
  }
  if (inspected) {
    *inspected += uint32_t(res);
  } else if ((p.off += uint32_t(res)) >= e_.bufLen(p.head)) {  // else a short send: the rest goes next
    uint16_t bid = p.head;
    p.head = e_.bufNext(bid);
    if (p.head == kNoBuf) p.tail = kNoBuf;
    --p.count;
    p.off = 0;
    e_.recycle(bid);
  }
  e_.pump(c, dir);
  if (c->st == ConnState::Established && p.paused && p.count < kPauseBufs / 2) {
    p.paused = false;
    if (!p.armed && !p.eof && !p.starved) e_.armRecv(c, dir);
  }
  e_.maybeFree(c);
}
uint64_t RelaySession::deadline(const Stream* c) const {
  const TimeoutSpec& t = c->be ? c->be->spec().timeouts : c->cx->fe->spec->timeouts;
  const TimeoutSpec& ft = c->cx->fe->spec->timeouts;
  switch (c->st) {
    case ConnState::Analysing: {  // the inspect delay, bounded by the client's timeout
      uint64_t d = ft.client ? c->cx->act + ft.client : 0;
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
      if (tc) d = c->cx->act + tc;
      if (ts) d = d ? std::min(d, c->act_s + ts) : c->act_s + ts;
      if (c->tx && c->tx->res_pending && c->inspect_deadline)
        d = d ? std::min(d, c->inspect_deadline) : c->inspect_deadline;
      return d;
    }
    default:
      return 0;
  }
}
void RelaySession::onTimeout(Stream* c) {
  switch (c->st) {
    case ConnState::TurnAround:
      c->state_deadline = 0;
      e_.connectServer(c);
      break;
    case ConnState::Analysing:  // the inspect delay ended (rules see final data), or timeout client
      if (c->inspect_deadline && e_.now() >= c->inspect_deadline) {
        e_.analyse(c);
      } else {
        e_.endBy(c, TermCause::kClientTimeout);
        e_.finish(c, false);
      }
      e_.maybeFree(c);
      break;
    case ConnState::Established:
      if (c->tx && c->tx->res_pending && c->inspect_deadline && e_.now() >= c->inspect_deadline) {
        e_.analyseResponse(c);  // tcp-response inspect-delay over
        e_.maybeFree(c);
        break;
      }
      [[fallthrough]];
    case ConnState::Queued:  // timeout queue: HAProxy closes the client in TCP mode
      e_.endBy(c, c->st == ConnState::Queued || !clientTimedOut(c, e_.now()) ? TermCause::kServerTimeout
                                                                             : TermCause::kClientTimeout);
      e_.finish(c, false);  // (Established: client/server/tunnel/fin timeouts)
      e_.maybeFree(c);
      break;
    default:
      break;
  }
}

std::string_view RelaySession::requestData(const Stream* c) const {
  return {c->tx->req.get(), c->tx->req_len};
}

bool RelaySession::requestComplete(Stream* c) {
  return c->p[0].eof;
}

// The client is read into the inspection buffer from now on (before a server exists).
void RelaySession::inspectStart(Stream* c, bool delay) {
  TxnSlot& t = *c->tx;
  if (delay && !t.early_recv) {
    t.early_recv = true;
    if (!t.req) t.req = std::make_unique<char[]>(e_.bufsize());
    if (!c->p[0].armed && !c->p[0].eof) e_.armRecv(c, 0);
  }
  t.inspecting = t.early_recv;
}

void RelaySession::closing(Stream* c) {
  e_.writeTcpLog(c);
}

void RelaySession::noBackend(Stream* c) {
  e_.finish(c, false);  // the client is closed
}

}  // namespace lbc::rt

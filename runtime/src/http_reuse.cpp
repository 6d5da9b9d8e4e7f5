// Server connection reuse of HTTP streams, as HAProxy's `http-reuse safe`: a complete keep-alive
// exchange leaves the server connection idle and owned by its session, which reuses it for its next
// request to the same server; when the session ends (or goes to another server) the connection is
// parked in the worker's bounded pool, where later requests (never the first one of a session) of
// any session may take it. Parked connections close at the backend's timeout http-keep-alive or
// when their server closes them.
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "conn.h"
#include "http_stream.h"
#include "worker.h"

namespace lbc::rt {
namespace {
// An idle connection is still usable when the server neither closed it nor sent anything.
bool idleAlive(int fd) {
  return RawTransport::probeIdle(fd);
}

void closeIdle(int fd) {
  RawTransport::closeDetached(fd);
}

constexpr size_t kIdleMax = 64;  // parked server connections per worker thread

}  // namespace

// Before connecting to c->srv: the session's own idle connection to it, else (not the session's
// first request: http-reuse safe) one parked in the pool. True: the exchange started on it.
bool Worker::httpReuse(Conn* c) {
  HttpStream& h = *c->hs;
  const ServerState* s = c->srv;
  int fd = -1;
  if (h.fresh) return false;
  if (h.own.fd >= 0) {
    // The session's own connection, idle since its last response: a request without a body skips
    // the MSG_PEEK probe (a syscall per request): should the server have closed it meanwhile,
    // httpRetryFresh sends the request again on a new connection, nothing of it being lost.
    const bool bodyless = h.req_done;
    if (h.own.srv == s && h.own.expire > now() && (bodyless || idleAlive(h.own.fd))) {
      fd = h.own.fd;
    } else if (h.own.srv != s) {
      httpPark(h.own.fd, h.own.srv, h.own.expire);
    } else {
      closeIdle(h.own.fd);
    }
    h.own = {};
  }
  if (fd < 0 && h.nreq > 1) {
    for (size_t i = idle_srv_.size(); i-- > 0;) {
      IdleServerConn e = idle_srv_[i];
      if (e.srv != s) continue;
      idle_srv_.erase(idle_srv_.begin() + ptrdiff_t(i));
      if (e.expire > now() && idleAlive(e.fd)) {
        fd = e.fd;
        break;
      }
      closeIdle(e.fd);
    }
  }
  if (fd < 0) return false;
  c->tr[kServerSide].adopt(fd, false);
  h.reused = true;
  established(c);
  return true;
}

// A reused idle connection the server closed just before (or while) it got the request: as
// HAProxy, the request goes again on a new connection, when nothing of it is lost (no body byte
// was sent yet: ws still holds the head and whatever chunked body was re-encoded behind it) and no
// response byte came.
bool Worker::httpRetryFresh(Conn* c) {
  HttpStream& h = *c->hs;
  if (!h.reused || h.res_head || h.rlen || h.send_s || h.recv_s || h.body_sent || h.wc_off || !h.wc.empty() ||
      !c->srv || !c->tr[1].open())
    return false;
  c->tr[kServerSide].close(false);
  h.reused = false;
  h.fresh = true;
  h.ws_off = 0;
  h.resp.reset();
  wheelRemove(c);
  connectServer(c);
  return true;
}

void Worker::httpPark(int fd, const ServerState* srv, uint64_t expire) {
  if (stopping_ || expire <= now() || !idleAlive(fd)) {
    closeIdle(fd);
    return;
  }
  if (idle_srv_.size() >= kIdleMax) {  // the oldest makes room
    closeIdle(idle_srv_.front().fd);
    idle_srv_.erase(idle_srv_.begin());
  }
  idle_srv_.push_back({fd, srv, expire});
}

// The session ends (finish): its idle server connection goes to the pool.
void Worker::httpDetach(Conn* c) {
  HttpStream& h = *c->hs;
  if (!h.term.known()) {  // closed under a transaction: by the client unless a timeout said else
    h.term.set(TermCause::kClientAbort, h.phase == HttpStream::Phase::kReqHead  ? TermState::kRequest
                                        : h.phase == HttpStream::Phase::kServer ? TermState::kConnect
                                        : h.res_head                            ? TermState::kData
                                                                                : TermState::kHeaders);
  }
  httpLog(c);
  if (h.own.fd >= 0) httpPark(h.own.fd, h.own.srv, h.own.expire);
  h.own = {};
}

// Closes parked connections past their timeout or closed by their server (checked at most every
// 250 ms), or all of them when the worker stops.
void Worker::httpSweepIdle(bool all) {
  if (idle_srv_.empty() || (!all && now() < idle_sweep_)) return;
  idle_sweep_ = now() + 250;
  size_t k = 0;
  for (const IdleServerConn& e : idle_srv_) {
    if (all || stopping_ || e.expire <= now() || !idleAlive(e.fd))
      closeIdle(e.fd);
    else
      idle_srv_[k++] = e;
  }
  idle_srv_.resize(k);
}

}  // namespace lbc::rt

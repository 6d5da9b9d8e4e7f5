// Server connection reuse of HTTP streams, as HAProxy's `http-reuse safe`: a complete keep-alive
// exchange leaves the server connection idle and owned by its session, which reuses it for its next
// request to the same server; when the session ends (or goes to another server) the connection is
// parked in the worker's bounded pool, where later requests (never the first one of a session) of
// any session may take it. Parked connections close at the backend's timeout http-keep-alive or
// when their server closes them.
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "http1/session.h"
#include "stream/engine.h"

namespace lbc::rt {

// Before connecting to c->srv: the session's own idle connection to it, else (not the session's
// first request: http-reuse safe) one parked in the pool. True: the exchange started on it.
bool Http1Session::reuse(Stream* c) {
  HttpStream& h = *hs(c);
  const ServerState* s = c->srv;
  int fd = -1;
  if (h.fresh) return false;
  if (h.own.fd >= 0) {
    // The session's own connection, idle since its last response: a request without a body skips
    // the MSG_PEEK probe (a syscall per request): should the server have closed it meanwhile,
    // retryFresh sends the request again on a new connection, nothing of it being lost.
    const bool bodyless = h.req_done;
    if (h.own.srv == s && h.own.expire > e_.now() && (bodyless || IdlePool::alive(h.own.fd))) {
      fd = h.own.fd;
    } else if (h.own.srv != s) {
      park(h.own);
    } else {
      IdlePool::close(h.own.fd);
    }
    h.own = {};
  }
  if (fd < 0 && h.nreq > 1) fd = idle_.take(s, e_.now());
  if (fd < 0) return false;
  if (!e_.adoptServer(c, fd)) {
    IdlePool::close(fd);
    return false;
  }
  h.reused = true;
  established(c);
  return true;
}

// A reused idle connection the server closed just before (or while) it got the request: as
// HAProxy, the request goes again on a new connection, when nothing of it is lost (no body byte
// was sent yet: ws still holds the head and whatever chunked body was re-encoded behind it) and no
// response byte came.
bool Http1Session::retryFresh(Stream* c) {
  HttpStream& h = *hs(c);
  if (!h.reused || h.res_head || h.rlen || h.send_s || h.recv_s || h.body_sent || h.wc_off || !h.wc.empty() ||
      !c->srv || !c->tr_server.open())
    return false;
  c->tr_server.close(false);
  h.reused = false;
  h.fresh = true;
  h.ws_off = 0;
  h.resp.reset();
  e_.wheelRemove(c);
  e_.connectServer(c);
  return true;
}

void Http1Session::park(IdleServerConn e) {
  // A connection that began with a PROXY header carries its client's addresses: no other
  // session's request may take it (HAProxy hashes the header's addresses into its reuse key).
  if (e.srv && e.srv->spec->pp_opts) {
    IdlePool::close(e.fd);
    return;
  }
  idle_.park(e, e_.now(), stopping());
}

// The session ends (finish): its idle server connection goes to the pool.
void Http1Session::detach(Stream* c) {
  HttpStream& h = *hs(c);
  if (!h.term.known()) {  // closed under a transaction: by the client unless a timeout said else
    h.term.set(TermCause::kClientAbort, h.phase == HttpStream::Phase::kReqHead  ? TermState::kRequest
                                        : h.phase == HttpStream::Phase::kServer ? TermState::kConnect
                                        : h.res_head                            ? TermState::kData
                                                                                : TermState::kHeaders);
  }
  writeLog(c);
  if (h.own.fd >= 0) park(h.own);
  h.own = {};
}

// Closes parked connections past their timeout or closed by their server, or all of them when
// the thread stops.
void Http1Session::sweepIdle(bool all) {
  idle_.sweep(e_.now(), all || stopping());
}

}  // namespace lbc::rt

// A client that closes while its request waits for a server, as HAProxy 2.6 handles it (checked
// against haproxy 2.6.12 on loopback):
// - TCP mode: a client reset while queued (or connecting, HAProxy checks there too; lbc watches
//   a connection that did not queue only with the option) aborts the connection: no server
//   connection is made or the attempt is dropped. A client FIN does only with `option
//   abortonclose` (else its data is still forwarded, then the FIN).
// - HTTP mode, only with `option abortonclose`: a FIN or reset while queued (log CQ, status -1) or
//   connecting (CC) closes the client with no answer; while the server's response is awaited
//   (request sent), the client gets a 400 and the server connection is reset (CH). Without the
//   option the request is served (the answer goes to the half-closed client).
// Watching is a one-shot poll on the client socket: it consumes nothing (a pipelined request or
// body stays in the socket for the stream) and reports the FIN (POLLRDHUP) even behind unread data,
// as HAProxy does. A poll that fired at a moment where it means nothing is not re-armed: the
// stream's own reads see the close from then on.
#include <poll.h>
#include <sys/socket.h>

#include "conn.h"
#include "http_stream.h"
#include "stream/session.h"
#include "worker.h"

namespace lbc::rt {
// Two answers come from the transports at once: whether the server accepted the connection
// already (its completion is not processed yet: HAProxy, whose loopback connects complete at once,
// would be past the connection stage), and the client's unread bytes, discarded before closing
// (closing over them would send a reset where HAProxy, which had read them, closes cleanly).

// From the choice of a server on with `option abortonclose`; only while queued in TCP mode without
// it (no cost for connections that never wait). c->be is set.
void Worker::watchClient(Conn* c) {
  if (c->watching || !c->tr[0].open()) return;
  c->tr[kClientSide].watchPeerClose();
  c->watching = true;
}

void Worker::onClientPoll(Conn* c, int res) {
  c->watching = false;
  if (res <= 0 || c->st == ConnState::Closing || c->st == ConnState::Free || !c->be) {
    maybeFree(c);
    return;
  }
  const bool waiting =
      c->st == ConnState::Queued || c->st == ConnState::Connecting || c->st == ConnState::TurnAround;
  const bool option = c->be->spec().abortonclose;
  if (option && c->st == ConnState::Connecting && c->tr[kServerSide].connectedNow()) {
    watchClient(c);  // looked at again once the connection is established
    maybeFree(c);
    return;
  }
  c->session->clientShut(c, res, waiting, option);
  maybeFree(c);
}

// HTTP mode with option abortonclose: the client shut (or reset) its side.
void Worker::httpClientShut(Conn* c) {
  HttpStream& h = *c->hs;
  switch (c->st) {
    case ConnState::Queued:
      h.term.set(TermCause::kClientAbort, TermState::kQueue);
      h.t_conn = now();  // %Tw: the time spent queued
      c->tr[kClientSide].discardUnread();
      finish(c, false);
      return;
    case ConnState::Connecting:
    case ConnState::TurnAround:
      h.term.set(TermCause::kClientAbort, TermState::kConnect);
      if (c->srv && c->srv->spec) h.srv_name = &c->srv->spec->name;
      c->tr[kClientSide].discardUnread();
      finish(c, false);
      return;
    case ConnState::Established:
      // The request is with the server and no answer came yet: HAProxy answers 400 and resets the
      // server connection. A request still sending its body is left to the stream's reads.
      if (h.phase != HttpStream::Phase::kExchange || h.res_head || !h.req_done || h.tunnel) return;
      h.term.set(TermCause::kClientAbort, TermState::kHeaders);
      h.rq.clientClose = true;  // the page says "connection: close"
      c->tr[kServerSide].resetOnClose();
      httpError(c, 400);
      return;
    default:
      return;
  }
}

}  // namespace lbc::rt

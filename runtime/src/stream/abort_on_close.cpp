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

#include "stream/engine.h"
#include "stream/session.h"

namespace lbc::rt {
// Two answers come from the transports at once: whether the server accepted the connection
// already (its completion is not processed yet: HAProxy, whose loopback connects complete at once,
// would be past the connection stage), and the client's unread bytes, discarded before closing
// (closing over them would send a reset where HAProxy, which had read them, closes cleanly).

// From the choice of a server on with `option abortonclose`; only while queued in TCP mode without
// it (no cost for connections that never wait). c->be is set.
void Engine::watchClient(Stream* c) {
  if (c->cx->watching || !c->cx->tr.open()) return;
  c->cx->tr.watchPeerClose();
  c->cx->watching = true;
}

void Engine::onClientPoll(Stream* c, int res) {
  c->cx->watching = false;
  if (res <= 0 || c->st == ConnState::Closing || c->st == ConnState::Free || !c->be) {
    maybeFree(c);
    return;
  }
  const bool waiting =
      c->st == ConnState::Queued || c->st == ConnState::Connecting || c->st == ConnState::TurnAround;
  const bool option = c->be->spec().abortonclose;
  if (option && c->st == ConnState::Connecting && c->tr_server.connectedNow()) {
    watchClient(c);  // looked at again once the connection is established
    maybeFree(c);
    return;
  }
  c->cx->session->clientShut(c, res, waiting, option);
  maybeFree(c);
}

}  // namespace lbc::rt

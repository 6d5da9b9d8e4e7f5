// The two sessions of today, over the worker's relay (conn.cpp, analyse.cpp) and HTTP/1 stream
// (http_stream*.cpp) code: the seam where a connection's protocol is chosen once, at accept.
#include "sessions.h"

#include <poll.h>

#include "conn.h"
#include "http_stream.h"
#include "worker.h"

namespace lbc::rt {

// ---- the TCP relay ----------------------------------------------------------------------------------

void RelaySession::start(Conn* c) {
  if (c->gen->analyse) {
    w_.startTxn(c);  // rules run first; they end in toBackend() or close the connection
    return;
  }
  w_.toBackend(c, nullptr);
}

void RelaySession::noServer(Conn* c, bool) {
  if (c->st == ConnState::Free) c->st = ConnState::Analysing;  // a new connection: finish() must close it
  w_.finish(c, false);
}

void RelaySession::established(Conn* c) {
  w_.relayEstablished(c);
}

void RelaySession::onRecv(Conn* c, int dir, int res, bool more, uint16_t bid) {
  w_.relayRecv(c, dir, res, more, bid);
}

void RelaySession::onSent(Conn* c, int dir, int res) {
  w_.relaySent(c, dir, res);
}

void RelaySession::clientShut(Conn* c, int res, bool waiting, bool abortonclose) {
  if (waiting && ((res & (POLLERR | POLLHUP)) || abortonclose)) {
    const bool reset = (res & (POLLERR | POLLHUP)) != 0;
    if (!reset) c->tr[kClientSide].discardUnread();
    w_.finish(c, reset);
  }
}

uint64_t RelaySession::deadline(const Conn* c) const {
  return w_.relayDeadline(c);
}

void RelaySession::onTimeout(Conn* c) {
  w_.relayTimeout(c);
}

// ---- HTTP/1 -----------------------------------------------------------------------------------------

void Http1Session::start(Conn* c) {
  w_.httpStart(c);
}

bool Http1Session::beforeConnect(Conn* c) {
  if (!c->hs->t_conn) c->hs->t_conn = w_.now();  // the log's %Tw ends, %Tc starts
  return w_.httpReuse(c);                        // an idle keep-alive connection to this server
}

void Http1Session::noServer(Conn* c, bool connect_timeout) {
  // Timeout connect: HAProxy logs sC, a refusal SC.
  if (connect_timeout && !c->hs->term.known())
    c->hs->term.set(TermCause::kServerTimeout, TermState::kConnect);
  w_.httpNoServer(c);
}

bool Http1Session::pinned(const Conn* c) const {
  return c->hs->ck.direct;
}

void Http1Session::redispatching(Conn* c) {
  c->hs->ck.direct = false;  // the response then carries a new cookie
}

void Http1Session::established(Conn* c) {
  w_.httpEstablished(c);
}

void Http1Session::onRecv(Conn* c, int dir, int res, bool, uint16_t) {
  w_.httpOnRecv(c, dir, res);
}

void Http1Session::onSent(Conn* c, int dir, int res) {
  w_.httpOnSend(c, dir, res);
}

void Http1Session::clientShut(Conn* c, int, bool, bool) {
  w_.httpClientShut(c);
}

void Http1Session::closing(Conn* c) {
  if (c->hs) w_.httpDetach(c);
}

void Http1Session::freed(Conn* c) {
  if (!c->hs) return;
  c->hs->next_free = w_.stream_free_;
  w_.stream_free_ = c->hs;
  c->hs = nullptr;
}

uint64_t Http1Session::deadline(const Conn* c) const {
  return w_.httpDeadline(c);
}

void Http1Session::onTimeout(Conn* c) {
  w_.httpTimeout(c);
}

}  // namespace lbc::rt

// Http1Session as the engine sees it (stream/session.h): the points where the connection's life
// and the analysers ask the HTTP/1 stream, and the thread's pools of streams and idle server
// connections.
#include <poll.h>

#include "http1/session.h"
#include "lbc/text.h"
#include "stream/analyse.h"
#include "stream/engine.h"

namespace lbc::rt {

Http1Session::Http1Session(Engine& e, const GlobalSpec& global)
    : e_(e),
      global_(global),
      head_scratch_(std::make_unique_for_overwrite<char[]>(size_t(2) * e.bufsize())),
      req_heads_(std::make_unique_for_overwrite<http1::Header[]>(http1::Limits().maxhdr)),
      bufs_(size_t(2) * e.bufsize()),
      heads_(http1::Limits().maxhdr),
      strs_(size_t(2) * e.bufsize()) {}

Http1Session::~Http1Session() = default;

bool Http1Session::stopping() const {
  return e_.loop().stopLevel() != 0;
}

bool Http1Session::beforeConnect(Stream* c) {
  if (!hs(c)->t_conn) hs(c)->t_conn = e_.now();  // the log's %Tw ends, %Tc starts
  return reuse(c);                               // an idle keep-alive connection to this server
}

void Http1Session::noServer(Stream* c, bool connect_timeout) {
  // Timeout connect: HAProxy logs sC, a refusal SC.
  if (connect_timeout && !hs(c)->term.known())
    hs(c)->term.set(TermCause::kServerTimeout, TermState::kConnect);
  error(c, 503);
}

bool Http1Session::pinned(const Stream* c) const {
  return hs(c)->ck.direct;
}

void Http1Session::redispatching(Stream* c) {
  hs(c)->ck.direct = false;  // the response then carries a new cookie
}

void Http1Session::clientShut(Stream* c, int, bool, bool) {
  clientAbort(c);
}

void Http1Session::closing(Stream* c) {
  if (c->cx->sd) detach(c);
}

void Http1Session::freed(Stream* c) {
  if (!c->cx->sd) return;
  HttpStream* h = hs(c);
  giveAll(*h);  // nothing is pending any more: the pooled stream keeps no buffer
  h->next_free = stream_free_;
  stream_free_ = h;
  c->cx->sd = nullptr;
}

// ---- what the analysers ask -----------------------------------------------------------------------

// Content and stick rules see the head and what followed it as the request buffer.
std::string_view Http1Session::requestData(const Stream* c) const {
  return {hs(c)->in.get(), hs(c)->ilen};
}

bool Http1Session::requestComplete(Stream* c) {
  return requestWhole(c);
}

void Http1Session::inspectStart(Stream* c, bool delay) {
  c->tx->inspecting = delay;  // the stream reads into its own buffer
}

void Http1Session::inspectEnd(Stream* c) {
  c->tx->inspecting = false;
}

bool Http1Session::requestRules(Stream* c, uint32_t proxy, bool backend) {
  if (!backend && text::ieq(c->tx->txn.method, "PRI")) {
    // HAProxy's http_wait_for_request: PRI is the HTTP/2 preface's method, a bad request on
    // HTTP/1 (lbc has no HTTP/2 upgrade yet: haproxy's `option disable-h2-upgrade` behaviour);
    // it never reaches a server.
    HttpStream& h = *hs(c);
    h.term.set(TermCause::kProxy, TermState::kRequest);
    h.rq.clientClose = true;
    error(c, 400);
    return false;
  }
  return backend ? backendRequest(c) : frontendRules(c, proxy);
}

const Txn* Http1Session::balanceTxn(const Stream* c) const {
  return c->tx ? &c->tx->txn : nullptr;
}

// HTTP mode with option abortonclose: the client shut (or reset) its side.
void Http1Session::clientAbort(Stream* c) {
  HttpStream& h = *hs(c);
  switch (c->st) {
    case ConnState::Queued:
      h.term.set(TermCause::kClientAbort, TermState::kQueue);
      h.t_conn = e_.now();  // %Tw: the time spent queued
      c->cx->tr.discardUnread();
      e_.finish(c, false);
      return;
    case ConnState::Connecting:
    case ConnState::TurnAround:
      h.term.set(TermCause::kClientAbort, TermState::kConnect);
      if (c->srv && c->srv->spec) h.srv_name = &c->srv->spec->name;
      c->cx->tr.discardUnread();
      e_.finish(c, false);
      return;
    case ConnState::Established:
      // The request is with the server and no answer came yet: HAProxy answers 400 and resets the
      // server connection. A request still sending its body is left to the stream's reads.
      if (h.phase != HttpStream::Phase::kExchange || h.res_head || !h.req_done || h.tunnel) return;
      h.term.set(TermCause::kClientAbort, TermState::kHeaders);
      h.rq.clientClose = true;  // the page says "connection: close"
      c->tr_server.resetOnClose();
      error(c, 400);
      return;
    default:
      return;
  }
}

}  // namespace lbc::rt

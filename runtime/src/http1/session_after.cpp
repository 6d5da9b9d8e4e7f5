// The response side of the one analyser sequence around the http-response rules (session.cpp):
// the backend's tcp-response content rules before them, http-after-response after them, on every
// response the client gets from a stream, the server's and lbc's own (errors, deny, return,
// redirect), as HAProxy's http_forward_proxy_resp does.
#include "http1/session.h"
#include "stream/analyse.h"
#include "stream/engine.h"

namespace lbc::rt {

// HAProxy runs its response inspection (AN_RES_INSPECT) from the server connection's
// establishment: without an inspect-delay the rules see an empty response (no status, no
// headers); with one, their fetches wait until the response head is in (as an HTX message, whose
// raw payload fetches see nothing). Here the rules run once the head is parsed: before it is
// loaded into the transaction without a delay (`head` false), after it with one (`head` true).
// False when a verdict ended the stream.
bool Http1Session::tcpResponse(Stream* c, bool head) {
  const ProxySpec& bs = c->be->spec();
  const lbc_program* prog = c->cx->gen->program;
  if (!(bs.hooks & kHasTcpResCont) || !prog->tcp_res_cont) return true;
  if ((bs.tcp_res_inspect_delay_ms != 0) != head) return true;
  Txn& x = c->tx->txn;
  x.in_response = true;
  x.res_payload = {};
  x.more_data = false;  // the head is whole: what a fetch lacks will not come
  const int32_t v = prog->tcp_res_cont(toAbi(&x), proxyIndex(bs));
  x.in_response = false;
  if (v == LBC_HOOK_REJECT || v == LBC_HOOK_DENY) {
    // HAProxy kills the server side and closes the client without a response.
    hs(c)->term.set(TermCause::kProxy, TermState::kData);
    c->tr_server.resetOnClose();
    e_.finish(c, true);
    return false;
  }
  return true;
}

// The http-after-response rules of the backend (once one is chosen) then the frontend's, on the
// transaction's response. False when a rewrite failed.
bool Http1Session::afterResponse(Stream* c) {
  const Generation& g = *c->cx->gen;
  if (!g.program->http_after_res) return true;
  Txn& x = c->tx->txn;
  const uint32_t fe = proxyIndex(*c->cx->fe->spec);
  const uint32_t order[2] = {c->be ? proxyIndex(c->be->spec()) : fe, fe};
  const bool in_response = x.in_response;
  x.in_response = true;
  int32_t v = LBC_HOOK_CONTINUE;
  for (uint32_t k = 0; k < (order[0] == fe ? 1u : 2u) && v != LBC_HOOK_ERROR; ++k)
    if (g.topo.proxies[order[k]].hooks & kHasHttpAfterRes) v = g.program->http_after_res(toAbi(&x), order[k]);
  x.in_response = in_response;
  return v != LBC_HOOK_ERROR;
}

bool Http1Session::hasAfterResponse(const Stream* c) const {
  const Generation& g = *c->cx->gen;
  if (!g.program->http_after_res || !c->tx) return false;
  if (g.topo.proxies[proxyIndex(*c->cx->fe->spec)].hooks & kHasHttpAfterRes) return true;
  return c->be && (c->be->spec().hooks & kHasHttpAfterRes);
}

// Sends a reply of the stream's own through the http-after-response rules. A reply the rules could
// not rewrite becomes the built-in 500 page, sent without them.
void Http1Session::reply(Stream* c, http::Rendered rd) {
  if (hasAfterResponse(c)) {
    Txn& x = c->tx->txn;
    http::ReplyHead head;
    if (http::loadReply(x, rd.bytes, head)) {
      if (afterResponse(c)) {
        rd.bytes = http::storeReply(x, head, rd.bytes);
      } else {
        http::RequestState closing;
        closing.clientClose = true;
        rd = http::renderPage(http::builtinPage(500), closing, http::HttpMode::kClose);
      }
    }
  }
  raw(c, std::move(rd.bytes), rd.close);
}

}  // namespace lbc::rt

// Requests answered by an internal service (http1/service.h) instead of a server: after a proxy's
// http-request rules, as HAProxy's http_process_req_common hands the stream to an applet. A
// service reading a body (the stats page's POST) waits for all of it in the request buffer; the
// analysers come back here then, without running the rules again (HttpStream::service_wait).
#include "http1/service.h"
#include "http1/session.h"
#include "stream/analyse.h"
#include "stream/engine.h"

namespace lbc::rt {

bool Http1Session::internalService(Stream* c, uint32_t proxy) {
  const Generation& g = *c->cx->gen;
  const ProxySpec& ps = g.topo.proxies[proxy];
  Txn& x = c->tx->txn;
  // A use-service rule hands the request over before the stats page is looked at (HAProxy).
  const Service which = serviceChosen(x) ? Service::Prometheus : Service::Stats;
  if (which == Service::Stats && !statsRequested(ps, x)) return false;
  ServiceFn fn = serviceFn(which);
  if (!fn) return false;
  HttpStream& h = *hs(c);
  std::string_view body;
  bool whole = true;
  if (h.rq.body == http1::Body::kContentLength && !h.req_done) {
    const uint64_t len = h.reqp.message().contentLength;
    whole = h.ihead + len <= std::min(h.cap, global_.bufsize);
    if (whole && h.ilen < h.ihead + len) {
      h.service_wait = true;
      c->tx->inspecting = true;  // the next bytes come back to the analysers
      recvArm(c, 0);
      e_.arm(c);
      return true;
    }
    if (whole) body = std::string_view(h.in.get() + h.ihead, len);
  } else if (h.rq.body == http1::Body::kChunked) {
    whole = false;  // HAProxy's page refuses a chunked POST too
  }
  h.service_wait = false;
  c->tx->inspecting = false;
  ServiceReply r = fn(ServiceRequest{g, proxy, x, body, whole});
  h.term.set(TermCause::kLocal, TermState::kRequest);
  raw(c, std::move(r.bytes), r.close || h.rq.clientClose || !whole);
  return true;
}

}  // namespace lbc::rt

// `option httplog` lines of HTTP streams: one per transaction, written when it ends (response
// sent, error page sent, or the connection closed under it) to the frontend's log targets, with
// HAProxy 2.6's default layout (formatHttpLog), framed and sent by log::emit.
#include <arpa/inet.h>
#include <unistd.h>

#include <ctime>

#include <algorithm>

#include "http1/session.h"
#include "log/sink.h"
#include "stream/engine.h"

namespace lbc::rt {

void Http1Session::writeLog(Stream* c) {
  HttpStream& h = *hs(c);
  const ProxySpec& fs = *c->cx->fe->spec;
  if (h.logged) return;
  h.logged = true;
  const bool null_conn = h.ilen == 0 && h.t_head == 0;
  // option http-ignore-probes: a connection that sent nothing (a browser's pre-connect) is neither
  // logged nor counted as an error.
  if (null_conn && h.first && fs.http_ignore_probes) return;
  // A request that never parsed (closed, timed out, invalid) is an error of HAProxy's H1 layer:
  // one request and one error more on the session's trackers; an idle keep-alive close is none.
  if (h.t_head == 0 && !(null_conn && !h.first)) {
    c->cx->counters.add(StkData::HttpReqCnt, 1, e_.now());
    c->cx->counters.add(StkData::HttpReqRate, 1, e_.now());
    c->cx->counters.add(StkData::HttpErrCnt, 1, e_.now());
    c->cx->counters.add(StkData::HttpErrRate, 1, e_.now());
  }
  if (fs.logs.empty() || !fs.httplog) return;
  if (null_conn && (fs.dontlognull || !h.first)) return;  // an idle keep-alive close is no request
  const uint64_t end = e_.now();
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  const int64_t wall = int64_t(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
  http::LogFields f;
  char ip[INET6_ADDRSTRLEN] = "";
  if (c->cx->src.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&c->cx->src);
    inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
    f.clientPort = ntohs(a->sin_port);
  } else if (c->cx->src.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&c->cx->src);
    inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip);
    f.clientPort = ntohs(a->sin6_port);
  }
  f.clientIp = ip;
  const uint64_t first = h.t_first ? h.t_first : h.req_start;
  f.dateMs = wall - int64_t(end - first);
  f.acceptMs = wall - int64_t(end - c->cx->accepted);
  f.frontend = fs.name;
  f.ssl = c->cx->tr.isTls();
  f.backend = c->be ? std::string_view(c->be->spec().name) : std::string_view(fs.name);
  if (h.srv_name) f.server = *h.srv_name;
  f.TR = h.t_head ? int64_t(h.t_head - first) : -1;
  f.Tw = h.t_conn && h.t_head ? int64_t(h.t_conn - h.t_head) : -1;  // in the queues
  f.Tc = h.t_est && h.t_conn ? int64_t(h.t_est - h.t_conn) : -1;
  f.Tr = h.t_resp && h.t_est ? int64_t(h.t_resp - h.t_est) : -1;
  f.Ta = int64_t(end - first);
  f.Tt = int64_t(end - h.req_start);
  // A request that never completed, with nothing answered: HAProxy's H1 layer reports it as 400.
  f.status = h.log_status < 0 && h.t_head == 0 ? 400 : h.log_status;
  f.bytesOut = h.bytes_out;
  f.term[0] = h.term.causeChar();
  f.term[1] = h.term.stateChar();
  if (c->be && c->be->spec().cookie.enabled) {  // the persistence cookie's fate (%tsc chars 3-4)
    f.term[2] = h.ck.cli;
    f.term[3] = h.ck.srv;
  }
  f.ac = e_.state().global.cur.load(std::memory_order_relaxed);
  f.fc = c->cx->fe->limit.cur.load(std::memory_order_relaxed);
  // Counted after this stream's own server slot is given back, as HAProxy logs them.
  if (c->be)
    for (const auto& s : c->be->servers()) f.bc += s->served.load(std::memory_order_relaxed);
  if (c->srv) {
    f.sc = c->srv->served.load(std::memory_order_relaxed);
    f.sc -= f.sc > 0;
    f.bc -= f.bc > 0;
  }
  if (c->be) {  // retries made (all of them when they ran out), '+' after a redispatch
    f.rc = c->be->spec().retries - uint32_t(std::max<int32_t>(c->retries_left, 0));
    f.redispatched = c->redispatched;
  }
  // %r: "METHOD URI VERSION" of the parsed head; a request that did not parse is <BADREQ>.
  if (h.ihead) {
    f.requestLine = h.log_line;
  } else {
    f.badRequest = true;
  }
  // %hr / %hs: every slot of the frontend's captures, empty when the message never came; none
  // for a request that did not parse (HAProxy's H1 layer logs it without a stream).
  if (!fs.req_captures.empty() && h.t_head) {
    h.req_cap.resize(fs.req_captures.size());
    f.reqCaptures.assign(h.req_cap.begin(), h.req_cap.end());
  }
  if (!fs.res_captures.empty() && h.t_head) {
    h.res_cap.resize(fs.res_captures.size());
    f.resCaptures.assign(h.res_cap.begin(), h.res_cap.end());
  }
  const bool err = http::logIsError(f, true);
  if (!err && fs.dontlog_normal) return;
  const std::string msg = fs.httplog_clf ? http::formatClfLog(f) : http::formatHttpLog(f);
  log::emit(fs.logs, err && fs.log_separate_errors ? 3 : 6, log::kTargetFacility, msg);  // err / info
}

}  // namespace lbc::rt

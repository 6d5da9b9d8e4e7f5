// HTTP/1.1 streams of `mode http` frontends, on top of the connection machinery of conn.cpp
// (server choice, queue, connect, retries, redispatch, close):
//   accept -> tcp-request connection/session -> request head (timeout http-request: 408; parse
//   error: the parser's status) -> http-request rules of the frontend -> backend selection ->
//   http-request rules of the backend -> forwardfor -> server -> request head and body ->
//   response head (1xx forwarded, so Expect: 100-continue works end to end) -> http-response
//   rules (backend, then frontend) -> response head and body -> log line (option httplog,
//   http_stream_log.cpp) -> next request (keep-alive) or close. A 101 (or 2xx to CONNECT) turns
//   the stream into a byte tunnel both ways under timeout tunnel.
// Reads are single-shot into the stream's own linear buffers (not the provided-buffer pipes of
// TCP mode): a head must be contiguous for the parser and stay in place while the rules' views
// point into it. Server connections are reused as HAProxy's `http-reuse safe` does: a complete
// keep-alive exchange leaves the connection idle, owned by its session, which reuses it for its next
// request to the same server; when the session ends it is parked in the worker's bounded pool, where
// the later (never the first) requests of any session may take it.
#include "http_stream.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "analyse.h"
#include "conn.h"
#include "worker.h"

namespace lbc::rt {
namespace {

http::HttpMode modeOf(const ProxySpec& p) {
  return static_cast<http::HttpMode>(p.http_mode);
}

http1::Limits limitsOf(const Topology& t) {
  http1::Limits l;
  l.bufsize = t.global.bufsize;
  l.maxrewrite = t.global.maxrewrite;
  return l;
}

void addrOf(const sockaddr_storage& ss, uint8_t ip[16], bool& v6, uint16_t& port) {
  std::memset(ip, 0, 16);
  v6 = false;
  port = 0;
  if (ss.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    std::memcpy(ip, &a->sin_addr, 4);
    port = ntohs(a->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    std::memcpy(ip, &a->sin6_addr, 16);
    v6 = true;
    port = ntohs(a->sin6_port);
  }
}

// The transaction's connection fields, again for every request of a keep-alive connection.
void fillConn(Txn& x, const Conn* c, const HttpStream& h, uint32_t fe) {
  addrOf(c->src, x.src, x.src_v6, x.src_port);
  std::memcpy(x.dst, h.dst, 16);
  x.dst_v6 = h.dst_v6;
  x.dst_port = h.dst_port;
  x.frontend = fe;
}

// How long an idle server connection is kept: the backend's timeout http-keep-alive, else
// HAProxy's pool-purge-delay default (5s).
uint64_t idleTimeout(const ProxySpec& be) {
  return be.timeouts.http_keep_alive ? be.timeouts.http_keep_alive : 5000;
}

}  // namespace

void Worker::httpStart(Conn* c) {
  c->st = ConnState::Analysing;
  if (!stream_free_) {
    streams_.push_back(std::make_unique<HttpStream>(bufsize_, limitsOf(topo_)));
    stream_free_ = streams_.back().get();
  }
  HttpStream* h = stream_free_;
  stream_free_ = h->next_free;
  h->reset();
  c->hs = h;
  c->tx = allocTxn();
  socklen_t len = sizeof c->src;
  getpeername(c->cfd, reinterpret_cast<sockaddr*>(&c->src), &len);
  sockaddr_storage dst{};
  len = sizeof dst;
  getsockname(c->cfd, reinterpret_cast<sockaddr*>(&dst), &len);
  addrOf(dst, h->dst, h->dst_v6, h->dst_port);
  Txn& x = c->tx->txn;
  x.program = shared_.program;
  const ProxySpec& fs = *c->fe->spec;
  const uint32_t fe = proxyIndex(fs);
  fillConn(x, c, *h, fe);
  const lbc_program* prog = shared_.program;
  auto stops = [](int32_t v) { return v == LBC_HOOK_REJECT || v == LBC_HOOK_DENY; };
  if ((fs.hooks & kHasTcpReqConn) && prog->tcp_req_conn && stops(prog->tcp_req_conn(toAbi(&x), fe))) {
    finish(c, true);
    return;
  }
  if ((fs.hooks & kHasTcpReqSess) && prog->tcp_req_sess && stops(prog->tcp_req_sess(toAbi(&x), fe))) {
    finish(c, false);
    return;
  }
  h->req_start = now_;
  httpRecvArm(c, 0);
  arm(c);
}

void Worker::httpRecvArm(Conn* c, int dir) {
  HttpStream& h = *c->hs;
  bool& pending = dir == 0 ? h.recv_c : h.recv_s;
  uint32_t used = dir == 0 ? h.ilen : h.rlen;
  if (pending || used >= h.cap) return;
  io_uring_sqe* q = sqe();
  io_uring_prep_recv(q, dir == 0 ? c->cfd : c->sfd, (dir == 0 ? h.in.get() : h.res.get()) + used,
                     h.cap - used, 0);
  io_uring_sqe_set_data64(q, ud(c, dir == 0 ? kRecvC : kRecvS));
  ++c->inflight;
  pending = true;
}

void Worker::httpOnRecv(Conn* c, int dir, int res) {
  HttpStream& h = *c->hs;
  --c->inflight;
  (dir == 0 ? h.recv_c : h.recv_s) = false;
  if (c->st == ConnState::Closing || c->st == ConnState::Free) {
    maybeFree(c);
    return;
  }
  if (res < 0 && res != -ECONNRESET) {
    if (res == -ECANCELED) {
      maybeFree(c);
      return;
    }
  }
  if (dir == 0) {
    if (res == 0 && h.tunnel && !h.eof_c) {
      // Half-close through the tunnel: the server's write side shuts once the client's bytes are
      // sent; the server's answer may still come.
      h.eof_c = true;
      h.req_done = true;
      httpPump(c);
    } else if (res <= 0) {
      // The client left. Nothing to answer any more.
      finish(c, res < 0);
    } else {
      if (h.phase == HttpStream::Phase::kReqHead && h.ilen == 0 && !h.t_first) h.t_first = now_;
      h.ilen += uint32_t(res);
      c->act_c = now_;
      if (h.phase == HttpStream::Phase::kReqHead)
        httpRequest(c);
      else if (h.phase == HttpStream::Phase::kExchange)
        httpPump(c);
    }
  } else {
    if (res <= 0) {
      if (!h.res_head) {
        if (!httpRetryFresh(c)) httpError(c, 502);  // closed or reset before a complete response head
      } else if (h.until_close && res == 0) {
        h.res_done = true;
        h.close_after = true;
        httpPump(c);
      } else {
        finish(c, true);  // truncated body: the client must see the abort
      }
    } else {
      h.rlen += uint32_t(res);
      c->act_s = now_;
      if (!h.res_head)
        httpResponse(c);
      else
        httpPump(c);
    }
  }
  if (c->st != ConnState::Closing) arm(c);
  maybeFree(c);
}

// The request head: parse what arrived, then the rules, the backend and a server.
void Worker::httpRequest(Conn* c) {
  HttpStream& h = *c->hs;
  const http1::Limits lim = limitsOf(topo_);
  const uint32_t fed = std::min(h.ilen, lim.bufsize);
  http1::Result r = h.reqp.feed(h.in.get(), fed);
  if (r.outcome == http1::Outcome::kNeedMore) {
    if (fed >= lim.bufsize) {
      httpRaw(c, http::nativeError(shared_.pages[proxyIndex(*c->fe->spec)], 400), true);
      return;
    }
    httpRecvArm(c, 0);
    return;
  }
  const uint32_t fe = proxyIndex(*c->fe->spec);
  if (r.outcome == http1::Outcome::kError) {
    h.term[0] = 'P';
    h.term[1] = 'R';
    httpRaw(c, http::nativeError(shared_.pages[fe], r.status ? r.status : 400), true);
    return;
  }
  h.first = false;
  ++h.nreq;
  h.t_head = now_;
  if (!h.t_first) h.t_first = h.req_start;
  h.phase = HttpStream::Phase::kServer;
  h.ihead = h.isent = h.iscan = r.length;
  TxnSlot& t = *c->tx;
  Txn& x = t.txn;
  h.rq = http::fillRequest(x, h.in.get(), h.reqp.message(), h.reqp.headers());
  const http1::Message& m = h.reqp.message();
  switch (h.rq.body) {
    case http1::Body::kContentLength:
      h.reqlen = http1::LengthCounter(m.contentLength);
      h.req_done = m.contentLength == 0;
      break;
    case http1::Body::kChunked:
      break;
    default:
      h.req_done = true;
      break;
  }
  const lbc_program* prog = shared_.program;
  const ProxySpec& fs = *c->fe->spec;
  auto reply = [&](int32_t verdict, uint32_t proxy) {
    if (verdict == LBC_HOOK_REJECT) {
      finish(c, true);
      return true;
    }
    if (verdict == LBC_HOOK_ERROR) {
      httpError(c, 500);
      return true;
    }
    if (verdict == LBC_HOOK_DENY || verdict == LBC_HOOK_RETURN || verdict == LBC_HOOK_REDIRECT) {
      x.verdict = verdict;
      h.term[0] = verdict == LBC_HOOK_DENY ? 'P' : 'L';  // denied, or answered locally
      h.term[1] = 'R';
      http::Rendered rd = http::renderReply(x, shared_.pages[proxy], h.rq, modeOf(fs));
      httpRaw(c, std::move(rd.bytes), rd.close || !h.req_done);
      return true;
    }
    return false;
  };
  if ((fs.hooks & kHasHttpReq) && prog->http_req && reply(prog->http_req(toAbi(&x), fe), fe)) return;
  Backend* be = c->fe->backend;
  if (fs.select_backend && prog->select_backend) {
    int32_t b = prog->select_backend(toAbi(&x), fe);
    be = b >= 0 && size_t(b) < shared_.backends.size() ? shared_.backends[b].get() : nullptr;
  }
  if (!be) {
    httpError(c, 503);  // HAProxy: no backend to serve the request
    return;
  }
  c->be = be;
  const ProxySpec& bs = be->spec();
  const uint32_t bi = proxyIndex(bs);
  x.backend = int32_t(bi);
  if (bi != fe && (bs.hooks & kHasHttpReq) && prog->http_req && reply(prog->http_req(toAbi(&x), bi), bi))
    return;
  // Persistence cookie (HAProxy's http_process_request step 7): after the rules, before forwardfor.
  ServerState* force = nullptr;
  if (bs.cookie.enabled && !cookieRequest(bs, *be, x, h.ck, int64_t(time(nullptr)), &force)) {
    httpError(c, 500);
    return;
  }
  if (http::applyForwardfor(x, shared_.forwardfor[fe], shared_.forwardfor[bi]) < 0) {
    httpError(c, 500);
    return;
  }
  size_t n = http::writeRequestHead(x, h.rq, modeOf(fs), modeOf(bs), lim, head_scratch_.get(), h.cap);
  if (!n) {
    httpError(c, 500);
    return;
  }
  h.ws.assign(head_scratch_.get(), n);
  h.ws_off = 0;
  toBackend(c, force);
}

void Worker::httpEstablished(Conn* c) {
  HttpStream& h = *c->hs;
  c->st = ConnState::Established;
  c->act_c = c->act_s = now_;
  h.phase = HttpStream::Phase::kExchange;
  h.t_est = now_;
  if (c->srv && c->srv->spec) h.srv_name = &c->srv->spec->name;
  h.resp.setRequestMethod(h.rq.head, h.rq.connect);
  httpRecvArm(c, 1);
  httpPump(c);
  arm(c);
}

// Finds the body bytes among the unscanned ones, with the message's framing. False: bad chunking.
bool Worker::httpScan(HttpStream& h, bool request) {
  char* buf = request ? h.in.get() : h.res.get();
  uint32_t& scan = request ? h.iscan : h.rscan;
  uint32_t len = request ? h.ilen : h.rlen;
  bool& done = request ? h.req_done : h.res_done;
  http1::Body body = request ? h.rq.body : h.rs.body;
  if (request && h.tunnel) {
    scan = len;
    return true;
  }
  if (done) return true;
  if (!request && h.until_close) {
    scan = len;
    return true;
  }
  if (body == http1::Body::kContentLength) {
    http1::LengthCounter& lc = request ? h.reqlen : h.reslen;
    scan += uint32_t(lc.take(len - scan));
    done = lc.done();
    return true;
  }
  http1::ChunkedDecoder& d = request ? h.reqdec : h.resdec;
  while (scan < len) {
    http1::ChunkedDecoder::Step s = d.next(buf + scan, len - scan);
    scan += s.length;
    if (s.kind == http1::ChunkedDecoder::Kind::kError) return false;
    if (s.kind == http1::ChunkedDecoder::Kind::kDone) {
      done = true;
      break;
    }
    if (s.kind == http1::ChunkedDecoder::Kind::kNeedMore) break;
  }
  return true;
}

// Moves bytes: request body to the server, response head and body to the client; reads more where
// a side is waiting for data; ends the transaction once both messages are complete.
void Worker::httpPump(Conn* c) {
  HttpStream& h = *c->hs;
  if (c->st != ConnState::Established) return;
  // ---- client -> server ----
  if (!httpScan(h, true)) {
    finish(c, true);  // bad chunked request body after the head was forwarded
    return;
  }
  if (!h.send_s) {
    const char* p = nullptr;
    uint32_t n = 0;
    if (h.ws_off < h.ws.size()) {
      p = h.ws.data() + h.ws_off;
      n = uint32_t(h.ws.size() - h.ws_off);
    } else if (h.isent < h.iscan) {
      p = h.in.get() + h.isent;
      n = h.iscan - h.isent;
    } else if (h.iscan > h.ihead && h.iscan == h.isent) {
      // Everything scanned is sent: the body area is free again (the head stays in place).
      std::memmove(h.in.get() + h.ihead, h.in.get() + h.iscan, h.ilen - h.iscan);
      h.ilen -= h.iscan - h.ihead;
      h.isent = h.iscan = h.ihead;
    }
    if (n) {
      io_uring_sqe* q = sqe();
      io_uring_prep_send(q, c->sfd, p, n, MSG_NOSIGNAL);
      io_uring_sqe_set_data64(q, ud(c, kSendS));
      ++c->inflight;
      h.send_s = true;
    } else if (!h.req_done) {
      httpRecvArm(c, 0);
    } else if (h.eof_c && c->sfd >= 0) {
      shutdown(c->sfd, SHUT_WR);
      h.eof_c = false;  // done once
    }
  }
  // ---- server -> client ----
  if (!h.res_head) return;
  if (!httpScan(h, false)) {
    finish(c, true);
    return;
  }
  if (!h.send_c) {
    const char* p = nullptr;
    uint32_t n = 0;
    if (h.wc_off < h.wc.size()) {
      p = h.wc.data() + h.wc_off;
      n = uint32_t(h.wc.size() - h.wc_off);
    } else if (h.rsent < h.rscan) {
      p = h.res.get() + h.rsent;
      n = h.rscan - h.rsent;
    } else {
      if (h.rscan > 0) {
        std::memmove(h.res.get(), h.res.get() + h.rscan, h.rlen - h.rscan);
        h.rlen -= h.rscan;
        h.rsent = h.rscan = 0;
      }
      if (h.res_done) {
        httpEnd(c);
        return;
      }
      httpRecvArm(c, 1);
    }
    if (n) {
      io_uring_sqe* q = sqe();
      io_uring_prep_send(q, c->cfd, p, n, MSG_NOSIGNAL);
      io_uring_sqe_set_data64(q, ud(c, kSendC));
      ++c->inflight;
      h.send_c = true;
    }
  }
}

// The response head: interim responses go through as they are; the final one runs the
// http-response rules and is rewritten for the client.
void Worker::httpResponse(Conn* c) {
  HttpStream& h = *c->hs;
  const http1::Limits lim = limitsOf(topo_);
  for (;;) {
    uint32_t fed = std::min(h.rlen, lim.bufsize);
    http1::Result r = h.resp.feed(h.res.get(), fed);
    if (r.outcome == http1::Outcome::kNeedMore) {
      if (fed >= lim.bufsize) {
        httpError(c, 502);
        return;
      }
      httpRecvArm(c, 1);
      return;
    }
    if (r.outcome == http1::Outcome::kError) {
      httpError(c, 502);
      return;
    }
    const http1::Message& m = h.resp.message();
    if (m.status >= 100 && m.status < 200 && m.status != 101) {
      if (h.wc.size() + r.length > h.cap) {
        httpError(c, 502);
        return;
      }
      h.wc.append(h.res.get(), r.length);
      std::memmove(h.res.get(), h.res.get() + r.length, h.rlen - r.length);
      h.rlen -= r.length;
      h.resp.reset();
      h.resp.setRequestMethod(h.rq.head, h.rq.connect);
      if (!h.send_c) {
        io_uring_sqe* q = sqe();
        io_uring_prep_send(q, c->cfd, h.wc.data() + h.wc_off, h.wc.size() - h.wc_off, MSG_NOSIGNAL);
        io_uring_sqe_set_data64(q, ud(c, kSendC));
        ++c->inflight;
        h.send_c = true;
      }
      continue;
    }
    TxnSlot& t = *c->tx;
    Txn& x = t.txn;
    const ProxySpec& fs = *c->fe->spec;
    const ProxySpec& bs = c->be->spec();
    h.rs = http::fillResponse(x, h.res.get(), m, h.resp.headers(), h.rq, modeOf(fs), modeOf(bs));
    const lbc_program* prog = shared_.program;
    const uint32_t fe = proxyIndex(fs), bi = proxyIndex(bs);
    if (bs.cookie.enabled && !cookieResponse(bs.cookie, c->srv, x, h.ck)) {
      httpError(c, 500);
      return;
    }
    x.in_response = true;
    uint32_t order[2] = {bi, fe};
    for (uint32_t k = 0; k < (bi == fe ? 1u : 2u); ++k) {
      const uint32_t px = order[k];
      const ProxySpec& ps = topo_.proxies[px];
      if (!(ps.hooks & kHasHttpRes) || !prog->http_res) continue;
      int32_t v = prog->http_res(toAbi(&x), px);
      if (v == LBC_HOOK_ERROR) {
        httpError(c, 500);
        return;
      }
      if (v == LBC_HOOK_REJECT) {
        finish(c, true);
        return;
      }
      if (v == LBC_HOOK_DENY || v == LBC_HOOK_RETURN || v == LBC_HOOK_REDIRECT) {
        x.verdict = v;
        h.t_resp = now_;
        h.term[0] = v == LBC_HOOK_DENY ? 'P' : 'L';
        h.term[1] = 'H';
        http::Rendered rd = http::renderReply(x, shared_.pages[px], h.rq, modeOf(fs));
        httpRaw(c, std::move(rd.bytes), true);
        return;
      }
    }
    x.in_response = false;
    if (bs.cookie.enabled && !cookieInsert(bs.cookie, c->srv, x, h.ck, int64_t(time(nullptr)))) {
      httpError(c, 500);
      return;
    }
    h.t_resp = now_;
    h.log_status = m.status;
    size_t n = http::writeResponseHead(x, h.rq, h.rs, lim, head_scratch_.get(), h.cap);
    if (!n || h.wc.size() + n > h.cap) {
      httpError(c, 500);
      return;
    }
    h.wc.append(head_scratch_.get(), n);
    std::memmove(h.res.get(), h.res.get() + r.length, h.rlen - r.length);
    h.rlen -= r.length;
    h.res_head = true;
    h.keep_alive = h.rs.clientKeepAlive;
    if (h.rs.tunnel) {
      // 101 Switching Protocols (or 2xx to CONNECT): after this head, bytes go both ways as they
      // come, until one side closes (half-closes are passed on) or timeout tunnel.
      h.tunnel = true;
      h.until_close = true;
      h.req_done = false;
      h.keep_alive = false;
      h.iscan = std::max(h.iscan, h.isent);
      httpPump(c);
      return;
    }
    switch (h.rs.body) {
      case http1::Body::kContentLength:
        h.reslen = http1::LengthCounter(h.resp.message().contentLength);
        h.res_done = h.resp.message().contentLength == 0;
        break;
      case http1::Body::kChunked:
        break;
      case http1::Body::kUntilClose:
        h.until_close = true;
        break;
      default:
        h.res_done = true;
        break;
    }
    httpPump(c);
    return;
  }
}

// An error page raised by the stream (500, 502, 503, 504), through the normal response path.
void Worker::httpError(Conn* c, int status) {
  HttpStream& h = *c->hs;
  const uint32_t fe = proxyIndex(*c->fe->spec);
  const http::ErrorPages* pages = &shared_.pages[fe];
  if (!h.srv_name && c->srv && c->srv->spec) h.srv_name = &c->srv->spec->name;  // the one tried
  if (h.term[0] == '-') {  // who ended the transaction, and where, for the log's %tsc
    h.term[0] = status == 504 ? 's' : status == 500 ? 'P' : 'S';
    h.term[1] = status == 503 && !h.t_est ? 'C' : 'H';
  }
  if (c->be) {  // the backend's errorfile wins when it has one for this status
    for (const auto& e : c->be->spec().errorfiles)
      if (e.status == status) pages = &shared_.pages[proxyIndex(c->be->spec())];
  }
  http::Rendered rd = http::renderPage(pages->page(status), h.rq, modeOf(*c->fe->spec));
  // The exchange with the server is over; the request body may still be on its way, so the
  // client connection closes after the page (HAProxy cannot reuse it either).
  httpRaw(c, std::move(rd.bytes), true);
}

// Cancels what is pending on the server socket and closes it (the caller forgets c->sfd).
void Worker::closeServerFd(Conn* c) {
  io_uring_sqe* q = sqe();
  io_uring_prep_cancel_fd(q, c->sfd, IORING_ASYNC_CANCEL_ALL);
  io_uring_sqe_set_data64(q, ud(c, kIgnore));
  q = sqe();
  io_uring_prep_close(q, c->sfd);
  io_uring_sqe_set_data64(q, ud(c, kIgnore));
  c->inflight += 2;
}

// Gives the connection's server slot back to its backend (which may wake a queued one).
void Worker::releaseServer(Conn* c) {
  if (!c->srv) return;
  ServerState* s = c->srv;
  c->srv = nullptr;
  c->be->release(s);
}

// Sends `bytes` to the client in place of any response, then closes or waits for the next request.
void Worker::httpRaw(Conn* c, std::string bytes, bool close) {
  HttpStream& h = *c->hs;
  if (c->sfd >= 0 || c->srv || c->st == ConnState::Queued) {
    // Leaves the server side: a queued connection leaves its queue, a server slot is released.
    if (c->st == ConnState::Queued && !c->be->leaveQueue(&c->link)) c->awaiting_wake = true;
    if (c->sfd >= 0) {
      closeServerFd(c);
      c->sfd = -1;
    }
    releaseServer(c);
  }
  c->st = ConnState::Established;  // only the client side is left
  wheelRemove(c);
  h.phase = HttpStream::Phase::kReply;
  if (bytes.size() > 12 && bytes.compare(0, 5, "HTTP/") == 0) h.log_status = std::atoi(bytes.c_str() + 9);
  h.close_after = close;
  h.keep_alive = !close;
  h.res_head = h.res_done = true;
  h.req_done = true;
  if (h.send_c) {  // a previous send (an interim response) is in flight: the reply follows it
    h.wc.append(bytes);
  } else {
    h.wc = std::move(bytes);
    h.wc_off = 0;
  }
  h.rlen = h.rsent = h.rscan = 0;
  h.ws.clear();
  h.ws_off = 0;
  h.isent = h.iscan = h.ilen;  // nothing more goes to a server
  if (!h.send_c) {
    io_uring_sqe* q = sqe();
    io_uring_prep_send(q, c->cfd, h.wc.data() + h.wc_off, h.wc.size() - h.wc_off, MSG_NOSIGNAL);
    io_uring_sqe_set_data64(q, ud(c, kSendC));
    ++c->inflight;
    h.send_c = true;
  }
  arm(c);
}

void Worker::httpOnSend(Conn* c, int dir, int res) {
  HttpStream& h = *c->hs;
  --c->inflight;
  (dir == 0 ? h.send_s : h.send_c) = false;
  if (c->st == ConnState::Closing || c->st == ConnState::Free) {
    maybeFree(c);
    return;
  }
  if (res <= 0) {
    if (dir == 1) {
      finish(c, true);
    } else if (!h.res_head) {
      if (!httpRetryFresh(c)) httpError(c, 502);  // the server went away while the request was sent
    } else {
      finish(c, true);
    }
    maybeFree(c);
    return;
  }
  if (dir == 0) {
    c->act_s = now_;
    if (h.ws_off < h.ws.size())
      h.ws_off += uint32_t(res);
    else
      h.isent += uint32_t(res);
  } else {
    c->act_c = now_;
    if (h.wc_off < h.wc.size()) {
      h.wc_off += uint32_t(res);
      if (h.wc_off == h.wc.size()) {
        h.wc.clear();
        h.wc_off = 0;
      }
    } else {
      h.rsent += uint32_t(res);
    }
    h.bytes_out += uint32_t(res);
  }
  if (h.phase == HttpStream::Phase::kReply) {
    if (h.wc_off < h.wc.size()) {
      io_uring_sqe* q = sqe();
      io_uring_prep_send(q, c->cfd, h.wc.data() + h.wc_off, h.wc.size() - h.wc_off, MSG_NOSIGNAL);
      io_uring_sqe_set_data64(q, ud(c, kSendC));
      ++c->inflight;
      h.send_c = true;
    } else if (!h.send_s) {
      httpEnd(c);
    }
  } else {
    httpPump(c);
  }
  if (c->st != ConnState::Closing) arm(c);
  maybeFree(c);
}

// Both messages are complete (or a reply was sent): close, or wait for the next request.
void Worker::httpEnd(Conn* c) {
  HttpStream& h = *c->hs;
  if (h.send_s || h.send_c) return;  // the last send completes first
  httpLog(c);
  bool keep = h.keep_alive && !h.close_after && h.req_done && !stopping_;
  // The server connection may serve another request: a complete keep-alive exchange with nothing
  // of it still in flight (a pending read would race with the next user).
  const bool reusable = c->sfd >= 0 && c->srv && h.phase == HttpStream::Phase::kExchange &&
                        h.rs.serverKeepAlive && !h.rq.serverClose && !h.until_close && h.res_done &&
                        h.req_done && !h.recv_s && !h.send_s && h.rlen == 0 && h.isent == h.iscan &&
                        !stopping_;
  if (!keep) {
    if (reusable) {  // the session ends; its server connection goes to the pool
      httpPark(c->sfd, c->srv, now_ + idleTimeout(c->be->spec()));
      c->sfd = -1;
    }
    finish(c, false);
    return;
  }
  if (c->sfd >= 0) {
    if (reusable) {
      if (h.own.fd >= 0) httpPark(h.own.fd, h.own.srv, h.own.expire);
      h.own = {c->sfd, c->srv, now_ + idleTimeout(c->be->spec())};
    } else {
      closeServerFd(c);
    }
    c->sfd = -1;
  }
  releaseServer(c);
  h.recv_s = false;  // cancelled with the descriptor
  c->be = nullptr;
  h.nextRequest();
  TxnSlot& t = *c->tx;
  t.reset();
  t.txn.program = shared_.program;
  fillConn(t.txn, c, h, proxyIndex(*c->fe->spec));
  c->st = ConnState::Analysing;
  c->act_c = now_;
  h.req_start = now_;
  if (h.ilen)
    httpRequest(c);  // a pipelined request is already there
  else
    httpRecvArm(c, 0);
  if (c->st != ConnState::Closing) arm(c);
}

// timeout http-request bounds the whole request head (the first request; later ones too once
// their first byte came); timeout http-keep-alive (else http-request) the wait for a next request;
// timeout client then timeout server while the exchange runs.
uint64_t Worker::httpDeadline(const Conn* c) const {
  const HttpStream& h = *c->hs;
  const TimeoutSpec& ft = c->fe->spec->timeouts;
  switch (c->st) {
    case ConnState::Analysing: {
      if (h.phase != HttpStream::Phase::kReqHead) return 0;
      uint64_t to = ft.http_request;
      if (!h.first && h.ilen == 0 && ft.http_keep_alive) to = ft.http_keep_alive;
      if (to) return h.req_start + to;
      return ft.client ? c->act_c + ft.client : 0;
    }
    case ConnState::Queued:
    case ConnState::TurnAround:
      return c->state_deadline;
    case ConnState::Established: {
      if (h.tunnel) {  // timeout tunnel over both sides' activity, else client/server as before
        const uint64_t tt = c->be ? c->be->spec().timeouts.tunnel : 0;
        if (tt) return std::max(c->act_c, c->act_s) + tt;
      }
      uint64_t d = 0;
      if (ft.client && (!h.req_done || h.send_c)) d = c->act_c + ft.client;
      const TimeoutSpec* bt = c->be ? &c->be->spec().timeouts : nullptr;
      if (bt && bt->server && c->sfd >= 0 && !h.res_done) {
        uint64_t s = c->act_s + bt->server;
        d = d ? std::min(d, s) : s;
      }
      return d;
    }
    default:
      return 0;
  }
}

void Worker::httpTimeout(Conn* c) {
  HttpStream& h = *c->hs;
  switch (c->st) {
    case ConnState::Analysing:
      if (!h.first && h.ilen == 0) {
        finish(c, false);  // an idle keep-alive connection closes silently
      } else {
        h.term[0] = 'c';
        h.term[1] = 'R';
        httpRaw(c, http::nativeError(shared_.pages[proxyIndex(*c->fe->spec)], 408), true);
      }
      break;
    case ConnState::TurnAround:
      c->state_deadline = 0;
      connectServer(c);
      break;
    case ConnState::Queued:
      h.term[0] = 's';
      h.term[1] = 'Q';
      httpError(c, 503);  // timeout queue
      break;
    case ConnState::Established: {
      const TimeoutSpec* bt = c->be ? &c->be->spec().timeouts : nullptr;
      bool server = bt && bt->server && c->sfd >= 0 && now_ >= c->act_s + bt->server;
      h.term[0] = server ? 's' : 'c';
      h.term[1] = h.res_head ? 'D' : 'H';
      if (server && !h.res_head)
        httpError(c, 504);
      else
        finish(c, false);
      break;
    }
    default:
      break;
  }
  maybeFree(c);
}

}  // namespace lbc::rt

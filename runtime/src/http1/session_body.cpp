// The body half of HTTP streams (http_stream.cpp has the heads): finding each message's body in
// the bytes received, with its framing, and moving bytes both ways. Content-Length bodies and
// tunnels go out as they came, from the receive buffers. Chunked bodies are re-encoded as HAProxy
// 2.6 forwards them (its HTX layer rebuilds the framing): what a strict peer cannot read (bare LF,
// extensions, blanks in a size line) never reaches it.
#include <sys/socket.h>

#include <cstring>

#include "http1/session.h"
#include "stream/engine.h"

namespace lbc::rt {
namespace {
constexpr uint32_t kCoalesceBytes = 4096;
}  // namespace

// Finds the body bytes among the unscanned ones, with the message's framing. False: bad chunking.
bool Http1Session::scan(HttpStream& h, bool request) {
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
  // Chunked: the canonical encoding goes to the side's own output (ws, wc) behind what is there,
  // never while a send from it is in flight (the string may move); the pump rescans after it.
  if (request ? h.send_s : h.send_c) return true;
  http1::ChunkedDecoder& d = request ? h.reqdec : h.resdec;
  std::string& out = request ? h.ws : h.wc;
  if (scan < len) {
    needOut(out);
    http1::ChunkedDecoder::Step s = d.recode(buf + scan, len - scan, out);
    scan += s.length;
    (request ? h.isent : h.rsent) = scan;  // consumed: nothing of it is sent from the buffer
    if (s.kind == http1::ChunkedDecoder::Kind::kError) return false;
    done = s.kind == http1::ChunkedDecoder::Kind::kDone;
  }
  return true;
}

// Moves bytes: request body to the server, response head and body to the client; reads more where
// a side is waiting for data; ends the transaction once both messages are complete.
void Http1Session::pumpBody(Stream* c) {
  HttpStream& h = *hs(c);
  if (c->st != ConnState::Established) return;
  // ---- client -> server ----
  if (!scan(h, true)) {
    // Bad chunking after the head went to the server: as HAProxy, a 400 when no response came
    // yet (the server connection closes; logged PH), else the connection ends (PD): closed after
    // a complete response, cut in the middle of one.
    h.term.set(TermCause::kProxy, h.res_head ? TermState::kData : TermState::kHeaders);
    if (h.res_head)
      e_.finish(c, !(h.res_done && !h.send_c && h.wc_off == h.wc.size() && h.rsent == h.rscan));
    else
      error(c, 400);
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
      c->tr_server.send(p, n);
      h.send_s = true;
    } else if (!h.req_done) {
      recvArm(c, 0);
    } else if (h.eof_c && c->tr_server.open()) {
      c->tr_server.shutdownWrite();
      h.eof_c = false;  // done once
    }
  }
  // ---- server -> client ----
  if (!h.res_head) return;
  if (!scan(h, false)) {
    e_.finish(c, true);
    return;
  }
  if (!h.send_c) {
    // A head and a small body go in one send: copying a few KiB costs less than a second send
    // (and its completion) per response, the common case of keep-alive traffic.
    if (h.wc_off < h.wc.size() && h.rsent < h.rscan && h.rscan - h.rsent <= kCoalesceBytes) {
      h.wc.append(h.res.get() + h.rsent, h.rscan - h.rsent);
      h.rsent = h.rscan;
    }
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
        // A response that came before the end of the request body: as HAProxy, the body still
        // goes to the server and the connection is kept once it ended (when both sides keep it).
        const bool flushed = h.req_done && !h.send_s && h.ws_off == h.ws.size() && h.isent == h.iscan;
        if (flushed || !h.keep_alive || h.close_after || !h.rs.serverKeepAlive || h.rq.serverClose ||
            !c->tr_server.open()) {
          end(c);
          return;
        }
      } else {
        recvArm(c, 1);
      }
    }
    if (n) {
      c->cx->tr.send(p, n);
      h.send_c = true;
    }
  }
}

}  // namespace lbc::rt

// The HTTP/1.1 side of a connection of a `mode http` frontend: the client's bytes are read into a
// linear buffer where the request head is parsed (and kept unchanged while the transaction's views
// point into it); the body streams through the rest of that buffer. The server's response goes
// through a second buffer the same way. One transaction at a time: pipelined requests wait in the
// buffer. Pooled per worker. The buffers, header arrays and output strings are not the stream's
// own: they are taken from the thread's pools (http1/buffers.h) when bytes arrive or must be
// written and given back once empty, so an idle connection holds only this object.
#pragma once
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>

#include "http1/buffers.h"
#include "http1/cookie.h"
#include "lbc/rt/http.h"
#include "lbc/rt/http1.h"
#include "stream/conn.h"
#include "stream/session.h"
#include "stream/termination.h"
#include "upstream/idle_pool.h"

namespace lbc::rt {

struct ServerState;
struct TxnSlot;
class Engine;

struct HttpStream final : SessionData {
  enum class Phase : uint8_t {
    kReqHead,   // reading the request head
    kServer,    // rules ran, a server is being found / connected
    kExchange,  // request head sent: body forwarded, response awaited and forwarded
    kReply,     // an error page or a rule's reply is being sent; then close or next request
  };
  HttpStream(uint32_t bufsize, const http1::Limits& lim)
      : cap(2 * bufsize),
        reqp(http1::Kind::kRequest, nullptr, lim),
        resp(http1::Kind::kResponse, nullptr, lim),
        reqdec(lim, false),
        resdec(lim, true) {}

  const uint32_t cap;  // of each buffer: bufsize for the head, as much again for body streaming
  // Taken with the side's first byte (a read waiting for it uses a provided buffer of the loop,
  // recvBuffered), given back when the side is empty between transactions. The response's header
  // array goes with its buffer (the request's is the thread's: Http1Session::req_heads_).
  std::unique_ptr<char[]> in, res;
  std::unique_ptr<http1::Header[]> resh;
  http1::Parser reqp, resp;
  http1::ChunkedDecoder reqdec, resdec;
  http1::LengthCounter reqlen, reslen;
  http::RequestState rq;
  http::ResponseState rs;
  Phase phase = Phase::kReqHead;
  // Client buffer: [0, ihead) the request head, [isent, iscan) body bytes to send to the server,
  // [iscan, ilen) bytes not yet looked at (the rest of the body, or the next request).
  uint32_t ilen = 0, ihead = 0, isent = 0, iscan = 0;
  // Server buffer: [0, rsent) sent, [rsent, rscan) body bytes to send, [rscan, rlen) unscanned.
  uint32_t rlen = 0, rsent = 0, rscan = 0;
  bool req_done = false, res_head = false, res_done = false, until_close = false;
  bool tunnel = false;  // after a 101 (or 2xx to CONNECT): bytes both ways under timeout tunnel
  bool eof_c = false;   // tunnel: the client shut its side; the server's write side follows
  // Bytes for each side written by lbc (heads, replies), sent before any forwarded bytes.
  // A chunked body is re-encoded into these too (http_stream_body.cpp). Taken from the thread's
  // StringPool before a write (capacity cap: appends do not move the bytes while a send from
  // them is in flight), given back once sent.
  std::string wc, ws;
  uint32_t wc_off = 0, ws_off = 0;
  uint32_t ws_head = 0;    // the request head at the start of ws (sent again by a retry)
  bool body_sent = false;  // a byte of the request body went to the server: no retry
  uint32_t ireq_end = 0;   // past the request's last byte, when the whole body came with the head
  bool native = false;     // the reply is the H1 layer's error (parse error, 408): HAProxy logs
                           // no bytes for it
  bool recv_c = false, recv_s = false, send_c = false, send_s = false;  // operations pending
  // The pending read is into a provided buffer: the side holds no buffer of its own.
  bool pb_c = false, pb_s = false;
  // Reads of server connections closed under them by end(): their completions (after the next
  // exchange began) are not the current read's. stale_pb: the last one was into a provided buffer.
  uint8_t stale_s = 0;
  bool stale_pb = false;
  bool close_after = false;  // close the client once everything is sent
  bool keep_alive = false;   // another request may follow on this connection
  bool first = true;         // the connection's first request
  uint32_t nreq = 0;         // requests parsed on this connection (safe reuse: not the first)
  IdleServerConn own;        // this session's idle server connection
  uint64_t req_start = 0;    // when the wait for this request head began (ms)
  // For the log line (option httplog): monotonic ms of the first request byte, the complete head,
  // the server connection ready, the response head; 0 = not reached.
  uint64_t t_first = 0, t_head = 0, t_conn = 0, t_est = 0, t_resp = 0;
  uint64_t bytes_out = 0;  // sent to the client for this transaction
  int log_status = -1;     // the status sent to the client
  Termination term;        // %tsc's first two characters (who ended it, in which state)
  std::string log_line;    // %r, set when the request head parsed (its capacity is reused)
  // The frontend's `capture request|response header` slots (%hr, %hs), sized when it logs them.
  std::vector<std::string> req_cap, res_cap;
  bool logged = false;        // this transaction's line was written
  bool service_wait = false;  // an internal service waits for the request body (session_service.cpp)
  bool reused = false;        // the server connection came idle (it may have died meanwhile)
  bool fresh = false;         // connect anew: a reused connection failed
  bool server_lost = false;   // the server side failed while its other operation was pending
  const std::string* srv_name = nullptr;
  CookieState ck;  // cookie persistence of this transaction
  uint8_t dst[16] = {};
  bool dst_v6 = false;
  uint16_t dst_port = 0;
  HttpStream* next_free = nullptr;

  // For a new transaction on the same connection; pipelined bytes stay.
  void nextRequest() {
    if (iscan < ilen) std::memmove(in.get(), in.get() + iscan, ilen - iscan);
    ilen -= iscan;
    ihead = isent = iscan = 0;
    rlen = rsent = rscan = 0;
    reqp.reset();
    resp.reset();
    reqdec.reset();
    resdec.reset();
    reqlen = http1::LengthCounter(0);
    reslen = http1::LengthCounter(0);
    rq = {};
    rs = {};
    phase = Phase::kReqHead;
    req_done = res_head = res_done = until_close = tunnel = eof_c = false;
    wc.clear();
    ws.clear();
    wc_off = ws_off = ws_head = ireq_end = 0;
    body_sent = native = false;
    close_after = keep_alive = false;
    t_first = 0;  // a pipelined request (ilen > 0): set by the caller
    t_head = t_conn = t_est = t_resp = 0;
    bytes_out = 0;
    log_status = -1;
    term = {};
    logged = reused = fresh = server_lost = service_wait = false;
    for (auto& v : req_cap) v.clear();
    for (auto& v : res_cap) v.clear();
    srv_name = nullptr;
    ck = {};
  }
  void reset() {
    ilen = 0;
    iscan = 0;
    nextRequest();
    recv_c = recv_s = send_c = send_s = false;
    pb_c = pb_s = false;
    stale_s = 0;
    first = true;
    nreq = 0;
    own = {};
  }
};

inline HttpStream* hs(const Stream* c) {
  return static_cast<HttpStream*>(c->cx->sd);
}

// The HTTP/1 session of a `mode http` frontend's connection, one per thread: requests parsed
// from the client's buffer run through the engine's analysers (stream/analyse.cpp), go to the
// server with their rewritten head, and responses come back the same way.
class Http1Session final : public Session {
 public:
  Http1Session(Engine& e, const GlobalSpec& global);
  ~Http1Session() override;

  void start(Stream* c) override;
  bool watchWhileQueued() const override { return false; }
  bool beforeConnect(Stream* c) override;
  void noServer(Stream* c, bool connect_timeout) override;
  bool pinned(const Stream* c) const override;
  void redispatching(Stream* c) override;
  void established(Stream* c) override;
  void onRecv(Stream* c, int dir, int res, bool more, uint16_t bid) override;
  void onSent(Stream* c, int dir, int res) override;
  void clientShut(Stream* c, int res, bool waiting, bool abortonclose) override;
  void closing(Stream* c) override;
  void freed(Stream* c) override;
  uint64_t deadline(const Stream* c) const override;
  void onTimeout(Stream* c) override;
  std::string_view requestData(const Stream* c) const override;
  bool requestComplete(Stream* c) override;
  void inspectStart(Stream* c, bool delay) override;
  void inspectEnd(Stream* c) override;
  void readMore(Stream* c) override { recvArm(c, 0); }
  bool requestRules(Stream* c, uint32_t proxy, bool backend) override;
  void noBackend(Stream* c) override { error(c, 503); }  // HAProxy: no backend to serve the request
  const Txn* balanceTxn(const Stream* c) const override;

  // The thread's parked server connections: when they must be looked at, and their sweep.
  bool idleParked() const { return !idle_.empty(); }
  void sweepIdle(bool all);

 private:
  bool stopping() const;
  void recvArm(Stream* c, int dir);
  void recvInto(Stream* c, int dir);
  bool landBuffered(Stream* c, int dir, int res, uint16_t bid);
  void takeSide(HttpStream& h, int dir);
  void giveSide(HttpStream& h, int dir);
  void needOut(std::string& s) { strs_.take(s); }
  void settle(HttpStream& h, bool res_busy);
  void giveAll(HttpStream& h);
  TxnSlot& txnFor(Stream* c);
  void request(Stream* c);
  bool requestWhole(Stream* c);
  bool frontendRules(Stream* c, uint32_t proxy);
  bool internalService(Stream* c, uint32_t proxy);  // session_service.cpp: answered by lbc itself
  bool backendRequest(Stream* c);
  void pumpBody(Stream* c);
  void response(Stream* c);
  void error(Stream* c, int status);
  void raw(Stream* c, std::string bytes, bool close);
  // session_after.cpp: tcp-response content and http-after-response around http-response.
  bool tcpResponse(Stream* c, bool head);
  bool afterResponse(Stream* c);
  bool hasAfterResponse(const Stream* c) const;
  void reply(Stream* c, http::Rendered rd);
  void closeServerFd(Stream* c);
  void releaseServer(Stream* c);
  void end(Stream* c);
  bool scan(HttpStream& h, bool request);
  bool reuse(Stream* c);
  void park(IdleServerConn e);
  void detach(Stream* c);
  void writeLog(Stream* c);
  bool retryFresh(Stream* c);
  void serverLost(Stream* c);
  void clientAbort(Stream* c);

  Engine& e_;
  const GlobalSpec& global_;
  // Where a request or response head is written before it joins a stream's output: one per
  // thread, never zeroed (a zero-filled 2*bufsize string per message cost 6% of http-ka's CPU).
  std::unique_ptr<char[]> head_scratch_;
  // The header array every request head is parsed into, again from its first byte on each read:
  // a slow client's partial head holds none; the transaction copies the views once it is whole.
  std::unique_ptr<http1::Header[]> req_heads_;
  std::vector<std::unique_ptr<HttpStream>> streams_;  // pooled, without their buffers
  HttpStream* stream_free_ = nullptr;
  // What streams hold only while bytes wait (http1/buffers.h).
  BlockPool<char> bufs_;
  BlockPool<http1::Header> heads_;
  StringPool strs_;
  IdlePool idle_;  // server connections parked by ended sessions (http-reuse safe)
};

}  // namespace lbc::rt

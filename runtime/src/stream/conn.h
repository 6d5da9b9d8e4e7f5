// A client connection and the stream it carries. The connection is the client's socket (its
// transport), the session chosen at accept and what it holds for its life (generation, frontend,
// limit slots); a stream is one exchange (TCP: the connection's whole life; HTTP/1: a request and
// its response, one after another): its transaction, backend, server, queue place, the server's
// connection and the two one-way pipes of provided buffers (no copy, no allocation: a buffer goes
// from a recv completion straight to a send and back to the ring). The relay and HTTP/1 carry one
// stream per connection, allocated with it (`ConnSlot`); an HTTP/2 session will own many.
#pragma once
#include <linux/time_types.h>
#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <string>

#include "core/timer_wheel.h"
#include "net/any_transport.h"
#include "state/trackers.h"
#include "stream/termination.h"
#include "upstream/live.h"

namespace lbc::rt {

inline constexpr uint16_t kNoBuf = 0xFFFF;

// Analysing: the request rules run (connection, content with inspect-delay waiting for client
// data, backend selection, stick match) and no server is chosen yet.
// Handshake: an ssl bind's TLS handshake runs; no session yet (it starts after it).
enum class ConnState : uint8_t {
  Free,
  Handshake,
  Analysing,
  Queued,
  Connecting,
  TurnAround,
  Established,
  Closing
};

struct TxnSlot;
struct SessionData;
class Session;
class Engine;

struct Stream;

// Where a stream's transports (the client's, for a one-stream session, and the server's) report.
struct StreamIo final : TransportUser {
  void onTransport(Transport& t, const TransportEvent& ev) override;
  Stream* stream = nullptr;
  Engine* engine = nullptr;
};

inline constexpr int kClientSide = 0, kServerSide = 1;

inline uint32_t proxyIndex(const ProxySpec& p) {
  return p.index;
}

struct Pipe {  // one direction: 0 = client->server, 1 = server->client
  uint16_t head = kNoBuf, tail = kNoBuf;
  uint16_t count = 0;
  uint32_t off = 0;      // bytes of the head buffer already sent
  bool armed = false;    // a multishot recv is pending on the source
  bool sending = false;  // a send is pending on the destination
  bool eof = false;      // the source sent FIN
  bool shut = false;     // FIN forwarded to the destination
  bool paused = false;   // backpressure: recv cancelled until the pipe drains
  bool starved = false;  // recv ended with ENOBUFS: re-armed when buffers return
};

// What a client's PROXY protocol header said (accept-proxy), kept for the connection's life; only
// proxied connections allocate it.
struct Proxied {
  bool has_addr = false;  // src (in Connection) and dst replace the socket's
  sockaddr_storage dst{};
  std::string authority, unique_id;  // fc_pp_authority, fc_pp_unique_id
};

// The client's side: what lives as long as the client's socket.
struct Connection {
  Limit* li_limit = nullptr;  // the listener's own maxconn (null: none)
  // The generation it was accepted on (program, topology, pages): held for the connection's
  // life, whatever is installed meanwhile. fe belongs to it.
  GenerationRef gen;
  Frontend* fe = nullptr;
  AnyTransport tr;             // the client's socket (TLS on an ssl bind)
  Session* session = nullptr;  // chosen at accept, set once it starts (stream/session.h)
  Session* pending = nullptr;  // the session that starts when the TLS handshake ends
  uint32_t bind = 0;           // the bind's index in the frontend (the handshake failure log)
  SessionData* sd = nullptr;   // the session's own state (HTTP/1: its buffers and parsers)
  sockaddr_storage src{};
  uint64_t act = 0;       // last activity of the client (ms)
  uint64_t accepted = 0;  // accept time (ms): the logs' %t and %ms
  bool counted = false;   // holds global/frontend/listener slots
  bool watching = false;  // a poll for the client's close is pending (abort_on_close.cpp)
  bool pp_wait = false;   // accept-proxy: the PROXY header is awaited (proxy_accept.cpp)
  std::unique_ptr<Proxied> pp;

  // The client's addresses, src into `src`, dst into `dst`: the PROXY header's, else the socket's.
  void addrs(sockaddr_storage& dst) {
    if (pp && pp->has_addr) {
      dst = pp->dst;
      return;
    }
    tr.peerAddr(src);
    tr.localAddr(dst);
  }
  void peerSrc() {
    if (!pp || !pp->has_addr) tr.peerAddr(src);
  }
  StkSet counters;  // tracked by `tcp-request connection|session` rules (the session's)
};

struct alignas(16) Stream {
  QueueLink link;
  Connection* cx = nullptr;  // the client connection it belongs to
  Backend* be = nullptr;
  ServerState* srv = nullptr;  // holds a slot on it while set
  AnyTransport tr_server;      // the server's connection (TLS to an ssl server)
  std::string pp_hdr;          // the PROXY header sent to the server (send-proxy*), held until sent
  uint32_t inflight = 0;       // references held outside the transports (the starved list)
  ConnState st = ConnState::Free;
  bool awaiting_wake = false;  // left a queue too late: a handoff is on its way
  int32_t retries_left = 0;
  bool redispatched = false;  // a connect failure moved it to another server (%rc's '+')
  Pipe p[2];
  uint64_t act_s = 0;             // last activity of the server side (ms)
  uint64_t state_deadline = 0;    // queue wait or turn-around (ms, 0 = none)
  TxnSlot* tx = nullptr;          // the transaction when the program has rules (engine's pool)
  uint64_t inspect_deadline = 0;  // tcp-request / tcp-response inspect-delay end (ms, 0 = none)
  // The tcplog line's timeline (ms, 0 = not reached), bytes sent to the client and how it ended.
  uint64_t t_assigned = 0, t_est = 0;
  uint64_t bytes_out = 0;
  Termination term;
  bool no_log = false;  // refused by tcp-request connection/session: HAProxy logs no stream
  TimerEntry timer;
  StreamIo io;

  // The transport of side kClientSide or kServerSide (a pipe's direction is the side it reads).
  AnyTransport& side(int s) { return s == kClientSide ? cx->tr : tr_server; }
  const AnyTransport& side(int s) const { return s == kClientSide ? cx->tr : tr_server; }
  bool idle() const { return !inflight && !cx->tr.busy() && !tr_server.busy(); }
  static Stream* fromLink(QueueLink* l) { return reinterpret_cast<Stream*>(l); }  // link is first
};

// A connection with its one stream, as the engine pools them for one-stream sessions.
struct ConnSlot {
  Stream stream;
  Connection cx;
  ConnSlot* free_next = nullptr;

  void reset() {
    Stream& s = stream;
    s.link = QueueLink{};
    s.be = nullptr, s.srv = nullptr;
    s.inflight = 0;
    s.awaiting_wake = false;
    s.retries_left = 0;
    s.redispatched = false;
    s.p[0] = Pipe{}, s.p[1] = Pipe{};
    s.act_s = s.state_deadline = s.inspect_deadline = 0;
    s.t_assigned = s.t_est = s.bytes_out = 0;
    s.term = Termination{};
    s.no_log = false;
    s.tx = nullptr;
    s.timer = TimerEntry{};
    s.timer.owner = &s;
    s.cx = &cx;
    s.io.stream = &s;
    cx.li_limit = nullptr, cx.fe = nullptr;
    cx.pending = nullptr;
    cx.sd = nullptr;
    cx.act = cx.accepted = 0;
    cx.counted = cx.watching = cx.pp_wait = false;
    cx.pp.reset();
    cx.tr.setUser(&s.io);
    s.tr_server.setUser(&s.io);
  }
};

}  // namespace lbc::rt

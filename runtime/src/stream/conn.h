// A proxied TCP connection: the client socket, the server socket and two one-way pipes made of
// provided buffers (no copy, no allocation: a buffer goes from a recv completion straight to
// a send and back to the ring).
#pragma once
#include <linux/time_types.h>
#include <sys/socket.h>

#include <cstdint>

#include "core/timer_wheel.h"
#include "net/raw_transport.h"
#include "upstream/live.h"

namespace lbc::rt {

inline constexpr uint16_t kNoBuf = 0xFFFF;

// Analysing: the request rules run (connection, content with inspect-delay waiting for client
// data, backend selection, stick match) and no server is chosen yet.
enum class ConnState : uint8_t { Free, Analysing, Queued, Connecting, TurnAround, Established, Closing };

struct TxnSlot;
struct SessionData;
class Session;
class Engine;

struct Conn;

// Where the connection's two transports report.
struct ConnIo final : TransportUser {
  void onTransport(Transport& t, const TransportEvent& ev) override;
  Conn* conn = nullptr;
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

struct alignas(16) Conn {
  QueueLink link;
  Limit* li_limit = nullptr;  // the listener's own maxconn (null: none)
  // The generation it was accepted on (program, topology, pages): held for the connection's
  // life, whatever is installed meanwhile. fe belongs to it.
  GenerationRef gen;
  Frontend* fe = nullptr;
  Backend* be = nullptr;
  ServerState* srv = nullptr;  // holds a slot on it while set
  RawTransport tr[2];          // kClientSide, kServerSide
  uint32_t inflight = 0;       // references held outside the transports (the starved list)
  ConnState st = ConnState::Free;
  bool awaiting_wake = false;  // left a queue too late: a handoff is on its way
  bool counted = false;        // holds global/frontend/listener slots
  bool watching = false;       // a poll for the client's close is pending (abort_on_close.cpp)
  int32_t retries_left = 0;
  bool redispatched = false;  // a connect failure moved it to another server (%rc's '+')
  Pipe p[2];
  uint64_t act_c = 0, act_s = 0;  // last activity on each side (ms)
  uint64_t state_deadline = 0;    // queue wait or turn-around (ms, 0 = none)
  sockaddr_storage src{};
  TxnSlot* tx = nullptr;          // the transaction when the program has rules (worker's pool)
  uint64_t inspect_deadline = 0;  // tcp-request / tcp-response inspect-delay end (ms, 0 = none)
  Session* session = nullptr;     // chosen at accept (stream/session.h)
  SessionData* sd = nullptr;      // the session's own state (HTTP/1: its stream)
  TimerEntry timer;
  ConnIo io;
  Conn* free_next = nullptr;

  void reset() {
    link = QueueLink{};
    li_limit = nullptr, fe = nullptr, be = nullptr, srv = nullptr;
    inflight = 0;
    awaiting_wake = counted = watching = false;
    retries_left = 0;
    redispatched = false;
    p[0] = Pipe{}, p[1] = Pipe{};
    act_c = act_s = state_deadline = inspect_deadline = 0;
    tx = nullptr;
    sd = nullptr;
    timer = TimerEntry{};
    timer.owner = this;
    io.conn = this;
    tr[0].setUser(&io);
    tr[1].setUser(&io);
  }
  bool idle() const { return !inflight && !tr[0].busy() && !tr[1].busy(); }
  static Conn* fromLink(QueueLink* l) { return reinterpret_cast<Conn*>(l); }  // link is first
};

}  // namespace lbc::rt

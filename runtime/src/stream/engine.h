// The streams of one thread: a connection's life once accepted (analysers, backend and server
// choice, queue, connect/retry/redispatch, close), the TCP relay's provided-buffer pipes, the
// transaction and connection pools, and the timer wheel their deadlines sit on. Sessions (the
// relay here, HTTP/1 in http1/) drive it; the thread that owns it (main/) feeds it accepted
// sockets and queue hand-offs and is told when connection limits free.
#pragma once
#include <cstdint>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "core/loop.h"
#include "core/timer_wheel.h"
#include "stream/conn.h"
#include "upstream/live.h"

namespace lbc::rt {

struct TxnSlot;
struct Txn;

// What the engine needs from the thread that owns it.
class EngineHost {
 public:
  // A connection gave back its global/frontend/listener slots; `was_full`: one of them was at
  // its limit (accepting may resume).
  virtual void limitsFreed(bool was_full) = 0;

 protected:
  ~EngineHost() = default;
};

// The ssl_fc_* / ssl_bc fields of a transaction, from the stream's transports (handshake.cpp).
void fillTls(Txn& x, const Stream* c);

class Engine {
 public:
  Engine(LiveState& state, Loop& loop, EngineHost& host, QueueOwner* owner);
  ~Engine();
  // After the loop's buffers exist; start() on the thread, once its clock is read.
  void init();
  void start();

  uint64_t now() const { return loop_.now(); }
  Loop& loop() { return loop_; }
  LiveState& state() { return state_; }
  uint32_t bufsize() const { return bufsize_; }
  uint32_t live() const { return live_; }

  // A connection accepted on `fe` (of generation `gen`), counted against `listener_limit` (may
  // be null) as well as the global and frontend limits; its session starts it.
  // On an ssl bind (`bind`: its index in the frontend) the TLS handshake runs first, under
  // `timeout client`, and the session starts once it succeeds (handshake.cpp).
  Stream* accept(int fd, Frontend* fe, GenerationRef gen, Limit* listener_limit, Session* session,
                 uint32_t bind = 0);

  // Connection life (the session calls these).
  void toBackend(Stream* c, ServerState* force);
  void assignServer(Stream* c, ServerState* avoid, ServerState* force = nullptr);
  void connectServer(Stream* c);
  // An idle pooled server connection `fd` (to c->srv) becomes the stream's; false when the
  // server transport cannot take it now.
  bool adoptServer(Stream* c, int fd);
  void handoff(QueueLink* link);
  void finish(Stream* c, bool reset);
  void maybeFree(Stream* c);
  void opDone(Stream* c);
  void watchClient(Stream* c);
  // Every live connection is cut (hard stop).
  void cutAll();
  // Logs (stream_log.cpp): how a stream ends (kept when already known), the legacy connect line,
  // the tcplog line.
  void endBy(Stream* c, TermCause cause);
  void logConnect(Stream* c);
  void writeTcpLog(Stream* c);

  // The analysers (analyse.cpp): the compiled hooks at HAProxy's fixed points.
  void startTxn(Stream* c);
  // tcp-request connection and session rules, whose trackers are the connection's; false when
  // one closed the connection.
  bool sessionRules(Stream* c, TxnSlot& t);
  void analyse(Stream* c);
  void startResponse(Stream* c);
  void analyseResponse(Stream* c);
  void absorb(Stream* c, int dir, uint16_t bid, uint32_t len);
  bool recvActive(const Stream* c, int dir) const;
  TxnSlot* allocTxn();
  void freeTxn(TxnSlot* t);
  // `stick store-response` rules, then every store is written; the stores wait for the server.
  void stickResponse(Stream* c);
  void commitStores(Stream* c);

  // The relay's pipes of provided buffers.
  void armRecv(Stream* c, int dir);
  void pump(Stream* c, int dir);
  void enqueue(Stream* c, int dir, uint16_t bid, uint32_t len);
  void starve(Stream* c, int dir);
  void recycle(uint16_t bid) { loop_.bufs().put(bid); }
  uint32_t bufLen(uint16_t bid) const { return buf_len_[bid]; }
  uint16_t bufNext(uint16_t bid) const { return buf_next_[bid]; }
  const uint8_t* bufData(uint16_t bid) const { return bufs_ + size_t(bid) * bufsize_; }
  // Buffers returned to the ring; recvs stopped by ENOBUFS are armed again.
  void flushBuffers();

  // Timers: a connection is looked at at its session's deadline.
  void arm(Stream* c);
  void wheelRemove(Stream* c);
  void runTimers();
  uint64_t nextDue();

  // A connection's transport reported (`side`: kClientSide or kServerSide).
  void onStreamIo(Stream* c, int side, const TransportEvent& ev);

 private:
  void connectFailed(Stream* c, bool timeout);
  // TLS (handshake.cpp): the client's handshake, the server transport's kind.
  bool startHandshake(Stream* c, int fd, const TlsServerContext& ctx, Session* session);
  void onHandshake(Stream* c, int res);
  void handshakeTimeout(Stream* c);
  void handshakeFailed(Stream* c, const char* reason);
  bool serverTransport(Stream* c);
  // accept-proxy (proxy_accept.cpp): the header before anything (TLS included); send-proxy.
  void awaitProxyHeader(Stream* c, int fd, Session* session);
  void onProxyReadable(Stream* c, int res);
  void proxyHeaderDone(Stream* c);
  void sendProxyHeader(Stream* c);
  void onConnect(Stream* c, int res);
  void onClientPoll(Stream* c, int res);
  void releaseLimits(Stream* c);
  Stream* allocStream();
  static ConnSlot* slotOf(Stream* c);
  int contentRules(Stream* c, uint32_t proxy);
  void stickRequest(Stream* c);

  LiveState& state_;
  Loop& loop_;
  EngineHost& host_;
  QueueOwner* owner_;
  // provided buffers (mirrors of the loop's for the relay's hot path)
  uint8_t* bufs_ = nullptr;
  uint32_t bufsize_ = 0;
  std::vector<uint32_t> buf_len_;
  std::vector<uint16_t> buf_next_;
  std::vector<std::pair<Stream*, int>> starved_;  // recvs stopped by ENOBUFS, re-armed as buffers return
  // transaction pool (connections of a program with rules take one)
  std::vector<std::unique_ptr<TxnSlot>> txns_;
  TxnSlot* txn_free_ = nullptr;
  // connection pool
  static constexpr size_t kChunk = 256;
  std::vector<std::unique_ptr<ConnSlot[]>> chunks_;
  ConnSlot* free_ = nullptr;
  uint32_t live_ = 0;
  TimerWheel wheel_;
};

}  // namespace lbc::rt

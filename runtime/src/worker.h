// One engine thread: its loop (core/), its listeners, its connections and its timers.
// Connections never migrate; other threads reach a worker only through its mailbox.
#pragma once
#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/loop.h"
#include "core/timer_wheel.h"
#include "live.h"
#include "net/acceptor.h"
#include "net/transport.h"

namespace lbc::rt {

class Worker;

// A bind's socket on this thread: the accept (net/) plus what the worker counts against it.
struct Listener final : Acceptor {
  Listener(int fd, bool owned_, FrontendLive* fe_, Limit* limit_)
      : Acceptor(fd), owned(owned_), fe(fe_), limit(limit_) {}
  void onAccepted(int res, bool more) override;

  Worker* worker = nullptr;
  bool owned = true;           // a per-thread SO_REUSEPORT socket (closed by the worker at stop)
  FrontendLive* fe = nullptr;  // its configuration comes from the generation a connection starts on
  Limit* limit = nullptr;      // the bind's own maxconn (shared by its sockets)
  bool paused = false;         // a limit is reached: accept stops until it frees
  bool closed = false;
};

struct Conn;
struct TxnSlot;
struct HttpStream;
struct IdleServerConn;
class HealthChecker;
class Session;

class Worker {
 public:
  Worker(LiveState& state, GenerationRef gen, uint32_t index, std::vector<Listener> listeners);
  ~Worker();
  // Creates the ring and buffers; false with `err` set when the kernel refuses.
  bool init(std::string& err);
  void run();

  // Any thread.
  void post(QueueLink* link);
  void onAccept(Listener& l, int res, bool more);
  void onConnIo(Conn* c, int side, const TransportEvent& ev);
  void postResume();
  // Connections accepted once this worker has read it start on `gen`; `adopted` is then
  // incremented and notified (any thread).
  void adopt(GenerationRef gen, std::atomic<uint32_t>* adopted);
  void requestStop(bool hard);
  bool listenersReleased() const { return released_.load(); }

 private:
  friend struct Conn;
  friend class RelaySession;
  friend class Http1Session;
  // submission
  void armRecv(Conn* c, int dir);
  void flushBuffers();
  // completions
  static void onWake(void* self) { static_cast<Worker*>(self)->onEvent(); }
  void onEvent();
  void onRecv(Conn* c, int dir, int res, bool more, uint16_t bid);
  void onSend(Conn* c, int dir, int res);
  void onConnect(Conn* c, int res);
  void opDone(Conn* c);
  // connection life
  void startConn(int fd, Listener& l);
  bool limitsFull(const Listener& l) const;
  void toBackend(Conn* c, ServerState* force);
  void assignServer(Conn* c, ServerState* avoid, ServerState* force = nullptr);
  void connectServer(Conn* c);
  void connectFailed(Conn* c, bool timeout);
  void established(Conn* c);
  // the TCP relay (conn.cpp), under RelaySession
  void relayEstablished(Conn* c);
  void relayRecv(Conn* c, int dir, int res, bool more, uint16_t bid);
  void relaySent(Conn* c, int dir, int res);
  uint64_t relayDeadline(const Conn* c) const;
  void relayTimeout(Conn* c);
  void pump(Conn* c, int dir);
  void abort(Conn* c);
  void finish(Conn* c, bool reset);
  void handoff(QueueLink* link);
  void watchClient(Conn* c);
  void onClientPoll(Conn* c, int res);
  void httpClientShut(Conn* c);
  void maybeFree(Conn* c);
  void releaseLimits(Conn* c);
  void resumeListeners();
  void recycle(uint16_t bid);
  // analysis (analyse.cpp): the compiled hooks at HAProxy's fixed points
  TxnSlot* allocTxn();
  void freeTxn(TxnSlot* t);
  void startTxn(Conn* c);
  void analyse(Conn* c);
  int contentRules(Conn* c, uint32_t proxy);
  std::string_view requestData(const Conn* c) const;
  void stickRequest(Conn* c);
  void stickResponse(Conn* c);
  void commitStores(Conn* c);
  void startResponse(Conn* c);
  void analyseResponse(Conn* c);
  void absorb(Conn* c, int dir, uint16_t bid, uint32_t len);
  bool recvActive(const Conn* c, int dir) const;
  static uint32_t proxyIndex(const ProxySpec& p) { return p.index; }
  // HTTP mode (http_stream.cpp)
  void httpStart(Conn* c);
  void httpRecvArm(Conn* c, int dir);
  void httpOnRecv(Conn* c, int dir, int res);
  void httpOnSend(Conn* c, int dir, int res);
  void httpRequest(Conn* c);
  bool httpRequestWhole(Conn* c);
  bool httpRules(Conn* c, uint32_t proxy);
  bool httpBackendRequest(Conn* c);
  void httpEstablished(Conn* c);
  void httpPump(Conn* c);
  void httpResponse(Conn* c);
  void httpError(Conn* c, int status);
  void httpRaw(Conn* c, std::string bytes, bool close);
  void closeServerFd(Conn* c);
  void releaseServer(Conn* c);
  void httpEnd(Conn* c);
  void httpNoServer(Conn* c) { httpError(c, 503); }
  void httpTimeout(Conn* c);
  uint64_t httpDeadline(const Conn* c) const;
  bool httpScan(HttpStream& h, bool request);
  bool httpReuse(Conn* c);
  void httpPark(int fd, const ServerState* srv, uint64_t expire);
  void httpDetach(Conn* c);
  void httpSweepIdle(bool all);
  void httpLog(Conn* c);
  bool httpRetryFresh(Conn* c);
  void httpServerLost(Conn* c);
  // timers
  uint64_t deadline(const Conn* c) const;
  void arm(Conn* c);
  void wheelRemove(Conn* c);
  void runTimers();
  void onTimeout(Conn* c);
  uint64_t nextWait();
  uint64_t now() const { return loop_.now(); }
  // stop
  void beginStop();
  Conn* allocConn();

  LiveState& state_;
  GenerationRef gen_;        // new connections start on it
  const GlobalSpec global_;  // the process settings: fixed at start-up, whatever the generation
  uint32_t index_;
  std::vector<Listener> listeners_;
  Loop loop_;
  // provided buffers (bufs_ and bufsize_ mirror the loop's for the relay's hot path)
  uint8_t* bufs_ = nullptr;
  uint32_t bufsize_ = 0;
  // Where a request or response head is written before it joins a stream's output: one per
  // worker, never zeroed (a zero-filled 2*bufsize string per message cost 6% of http-ka's CPU).
  std::unique_ptr<char[]> head_scratch_;
  std::vector<uint32_t> buf_len_;
  std::vector<uint16_t> buf_next_;
  std::vector<std::pair<Conn*, int>> starved_;  // recvs stopped by ENOBUFS, re-armed as buffers return
  // transaction pool (connections of a program with rules take one)
  std::vector<std::unique_ptr<TxnSlot>> txns_;
  TxnSlot* txn_free_ = nullptr;
  std::vector<std::unique_ptr<HttpStream>> streams_;  // HTTP streams, pooled like transactions
  HttpStream* stream_free_ = nullptr;
  std::vector<IdleServerConn> idle_srv_;  // parked keep-alive server connections (bounded)
  uint64_t idle_sweep_ = 0;               // next liveness/expiry check of idle_srv_
  // connection pool
  std::vector<std::unique_ptr<Conn[]>> chunks_;
  Conn* free_ = nullptr;
  uint32_t live_ = 0;
  std::vector<std::pair<int, Listener*>> held_;  // accepted past a limit, started when it frees
  TimerWheel wheel_;
  // mailbox
  std::mutex mbox_lock_;
  std::vector<QueueLink*> mbox_;
  std::vector<QueueLink*> local_;  // handoffs from this thread to itself
  std::atomic<bool> resume_{false};
  GenerationRef next_gen_;  // under mbox_lock_: adopted at the next wake
  std::atomic<uint32_t>* next_adopted_ = nullptr;
  bool stopping_ = false;
  std::atomic<bool> released_{false};
  std::unique_ptr<HealthChecker> checker_;
  std::unique_ptr<Session> relay_session_, http1_session_;  // this thread's share of the health checks
};

}  // namespace lbc::rt

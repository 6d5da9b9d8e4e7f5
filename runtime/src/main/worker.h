// One engine thread: its loop (core/), its listeners, the stream engine that runs its
// connections (stream/), the sessions, and the health checks it owns. Connections never migrate;
// other threads reach a worker only through its mailbox.
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
#include "net/acceptor.h"
#include "stream/engine.h"
#include "upstream/live.h"

namespace lbc::rt {

class Worker;

// A bind's socket on this thread: the accept (net/) plus what the worker counts against it.
struct Listener final : Acceptor {
  Listener(int fd, bool owned_, FrontendLive* fe_, Limit* limit_, uint32_t bind_ = 0)
      : Acceptor(fd), owned(owned_), fe(fe_), limit(limit_), bind(bind_) {}
  void onAccepted(int res, bool more) override;

  Worker* worker = nullptr;
  bool owned = true;           // a per-thread SO_REUSEPORT socket (closed by the worker at stop)
  FrontendLive* fe = nullptr;  // its configuration comes from the generation a connection starts on
  Limit* limit = nullptr;      // the bind's own maxconn (shared by its sockets)
  uint32_t bind = 0;           // its bind's index in the frontend (its TLS context, its log name)
  bool paused = false;         // a limit is reached: accept stops until it frees
  bool closed = false;
};

class HealthChecker;
class DnsServers;
class CliServer;
class RelaySession;
class Http1Session;

class Worker final : public QueueOwner, public EngineHost {
 public:
  Worker(LiveState& state, GenerationRef gen, uint32_t index, std::vector<Listener> listeners);
  ~Worker();
  // Creates the ring and buffers; false with `err` set when the kernel refuses.
  bool init(std::string& err);
  void run();
  // This worker serves the stats sockets (before init()).
  void serveCli(std::vector<int> fds) { cli_fds_ = std::move(fds); }

  // Any thread.
  void post(QueueLink* link) override;
  void postResume();
  // Connections accepted once this worker has read it start on `gen`; `adopted` is then
  // incremented and notified (any thread).
  void adopt(GenerationRef gen, std::atomic<uint32_t>* adopted);
  void requestStop(bool hard);
  bool listenersReleased() const { return released_.load(); }

  void onAccept(Listener& l, int res, bool more);

 private:
  static void onWake(void* self) { static_cast<Worker*>(self)->onEvent(); }
  void onEvent();
  void startConn(int fd, Listener& l);
  bool limitsFull(const Listener& l) const;
  void limitsFreed(bool was_full) override;
  void resumeListeners();
  uint64_t nextWait();
  uint64_t now() const { return loop_.now(); }
  void beginStop();

  LiveState& state_;
  GenerationRef gen_;        // new connections start on it
  const GlobalSpec global_;  // the process settings: fixed at start-up, whatever the generation
  uint32_t index_;
  std::vector<Listener> listeners_;
  Loop loop_;
  Engine engine_;
  std::unique_ptr<RelaySession> relay_session_;
  std::unique_ptr<Http1Session> http1_session_;
  std::vector<std::pair<int, Listener*>> held_;  // accepted past a limit, started when it frees
  // mailbox
  std::mutex mbox_lock_;
  std::vector<QueueLink*> mbox_;
  std::vector<QueueLink*> local_;  // handoffs from this thread to itself
  std::atomic<bool> resume_{false};
  GenerationRef next_gen_;  // under mbox_lock_: adopted at the next wake
  std::atomic<uint32_t>* next_adopted_ = nullptr;
  bool stopping_ = false;
  std::atomic<bool> released_{false};
  std::unique_ptr<HealthChecker> checker_;  // this thread's share of the health checks
  std::unique_ptr<DnsServers> dns_;         // the first worker's: servers resolved at run time
  void startDns();
  std::vector<int> cli_fds_;
  std::unique_ptr<CliServer> cli_;  // the stats sockets, on one worker
};

}  // namespace lbc::rt

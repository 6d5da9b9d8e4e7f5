// The stats socket on the loop: `stats socket` listeners (opened at start-up, served by one
// worker) and their connections. A connection reads lines, answers each (admin/command.h) and
// closes once its input is consumed unless `prompt` made it interactive; `stats timeout` closes
// an idle one, `stats maxconn` bounds how many are open at once.
#pragma once
#include <liburing.h>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/generation.h"
#include "core/loop.h"
#include "lbc/rt/topology.h"
#include "net/acceptor.h"

namespace lbc::rt {

class LiveState;
class CliServer;

// Opens every `stats socket` of `g` (replacing a stale unix socket file, then applying `mode`,
// `uid`, `gid`): the fds in order, or false with `where`/`err` set.
bool openStatsSockets(const GlobalSpec& g, std::vector<int>& fds, std::string& where, std::string& err);

class CliServer {
 public:
  // `gen` gives the generation a command runs against (the worker's current one).
  CliServer(Loop& loop, LiveState& state, const GlobalSpec& global, std::function<const Generation*()> gen,
            std::vector<int> fds);
  ~CliServer();
  void start();
  // Stops accepting and closes every connection (the worker is stopping).
  void stop();

 private:
  struct Conn;
  struct Sock final : Acceptor {
    Sock(CliServer* s, int fd, CliLevel l) : Acceptor(fd), server(s), level(l) {}
    void onAccepted(int res, bool more) override;
    CliServer* server;
    CliLevel level;
  };
  void accepted(Sock& s, int fd);
  void finished(Conn* c);

  Loop& loop_;
  LiveState& state_;
  const GlobalSpec& global_;
  std::function<const Generation*()> gen_;
  std::vector<std::unique_ptr<Sock>> socks_;
  std::vector<std::unique_ptr<Conn>> conns_;
  uint64_t start_wall_s_ = 0;
  bool stopped_ = false;
};

}  // namespace lbc::rt

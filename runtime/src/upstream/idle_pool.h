// Idle keep-alive server connections of one thread (HAProxy's idle/safe connection lists for
// `http-reuse safe`): bounded, each closed at its expiry or when its server closes it. Kept as
// descriptors today; a TLS server connection will need its transport kept with it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace lbc::rt {

struct ServerState;

struct IdleServerConn {
  int fd = -1;
  const ServerState* srv = nullptr;
  uint64_t expire = 0;  // ms: closed then (timeout http-keep-alive of the backend)
};

class IdlePool {
 public:
  static constexpr size_t kMax = 64;  // per thread
  ~IdlePool() { sweep(0, true); }

  // Keeps `e` for a later request unless it is expired, dead or the thread stops; the oldest
  // makes room when the pool is full.
  void park(IdleServerConn e, uint64_t now, bool stopping);
  // A live connection to `s`, or -1.
  int take(const ServerState* s, uint64_t now);
  // Closes those past their expiry or closed by their server (at most every 250 ms), or all.
  void sweep(uint64_t now, bool all);
  bool empty() const { return conns_.empty(); }

  // Whether a descriptor parked idle is still usable: the server neither closed it nor sent
  // anything.
  static bool alive(int fd);
  static void close(int fd);

 private:
  std::vector<IdleServerConn> conns_;
  uint64_t next_sweep_ = 0;
};

}  // namespace lbc::rt

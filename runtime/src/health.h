// Plain TCP connect health checks (`check`, inter/fastinter/downinter, fall/rise), run by
// one thread for the whole process: they are few and slow, so they stay off the engines.
#pragma once
#include <atomic>
#include <thread>
#include <vector>

#include "shared.h"

namespace lbc::rt {

class HealthChecker {
 public:
  explicit HealthChecker(Shared& shared);
  ~HealthChecker();
  bool empty() const { return checks_.empty(); }
  void start();
  void stop();

 private:
  struct Check {
    ServerState* srv;
    uint64_t next_at = 0;
    uint64_t deadline = 0;
    int fd = -1;
    uint32_t health = 0;  // HAProxy's counter: up while >= rise, 0..rise+fall-1
  };
  void loop();
  void launch(Check& c, uint64_t now);
  void complete(Check& c, bool ok, uint64_t now);
  uint64_t interval(const Check& c) const;
  uint64_t timeout(const Check& c) const;

  Shared& shared_;
  std::vector<Check> checks_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  int wake_fd_ = -1;
};

}  // namespace lbc::rt

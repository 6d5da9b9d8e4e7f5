// Health checks (`check`, inter/fastinter/downinter, fall/rise; `option httpchk` with
// `http-check send|expect`), run on the engine threads like every other socket: each checked
// server belongs to one worker (spread round robin), and its connect, send and recv are
// operations of its transport on that worker's loop. A check is bounded by HAProxy's timeouts: `inter` for
// the whole check, or with `timeout check`, min(timeout connect, inter) to connect and then
// `timeout check` to get the answer.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/loop.h"
#include "lbc/rt/http1.h"
#include "net/raw_transport.h"
#include "upstream/live.h"
#include "upstream/server_events.h"

struct pcre2_real_code_8;

namespace lbc::rt {

class HealthChecker {
 public:
  // The checks of worker `index` out of `nthreads`; `loop` is that worker's (same thread only).
  HealthChecker(LiveState& state, const GlobalSpec& global, Loop& loop, uint32_t index, uint32_t nthreads,
                uint32_t bufsize);
  ~HealthChecker();
  HealthChecker(const HealthChecker&) = delete;
  HealthChecker& operator=(const HealthChecker&) = delete;

  bool empty() const { return checks_.empty(); }
  void start(uint64_t now);
  // Launches the checks that are due and cancels the overdue ones.
  void run(uint64_t now, bool stopping);
  // When run() has something to do next (ms, monotonic); ~0 = nothing.
  uint64_t nextWake() const { return wake_; }
  struct Check;
  struct Expect;

  // A completion of check `c`'s operation.
  void onCompletion(Check& c, int res, uint64_t now);

 private:
  void launch(Check& c, uint64_t now);
  void submit(Check& c);
  void onConnect(Check& c, int res, uint64_t now);
  void onSend(Check& c, int res, uint64_t now);
  void onRecv(Check& c, int res, uint64_t now);
  // False: not decided yet (more bytes needed); true: `r` holds the result.
  bool evaluate(Check& c, bool final, CheckResult& r);
  static CheckResult timeoutResult(const Check& c);
  // option tcp-check / redis-check (the steps' rules: upstream/tcp_check.h).
  void advanceTcp(Check& c, uint64_t now);
  bool judgeTcp(Check& c, bool final, CheckResult& r);
  void armCheckTimeout(Check& c, uint64_t now);
  // An errno text or "" with HAProxy's " at step N of tcp-check (...)" for tcp-check rules.
  static std::string connError(const Check& c, std::string msg);
  // Ends the check: counts it towards rise/fall, and on a transition switches the server and
  // reports it as HAProxy does.
  void complete(Check& c, CheckResult r, uint64_t now);
  void finishHealth(Check& c, const CheckResult& r);
  // The agent check (agent-check): its answer read (`final`: no more will come).
  void onAgentData(Check& c, bool final, uint64_t now);
  void finishAgent(Check& c, const CheckResult& r);
  // A check says the server is up or down: switch it (not in maintenance) and report it.
  void setUp(Check& c, bool up, const CheckResult& r);
  static uint64_t inter(const Check& c);
  bool pausedForMaint(Check& c, uint64_t now);
  uint64_t interval(const Check& c) const;

  LiveState& state_;
  Loop& loop_;
  uint32_t bufsize_;
  std::vector<std::unique_ptr<Check>> checks_;
  std::vector<std::unique_ptr<std::vector<Expect>>> expects_;  // per backend with httpchk
  std::vector<std::unique_ptr<std::vector<std::shared_ptr<pcre2_real_code_8>>>>
      regexes_;                               // per tcp-check backend
  std::unique_ptr<http1::Header[]> headers_;  // parser scratch
  http1::Limits limits_;
  uint64_t wake_ = ~0ull;
};

}  // namespace lbc::rt

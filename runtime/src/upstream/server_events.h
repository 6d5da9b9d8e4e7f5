// What HAProxy 2.6 says when a server changes state: a line on stderr ("[WARNING]  (PID) : Server
// app/s1 is DOWN, reason: ...") and the same text sent to the proxy's log targets (alert for a
// server going down, notice for one coming up, emerg when the backend has no server left).
// State changes are rare: nothing here is on the per-connection path.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lbc/rt/topology.h"

namespace lbc::rt {

struct ServerState;

// The check statuses lbc produces, with HAProxy's descriptions (get_check_status_description).
enum class CheckStatus : uint8_t {
  SockErr,    // "Socket error": an I/O error after the connection was made
  L4Ok,       // "Layer4 check passed"
  L4Timeout,  // "Layer4 timeout"
  L4Con,      // "Layer4 connection problem"
  L7Timeout,  // "Layer7 timeout"
  L7Rsp,      // "Layer7 invalid response"
  L7Ok,       // "Layer7 check passed"
  L7Sts,      // "Layer7 wrong status"
  L6Ok,       // "Layer6 check passed" (ssl-hello-chk)
  L6Timeout,  // "Layer6 timeout"
  L6Rsp,      // "Layer6 invalid response"
};
const char* checkStatusText(CheckStatus s);
inline bool checkPassed(CheckStatus s) {
  return s == CheckStatus::L4Ok || s == CheckStatus::L7Ok || s == CheckStatus::L6Ok;
}

struct CheckResult {
  CheckStatus status = CheckStatus::L4Con;
  int code = 0;           // the HTTP status (Layer7 results that read one)
  std::string info;       // HAProxy's check description (errno text, reason phrase...); may be empty
  int64_t duration = -1;  // ms from the check's start; -1 = unknown
};

// A server's transition as Backend::setServerUp made it, counted under the backend's lock.
struct ServerTransition {
  bool changed = false;
  uint32_t act = 0, bck = 0;  // usable active / backup servers after the change
  uint32_t prev_usable = 0;   // active + backup before it
  uint32_t sessions = 0;      // the server's current connections
  uint32_t xferred = 0;       // down: moved off its queue; up: taken from the backend queue
  uint32_t queued = 0;        // still in the server's queue
};

// "Server app/s1 is DOWN, reason: ... remaining in queue" (no final '.'; callers add it as HAProxy
// does).
std::string formatServerState(std::string_view proxy, std::string_view server, bool backup, bool up,
                              const CheckResult& r, const ServerTransition& t);
// "[WARNING]  (PID) : " + message + "\n", HAProxy's stderr layout.
std::string stderrLine(std::string_view label, int pid, std::string_view message);

// Tells stderr (unless `quiet`, HAProxy's -q) and the backend's log targets that `s` went up or
// down.
void reportServerState(bool quiet, const ServerState& s, bool up, const CheckResult& r,
                       const ServerTransition& t);

}  // namespace lbc::rt

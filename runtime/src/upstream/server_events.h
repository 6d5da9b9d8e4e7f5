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
enum class SrvAdmin : uint8_t;

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
  Checked,    // "No status change": an agent's answer that changes no health
};
const char* checkStatusText(CheckStatus s);
inline bool checkPassed(CheckStatus s) {
  return s == CheckStatus::L4Ok || s == CheckStatus::L7Ok || s == CheckStatus::L6Ok;
}

struct CheckResult {
  CheckStatus status = CheckStatus::L4Con;
  int code = 0;             // the HTTP status (Layer7 results that read one)
  std::string info;         // HAProxy's check description (errno text, reason phrase...); may be empty
  int64_t duration = -1;    // ms from the check's start; -1 = unknown
  bool with_reason = true;  // false: `option log-health-checks` told it already (no ", reason: ...")
};

// "Health check for server app/s1 failed, reason: ..., status: 0/2 DOWN" (option
// log-health-checks): a check's result that changed its status or health, on stderr and as notice.
void reportCheckResult(bool quiet, const ServerState& s, bool agent, const CheckResult& r, uint32_t health,
                       uint32_t rise, uint32_t fall);

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

// An admin state change (an agent's "drain", "maint", "ready"), with HAProxy's texts: "Server
// app/s1 is going DOWN for maintenance. ...", "... enters drain state. ...", "... is UP (leaving
// forced drain)", "... is UP/READY (leaving forced maintenance)".
// "backend 'app' has no server available!" on stderr (unless `quiet`) and as emerg to the logs.
void reportNoServer(bool quiet, const ProxySpec& ps);
// "Server app/s1 remains in forced drain mode.": HAProxy's word for any other change (weight,
// health, leaving maintenance) of a server that stays in drain.
void reportStillDraining(bool quiet, const ServerState& s);
void reportAdminChange(bool quiet, const ServerState& s, SrvAdmin from, SrvAdmin to, bool was_up,
                       const ServerTransition& t);

}  // namespace lbc::rt

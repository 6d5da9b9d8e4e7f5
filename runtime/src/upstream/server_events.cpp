#include "server_events.h"

#include <unistd.h>

#include <cstdio>

#include "backend.h"
#include "log/sink.h"
#include "server.h"

namespace lbc::rt {

const char* checkStatusText(CheckStatus s) {
  switch (s) {
    case CheckStatus::SockErr:
      return "Socket error";
    case CheckStatus::L4Ok:
      return "Layer4 check passed";
    case CheckStatus::L4Timeout:
      return "Layer4 timeout";
    case CheckStatus::L4Con:
      return "Layer4 connection problem";
    case CheckStatus::L7Timeout:
      return "Layer7 timeout";
    case CheckStatus::L7Rsp:
      return "Layer7 invalid response";
    case CheckStatus::L7Ok:
      return "Layer7 check passed";
    case CheckStatus::L7Sts:
      return "Layer7 wrong status";
    case CheckStatus::L6Ok:
      return "Layer6 check passed";
    case CheckStatus::L6Timeout:
      return "Layer6 timeout";
    case CheckStatus::L6Rsp:
      return "Layer6 invalid response";
    case CheckStatus::Checked:
      return "No status change";
  }
  return "Unknown";
}

namespace {

// HAProxy quotes the check description with chunk_asciiencode: bytes that are not printable
// ASCII, the quote and the angle brackets of its own escapes become <XX>.
void asciiEncode(std::string& out, std::string_view v) {
  static const char kHex[] = "0123456789ABCDEF";
  for (unsigned char c : v) {
    if (c < 32 || c >= 127 || c == '"' || c == '<' || c == '>') {
      out += '<';
      out += kHex[c >> 4];
      out += kHex[c & 15];
      out += '>';
    } else {
      out += char(c);
    }
  }
}

bool hasCode(CheckStatus s) {  // HAProxy: status >= HCHK_STATUS_L57DATA (a status line was read)
  return s == CheckStatus::L7Ok || s == CheckStatus::L7Sts;
}

// HAProxy's check_append_info.
void appendCheckInfo(std::string& m, const CheckResult& r) {
  m += ", reason: ";
  m += checkStatusText(r.status);
  if (hasCode(r.status)) m += ", code: " + std::to_string(r.code);
  if (!r.info.empty()) {
    m += ", info: \"";
    asciiEncode(m, r.info);
    m += '"';
  }
  if (r.duration >= 0) m += ", check duration: " + std::to_string(r.duration) + "ms";
}

}  // namespace

namespace {
// HAProxy's srv_append_status counts: ". N active and M backup servers left|online..."
std::string counts(bool up, const ServerTransition& t) {
  const char* on_backup = t.bck && !t.act ? " Running on backup." : "";
  char b[200];
  if (up)
    std::snprintf(b, sizeof b,
                  ". %u active and %u backup servers online.%s %u sessions requeued, %u total in queue",
                  t.act, t.bck, on_backup, t.xferred, t.queued);
  else
    std::snprintf(
        b, sizeof b,
        ". %u active and %u backup servers left.%s %u sessions active, %u requeued, %u remaining in queue",
        t.act, t.bck, on_backup, t.sessions, t.xferred, t.queued);
  return b;
}
}  // namespace

std::string formatServerState(std::string_view proxy, std::string_view server, bool backup, bool up,
                              const CheckResult& r, const ServerTransition& t) {
  std::string m;
  m.reserve(256);
  if (backup) m += "Backup ";
  m += "Server ";
  m += proxy;
  m += '/';
  m += server;
  m += up ? " is UP" : " is DOWN";
  if (r.with_reason) appendCheckInfo(m, r);
  m += counts(up, t);
  return m;
}

std::string stderrLine(std::string_view label, int pid, std::string_view message) {
  // HAProxy pads "[LABEL]" to ten columns.
  std::string s = "[";
  s += label;
  s += ']';
  if (s.size() < 10) s.append(10 - s.size(), ' ');
  s += " (" + std::to_string(pid) + ") : ";
  s += message;
  s += '\n';
  return s;
}

void reportServerState(bool quiet, const ServerState& s, bool up, const CheckResult& r,
                       const ServerTransition& t) {
  const ProxySpec& ps = s.be->spec();
  const int pid = int(getpid());
  const std::string msg = formatServerState(ps.name, s.spec->name, s.spec->backup, up, r, t) + ".";
  // One write per line: several threads may report at once.
  if (!quiet) {
    const std::string line = stderrLine("WARNING", pid, msg);
    ssize_t w = write(2, line.data(), line.size());
    (void)w;
  }
  log::emit(ps.logs, up ? 5 : 1, log::kTargetFacility, msg);  // notice / alert
  if (!up && t.prev_usable && !t.act && !t.bck) {
    reportNoServer(quiet, ps);
  }
}

namespace {
void say(bool quiet, const ProxySpec& ps, int level, const std::string& msg) {
  if (!quiet) {
    const std::string line = stderrLine("WARNING", int(getpid()), msg);
    ssize_t w = write(2, line.data(), line.size());
    (void)w;
  }
  log::emit(ps.logs, level, log::kTargetFacility, msg);
}
}  // namespace

void reportNoServer(bool quiet, const ProxySpec& ps) {
  // HAProxy's proxy_type_str: a listen section is a "proxy".
  const char* type = ps.frontend ? "proxy" : "backend";
  if (!quiet) {
    const std::string line =
        stderrLine("ALERT", int(getpid()), std::string(type) + " '" + ps.name + "' has no server available!");
    ssize_t w = write(2, line.data(), line.size());
    (void)w;
  }
  log::emit(ps.logs, 0, log::kTargetFacility,
            std::string(type) + " " + ps.name + " has no server available!");
}

void reportCheckResult(bool quiet, const ServerState& s, bool agent, const CheckResult& r, uint32_t health,
                       uint32_t rise, uint32_t fall) {
  const ProxySpec& ps = s.be->spec();
  std::string m = std::string(agent ? "Agent" : "Health") + " check for " +
                  (s.spec->backup ? "backup " : "") + "server " + ps.name + "/" + s.spec->name +
                  (checkPassed(r.status) ? " succeeded" : " failed");
  appendCheckInfo(m, r);
  const bool up = health >= rise;
  m += ", status: " + std::to_string(up ? health - rise + 1 : health) + "/" +
       std::to_string(up ? fall : rise) + (up ? (s.weight() ? " UP" : " DRAIN") : " DOWN") + ".";
  say(quiet, ps, 5, m);
}

void reportStillDraining(bool quiet, const ServerState& s) {
  const ProxySpec& ps = s.be->spec();
  say(quiet, ps, 5,
      std::string(s.spec->backup ? "Backup " : "") + "Server " + ps.name + "/" + s.spec->name +
          " remains in forced drain mode.");
}

void reportAdminChange(bool quiet, const ServerState& s, SrvAdmin from, SrvAdmin to, bool was_up,
                       const ServerTransition& t) {
  const ProxySpec& ps = s.be->spec();
  const std::string who =
      std::string(s.spec->backup ? "Backup " : "") + "Server " + ps.name + "/" + s.spec->name;
  const bool up = s.up.load();
  std::string msg;
  int level = 5;  // notice
  if (to == SrvAdmin::Maint) {
    if (!was_up) {
      msg = who + " was DOWN and now enters maintenance.";
    } else {
      msg = who + " is going DOWN for maintenance" + counts(false, t) + ".";
      if (from != SrvAdmin::Drain) level = 1;  // alert, unless it was draining already
    }
  } else if (from == SrvAdmin::Maint) {
    msg = who + " is " + (up ? "UP" : "DOWN") + "/" + (to == SrvAdmin::Drain ? "DRAIN" : "READY") +
          " (leaving forced maintenance).";
  } else if (to == SrvAdmin::Drain) {
    msg = who + " enters drain state" + counts(up, t) + ".";
  } else {
    msg = who + " is " + (up ? "UP" : "DOWN") + " (leaving forced drain).";
  }
  say(quiet, ps, level, msg);
  if (t.prev_usable && !t.act && !t.bck) {
    reportNoServer(quiet, ps);
  }
}

}  // namespace lbc::rt

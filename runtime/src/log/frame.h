// How HAProxy 2.6 frames a log line for a target (src/log.c, build_log_header and
// __do_send_log): the header of the target's format (<PRI>, timestamp, host name, tag[pid]),
// the message, and the bound `len` puts on the whole. Pure code: no I/O, no clock.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "lbc/rt/topology.h"

namespace lbc::rt::log {

struct Stamp {
  int64_t sec = 0;   // wall clock, seconds since the epoch
  int32_t usec = 0;  // microseconds within that second
};

// What a target's line says about its origin.
struct Origin {
  int pid = 0;
  std::string_view machine;  // the machine's host name (log-send-hostname without a name)
};

// The header alone (HAProxy's layout per format), appended to `out`.
void appendHeader(std::string& out, const LogTargetSpec& t, int level, int facility, const Stamp& now,
                  const Origin& from);

// Header, message and '\n', bounded as HAProxy bounds them: a datagram carries at most `len`
// bytes before its '\n'; a file descriptor line is at most `len` bytes with its '\n'. Trailing
// newlines and NULs of `message` are not sent; the message itself keeps at most
// `message_max` - 1 bytes. `facility` < 0 takes the target's.
void frameLine(std::string& out, const LogTargetSpec& t, int level, int facility, std::string_view message,
               const Stamp& now, const Origin& from);

}  // namespace lbc::rt::log

// Where log lines go: the one entry point every log line takes (server state changes, traffic
// logs). Sockets are datagram sockets opened once, non-blocking, and never connected: each line
// is sent to the target's address, so a syslog daemon that re-creates /dev/log is reached again
// at the next line, as HAProxy does. Nothing here waits: a line the socket (or a full pipe on
// stdout/stderr) does not take at once is dropped and counted.
#pragma once
#include <cstdint>
#include <string_view>
#include <vector>

#include "lbc/rt/topology.h"

namespace lbc::rt::log {

inline constexpr int kTargetFacility = -1;

// Opens the shared sockets and makes the stdout/stderr targets non-blocking (unless a terminal,
// as HAProxy); `emit` does it on first use. Safe to call from any thread, any number of times.
void openSinks(const std::vector<LogTargetSpec>& targets);

// Sends `message` (no framing, no newline) at syslog `level` to each target that takes it
// (level, sample), framed in the target's format. `facility` overrides the targets' own
// (kTargetFacility keeps it).
void emit(const std::vector<LogTargetSpec>& targets, int level, int facility, std::string_view message);

// Lines dropped because a sink could not take them at once (HAProxy's "DroppedLogs").
uint64_t droppedLines();

}  // namespace lbc::rt::log

// Serving a compiled program: shared by `lbc run` and the AOT executable's main().
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "lbc/abi.h"

namespace lbc::rt {

struct RunFlags {
  bool daemon = false;            // -D (or `daemon` in global)
  std::string pidfile;            // -p FILE (overrides `pidfile` in global)
  uint32_t nbthread = 0;          // --nbthread N (overrides global nbthread; 0 = keep)
  bool quiet = false;             // -q: no start-up notice, only errors
  std::vector<std::string> rest;  // non-flag arguments, in order (configuration files for `lbc run`)
};

// Parses -D, -p FILE, -q, --nbthread N (also -pFILE and --nbthread=N); everything else that
// does not start with '-' goes to `rest`. On an unknown flag returns false with `err` set.
bool parseRunFlags(const std::vector<std::string>& args, RunFlags& flags, std::string& err);
// One line per flag, for usage messages.
const char* runFlagsHelp();

// Validates the descriptor, decodes its topology, binds every listener, then serves until
// stopped (SIGTERM/SIGINT/SIGUSR1). Returns the process exit code; start-up errors are printed
// on stderr naming the configuration line they come from.
int serve(const lbc_program* program, const RunFlags& flags);

}  // namespace lbc::rt

// Serving a compiled program: shared by `lbc run` and the AOT executable's main().
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
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

// A serving process, as seen from another thread of it (tests; later the reload).
class Runtime;

struct ServeOptions {
  std::shared_ptr<const void> keep;  // owns the program's code (the JIT's ProgramRef), or null
  // Called on serve()'s thread once every worker runs, before it waits for signals.
  std::function<void(Runtime&)> ready;
};
int serve(const lbc_program* program, const RunFlags& flags, ServeOptions opts);

// Makes `program` the generation new connections start on; connections already accepted finish
// on theirs, which is freed with its last connection. Returns once every worker uses it (any
// thread but a worker's; not while stopping). The listeners stay those of the first
// configuration, and the global section's settings stay those of start-up; live state (backend
// queues and servers, frontend limits, stick tables) is found by proxy name. False with `err`.
bool install(Runtime& rt, const lbc_program* program, std::shared_ptr<const void> keep, std::string& err);
// As SIGTERM: stop accepting, let connections finish, return from serve().
void stop(Runtime& rt);

}  // namespace lbc::rt

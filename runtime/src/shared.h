// Process-wide state built at start-up from the topology: the backends (upstream/), the
// connection limits and stick tables (state/), the frontends, the error pages.
// Everything a worker touches per connection is either its own or an atomic here.
#pragma once
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "lbc/abi.h"
#include "lbc/rt/http.h"
#include "lbc/rt/topology.h"
#include "state/limits.h"
#include "upstream/backend.h"

namespace lbc::rt {

class StickTable;

struct Frontend {
  const ProxySpec* spec = nullptr;
  Limit limit;
  Backend* backend = nullptr;  // null: connections are closed at once (no backend)
};

struct Shared {
  const Topology* topo = nullptr;
  const lbc_program* program = nullptr;  // the compiled rule hooks (may all be null)
  // True when some proxy has rules, a rule-chosen backend or stick rules: connections then carry
  // a transaction (lbc::rt::Txn) through the analysis stages; otherwise they skip it entirely.
  bool analyse = false;
  bool quiet = false;  // -q: no state-change messages on stderr (HAProxy's MODE_QUIET)
  std::vector<std::unique_ptr<StickTable>> tables;  // indexed like topo->proxies (null: no table)
  Limit global;
  std::vector<std::unique_ptr<Backend>> backends;  // indexed like topo->proxies (null if not a backend)
  std::vector<std::unique_ptr<Frontend>> frontends;
  std::vector<http::ErrorPages> pages;       // indexed like topo->proxies: errorfiles over built-ins
  std::vector<http::Forwardfor> forwardfor;  // indexed like topo->proxies
  // Delivers a handed-over connection to its owner thread (set by the engine).
  void (*wake)(QueueLink* link) = nullptr;
  // Lets paused listeners resume when a limit frees (set by the engine).
  void (*resume_all)() = nullptr;
};

}  // namespace lbc::rt

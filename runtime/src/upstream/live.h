// Live state: what outlives a generation, keyed by proxy name so that a reload carries it over
// (the backends with their servers' health, counters and queues; the frontends' connection
// limits; the stick tables; the global limit). A generation sees it through a GenerationView,
// attached when the generation is installed and indexed like that generation's topology.
#pragma once
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/generation.h"
#include "net/tls_context.h"
#include "state/limits.h"
#include "upstream/backend.h"

namespace lbc::rt {

class StickTable;

// A frontend's live part: what its listeners count connections against. `slot` is stable across
// generations (a GenerationView's by_slot index).
struct FrontendLive {
  Limit limit;
  uint32_t slot = 0;
  // counters the stats socket shows
  std::atomic<uint64_t> cum_conn{0};
  std::atomic<uint32_t> max_conn{0};
  void accepted() {
    cum_conn.fetch_add(1, std::memory_order_relaxed);
    uint32_t n = limit.cur.load(std::memory_order_relaxed), m = max_conn.load(std::memory_order_relaxed);
    while (n > m && !max_conn.compare_exchange_weak(m, n, std::memory_order_relaxed)) {
    }
  }
};

// A frontend as one generation configures it, over its live part.
struct Frontend {
  Frontend(const ProxySpec* s, FrontendLive& l) : spec(s), limit(l.limit), live(&l) {}
  const ProxySpec* spec;
  Limit& limit;
  FrontendLive* live;
  Backend* backend = nullptr;  // null: connections are closed at once (no backend)
  // One per bind of spec->binds (null: plain TCP), built with the generation and shared by every
  // thread; a connection keeps its generation, so its SSL's context outlives it.
  std::vector<std::unique_ptr<TlsServerContext>> tls;
};

// One generation's view of the live state (its Generation::extension).
struct GenerationView final : Generation::Extension {
  std::vector<Backend*> backends;    // indexed like topo.proxies (null if not a backend)
  std::vector<StickTable*> tables;   // indexed like topo.proxies (null: no table)
  std::vector<Frontend*> frontends;  // indexed like topo.proxies (null if not a frontend)
  std::vector<Frontend*> by_slot;    // by FrontendLive::slot (null: gone from this generation)
  std::vector<std::unique_ptr<Frontend>> owned;
};

inline const GenerationView& viewOf(const Generation& g) {
  return static_cast<const GenerationView&>(*g.extension);
}

class LiveState {
 public:
  LiveState();
  ~LiveState();

  // Finds (by name) or creates the live objects `g`'s proxies use and attaches g's view. A new
  // backend's server addresses are resolved here: false with `where`/`err` on failure.
  // A backend carried over keeps the settings of the generation that created it (re-pointing
  // it at the new ones is the reload's work), so that generation must stay alive: call
  // keepSpecs() with the published generation afterwards. A failed bind creates no backend
  // (stick tables and frontend limits it created stay: they hold nothing of the generation).
  bool bind(Generation& g, std::string& where, std::string& err);
  void keepSpecs(const GenerationRef& g);
  FrontendLive* frontend(const std::string& name) const;
  // Every backend, in creation order (the health checks, which take their servers when a worker
  // starts: a backend first named by a later generation is not checked yet).
  const std::vector<Backend*>& backends() const { return backend_order_; }

  bool quiet = false;  // -q: no state-change messages on stderr (HAProxy's MODE_QUIET)
  Limit global;
  std::atomic<uint64_t> cum_conns{0};  // every accepted connection (`show info` CumConns)
  // Delivers a handed-over connection to its owner thread (set by the engine).
  void (*wake)(QueueLink* link) = nullptr;
  // Lets paused listeners resume when a limit frees (set by the engine).
  void (*resume_all)() = nullptr;

 private:
  bool bindBackend(const ProxySpec& p, GenerationView& v, std::string& where, std::string& err);
  void forgetCreated();

  std::map<std::string, std::unique_ptr<Backend>> backends_;
  std::vector<Backend*> backend_order_;
  std::map<std::string, std::unique_ptr<StickTable>> tables_;
  std::map<std::string, std::unique_ptr<FrontendLive>> frontends_;
  std::vector<GenerationRef> spec_owners_;
  std::vector<std::string> created_;  // backends created by the last bind(), in order
};

}  // namespace lbc::rt

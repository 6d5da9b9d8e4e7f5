// A generation: everything derived from one configuration (the compiled program and what keeps
// its code alive, the decoded topology, the error pages and forwardfor settings). Immutable once
// published, shared by every thread, refcounted: each connection holds the generation it was
// accepted on, so a new one can be installed while old connections finish on the old one.
// Live state (servers, queues, limits, stick tables) is not here: it is keyed by name and
// outlives generations.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "lbc/abi.h"
#include "lbc/rt/http.h"
#include "lbc/rt/topology.h"

namespace lbc::rt {

class Generation {
 public:
  // What a layer above attaches to a generation before it is published (the runtime's view of
  // the live state, indexed like this topology); freed with the generation.
  struct Extension {
    virtual ~Extension() = default;
  };

  // Validates the descriptor, decodes its topology and derives the per-proxy settings. `keep`
  // owns the program's code (the JIT's ProgramRef; null for an AOT executable's static data).
  // Null with `where`/`err` set on failure (`where`: the configuration line, or empty).
  static std::unique_ptr<Generation> create(const lbc_program* program, std::shared_ptr<const void> keep,
                                            std::string& where, std::string& err);
  ~Generation();
  Generation(const Generation&) = delete;
  Generation& operator=(const Generation&) = delete;

  const lbc_program* program = nullptr;  // the compiled rule hooks (may all be null)
  Topology topo;                         // (startup adjusts topo.global before publishing)
  // True when some proxy has rules, a rule-chosen backend or stick rules: connections then carry
  // a transaction (lbc::rt::Txn) through the analysis stages; otherwise they skip it entirely.
  bool analyse = false;
  std::vector<http::ErrorPages> pages;       // indexed like topo.proxies: errorfiles over built-ins
  std::vector<http::Forwardfor> forwardfor;  // indexed like topo.proxies
  std::unique_ptr<Extension> extension;

  // References held (connections, workers, the installer). Observable for tests.
  uint32_t refs() const { return refs_.load(std::memory_order_acquire); }
  // Generations alive in the process; changes are notified (std::atomic::wait) for tests.
  static const std::atomic<uint32_t>& alive();

 private:
  friend class GenerationRef;
  Generation();
  std::shared_ptr<const void> keep_;
  mutable std::atomic<uint32_t> refs_{0};
};

// A counted reference. Take one per connection or per thread, never per request.
class GenerationRef {
 public:
  GenerationRef() = default;
  // Publishes a freshly built generation (it becomes immutable).
  explicit GenerationRef(std::unique_ptr<Generation> g) : g_(g.release()) { acquire(); }
  GenerationRef(const GenerationRef& o) : g_(o.g_) { acquire(); }
  GenerationRef(GenerationRef&& o) noexcept : g_(o.g_) { o.g_ = nullptr; }
  GenerationRef& operator=(GenerationRef o) noexcept {
    std::swap(g_, o.g_);
    return *this;
  }
  ~GenerationRef() { reset(); }
  void reset();
  const Generation* get() const { return g_; }
  const Generation* operator->() const { return g_; }
  const Generation& operator*() const { return *g_; }
  explicit operator bool() const { return g_ != nullptr; }

 private:
  void acquire() {
    if (g_) g_->refs_.fetch_add(1, std::memory_order_relaxed);
  }
  const Generation* g_ = nullptr;
};

}  // namespace lbc::rt

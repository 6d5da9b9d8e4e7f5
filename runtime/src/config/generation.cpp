#include "config/generation.h"

#include <cstring>

namespace lbc::rt {
namespace {

std::atomic<uint32_t> g_alive{0};

http::Forwardfor forwardforOf(const ForwardforSpec& s) {
  http::Forwardfor f;
  f.enabled = s.enabled;
  f.header = s.header;
  f.ifNone = s.if_none;
  f.hasExcept = s.has_except;
  std::memcpy(f.except.addr, s.except_addr, 16);
  f.except.v6 = s.except_v6;
  f.except.prefix = s.except_prefix;
  return f;
}

// A hook the topology relies on must exist (a program and a topology from different builds).
bool hooksPresent(const ProxySpec& p, const lbc_program& prog) {
  return !(((p.hooks & kHasTcpReqConn) && !prog.tcp_req_conn) ||
           ((p.hooks & kHasTcpReqSess) && !prog.tcp_req_sess) ||
           ((p.hooks & kHasTcpReqCont) && !prog.tcp_req_cont) ||
           ((p.hooks & kHasTcpResCont) && !prog.tcp_res_cont) ||
           ((p.hooks & kHasHttpReq) && !prog.http_req) || ((p.hooks & kHasHttpRes) && !prog.http_res) ||
           ((p.hooks & kHasHttpAfterRes) && !prog.http_after_res) ||
           (p.select_backend && !prog.select_backend) || (!p.stick_rules.empty() && !prog.stick));
}

}  // namespace

Generation::Generation() {
  g_alive.fetch_add(1);
  g_alive.notify_all();
}

Generation::~Generation() {
  extension.reset();  // it may point into the topology
  g_alive.fetch_sub(1);
  g_alive.notify_all();
}

const std::atomic<uint32_t>& Generation::alive() {
  return g_alive;
}

std::unique_ptr<Generation> Generation::create(const lbc_program* program, std::shared_ptr<const void> keep,
                                               std::string& where, std::string& err) {
  where.clear();
  if (!program || program->magic != LBC_PROGRAM_MAGIC) {
    err = "not an lbc program (bad magic)";
    return nullptr;
  }
  if (program->abi_version != LBC_ABI_VERSION) {
    err = "program built for ABI " + std::to_string(program->abi_version) + ", this runtime is ABI " +
          std::to_string(LBC_ABI_VERSION);
    return nullptr;
  }
  std::unique_ptr<Generation> g(new Generation());
  g->program = program;
  g->keep_ = std::move(keep);
  if (!decodeTopology(program->topology, program->topology_size, g->topo, err)) return nullptr;
  const size_t n = g->topo.proxies.size();
  g->pages.resize(n);
  g->forwardfor.reserve(n);
  for (const ProxySpec& p : g->topo.proxies) {
    if (!hooksPresent(p, *program)) {
      where = p.where;
      err = "the compiled program lacks the rule hooks of proxy '" + p.name + "'";
      return nullptr;
    }
    g->analyse |= p.hooks != 0 || p.select_backend || !p.stick_rules.empty();
    for (const auto& e : p.errorfiles) g->pages[g->forwardfor.size()].set(e.status, e.content);
    g->forwardfor.push_back(forwardforOf(p.forwardfor));
  }
  return g;
}

void GenerationRef::reset() {
  if (g_ && g_->refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete g_;
  g_ = nullptr;
}

}  // namespace lbc::rt

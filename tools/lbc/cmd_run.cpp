// `lbc run [flags] [--engine=jit|interp] CONFIG...`: compile, lower to the runtime topology, and
// serve with the rule hooks of the chosen engine: the JIT-compiled program (default) or the
// reference interpreter behind an lbc_program-shaped adapter.
#include <iostream>
#include <mutex>

#include "codegen/codegen.h"
#include "commands.h"
#include "driver/driver.h"
#include "interp/interp.h"
#include "jit/jit.h"
#include "lbc/rt/run.h"
#include "lower/lower.h"

namespace lbc::cli {

namespace {

// ---- the interpreter as an lbc_program ----------------------------------------------------------
// A hook is a plain function pointer without a user-data argument (the ABI compiled code
// implements), so the adapter reaches the interpreter through this process-wide pointer, set once
// before serve() and cleared after it returns. The interpreter caches prepared arguments and
// regexes lazily, which is not thread-safe: every call holds one lock. It is the oracle, not the
// fast path (that is the JIT), so serialising it is the honest trade.
interp::Interpreter* g_interp = nullptr;
std::mutex g_interp_lock;

template <interp::Hook H>
int32_t interpHook(lbc_txn* t, uint32_t proxy) {
  std::lock_guard g(g_interp_lock);
  return g_interp->hook(H, *rt::fromAbi(t), proxy);
}
int32_t interpSelect(lbc_txn* t, uint32_t frontend) {
  std::lock_guard g(g_interp_lock);
  return g_interp->selectBackend(*rt::fromAbi(t), frontend);
}
int32_t interpStick(lbc_txn* t, uint32_t proxy, uint32_t rule, lbc_smp* key) {
  std::lock_guard g(g_interp_lock);
  return g_interp->stick(*rt::fromAbi(t), proxy, rule, key);
}

lbc_program interpProgram(const interp::Interpreter& in, const std::vector<uint8_t>& topo) {
  lbc_program p = *in.descriptor();  // magic, version, proxy names and caps
  p.topology = topo.data();
  p.topology_size = topo.size();
  p.init = nullptr;  // the interpreter prepares arguments as it goes
  p.fini = nullptr;
  p.tcp_req_conn = interpHook<interp::Hook::TcpReqConn>;
  p.tcp_req_sess = interpHook<interp::Hook::TcpReqSess>;
  p.tcp_req_cont = interpHook<interp::Hook::TcpReqCont>;
  p.tcp_res_cont = interpHook<interp::Hook::TcpResCont>;
  p.http_req = interpHook<interp::Hook::HttpReq>;
  p.http_res = interpHook<interp::Hook::HttpRes>;
  p.http_after_res = interpHook<interp::Hook::HttpAfterRes>;
  p.select_backend = interpSelect;
  p.stick = interpStick;
  return p;
}

void usage(std::ostream& o) {
  o << "usage: lbc run [flags] [--engine=jit|interp] CONFIG...\n" << rt::runFlagsHelp();
}

}  // namespace

int cmdRun(const std::vector<std::string>& all) {
  std::string engine = "jit";
  std::vector<std::string> args;
  for (const auto& a : all) {
    if (a.rfind("--engine=", 0) == 0)
      engine = a.substr(9);
    else
      args.push_back(a);
  }
  if (engine != "jit" && engine != "interp") {
    std::cerr << "lbc: run: unknown engine '" << engine << "': expected jit or interp\n";
    usage(std::cerr);
    return 2;
  }
  rt::RunFlags flags;
  std::string err;
  if (!rt::parseRunFlags(args, flags, err)) {
    std::cerr << "lbc: run: " << err << "\n";
    usage(std::cerr);
    return 2;
  }
  if (flags.rest.empty()) {
    std::cerr << "lbc: run: no configuration file given\n";
    usage(std::cerr);
    return 2;
  }
  sema::Options opts;
  auto c = driver::compile(flags.rest, opts, front::processEnv());
  rt::Topology topo;
  bool ok = c->ok() && interp::checkSupported(c->program, *c->diags) &&
            lower::lowerProgram(c->program, c->sources, *c->diags, topo);
  std::vector<uint8_t> bytes;
  codegen::Result gen;
  if (ok && engine == "jit") {
    bytes = rt::encodeTopology(topo);
    codegen::Options copts;
    copts.topology = bytes;
    gen = codegen::generate(c->program, copts);
    if (!gen.ok()) {
      c->diags->error(gen.error_loc, gen.error);
      ok = false;
    }
  }
  if (!ok || (c->diags->warningCount() && !flags.quiet)) c->diags->render(std::cerr, front::DiagFormat::Text);
  if (!ok) {
    std::cerr << "lbc: cannot run: " << c->diags->errorCount() << " error"
              << (c->diags->errorCount() == 1 ? "" : "s") << "\n";
    return 1;
  }

  if (engine == "jit") {
    c.reset();  // the IR and sources are no longer needed while serving
    jit::LoadResult lr = jit::load(std::move(gen.module));  // runs the program's init
    if (!lr.program) {
      std::cerr << "lbc: run: " << lr.error << "\n";
      return 1;
    }
    return rt::serve(lr.program->program(), flags);  // the reference keeps code and data alive
  }
  bytes = rt::encodeTopology(topo);
  interp::Interpreter in(c->program);
  lbc_program program = interpProgram(in, bytes);
  g_interp = &in;
  int code = rt::serve(&program, flags);
  g_interp = nullptr;
  return code;
}

}  // namespace lbc::cli

// `lbc run [flags] [--engine=jit|interp] CONFIG...`: compile, lower to the runtime topology, and
// serve with the rule hooks of the chosen engine: the JIT-compiled program (default) or the
// reference interpreter behind an lbc_program-shaped adapter.
#include <stdlib.h>
#include <unistd.h>

#include <iostream>
#include <mutex>
#include <sstream>

#include "commands.h"
#include "driver/pipeline.h"
#include "interp/interp.h"
#include "jit/jit.h"
#include "lbc/rt/run.h"
#include "lbc/stdlib/usage.h"

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
  // Every hook of LBC_HOOKS, by kind: a rule set, backend selection or the stick rules.
#define LBC_RUN_ADAPTER_RULES(Name) interpHook<interp::Hook::Name>
#define LBC_RUN_ADAPTER_BACKEND(Name) interpSelect
#define LBC_RUN_ADAPTER_STICK(Name) interpStick
#define LBC_RUN_HOOK(field, Name, KIND, text) p.field = LBC_RUN_ADAPTER_##KIND(Name);
  LBC_HOOKS(LBC_RUN_HOOK)
#undef LBC_RUN_HOOK
#undef LBC_RUN_ADAPTER_RULES
#undef LBC_RUN_ADAPTER_BACKEND
#undef LBC_RUN_ADAPTER_STICK
  return p;
}

// tools/test sets LBC_KEYWORD_USAGE_DIR for the whole suite: each configuration `lbc run` serves
// leaves the keywords it used there, and `lbc keywords --coverage DIR` checks that every keyword
// the registry marks supported was served by some test.
void recordKeywordUsage() {
  const char* dir = getenv("LBC_KEYWORD_USAGE_DIR");
  if (!dir || !*dir) return;
  std::string path = std::string(dir) + "/run-XXXXXX";
  int fd = mkstemp(path.data());
  if (fd < 0) {
    std::cerr << "lbc: run: cannot record keyword usage in " << dir << "\n";
    return;
  }
  std::ostringstream out;
  stdlib::writeUsage(out);
  const std::string text = out.str();
  for (size_t off = 0; off < text.size();) {
    ssize_t n = write(fd, text.data() + off, text.size() - off);
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
  close(fd);
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
  driver::Options opts;
  opts.goal = engine == "jit" ? driver::Goal::Compile : driver::Goal::Serve;
  driver::Product built = driver::build(flags.rest, opts, front::processEnv());
  auto& c = built.c;
  bool ok = built.ok();
  if (!ok || (c->diags->warningCount() && !flags.quiet)) c->diags->render(std::cerr, front::DiagFormat::Text);
  if (!ok) {
    std::cerr << "lbc: cannot run: " << c->diags->errorCount() << " error"
              << (c->diags->errorCount() == 1 ? "" : "s") << "\n";
    return 1;
  }
  recordKeywordUsage();

  if (engine == "jit") {
    c.reset();  // the IR and sources are no longer needed while serving
    jit::LoadResult lr = jit::load(std::move(built.module));  // runs the program's init
    if (!lr.program) {
      std::cerr << "lbc: run: " << lr.error << "\n";
      return 1;
    }
    rt::ServeOptions opts;
    opts.keep = lr.program;  // the first generation holds the code and data
    const lbc_program* p = lr.program->program();
    lr.program.reset();
    return rt::serve(p, flags, std::move(opts));
  }
  interp::Interpreter in(c->program);
  lbc_program program = interpProgram(in, built.topology);
  g_interp = &in;
  int code = rt::serve(&program, flags);
  g_interp = nullptr;
  return code;
}

}  // namespace lbc::cli

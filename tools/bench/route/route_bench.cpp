// Routing decisions: JIT against the reference interpreter, with 1, 100, 1,000 and 10,000
// use_backend rules of three kinds (path_beg sets, exact hosts with -i, and a mix of both with
// a regex every 50 rules), plus the JIT's compile time (codegen + O2 + JIT) for each size.
//   lbc_bench_route [--benchmark_filter=...]
// Each decision is select_backend for one request of a fixed rotation that hits the first, the
// middle and the last rule and misses; the figure is ns per decision.
#include <benchmark/benchmark.h>

#include <iostream>
#include <sstream>

#include "driver/driver.h"
#include "interp/interp.h"
#include "jit/jit.h"
#include "lbc/rt/txn.h"

namespace {

enum Family { kPathBeg, kHost, kMixed };
const char* const kFamilyName[] = {"path_beg", "host_i", "mixed_regex"};

std::string ruleFor(Family f, int k) {
  std::ostringstream o;
  o << "  use_backend be" << k % 4 << " if { ";
  Family eff = f == kMixed ? (k % 50 == 49 ? Family(-1) : Family(k % 2)) : f;
  switch (int(eff)) {
    case kPathBeg:
      o << "path_beg /api/v" << k % 7 << "/svc" << k << "/";
      break;
    case kHost:
      o << "hdr(host) -i Host" << k << ".Example.com";
      break;
    default:
      o << "path_reg ^/re" << k << "/[0-9]+$";
      break;
  }
  o << " }\n";
  return o.str();
}

std::string config(Family f, int n) {
  std::ostringstream o;
  o << "defaults\n  mode http\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\n"
       "frontend fe\n  bind :8080\n";
  for (int k = 0; k < n; ++k) o << ruleFor(f, k);
  o << "  default_backend be0\n";
  for (int b = 0; b < 4; ++b) o << "backend be" << b << "\n  server s 127.0.0.1:" << 9000 + b << "\n";
  return o.str();
}

struct Request {
  std::string path, host;
};

// Requests that hit rule k (by its kind) or nothing.
std::vector<Request> requests(Family f, int n) {
  std::vector<Request> v;
  for (int k : {0, n / 2, n - 1}) {
    Family eff = f == kMixed ? (k % 50 == 49 ? Family(-1) : Family(k % 2)) : f;
    Request r{"/static/index.html", "www.example.org"};
    if (eff == kPathBeg)
      r.path = "/api/v" + std::to_string(k % 7) + "/svc" + std::to_string(k) + "/items/42";
    else if (eff == kHost)
      r.host = "HOST" + std::to_string(k) + ".example.COM";
    else
      r.path = "/re" + std::to_string(k) + "/123";
    v.push_back(r);
  }
  v.push_back({"/nothing/here", "unknown.example.net"});
  v.push_back({"/api/v1/svc", "host.example.com"});
  return v;
}

struct Setup {
  std::unique_ptr<lbc::driver::Compilation> comp;
  std::vector<Request> reqs;
};

Setup& setup(Family f, int n) {
  static std::map<std::pair<int, int>, Setup> cache;
  auto& s = cache[{f, n}];
  if (!s.comp) {
    lbc::sema::Options opts;
    opts.resolve_hosts = false;
    opts.lint = false;
    s.comp = lbc::driver::compileText("bench.cfg", config(f, n), opts,
                                      [](std::string_view) { return std::nullopt; });
    if (!s.comp->ok()) {
      s.comp->diags->render(std::cerr, lbc::front::DiagFormat::Text);
      std::abort();
    }
    s.reqs = requests(f, n);
  }
  return s;
}

template <typename Decide>
void runDecisions(benchmark::State& state, const std::vector<Request>& reqs, const lbc_program* desc,
                  Decide decide) {
  std::vector<std::unique_ptr<lbc::rt::Txn>> txns;
  for (const auto& r : reqs) {
    auto t = std::make_unique<lbc::rt::Txn>();
    t->program = desc;
    t->http = true;
    t->method = "GET";
    t->uri = r.path;
    t->req_headers = {{"Host", r.host}, {"User-Agent", "bench"}, {"Accept", "*/*"}};
    txns.push_back(std::move(t));
  }
  size_t i = 0;
  for (auto _ : state) {
    lbc::rt::Txn& t = *txns[i];
    benchmark::DoNotOptimize(decide(t));
    t.fired.clear();
    if (++i == txns.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_DecideJit(benchmark::State& state) {
  Setup& s = setup(Family(state.range(0)), int(state.range(1)));
  auto r = lbc::jit::compile(s.comp->program);
  if (!r.program) {
    state.SkipWithError(r.error.c_str());
    return;
  }
  const lbc_program* p = r.program->program();
  runDecisions(state, s.reqs, p, [p](lbc::rt::Txn& t) { return p->select_backend(lbc::rt::toAbi(&t), 0); });
  state.SetLabel(kFamilyName[state.range(0)]);
}

void BM_DecideInterp(benchmark::State& state) {
  Setup& s = setup(Family(state.range(0)), int(state.range(1)));
  lbc::interp::Interpreter in(s.comp->program);
  runDecisions(state, s.reqs, in.descriptor(), [&in](lbc::rt::Txn& t) { return in.selectBackend(t, 0); });
  state.SetLabel(kFamilyName[state.range(0)]);
}

void BM_CompileJit(benchmark::State& state) {
  Setup& s = setup(Family(state.range(0)), int(state.range(1)));
  for (auto _ : state) {
    auto r = lbc::jit::compile(s.comp->program);
    if (!r.program) state.SkipWithError(r.error.c_str());
    benchmark::DoNotOptimize(r.program);
  }
  state.SetLabel(kFamilyName[state.range(0)]);
}

void sizes(benchmark::internal::Benchmark* b) {
  for (int f : {kPathBeg, kHost, kMixed})
    for (int n : {1, 100, 1000, 10000}) b->Args({f, n});
  b->ArgNames({"family", "rules"});
}

BENCHMARK(BM_DecideJit)->Apply(sizes);
BENCHMARK(BM_DecideInterp)->Apply(sizes);
BENCHMARK(BM_CompileJit)->Apply(sizes)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace

BENCHMARK_MAIN();

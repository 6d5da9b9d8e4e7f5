// The differential suite: random configurations x random transactions, run through every
// available engine; every decision and every rewrite must be equal to the interpreter's.
//   exec_diff [--seed S] [--configs N] [--requests M] [--replay CONFIG_SEED:REQUEST] [--verbose]
// A failure prints the case's seeds, the configuration, the transaction and both outcomes; rerun
// it alone with --replay.
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <set>

#include "driver/driver.h"
#include "engines.h"
#include "gen.h"

using namespace lbc;

namespace {

struct Stats {
  uint64_t configs = 0, rejected = 0, cases = 0, forwarded = 0, denied = 0, redirected = 0, other = 0,
           fired = 0, miss = 0;
};

// Checks that hold for any correct engine, so the suite can fail even with one engine.
std::string invariants(const interp::Outcome& o, const ir::Program& p, const rt::Txn& t) {
  for (const rt::FiredRule& f : o.fired)
    if (!interp::ruleLoc(p, f).valid()) return "fired rule without a source location";
  if (o.backend_selected && o.backend >= 0 && !p.proxies[o.backend].isBackend())
    return "backend is not a backend";
  if (o.verdict == LBC_HOOK_REDIRECT) {
    if (o.reply_headers.empty() || o.reply_headers[0].first != "Location") return "redirect without Location";
    if (o.status != 301 && o.status != 302 && o.status != 303 && o.status != 307 && o.status != 308)
      return "redirect with status " + std::to_string(o.status);
  }
  if (o.verdict == LBC_HOOK_DENY && (o.status < 100 || o.status > 999))
    return "deny with status " + std::to_string(o.status);
  if (o.verdict == LBC_HOOK_MISS && !t.more_data) return "MISS although the data is complete";
  return {};
}

struct Runner {
  uint64_t seed;
  uint32_t configs, requests;
  bool verbose = false;
  Stats st;

  // Runs config `ci` (all requests, or only `only_req`). Returns false on the first difference.
  bool runConfig(uint64_t cfg_seed, int64_t only_req) {
    exec::Rng r(cfg_seed);
    std::string text = exec::genConfig(r);
    driver::Options opts;
    opts.sema.lint = false;
    opts.sema.resolve_hosts = false;
    opts.goal = driver::Goal::Evaluate;
    auto c = driver::compileText("gen.cfg", text, opts,
                                 [](std::string_view) { return std::optional<std::string>(); });
    ++st.configs;
    if (!c->ok()) {
      ++st.rejected;
      if (verbose || only_req >= 0) {
        std::cerr << "config " << cfg_seed << " rejected:\n" << text;
        c->diags->render(std::cerr, front::DiagFormat::Text);
      }
      return true;
    }
    std::vector<std::unique_ptr<interp::Engine>> engines;
    std::vector<exec::EngineFactory> fs = exec::availableEngines();
    for (const auto& f : fs) {
      std::string err;
      auto e = f.make(c->program, err);
      if (!e) {
        std::cerr << "config seed " << cfg_seed << ": engine " << f.name << " failed: " << err << "\n"
                  << text;
        return false;
      }
      engines.push_back(std::move(e));
    }
    // With only the reference available, a second, independent interpreter instance stands in
    // (state must not leak between instances or runs); JIT and AOT replace it once they exist.
    std::string unused;
    if (engines.size() == 1) engines.push_back(fs[0].make(c->program, unused));
    for (uint32_t q = 0; q < requests; ++q) {
      if (only_req >= 0 && q != only_req) continue;
      uint64_t req_seed = cfg_seed * 1000003u + q;
      std::vector<interp::Outcome> outs;
      std::string txn_text;
      for (auto& e : engines) {
        exec::Rng rr(req_seed);
        rt::Txn t;
        exec::genTxn(rr, t);
        if (txn_text.empty()) txn_text = exec::describeTxn(t);
        outs.push_back(e->evaluate(c->program, t));
        if (outs.size() == 1) {
          std::string bad = invariants(outs[0], c->program, t);
          if (!bad.empty())
            return report(cfg_seed, q, text, txn_text, "invariant broken: " + bad, outs, engines, *c);
        }
      }
      ++st.cases;
      const interp::Outcome& o = outs[0];
      st.fired += o.fired.size();
      if (o.verdict == LBC_HOOK_CONTINUE || o.verdict == LBC_HOOK_ALLOW)
        ++st.forwarded;
      else if (o.verdict == LBC_HOOK_DENY || o.verdict == LBC_HOOK_REJECT)
        ++st.denied;
      else if (o.verdict == LBC_HOOK_REDIRECT)
        ++st.redirected;
      else if (o.verdict == LBC_HOOK_MISS)
        ++st.miss;
      else
        ++st.other;
      for (size_t i = 1; i < outs.size(); ++i)
        if (!(outs[i] == outs[0]))
          return report(cfg_seed, q, text, txn_text, std::string(engines[i]->name()) + " differs from interp",
                        outs, engines, *c);
      if (only_req >= 0) {
        std::cout << "config:\n" << text << "transaction:\n" << txn_text;
        for (size_t i = 0; i < outs.size(); ++i)
          std::cout << "--- " << engines[i]->name() << "\n"
                    << interp::describe(outs[i], c->program, c->files);
      }
    }
    return true;
  }

  bool report(uint64_t cfg_seed, uint32_t q, const std::string& text, const std::string& txn,
              const std::string& why, const std::vector<interp::Outcome>& outs,
              const std::vector<std::unique_ptr<interp::Engine>>& engines, driver::Compilation& c) {
    std::cerr << "FAIL (base seed " << seed << "): " << why << "\nreplay: exec_diff --replay " << cfg_seed
              << ":" << q << "\nconfig:\n"
              << text << "transaction:\n"
              << txn;
    for (size_t i = 0; i < outs.size(); ++i)
      std::cerr << "--- " << engines[i]->name() << "\n" << interp::describe(outs[i], c.program, c.files);
    return false;
  }
};

}  // namespace

int main(int argc, char** argv) {
  Runner run{1, 1000, 100};
  std::string replay;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--seed")
      run.seed = std::strtoull(next().c_str(), nullptr, 10);
    else if (a == "--configs")
      run.configs = static_cast<uint32_t>(std::strtoul(next().c_str(), nullptr, 10));
    else if (a == "--requests")
      run.requests = static_cast<uint32_t>(std::strtoul(next().c_str(), nullptr, 10));
    else if (a == "--replay")
      replay = next();
    else if (a == "--verbose")
      run.verbose = true;
    else {
      std::cerr << "usage: exec_diff [--seed S] [--configs N] [--requests M] [--replay CFG_SEED:REQUEST] "
                   "[--verbose]\n";
      return 2;
    }
  }
  if (!replay.empty()) {
    size_t colon = replay.find(':');
    uint64_t cs = std::strtoull(replay.substr(0, colon).c_str(), nullptr, 10);
    int64_t q = colon == std::string::npos ? 0 : std::strtoll(replay.substr(colon + 1).c_str(), nullptr, 10);
    run.requests = static_cast<uint32_t>(q + 1);
    return run.runConfig(cs, q) ? 0 : 1;
  }
  for (uint32_t i = 0; i < run.configs; ++i)
    if (!run.runConfig(run.seed * 1000000007ull + i, -1)) return 1;
  const Stats& s = run.st;
  std::cout << "exec_diff: seed " << run.seed << ", engines:";
  for (const auto& f : exec::availableEngines()) std::cout << " " << f.name;
  std::cout << "\n  " << s.configs << " configurations (" << s.rejected << " rejected by sema), " << s.cases
            << " cases: " << s.forwarded << " forwarded, " << s.denied << " denied/rejected, " << s.redirected
            << " redirected, " << s.miss << " waiting for data, " << s.other << " other; " << s.fired
            << " rules fired\n";
  if (s.rejected * 10 > s.configs) {
    std::cerr << "exec_diff: too many generated configurations rejected: the generator is broken\n";
    return 1;
  }
  return 0;
}

#include "driver/pipeline.h"

#include "aot/aot_engine.h"
#include "interp/interp.h"
#include "jit/jit_engine.h"
#include "lbc/rt/topology.h"
#include "lower/lower.h"

namespace lbc::driver {

namespace {

// Codegen with the topology embedded; a codegen error becomes a diagnostic.
codegen::ModulePtr generate(Compilation& c, std::vector<uint8_t> topology) {
  codegen::Options copts;
  copts.topology = std::move(topology);
  codegen::Result r = codegen::generate(c.program, copts);
  if (!r.ok()) c.diags->error(r.error_loc, r.error);
  return std::move(r.module);
}

// Supported-check for serving, then lower and encode: the topology, or empty after an error
// (reported into `diags`).
std::vector<uint8_t> topology(Compilation& c, front::DiagEngine& diags) {
  bool supported = checkSupported(c.program, Need::Serving, diags);
  rt::Topology topo;
  bool lowered = lower::lowerProgram(c.program, c.sources, diags, topo);
  if (!supported || !lowered) return {};
  return rt::encodeTopology(topo);
}

void backHalf(Product& p, const Options& opts) {
  Compilation& c = *p.c;
  auto failedAt = [&](Goal g) {
    if (!c.ok() && !p.failed) p.failed = g;
    return !c.ok();
  };
  if (failedAt(Goal::Check) || opts.goal == Goal::Check) return;
  checkSupported(c.program, Need::Rules, *c.diags);
  if (failedAt(Goal::Evaluate) || opts.goal == Goal::Evaluate) return;
  if (opts.goal == Goal::Emit) {
    // An intermediate embeds the topology only when the configuration lowers; its refusals are
    // not errors (the object may be linked with another main).
    front::DiagEngine scratch(c.sources);
    p.module = generate(c, topology(c, scratch));
    failedAt(Goal::Compile);
    return;
  }
  p.topology = topology(c, *c.diags);
  if (failedAt(Goal::Serve) || opts.goal == Goal::Serve) return;
  p.module = generate(c, p.topology);
  failedAt(Goal::Compile);
}

Options frontOptions(Options opts) {
  opts.goal = Goal::Check;  // the back half runs the supported-check
  return opts;
}

}  // namespace

Product build(const std::vector<std::string>& paths, const Options& opts, const front::EnvLookup& env) {
  Product p{compile(paths, frontOptions(opts), env), {}, nullptr, std::nullopt};
  backHalf(p, opts);
  return p;
}

Product buildText(const std::string& name, const std::string& text, const Options& opts,
                  const front::EnvLookup& env) {
  Product p{compileText(name, text, frontOptions(opts), env), {}, nullptr, std::nullopt};
  backHalf(p, opts);
  return p;
}

std::unique_ptr<interp::Engine> makeEngine(const std::string& name, const ir::Program& p, std::string& err) {
  if (name == "interp") return std::make_unique<interp::Interpreter>(p);
  if (name != "jit" && name != "aot") {
    err = "unknown engine '" + name + "' (expected interp, jit or aot)";
    return nullptr;
  }
  codegen::Result r = codegen::generate(p, {});
  if (!r.ok()) {
    err = r.error;
    return nullptr;
  }
  if (name == "jit") return jit::makeEngine(std::move(r.module), err);
  return aot::makeEngine(*r.module, err);
}

}  // namespace lbc::driver

// The back half of the one pipeline (driver.h is the front half): supported-check for serving,
// lower to the runtime's topology, encode it, codegen; and the execution engines over a program.
// Commands and tests call build() and makeEngine(); none chains lower/encode/codegen itself.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "codegen/codegen.h"
#include "driver/driver.h"
#include "interp/engine.h"

namespace lbc::driver {

struct Product {
  std::unique_ptr<Compilation> c;
  std::vector<uint8_t> topology;  // encoded (goals Serve and Compile; Emit when it lowers)
  codegen::ModulePtr module;      // goals Compile and Emit
  // The step whose errors stopped the pipeline: Check (the configuration is invalid), Evaluate or
  // Serve (valid, but not supported), Compile (codegen).
  std::optional<Goal> failed;
  bool ok() const { return c->ok(); }
};

// Runs the pipeline on `paths` up to `opts.goal` (any goal). Errors are in c->diags.
Product build(const std::vector<std::string>& paths, const Options& opts, const front::EnvLookup& env);
Product buildText(const std::string& name, const std::string& text, const Options& opts,
                  const front::EnvLookup& env);

// An engine evaluating `p` (which must outlive it and have passed goal Evaluate): "interp", "jit"
// (codegen + ORC JIT) or "aot" (codegen + object + shared object). nullptr + `err` otherwise.
std::unique_ptr<interp::Engine> makeEngine(const std::string& name, const ir::Program& p, std::string& err);

}  // namespace lbc::driver

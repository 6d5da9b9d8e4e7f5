// The one pipeline every lbc command and test calls:
//   parse -> preprocess -> sema -> lint -> supported-check -> lower -> encode topology -> codegen
// This header is the front half (LLVM-free, no runtime): up to the supported-check. The back half
// (lower, topology, codegen, engines) is driver/pipeline.h. No command chains the steps itself.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "driver/supported.h"
#include "front/diag.h"
#include "front/source.h"
#include "front/words.h"
#include "ir/ir.h"
#include "sema/sema.h"

namespace lbc::driver {

// How far the pipeline goes; each goal includes the ones before it.
enum class Goal : uint8_t {
  Check,     // parse, sema, lint: `lbc check`
  Evaluate,  // + what every engine needs to evaluate the rules: `lbc route`, tests/exec
  Serve,     // + what the runtime serves, lower, encode the topology: `lbc run --engine=interp`
  Compile,   // + codegen, the topology embedded: `lbc run`, `lbc build`
  Emit,      // codegen of an intermediate (`lbc build --emit`, a test main): the rules must be
             // supported; the topology is embedded only when the configuration lowers
};

struct Options {
  sema::Options sema;
  Goal goal = Goal::Check;
};

struct Compilation {
  front::SourceManager sources;
  std::unique_ptr<front::DiagEngine> diags = std::make_unique<front::DiagEngine>(sources);
  ir::Program program;
  std::vector<std::string> files;  // paths, in load order (file id = index + 1)
  bool ok() const { return diags->errorCount() == 0; }
};

// Expands directories into their *.cfg files in lexical order, as `haproxy -f DIR` does.
std::vector<std::string> expandPaths(const std::vector<std::string>& paths, std::string& error);

// The front half for `paths` (files or directories): goal Check or Evaluate.
std::unique_ptr<Compilation> compile(const std::vector<std::string>& paths, const Options& opts,
                                     const front::EnvLookup& env);
// The same for in-memory text (tests, fuzzing).
std::unique_ptr<Compilation> compileText(const std::string& name, const std::string& text,
                                         const Options& opts, const front::EnvLookup& env);
// Goal Check.
std::unique_ptr<Compilation> compile(const std::vector<std::string>& paths, const sema::Options& opts,
                                     const front::EnvLookup& env);
std::unique_ptr<Compilation> compileText(const std::string& name, const std::string& text,
                                         const sema::Options& opts, const front::EnvLookup& env);

}  // namespace lbc::driver

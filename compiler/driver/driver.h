// The front half of every lbc command: load files, parse, preprocess, analyse.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "front/diag.h"
#include "front/source.h"
#include "front/words.h"
#include "ir/ir.h"
#include "sema/sema.h"

namespace lbc::driver {

struct Compilation {
  front::SourceManager sources;
  std::unique_ptr<front::DiagEngine> diags = std::make_unique<front::DiagEngine>(sources);
  ir::Program program;
  std::vector<std::string> files;  // paths, in load order (file id = index + 1)
  bool ok() const { return diags->errorCount() == 0; }
};

// Expands directories into their *.cfg files in lexical order, as `haproxy -f DIR` does.
std::vector<std::string> expandPaths(const std::vector<std::string>& paths, std::string& error);

// Loads and analyses `paths` (files or directories).
std::unique_ptr<Compilation> compile(const std::vector<std::string>& paths, const sema::Options& opts,
                                     const front::EnvLookup& env);
// Analyses in-memory text (tests, fuzzing).
std::unique_ptr<Compilation> compileText(const std::string& name, const std::string& text, const sema::Options& opts,
                                         const front::EnvLookup& env);

}  // namespace lbc::driver

// Semantic analysis: syntax tree -> IR, through the keyword registry.
#pragma once
#include <optional>
#include <vector>

#include "front/diag.h"
#include "front/syntax.h"
#include "ir/ir.h"

namespace lbc::sema {

struct Options {
  bool resolve_hosts = true;  // resolve server/bind host names, as haproxy -c does
  bool check_files = true;    // crt, ca-file, errorfile, -f pattern files must exist
  bool lint = true;           // lbc's warnings beyond HAProxy's (unused ACL, dead rules, ...)
};

// Analyses the files in order (as HAProxy concatenates several -f files). Returns the program
// even when errors were reported (for --dump-ir of partial input); callers check the diags.
ir::Program analyze(std::vector<front::File>& files, front::DiagEngine& diags, const Options& opts);

}  // namespace lbc::sema

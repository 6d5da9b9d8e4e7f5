// IR -> the runtime's topology (runtime/include/lbc/rt/topology.h). What the runtime cannot
// serve yet is refused here as an error at the configuration line (never silently dropped).
#pragma once
#include "front/diag.h"
#include "front/source.h"
#include "ir/ir.h"
#include "lbc/rt/topology.h"

namespace lbc::lower {

// Returns false when an error was reported; `out` is complete only on success.
bool lowerProgram(const ir::Program& prog, const front::SourceManager& sm, front::DiagEngine& diags,
                  rt::Topology& out);

}  // namespace lbc::lower

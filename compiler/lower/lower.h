// IR -> the runtime's topology (runtime/include/lbc/rt/topology.h). The driver runs the
// supported-check (driver/supported.cpp) first: what the runtime cannot serve is refused there.
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

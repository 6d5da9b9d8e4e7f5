// "Can lbc execute this?" decided in one place. Sema has already refused every keyword whose
// registry status is Unsupported or Removed; this pass refines that status with the named
// conditions below, for constructs the registry accepts but a back end or the runtime does not
// implement yet (a value of an argument, a combination, a keyword in one mode). Engines, lower
// and codegen then assume a program that passed.
#pragma once
#include <cstdint>

#include "front/diag.h"
#include "ir/ir.h"

namespace lbc::driver {

enum class Need : uint8_t {
  Rules,    // the rules are evaluated (`lbc route`, the differential tests): every engine
  Serving,  // `lbc run` and built executables serve it: the rules and the runtime's features
};

// Reports each unsupported construct as an error at its location. True when there is none.
bool checkSupported(const ir::Program& p, Need need, front::DiagEngine& diags);

}  // namespace lbc::driver

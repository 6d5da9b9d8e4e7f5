// What codegen knows before generating anything, LLVM-free so `lbc check` can report it too:
// conditions whose value is fixed at compile time (always_true / always_false terms) and rules
// that can never run (a condition that is always false, or a rule after an unconditional final
// rule of the same list).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "ir/ir.h"

namespace lbc::codegen {

enum class Fixed { Fail, Pass, Unknown };

Fixed termValue(const ir::AclTerm& t);
Fixed aclValue(const ir::Acl& a);
// The condition's verdict including `unless`; Unknown when it depends on the transaction.
Fixed conditionValue(const ir::Proxy& px, const ir::Condition& c);

// The dead-rule lint, one warning per rule that can never run: after an unconditional final
// rule of the same list (named, with a note where that rule is), then, when `fixed_conditions`
// (the IR has no errors, so conditions can be evaluated), every other rule (tcp/http rules,
// use_backend, default_backend) that can never run because a condition's value is fixed.
struct Lint {
  ir::SourceLoc loc;
  std::string message;
  ir::SourceLoc note_loc;  // invalid: no note
  std::string note;
};
std::vector<Lint> deadRuleLint(const ir::Program& p, bool fixed_conditions);
// Per proxy: which of Proxy::rules / Proxy::use_backends are dead.
std::vector<bool> deadActionRules(const ir::Proxy& px);
std::vector<bool> deadUseBackends(const ir::Proxy& px);
bool deadDefaultBackend(const ir::Proxy& px);

}  // namespace lbc::codegen

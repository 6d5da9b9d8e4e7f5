// Prints the normalized IR (defaults applied, ACLs resolved) for `lbc check --dump-ir` and the
// golden IR tests. The output is stable: same program, same text.
#pragma once
#include <iosfwd>
#include <string>
#include <vector>

#include "ir/ir.h"

namespace lbc::ir {

// `files[i]` is the path of file id i+1 (for locations).
void print(std::ostream& out, const Program& p, const std::vector<std::string>& files);
std::string formatDuration(uint64_t ms);
std::string formatAddress(const Address& a);

}  // namespace lbc::ir

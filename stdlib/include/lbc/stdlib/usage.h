// Which registry keywords a configuration used, and the registry-wide coverage check built on it.
// Sema notes each keyword it resolves; `lbc run` writes the set to $LBC_KEYWORD_USAGE_DIR when
// that is set (tools/test sets it for the whole suite), and `lbc keywords --coverage DIR` fails
// when a keyword the registry marks supported was used by no configuration `lbc run` served.
#pragma once
#include <iosfwd>
#include <string>

#include "lbc/stdlib/registry.h"

namespace lbc::stdlib {

void noteUse(const DirectiveInfo& d);
void noteUse(const OptionInfo& o);
void noteUse(const BindOptInfo& b);
void noteUse(const ServerOptInfo& s);
void noteUse(const FetchInfo& f);
void noteUse(const ConvInfo& c);
void noteUse(const ActionInfo& a);

// One line per keyword noted so far: "<table>\t<index>\t<name>".
void writeUsage(std::ostream& out);

// Reads every file of `dir` written by writeUsage, prints each supported keyword that none of them
// names, and returns how many there are (0: every supported keyword was used).
size_t reportCoverage(const std::string& dir, std::ostream& out);

}  // namespace lbc::stdlib

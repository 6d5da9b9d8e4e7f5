#include "lbc/stdlib/keywords_doc.h"

#include <ostream>
#include <string>

#include "lbc/stdlib/registry.h"

namespace lbc::stdlib {
namespace {

const char* statusText(Status s) {
  switch (s) {
    case Status::Supported:
      return "supported";
    case Status::Unsupported:
      return "not yet";
    case Status::Removed:
      return "removed";
  }
  return "?";
}

std::string sections(uint32_t mask) {
  std::string s;
  for (uint32_t b = 1; b <= kLogForward; b <<= 1)
    if (mask & b) s += (s.empty() ? "" : ", ") + std::string(sectionName(static_cast<SectionMask>(b)));
  return s;
}

std::string ruleSets(uint32_t mask) {
  std::string s;
  for (uint32_t b = 1; b <= kHttpAfterRes; b <<= 1)
    if (mask & b) s += (s.empty() ? "" : ", ") + std::string(ruleSetName(static_cast<RuleSetMask>(b)));
  return s;
}

std::string cell(std::string_view v) {
  std::string s;
  for (char c : v) s += c == '|' ? std::string("\\|") : std::string(1, c);
  return s;
}

template <typename T>
size_t countSupported(std::span<const T> t) {
  size_t n = 0;
  for (const auto& e : t) n += e.status == Status::Supported;
  return n;
}

}  // namespace

void writeKeywordsMarkdown(std::ostream& o) {
  o << "# lbc keyword reference\n\n"
       "Generated from the keyword registry (`stdlib/registry/*.def`) by `lbc keywords`; do not edit.\n"
       "Every keyword HAProxy 2.6 knows is listed. *supported*: lbc implements it; *not yet*: `lbc check`\n"
       "rejects it with \"unsupported keyword\"; *removed*: HAProxy removed it, and lbc names the "
       "replacement.\n\n";
  o << "## Directives\n\n"
    << countSupported(directives()) << " supported of " << directives().size() << ".\n\n"
    << "| keyword | sections | status | description |\n|---|---|---|---|\n";
  for (const auto& d : directives())
    o << "| `" << d.name << "` | " << sections(d.sections) << " | " << statusText(d.status)
      << (d.status == Status::Removed ? " (use `" + std::string(d.replacement) + "`)" : "") << " | "
      << cell(d.doc) << " |\n";
  o << "\n## Proxy options (`option ...`)\n\n"
    << countSupported(options()) << " supported of " << options().size()
    << ".\n\n| option | sections | status | description |\n|---|---|---|---|\n";
  for (const auto& d : options())
    o << "| `" << d.name << "` | " << sections(d.sections) << " | " << statusText(d.status)
      << (d.status == Status::Removed ? " (use `" + std::string(d.replacement) + "`)" : "") << " | "
      << cell(d.doc) << " |\n";
  o << "\n## Bind options\n\n| option | arguments | status | description |\n|---|---|---|---|\n";
  for (const auto& d : bindOptions())
    o << "| `" << d.name << "` | " << d.nargs << " | " << statusText(d.status) << " | " << cell(d.doc)
      << " |\n";
  o << "\n## Server options\n\n| option | arguments | status | description |\n|---|---|---|---|\n";
  for (const auto& d : serverOptions())
    o << "| `" << d.name << "` | " << d.nargs << " | " << statusText(d.status) << " | " << cell(d.doc)
      << " |\n";
  o << "\n## Actions\n\n| action | rule sets | status | description |\n|---|---|---|---|\n";
  for (const auto& d : actions())
    o << "| `" << d.name << (d.prefix ? "(...)" : "") << "` | " << ruleSets(d.rulesets) << " | "
      << statusText(d.status) << " | " << cell(d.doc) << " |\n";
  o << "\n## Sample fetches\n\n"
    << countSupported(fetches()) << " supported of " << fetches().size()
    << ".\n\n| fetch | arguments | type | status | description |\n|---|---|---|---|---|\n";
  for (const auto& d : fetches())
    o << "| `" << d.name << "` | " << cell(d.args) << " | " << smpTypeName(d.out) << " | "
      << statusText(d.status) << " | " << cell(d.doc) << " |\n";
  o << "\n## Converters\n\n"
    << countSupported(converters()) << " supported of " << converters().size()
    << ".\n\n| converter | arguments | input | output | status | description |\n|---|---|---|---|---|---|\n";
  for (const auto& d : converters())
    o << "| `" << d.name << "` | " << cell(d.args) << " | " << smpTypeName(d.in) << " | "
      << smpTypeName(d.out) << " | " << statusText(d.status) << " | " << cell(d.doc) << " |\n";
  o << "\n## ACL keywords\n\n| keyword | fetch | match |\n|---|---|---|\n";
  for (const auto& d : aclKeywords())
    o << "| `" << d.name << "` | `" << d.fetch << "` | " << matchMethodName(d.method) << " |\n";
  o << "\n## Predefined ACLs\n\n| name | meaning | description |\n|---|---|---|\n";
  for (const auto& d : predefinedAcls())
    o << "| `" << d.name << "` | `" << d.expr << "` | " << cell(d.doc) << " |\n";
}

}  // namespace lbc::stdlib

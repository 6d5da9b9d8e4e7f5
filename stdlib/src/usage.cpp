#include "lbc/stdlib/usage.h"

#include <array>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <set>
#include <sstream>
#include <vector>

namespace lbc::stdlib {
namespace {

// The tables with a status column, in docs/keywords.md's order.
enum Table : int { kDirective, kOption, kBind, kServer, kAction, kFetch, kConverter, kTables };
constexpr std::array<const char*, kTables> kTableNames = {
    "directive", "option", "bind option", "server option", "action", "fetch", "converter"};

std::set<std::pair<int, size_t>>& used() {
  static std::set<std::pair<int, size_t>> s;
  return s;
}

template <typename T>
void note(int table, std::span<const T> all, const T& e) {
  if (&e >= all.data() && &e < all.data() + all.size())
    used().emplace(table, static_cast<size_t>(&e - all.data()));
}

template <typename T>
std::string_view nameAt(std::span<const T> all, size_t i) {
  return i < all.size() ? all[i].name : std::string_view("?");
}

std::string_view nameOf(int table, size_t i) {
  switch (table) {
    case kDirective:
      return nameAt(directives(), i);
    case kOption:
      return nameAt(options(), i);
    case kBind:
      return nameAt(bindOptions(), i);
    case kServer:
      return nameAt(serverOptions(), i);
    case kAction:
      return nameAt(actions(), i);
    case kFetch:
      return nameAt(fetches(), i);
    case kConverter:
      return nameAt(converters(), i);
  }
  return "?";
}

template <typename T>
size_t missing(int table, std::span<const T> all, const std::set<std::pair<int, size_t>>& seen,
               std::ostream& out) {
  size_t n = 0;
  std::ostringstream names;
  for (size_t i = 0; i < all.size(); ++i) {
    if (all[i].status != Status::Supported || seen.contains({table, i})) continue;
    names << (n ? ", " : "") << all[i].name;
    ++n;
  }
  if (n) out << kTableNames[table] << " (" << n << "): " << names.str() << "\n";
  return n;
}

}  // namespace

void noteUse(const DirectiveInfo& d) {
  note(kDirective, directives(), d);
}
void noteUse(const OptionInfo& o) {
  note(kOption, options(), o);
}
void noteUse(const BindOptInfo& b) {
  note(kBind, bindOptions(), b);
}
void noteUse(const ServerOptInfo& s) {
  note(kServer, serverOptions(), s);
}
void noteUse(const FetchInfo& f) {
  note(kFetch, fetches(), f);
}
void noteUse(const ConvInfo& c) {
  note(kConverter, converters(), c);
}
void noteUse(const ActionInfo& a) {
  note(kAction, actions(), a);
}

void writeUsage(std::ostream& out) {
  for (const auto& [table, i] : used())
    out << kTableNames[table] << '\t' << i << '\t' << nameOf(table, i) << '\n';
}

size_t reportCoverage(const std::string& dir, std::ostream& out) {
  std::set<std::pair<int, size_t>> seen;
  size_t files = 0;
  std::error_code ec;
  for (const auto& f : std::filesystem::directory_iterator(dir, ec)) {
    std::ifstream in(f.path());
    std::string line;
    ++files;
    while (std::getline(in, line)) {
      std::istringstream ls(line);
      std::string table, index;
      if (!std::getline(ls, table, '\t') || !std::getline(ls, index, '\t')) continue;
      for (int t = 0; t < kTables; ++t)
        if (table == kTableNames[t]) seen.emplace(t, std::stoul(index));
    }
  }
  out << "keyword coverage: " << files << " configuration(s) served by 'lbc run' under " << dir << "\n";
  size_t n = missing(kDirective, directives(), seen, out) + missing(kOption, options(), seen, out) +
             missing(kBind, bindOptions(), seen, out) + missing(kServer, serverOptions(), seen, out) +
             missing(kAction, actions(), seen, out) + missing(kFetch, fetches(), seen, out) +
             missing(kConverter, converters(), seen, out);
  out << (n ? std::to_string(n) + " supported keyword(s) used by no configuration that 'lbc run' served\n"
            : "every supported keyword was used by a configuration that 'lbc run' served\n");
  return files ? n : n + 1;
}

}  // namespace lbc::stdlib

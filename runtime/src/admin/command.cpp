// The CLI's line parser and dispatcher. HAProxy 2.6 (cli_parse_request): words are separated by
// spaces or tabs, a backslash takes the next character literally, an unescaped `;` ends a
// command; each command's answer is followed by an empty line (and the prompt in interactive
// mode).
#include "admin/command.h"

namespace lbc::rt {
namespace {

struct Entry {
  const char* words;
  CliLevel level;
  const char* help;
  void (*run)(CliContext&, const std::vector<std::string>&);
};

constexpr Entry kTable[] = {
#define LBC_CLI_ENTRY(id, words, level, help) {words, CliLevel::level, help, &cli_##id},
    LBC_CLI_COMMANDS(LBC_CLI_ENTRY)
#undef LBC_CLI_ENTRY
};

constexpr size_t kMaxArgs = 64;  // HAProxy's MAX_CLI_ARGS

bool leads(const char* words, const std::vector<std::string>& args) {
  std::string_view w(words);
  size_t i = 0;
  while (!w.empty()) {
    size_t sp = w.find(' ');
    std::string_view head = w.substr(0, sp);
    if (i >= args.size() || args[i] != head) return false;
    ++i;
    w = sp == std::string_view::npos ? std::string_view() : w.substr(sp + 1);
  }
  return true;
}

void listCommands(CliContext& ctx, const char* title) {
  ctx.out += title;
  for (const Entry& e : kTable)
    if (e.help[0]) ctx.out += std::string("  ") + e.help + "\n";
}

}  // namespace

std::vector<std::vector<std::string>> splitLine(std::string_view line) {
  std::vector<std::vector<std::string>> cmds(1);
  std::string word;
  bool in_word = false;
  auto endWord = [&] {
    if (in_word && cmds.back().size() < kMaxArgs) cmds.back().push_back(word);
    word.clear();
    in_word = false;
  };
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (c == '\\' && i + 1 < line.size()) {
      word += line[++i];
      in_word = true;
    } else if (c == ' ' || c == '\t') {
      endWord();
    } else if (c == ';') {
      endWord();
      cmds.emplace_back();
    } else if (c == '\r' && i + 1 == line.size()) {
      // a trailing CR (telnet) is not part of the command
    } else {
      word += c;
      in_word = true;
    }
  }
  endWord();
  return cmds;
}

CliCommand findCommand(const std::vector<std::string>& args) {
  for (size_t i = 0; i < std::size(kTable); ++i)
    if (leads(kTable[i].words, args)) return CliCommand(i);
  return CliCommand::kCount;
}

void runCommand(CliContext& ctx, const std::vector<std::string>& args) {
  CliCommand c = findCommand(args);
  if (c == CliCommand::kCount) {
    listCommands(ctx, "Unknown command. Please enter one of the following commands only:\n");
    return;
  }
  const Entry& e = kTable[size_t(c)];
  if (ctx.level < e.level) {
    ctx.out += "Permission denied\n";
    return;
  }
  e.run(ctx, args);
}

void runLine(CliContext& ctx, std::string_view line) {
  for (const auto& args : splitLine(line)) {
    if (ctx.quit) break;
    runCommand(ctx, args);
    if (ctx.quit) break;
    ctx.out += ctx.prompt ? "\n> " : "\n";
  }
}

void cli_help(CliContext& ctx, const std::vector<std::string>&) {
  listCommands(ctx, "The following commands are valid at this level:\n");
}

void cli_prompt(CliContext& ctx, const std::vector<std::string>&) {
  ctx.prompt = !ctx.prompt;
}

void cli_quit(CliContext& ctx, const std::vector<std::string>&) {
  ctx.quit = true;
}

}  // namespace lbc::rt

// The stats socket's commands: a line is split into `;`-separated commands and words as HAProxy
// 2.6's CLI does, and each command is looked up in one table (LBC_CLI_COMMANDS) that gives its
// words, the level it needs, its `help` line and its handler.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/generation.h"
#include "lbc/rt/topology.h"

namespace lbc::rt {

class LiveState;

// What a command runs against, and what it changes of its connection.
struct CliContext {
  LiveState* state = nullptr;
  const Generation* gen = nullptr;
  const GlobalSpec* global = nullptr;
  CliLevel level = CliLevel::User;
  uint64_t now_ms = 0;        // the loop's monotonic clock (stick table expiry)
  uint64_t start_wall_s = 0;  // process start, wall clock
  bool prompt = false;        // interactive mode
  bool quit = false;          // close after this line
  // `show stat`: only these proxies (the stats page's scope); server addresses and algorithms
  // (HAProxy's STAT_SHLGNDS: the CLI shows them, the page with `stats show-legends`).
  const std::vector<std::string>* scope = nullptr;
  bool legends = true;
  std::string out;
};

// X(id, words, level, help): `words` are the leading words that select the command ("show stat");
// an empty help line keeps the command out of `help` (HAProxy lists every keyword it knows).
#define LBC_CLI_COMMANDS(X)                                                                                  \
  X(clear_table, "clear table", User,                                                                        \
    "clear table <table> [<filter>]*         : remove an entry from a table (filter: data/key)")             \
  X(disable_server, "disable server", Admin,                                                                 \
    "disable server (DEPRECATED)             : disable a server for maintenance (use 'set server' instead)") \
  X(enable_server, "enable server", Admin,                                                                   \
    "enable server  (DEPRECATED)             : enable a disabled server (use 'set server' instead)")         \
  X(get_weight, "get weight", User,                                                                          \
    "get weight <bk>/<srv>                   : report a server's current weight")                            \
  X(set_server, "set server", Admin,                                                                         \
    "set server <bk>/<srv> [opts]            : change a server's state, weight, address or ssl")             \
  X(set_table, "set table", User,                                                                            \
    "set table <table> key <k> [data.* <v>]* : update or create a table entry's data")                       \
  X(set_weight, "set weight", Admin,                                                                         \
    "set weight <bk>/<srv>  (DEPRECATED)     : change a server's weight (use 'set server' instead)")         \
  X(show_backend, "show backend", User,                                                                      \
    "show backend                            : list backends in the current running config")                 \
  X(show_info, "show info", User,                                                                            \
    "show info [desc|json|typed|float]*      : report information about the running process")                \
  X(show_servers_state, "show servers state", User,                                                          \
    "show servers state [<backend>]          : dump volatile server information (all or for a single "       \
    "backend)")                                                                                              \
  X(show_stat, "show stat", User,                                                                            \
    "show stat [desc|json|no-maint|typed|up]*: report counters for each proxy and server")                   \
  X(show_table, "show table", User,                                                                          \
    "show table <table> [<filter>]*          : report table usage stats or dump this table's contents "      \
    "(filter: data/key)")                                                                                    \
  X(show_version, "show version", User,                                                                      \
    "show version                            : show version of the current process")                         \
  X(help, "help", User, "help [<command>]                        : list matching or all commands")           \
  X(prompt, "prompt", User, "prompt                                  : toggle interactive mode with prompt") \
  X(quit, "quit", User, "quit                                    : disconnect")

enum class CliCommand : uint8_t {
#define LBC_CLI_ENUM(id, words, level, help) id,
  LBC_CLI_COMMANDS(LBC_CLI_ENUM)
#undef LBC_CLI_ENUM
      kCount
};

// One command of a line, split into words (backslash escapes a space or a `;`).
std::vector<std::vector<std::string>> splitLine(std::string_view line);
// The table entry whose words lead `args`, or kCount.
CliCommand findCommand(const std::vector<std::string>& args);
// Runs one command (its words) and appends the answer to ctx.out.
void runCommand(CliContext& ctx, const std::vector<std::string>& args);
// Runs a whole line: every command, each answer followed by the empty line HAProxy ends it with.
void runLine(CliContext& ctx, std::string_view line);

// The handlers (one file per family).
#define LBC_CLI_DECL(id, words, level, help) \
  void cli_##id(CliContext& ctx, const std::vector<std::string>& args);
LBC_CLI_COMMANDS(LBC_CLI_DECL)
#undef LBC_CLI_DECL

// Helpers the families share.
const char* cliVersion();
// `<backend>/<server>` of the current generation: false with HAProxy's message in ctx.out.
struct ServerState;
class Backend;
ServerState* findServer(CliContext& ctx, std::string_view arg, Backend** be = nullptr);

}  // namespace lbc::rt

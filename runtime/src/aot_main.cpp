// main() of an executable built by `lbc build`: the emitted object defines the program.
#include <cstdio>

#include "lbc/rt/run.h"

extern "C" const lbc_program lbc_compiled_program;

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  lbc::rt::RunFlags flags;
  std::string err;
  if (!lbc::rt::parseRunFlags(args, flags, err)) {
    std::fprintf(stderr, "%s: %s\nusage: %s [flags]\n%s", argv[0], err.c_str(), argv[0],
                 lbc::rt::runFlagsHelp());
    return 1;
  }
  if (!flags.rest.empty()) {
    std::fprintf(stderr, "%s: unexpected argument '%s': the configuration is built in\n", argv[0],
                 flags.rest.front().c_str());
    return 1;
  }
  return lbc::rt::serve(&lbc_compiled_program, flags);
}

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
  // As the JIT's CompiledProgram does for `lbc run`: init once before the first hook (regexes,
  // maps), fini when serving ends.
  const lbc_program* p = &lbc_compiled_program;
  if (p->magic == LBC_PROGRAM_MAGIC && p->abi_version == LBC_ABI_VERSION && p->init && p->init() != 0) {
    std::fprintf(stderr, "%s: the compiled program failed to initialise (a regex or map)\n", argv[0]);
    if (p->fini) p->fini();
    return 1;
  }
  int code = lbc::rt::serve(p, flags);
  if (p->magic == LBC_PROGRAM_MAGIC && p->abi_version == LBC_ABI_VERSION && p->fini) p->fini();
  return code;
}

// `lbc run [flags] CONFIG...`: compile, lower to the runtime topology, serve.
#include <iostream>

#include "commands.h"
#include "driver/driver.h"
#include "lbc/rt/run.h"
#include "lower/lower.h"

namespace lbc::cli {

int cmdRun(const std::vector<std::string>& args) {
  rt::RunFlags flags;
  std::string err;
  if (!rt::parseRunFlags(args, flags, err)) {
    std::cerr << "lbc: run: " << err << "\nusage: lbc run [flags] CONFIG...\n" << rt::runFlagsHelp();
    return 2;
  }
  if (flags.rest.empty()) {
    std::cerr << "lbc: run: no configuration file given\nusage: lbc run [flags] CONFIG...\n"
              << rt::runFlagsHelp();
    return 2;
  }
  sema::Options opts;
  auto c = driver::compile(flags.rest, opts, front::processEnv());
  rt::Topology topo;
  bool ok = c->ok() && lower::lowerProgram(c->program, c->sources, *c->diags, topo);
  if (!ok || (c->diags->warningCount() && !flags.quiet)) c->diags->render(std::cerr, front::DiagFormat::Text);
  if (!ok) {
    std::cerr << "lbc: cannot run: " << c->diags->errorCount() << " error"
              << (c->diags->errorCount() == 1 ? "" : "s") << "\n";
    return 1;
  }
  std::vector<uint8_t> bytes = rt::encodeTopology(topo);
  c.reset();  // the IR and sources are no longer needed while serving
  lbc_program program{};
  program.magic = LBC_PROGRAM_MAGIC;
  program.abi_version = LBC_ABI_VERSION;
  program.topology = bytes.data();
  program.topology_size = bytes.size();
  return rt::serve(&program, flags);
}

}  // namespace lbc::cli

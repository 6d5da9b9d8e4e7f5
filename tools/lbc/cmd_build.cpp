// `lbc build CFG... -o BIN`: compile ahead of time. The default output is a standalone executable
// (the emitted object + the runtime and stdlib archives of this build); --emit=llvm|asm|obj
// writes the intermediate instead.
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "aot/aot.h"
#include "codegen/codegen.h"
#include "commands.h"
#include "driver/driver.h"
#include "lbc/rt/topology.h"
#include "lower/lower.h"

namespace lbc::cli {

namespace {

void buildUsage(std::ostream& o) {
  o << "usage: lbc build CONFIG... -o OUTPUT [--emit=exe|obj|asm|llvm] [--cpu=NAME|native] [--no-resolve]\n";
}

}  // namespace

int cmdBuild(const std::vector<std::string>& args) {
  std::vector<std::string> paths;
  std::string output, emit = "exe", cpu, main_override;
  sema::Options opts;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-o" && i + 1 < args.size())
      output = args[++i];
    else if (a.rfind("--emit=", 0) == 0)
      emit = a.substr(7);
    else if (a.rfind("--cpu=", 0) == 0)
      cpu = a.substr(6);
    // Links another object or archive in place of the runtime's main (tests link a runner).
    else if (a.rfind("--main=", 0) == 0)
      main_override = a.substr(7);
    else if (a == "--no-resolve")
      opts.resolve_hosts = false;
    else if (a == "-h" || a == "--help") {
      buildUsage(std::cout);
      return 0;
    } else if (!a.empty() && a[0] == '-') {
      std::cerr << "lbc: unknown option '" << a << "' for 'build'\n";
      buildUsage(std::cerr);
      return 2;
    } else
      paths.push_back(a);
  }
  if (paths.empty() || output.empty()) {
    std::cerr << "lbc: 'build' needs configuration files and -o OUTPUT\n";
    buildUsage(std::cerr);
    return 2;
  }
  if (emit != "exe" && emit != "obj" && emit != "asm" && emit != "llvm") {
    std::cerr << "lbc: unknown --emit kind '" << emit << "': expected exe, obj, asm or llvm\n";
    return 2;
  }
  if (emit == "exe" && main_override.empty() && !aot::haveMainArchive()) {
    std::cerr << "lbc: this lbc was built without the runtime's main (lbc_rt_aot_main), so it cannot link an "
                 "executable; --emit=obj|asm|llvm still work\n";
    return 2;
  }

  auto c = driver::compile(paths, opts, front::processEnv());
  if (!c->ok()) {
    c->diags->render(std::cerr, front::DiagFormat::Text);
    std::cerr << "lbc: configuration is invalid: " << c->diags->errorCount() << " error(s)\n";
    return 1;
  }
  // The topology (binds, proxies, servers, timeouts) travels in the object as the runtime's
  // encoding, so the executable starts the runtime exactly as `lbc run` does. A serving
  // executable needs it; an --emit file or a test main can do without when lowering refuses.
  codegen::Options copts;
  {
    rt::Topology topo;
    const bool serving = emit == "exe" && main_override.empty();
    if (serving) {
      if (!lower::lowerProgram(c->program, c->sources, *c->diags, topo)) {
        c->diags->render(std::cerr, front::DiagFormat::Text);
        std::cerr << "lbc: cannot build: " << c->diags->errorCount() << " error(s)\n";
        return 1;
      }
      copts.topology = rt::encodeTopology(topo);
    } else {
      front::DiagEngine scratch(c->sources);
      if (lower::lowerProgram(c->program, c->sources, scratch, topo))
        copts.topology = rt::encodeTopology(topo);
      else
        std::cerr << "lbc: note: no topology embedded (the runtime cannot serve this configuration yet)\n";
    }
  }
  codegen::Result r = codegen::generate(c->program, copts);
  // Sema already warns about rules after an unconditional final rule: add only what it did not
  // see (e.g. conditions that are always false).
  for (const auto& w : r.warnings) {
    bool known = false;
    for (const auto& d : c->diags->all())
      known |= d.severity == front::Severity::Warning && d.loc.file == w.loc.file && d.loc.line == w.loc.line;
    if (!known) c->diags->warning(w.loc, w.message);
  }
  if (!r.ok()) c->diags->error(r.error_loc, r.error);
  c->diags->render(std::cerr, front::DiagFormat::Text);
  if (!r.ok()) return 1;

  aot::EmitOptions eo;
  eo.cpu = cpu;
  if (emit != "exe") {
    aot::EmitKind kind = emit == "obj"   ? aot::EmitKind::Obj
                         : emit == "asm" ? aot::EmitKind::Asm
                                         : aot::EmitKind::Llvm;
    std::string err = aot::emit(*r.module, kind, output, eo);
    if (!err.empty()) {
      std::cerr << "lbc: " << err << "\n";
      return 1;
    }
    return 0;
  }
  std::string obj = output + ".lbc-tmp.o";
  std::string err = aot::emit(*r.module, aot::EmitKind::Obj, obj, eo);
  if (err.empty()) {
    aot::LinkOptions lo;
    lo.objects = {obj};
    lo.output = output;
    lo.archives = aot::runtimeArchives();
    if (!main_override.empty()) {
      if (aot::haveMainArchive()) lo.archives.erase(lo.archives.begin());
      lo.objects.push_back(main_override);
    }
    lo.libs = aot::runtimeSystemLibs();
    lo.flags = aot::buildLinkFlags();
    err = aot::link(lo);
  }
  unlink(obj.c_str());
  if (!err.empty()) {
    std::cerr << "lbc: " << err << "\n";
    return 1;
  }
  return 0;
}

}  // namespace lbc::cli

// `lbc build CFG... -o BIN`: compile ahead of time. The default output is a standalone executable
// (the emitted object + the runtime and stdlib archives of this build); --emit=llvm|asm|obj
// writes the intermediate instead.
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "aot/aot.h"
#include "commands.h"
#include "driver/pipeline.h"

namespace lbc::cli {

namespace {

void buildUsage(std::ostream& o) {
  o << "usage: lbc build CONFIG... -o OUTPUT [--emit=exe|obj|asm|llvm] [--cpu=NAME|native] [--no-resolve]\n";
}

}  // namespace

int cmdBuild(const std::vector<std::string>& args) {
  std::vector<std::string> paths;
  std::string output, emit = "exe", cpu, main_override;
  driver::Options opts;
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
      opts.sema.resolve_hosts = false;
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

  // The executable serves like `lbc run`: the same checks and the same topology, embedded in the
  // program. Emitting an intermediate, or linking another main (tests), only embeds the topology
  // when the configuration lowers; lowering errors (e.g. 'mode http') are then not fatal.
  const bool serving = emit == "exe" && main_override.empty();
  opts.goal = serving ? driver::Goal::Compile : driver::Goal::Emit;
  driver::Product built = driver::build(paths, opts, front::processEnv());
  auto& c = built.c;
  c->diags->render(std::cerr, front::DiagFormat::Text);
  if (built.failed == driver::Goal::Check)
    std::cerr << "lbc: configuration is invalid: " << c->diags->errorCount() << " error(s)\n";
  else if (built.failed && built.failed != driver::Goal::Compile)
    std::cerr << "lbc: cannot build: " << c->diags->errorCount() << " error"
              << (c->diags->errorCount() == 1 ? "" : "s") << "\n";
  if (!built.ok()) return 1;
  codegen::Module& module = *built.module;

  aot::EmitOptions eo;
  eo.cpu = cpu;
  if (emit != "exe") {
    aot::EmitKind kind = emit == "obj"   ? aot::EmitKind::Obj
                         : emit == "asm" ? aot::EmitKind::Asm
                                         : aot::EmitKind::Llvm;
    std::string err = aot::emit(module, kind, output, eo);
    if (!err.empty()) {
      std::cerr << "lbc: " << err << "\n";
      return 1;
    }
    return 0;
  }
  std::string obj = output + ".lbc-tmp.o";
  std::string err = aot::emit(module, aot::EmitKind::Obj, obj, eo);
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

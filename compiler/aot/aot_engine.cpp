#include "aot/aot_engine.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <unistd.h>

#include "aot/aot.h"
#include "lbc/abi.h"

namespace lbc::aot {

namespace {

class AotEngine : public interp::ProgramEngine {
 public:
  AotEngine(void* handle, const lbc_program* p) : ProgramEngine("aot", p), handle_(handle) {}
  ~AotEngine() override {
    if (descriptor()->fini) descriptor()->fini();
    dlclose(handle_);
  }

 private:
  void* handle_;
};

// Removes the temporary directory and what is in it.
struct TempDir {
  std::string path;
  std::string obj() const { return path + "/program.o"; }
  std::string so() const { return path + "/program.so"; }
  ~TempDir() {
    if (path.empty()) return;
    unlink(obj().c_str());
    unlink(so().c_str());
    rmdir(path.c_str());
  }
};

}  // namespace

std::unique_ptr<interp::Engine> makeEngine(codegen::Module& module, std::string& err) {
  char tmpl[] = "/tmp/lbc-aot-XXXXXX";
  if (!mkdtemp(tmpl)) {
    err = "cannot create a temporary directory";
    return nullptr;
  }
  TempDir dir{tmpl};
  err = emit(module, EmitKind::Obj, dir.obj());
  if (!err.empty()) return nullptr;
  LinkOptions lo;
  lo.objects = {dir.obj()};
  lo.output = dir.so();
  lo.flags = {"-shared"};
  err = link(lo);
  if (!err.empty()) return nullptr;
  // RTLD_LOCAL: several programs may be loaded at once, each with its own lbc_compiled_program.
  void* h = dlopen(dir.so().c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    err = std::string("cannot load the compiled program: ") + dlerror();
    return nullptr;
  }
  auto* prog = static_cast<const lbc_program*>(dlsym(h, "lbc_compiled_program"));
  if (!prog || prog->magic != LBC_PROGRAM_MAGIC || prog->abi_version != LBC_ABI_VERSION) {
    err = "the shared object has no valid lbc_compiled_program";
    dlclose(h);
    return nullptr;
  }
  auto e = std::make_unique<AotEngine>(h, prog);
  if (prog->init && prog->init() != 0) {
    err = "the compiled program failed to initialise (a regex or map)";
    return nullptr;
  }
  return e;
}

}  // namespace lbc::aot

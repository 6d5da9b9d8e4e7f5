#include "jit/jit_engine.h"

#include "jit/jit.h"

namespace lbc::jit {

namespace {

class JitEngine : public interp::ProgramEngine {
 public:
  explicit JitEngine(ProgramRef prog) : ProgramEngine("jit", prog->program()), prog_(std::move(prog)) {}

 private:
  ProgramRef prog_;
};

}  // namespace

std::unique_ptr<interp::Engine> makeEngine(codegen::ModulePtr module, std::string& err) {
  LoadResult r = load(std::move(module));
  if (!r.program) {
    err = r.error;
    return nullptr;
  }
  return std::make_unique<JitEngine>(std::move(r.program));
}

}  // namespace lbc::jit

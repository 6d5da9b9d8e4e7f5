// An execution engine runs the hooks of a compiled configuration on a transaction. Every engine
// implements the same four entry points as the ABI's lbc_program; `evaluate` sequences them the
// way the runtime's analysers do, so the interpreter, the JIT and AOT are compared on equal terms.
// A new engine is one class: derive from Engine (or wrap an lbc_program in ProgramEngine).
#pragma once
#include <memory>
#include <string>

#include "interp/outcome.h"
#include "ir/ir.h"
#include "lbc/abi.h"
#include "lbc/rt/txn.h"

namespace lbc::interp {

// A rule hook of lbc_program: one of LBC_HOOKS' RULES entries (abi.h).
using Hook = ir::RuleSet;

class Engine {
 public:
  virtual ~Engine() = default;
  virtual const char* name() const = 0;
  // The descriptor whose proxy names the helpers use (txn.program).
  virtual const lbc_program* descriptor() const = 0;
  virtual int32_t hook(Hook h, rt::Txn& t, uint32_t proxy) = 0;      // LBC_HOOK_*
  virtual int32_t selectBackend(rt::Txn& t, uint32_t frontend) = 0;  // index or NONE
  virtual int32_t stick(rt::Txn& t, uint32_t proxy, uint32_t rule, lbc_smp* key) = 0;

  // Runs the whole transaction: tcp-request connection/session/content and http-request of the
  // frontend, backend selection, the backend's tcp-request content and http-request, stick
  // rules, then (when t.has_response) tcp-response, http-response, stick store-response and
  // http-after-response of the backend then the frontend. Stops at the first final verdict.
  Outcome evaluate(const ir::Program& p, rt::Txn& t);
};

// An engine over a compiled lbc_program (JIT or AOT): calls its function pointers. NULL hooks
// mean "no rules": CONTINUE, and the runtime's default backend choice.
class ProgramEngine : public Engine {
 public:
  ProgramEngine(const char* name, const lbc_program* prog) : name_(name), prog_(prog) {}
  const char* name() const override { return name_; }
  const lbc_program* descriptor() const override { return prog_; }
  int32_t hook(Hook h, rt::Txn& t, uint32_t proxy) override;
  int32_t selectBackend(rt::Txn& t, uint32_t frontend) override;
  int32_t stick(rt::Txn& t, uint32_t proxy, uint32_t rule, lbc_smp* key) override;

 private:
  const char* name_;
  const lbc_program* prog_;
};

}  // namespace lbc::interp

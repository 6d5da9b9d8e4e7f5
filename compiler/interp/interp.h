// The reference interpreter: evaluates the IR directly, rule by rule, ACL by ACL, pattern by
// pattern, calling the same stdlib helpers as compiled code. It is the oracle of the differential
// suite: plain loops, no caching, no cleverness.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "front/diag.h"
#include "interp/engine.h"
#include "ir/ir.h"

namespace lbc::interp {

class Interpreter : public Engine {
 public:
  // `p` must outlive the interpreter and have passed the driver's goal Evaluate (supported-check).
  explicit Interpreter(const ir::Program& p);
  ~Interpreter() override;
  const char* name() const override { return "interp"; }
  const lbc_program* descriptor() const override { return &desc_; }
  int32_t hook(Hook h, rt::Txn& t, uint32_t proxy) override;
  int32_t selectBackend(rt::Txn& t, uint32_t frontend) override;
  int32_t stick(rt::Txn& t, uint32_t proxy, uint32_t rule, lbc_smp* key) override;

 private:
  struct Args;
  int32_t cond(rt::Txn& t, const ir::Proxy& px, const ir::Condition& c);
  int32_t acl(rt::Txn& t, const ir::Acl& a);
  int32_t term(rt::Txn& t, const ir::AclTerm& term);
  bool matchOne(rt::Txn& t, const ir::AclTerm& term, const ir::Pattern& pat, lbc_smp smp);
  // Fetch + converters. Returns LBC_FETCH_*; `smp` keeps ctx/flags for iteration.
  int32_t sample(rt::Txn& t, const ir::SampleExpr& e, lbc_smp& smp);
  bool render(rt::Txn& t, const ir::LogFormat& lf, lbc_smp& out);
  int32_t action(rt::Txn& t, uint32_t proxy, const ir::Rule& r);
  int32_t reply(rt::Txn& t, const ir::Rule& r);
  const lbc_regex* regex(const std::string& text, bool icase);
  std::vector<lbc_arg>& argsOf(const std::vector<ir::Arg>& args, const char* helper);
  int32_t backendOf(rt::Txn& t, const ir::UseBackend& u);

  const ir::Program& p_;
  lbc_program desc_{};
  std::vector<const char*> names_;
  std::vector<uint8_t> caps_;
  std::map<std::pair<std::string, bool>, lbc_regex*> regexes_;
  std::map<const void*, std::pair<const char*, std::vector<lbc_arg>>> args_;
  std::map<std::string, std::string> files_;  // return/deny file bodies
};

}  // namespace lbc::interp

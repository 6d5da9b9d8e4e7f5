#include "codegen/analysis.h"

namespace lbc::codegen {

using stdlib::FetchId;
using stdlib::MatchMethod;

Fixed termValue(const ir::AclTerm& t) {
  if (!t.expr.convs.empty()) return Fixed::Unknown;
  bool is_true = t.expr.fetch == FetchId::always_true;
  if (!is_true && t.expr.fetch != FetchId::always_false) return Fixed::Unknown;
  // Both always find a boolean: `-m found` passes either way, the boolean matchers test it.
  if (t.method == MatchMethod::Found) return Fixed::Pass;
  if (t.method == MatchMethod::Bool) return is_true ? Fixed::Pass : Fixed::Fail;
  return Fixed::Unknown;
}

Fixed aclValue(const ir::Acl& a) {
  bool unknown = false;
  for (const auto& t : a.terms) {
    Fixed v = termValue(t);
    if (v == Fixed::Pass) return Fixed::Pass;
    if (v == Fixed::Unknown) unknown = true;
  }
  return unknown ? Fixed::Unknown : Fixed::Fail;
}

Fixed conditionValue(const ir::Proxy& px, const ir::Condition& c) {
  bool unknown = false, pass = false;
  for (const auto& alt : c.alternatives) {
    Fixed suite = Fixed::Pass;
    for (const auto& ref : alt) {
      Fixed v = ref.acl < px.acls.size() ? aclValue(px.acls[ref.acl]) : Fixed::Unknown;
      if (ref.negated && v != Fixed::Unknown) v = v == Fixed::Pass ? Fixed::Fail : Fixed::Pass;
      if (v == Fixed::Fail) {
        suite = Fixed::Fail;
        break;
      }
      if (v == Fixed::Unknown) suite = Fixed::Unknown;
    }
    if (suite == Fixed::Pass) pass = true;
    if (suite == Fixed::Unknown) unknown = true;
  }
  Fixed v = pass ? Fixed::Pass : unknown ? Fixed::Unknown : Fixed::Fail;
  if (c.unless && v != Fixed::Unknown) v = v == Fixed::Pass ? Fixed::Fail : Fixed::Pass;
  return v;
}

namespace {
Fixed gate(const ir::Proxy& px, const std::optional<ir::Condition>& c) {
  return c ? conditionValue(px, *c) : Fixed::Pass;
}
}  // namespace

std::vector<bool> deadActionRules(const ir::Proxy& px) {
  std::vector<bool> dead(px.rules.size(), false);
  bool stopped[8] = {};
  for (size_t i = 0; i < px.rules.size(); ++i) {
    const auto& r = px.rules[i];
    size_t set = size_t(r.set);
    Fixed g = gate(px, r.cond);
    if (stopped[set] || g == Fixed::Fail)
      dead[i] = true;
    else if (r.final && g == Fixed::Pass)
      stopped[set] = true;
  }
  return dead;
}

std::vector<bool> deadUseBackends(const ir::Proxy& px) {
  std::vector<bool> dead(px.use_backends.size(), false);
  bool stopped = false;
  for (size_t i = 0; i < px.use_backends.size(); ++i) {
    const auto& u = px.use_backends[i];
    Fixed g = gate(px, u.cond);
    if (stopped || g == Fixed::Fail)
      dead[i] = true;
    else if (g == Fixed::Pass && !u.dynamic)
      stopped = true;  // a dynamic name may not resolve
  }
  return dead;
}

bool deadDefaultBackend(const ir::Proxy& px) {
  if (!px.default_backend) return false;
  auto dead = deadUseBackends(px);
  for (size_t i = 0; i < px.use_backends.size(); ++i)
    if (!dead[i] && !px.use_backends[i].dynamic && gate(px, px.use_backends[i].cond) == Fixed::Pass)
      return true;
  return false;
}

namespace {

// The rule after an unconditional final rule of the same list, named after that rule.
void afterUnconditional(const ir::Proxy& px, std::vector<Lint>& rules, std::vector<Lint>& backends) {
  for (size_t i = 0; i < px.rules.size(); ++i) {
    const ir::Rule& r = px.rules[i];
    if (!r.final || r.cond) continue;
    for (size_t j = i + 1; j < px.rules.size(); ++j) {
      if (px.rules[j].set != r.set) continue;
      rules[j] = {px.rules[j].loc,
                  "this rule can never run: the unconditional '" + r.action_name +
                      "' above stops the evaluation of " + ir::ruleSetName(r.set) + " rules",
                  r.loc, "unconditional '" + r.action_name + "' is here"};
      break;
    }
  }
  for (size_t i = 0; i + 1 < px.use_backends.size(); ++i) {
    if (px.use_backends[i].cond) continue;
    backends[i + 1] = {px.use_backends[i + 1].loc,
                       "this 'use_backend' can never be chosen: the unconditional 'use_backend' above always "
                       "matches first",
                       px.use_backends[i].loc, "unconditional 'use_backend' is here"};
    break;
  }
}

// `if` with nothing after it: sema already says the rule never applies.
bool emptyCondition(const std::optional<ir::Condition>& c) {
  return c && c->alternatives.empty();
}

}  // namespace

std::vector<Lint> deadRuleLint(const ir::Program& p, bool fixed_conditions) {
  std::vector<Lint> out;
  auto take = [&](std::vector<Lint>& v) {
    for (auto& l : v)
      if (!l.message.empty()) out.push_back(std::move(l));
  };
  for (const auto& px : p.proxies) {
    std::vector<Lint> rules(px.rules.size()), backends(px.use_backends.size());
    afterUnconditional(px, rules, backends);
    take(rules);
    take(backends);
  }
  if (!fixed_conditions) return out;
  for (const auto& px : p.proxies) {
    std::vector<Lint> rules(px.rules.size()), backends(px.use_backends.size());
    afterUnconditional(px, rules, backends);
    auto dr = deadActionRules(px);
    for (size_t i = 0; i < dr.size(); ++i) {
      const auto& r = px.rules[i];
      if (!dr[i] || !rules[i].message.empty()) continue;
      if (gate(px, r.cond) == Fixed::Fail && emptyCondition(r.cond)) continue;
      out.push_back({r.loc, gate(px, r.cond) == Fixed::Fail
                                ? "this rule can never run: its condition is always false"
                                : "this rule can never run: an earlier '" +
                                      std::string(ir::ruleSetName(r.set)) +
                                      "' rule always stops the evaluation before it"});
    }
    auto du = deadUseBackends(px);
    for (size_t i = 0; i < du.size(); ++i) {
      const auto& u = px.use_backends[i];
      if (!du[i] || !backends[i].message.empty()) continue;
      if (gate(px, u.cond) == Fixed::Fail && emptyCondition(u.cond)) continue;
      out.push_back({u.loc, gate(px, u.cond) == Fixed::Fail
                                ? "this 'use_backend' rule can never run: its condition is always false"
                                : "this 'use_backend' rule can never run: an earlier one always matches"});
    }
    if (deadDefaultBackend(px))
      out.push_back(
          {px.default_backend->loc, "'default_backend' is never used: a 'use_backend' rule always matches"});
  }
  return out;
}

}  // namespace lbc::codegen

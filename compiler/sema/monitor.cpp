// `monitor-uri` and `monitor fail`: HAProxy answers a request whose URI is the frontend's monitor
// URI before any http-request rule, with its 200 page, or its 503 page when a `monitor fail`
// condition holds (http_wait_for_request). lbc lowers them onto `return` rules placed first in the
// frontend's http-request rules, each answering the page its errorfiles give for that status.
#include "lbc/rt/http.h"
#include "sema/context.h"

namespace lbc::sema {

void Sema::monitorUri(const Line& l) {
  if (!noCondition(l) || !needArgs(l, 1, "<uri>")) return;
  cur_->monitor_uri = l.words[1].text;
  cur_->monitor_loc = l.loc;
}

void Sema::monitor(const Line& l) {
  if (!needArgs(l, 1, "'fail'")) return;
  if (l.words[1].text != "fail") {
    error(l.words[1], "'monitor' only supports 'fail', not '" + l.words[1].text + "'");
    return;
  }
  if (l.words.size() > 2) {
    error(l.words[2], "unexpected '" + l.words[2].text + "': 'monitor fail' expects 'if' or 'unless'");
    return;
  }
  if (!l.cond) {
    error(l.words[1], "'monitor fail' expects a condition: 'if <cond>' or 'unless <cond>'");
    return;
  }
  std::optional<ir::Condition> c;
  condition(l, c, phaseFor(ir::RuleSet::HttpReq));
  if (c) cur_->monitor_fail.push_back(std::move(*c));
}

namespace {

// `cond` as alternatives (an OR of ANDs) that hold exactly when it passes: an `unless` is
// negated by De Morgan's laws.
std::vector<std::vector<ir::CondRef>> passing(const ir::Condition& cond) {
  if (!cond.unless) return cond.alternatives;
  std::vector<std::vector<ir::CondRef>> out{{}};  // NOT (a1 OR a2 ...) = NOT a1 AND NOT a2 ...
  for (const auto& alt : cond.alternatives) {
    std::vector<std::vector<ir::CondRef>> next;  // NOT (r1 AND r2) = NOT r1 OR NOT r2
    for (const auto& prefix : out) {
      for (ir::CondRef r : alt) {
        r.negated = !r.negated;
        auto a = prefix;
        a.push_back(r);
        next.push_back(std::move(a));
      }
    }
    out = std::move(next);
  }
  return out;
}

}  // namespace

// Called when a frontend's section ends: the rules, first in its http-request rules.
void Sema::lowerMonitor(ir::Proxy& p) {
  if (p.monitor_uri.empty() || !(p.caps & ir::kCapFe)) return;
  // HAProxy 2.6 compares a monitor URI starting with '/' with the path and query (so an absolute
  // URI's path matches too), any other with the whole URI as received.
  const char* fetch = p.monitor_uri.starts_with("/") ? "pathq" : "url";
  std::vector<Word> words{
      {fetch, p.monitor_loc, false}, {"--", p.monitor_loc, false}, {p.monitor_uri, p.monitor_loc, false}};
  auto term = aclTerm(words, 0, p.monitor_loc);
  if (!term) return;
  ir::Acl acl;
  acl.loc = p.monitor_loc;
  acl.terms.push_back(std::move(*term));
  acl.used = true;
  ir::CondRef uri{static_cast<uint32_t>(p.acls.size()), false, p.monitor_loc};
  p.acls.push_back(std::move(acl));

  auto rule = [&](int status, std::vector<std::vector<ir::CondRef>> alts, uint32_t usage) {
    ir::Rule r;
    r.loc = p.monitor_loc;
    r.set = ir::RuleSet::HttpReq;
    r.action = stdlib::ActionId::return_;
    r.action_name = "monitor-uri";
    r.final = true;
    ir::ReturnArgs ret;
    ret.status = status;
    ret.body = ir::ReturnArgs::Body::Page;
    ret.text = std::string(rt::http::builtinPage(status));
    for (const auto& e : p.errorfiles)  // the frontend's own page for the status, if any
      if (e.status == status && !e.content.empty()) ret.text = e.content;
    r.args = std::move(ret);
    for (auto& a : alts) a.insert(a.begin(), uri);
    ir::Condition c;
    c.loc = p.monitor_loc;
    c.alternatives = std::move(alts);
    c.usage = usage & p.acls[uri.acl].terms[0].expr.usage;
    r.cond = std::move(c);
    return r;
  };
  std::vector<ir::Rule> rules;
  for (const auto& f : p.monitor_fail) rules.push_back(rule(503, passing(f), f.usage));
  rules.push_back(rule(200, {{}}, ~0u));
  p.rules.insert(p.rules.begin(), std::make_move_iterator(rules.begin()),
                 std::make_move_iterator(rules.end()));
}

}  // namespace lbc::sema

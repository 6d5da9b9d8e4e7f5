// `stats ...` in a proxy or defaults section: the stats page, as HAProxy 2.6's
// cfgparse-listen.c reads it. Any sub-keyword but `stats http-request` turns the page on.
#include "sema/context.h"

namespace lbc::sema {

namespace {
constexpr std::string_view kSubKeywords[] = {
    "admin", "auth",      "enable",       "hide-version", "http-request", "realm", "refresh",
    "scope", "show-desc", "show-legends", "show-modules", "show-node",    "uri"};
}  // namespace

void Sema::stats(const Line& l) {
  const auto& w = l.words;
  if (!needArgs(l, 1, "a sub-keyword (enable, uri, realm, auth, admin, ...)")) return;
  const std::string& sub = w[1].text;
  const bool defaults = sec_ == Sec::Defaults;
  if (sub != "admin" && sub != "http-request" && !noCondition(l)) return;
  ir::StatsPage& sp = cur_->stats ? *cur_->stats : cur_->stats.emplace();
  if (!sp.loc.valid()) sp.loc = l.loc;
  auto arg = [&](const char* what) -> const Word* {
    if (w.size() > 2) return &w[2];
    error(w[1], "'stats " + sub + "' expects " + what);
    return nullptr;
  };
  // HAProxy refuses the two ways of guarding the page together.
  if ((sub == "auth" || sub == "realm") && !sp.rules.empty()) {
    error(w[1],
          "'stats " + sub + "' and 'stats http-request' cannot be used together (HAProxy refuses it too)");
    return;
  }
  if (sub == "http-request" && (!sp.auths.empty() || sp.realm_set)) {
    error(w[1],
          "'stats http-request' and 'stats auth'/'stats realm' cannot be used together (HAProxy refuses it "
          "too)");
    return;
  }
  if (sub == "enable") {
  } else if (sub == "uri") {
    if (const Word* a = arg("<uri> as an argument")) sp.uri = a->text;
  } else if (sub == "realm") {
    if (const Word* a = arg("<realm> as an argument")) sp.realm = a->text, sp.realm_set = true;
  } else if (sub == "auth") {
    const Word* a = arg("<user>:<password> as an argument");
    if (!a) return;
    // HAProxy reads a word without ':' as a user with an empty password.
    sp.auths.push_back(a->text.find(':') == std::string::npos ? a->text + ":" : a->text);
  } else if (sub == "refresh") {
    const Word* a = arg("<delay> as an argument");
    uint64_t ms = 0;
    if (!a || !duration(*a, ms)) return;  // HAProxy reads it in milliseconds, shows seconds
    sp.refresh_s = uint32_t(ms / 1000);
  } else if (sub == "scope") {
    if (const Word* a = arg("<proxy name> as an argument"))
      sp.scopes.push_back(a->text == "." ? cur_->name : a->text);
  } else if (sub == "hide-version") {
    sp.hide_version = true;
  } else if (sub == "show-legends") {
    sp.show_legends = true;
  } else if (sub == "show-modules") {
    error(w[1], "'stats show-modules' is not supported by lbc yet (lbc has no statistics modules)");
  } else if (sub == "show-node") {
    sp.node = w.size() > 2 ? w[2].text : "";
  } else if (sub == "show-desc") {
    std::string d;
    for (size_t i = 2; i < w.size(); ++i) d += (i > 2 ? " " : "") + w[i].text;
    sp.desc = d;
  } else if (sub == "admin") {
    if (defaults) {
      error(w[1], "'stats admin' is not allowed in a 'defaults' section (HAProxy refuses it too)");
      return;
    }
    if (!l.cond) {
      error(w[1], "'stats admin' requires either 'if' or 'unless' followed by a condition");
      return;
    }
    // The condition is the proxy's to evaluate like any rule's: an http-request rule, first of
    // the proxy's, marks the transaction when it holds (HAProxy evaluates it when the page is
    // asked for; the mark is read only then).
    sp.admin = true;
    Line rule = l;
    rule.words.clear();
    rule.words.push_back(Word{"http-request", w[0].loc});
    rule.words.push_back(Word{std::string("set-var(txn.") + ir::kStatsAdminVar + ")", w[1].loc});
    rule.words.push_back(Word{"always_true", w[1].loc});
    const size_t before = cur_->rules.size();
    httpRule(rule, ir::RuleSet::HttpReq);
    if (cur_->rules.size() > before) {
      ir::Rule r = std::move(cur_->rules.back());
      cur_->rules.pop_back();
      cur_->rules.insert(cur_->rules.begin() + sp.prepended, std::move(r));
      ++sp.prepended;
    }
  } else if (sub == "http-request") {
    statsRule(l, sp);
  } else {
    error(w[1], "unknown 'stats' sub-keyword '" + sub + "'" +
                    front::didYouMean(sub, std::vector<std::string_view>(std::begin(kSubKeywords),
                                                                         std::end(kSubKeywords))));
  }
}

// `stats http-request allow|deny|auth [realm R] [if|unless C]`. HAProxy 2.6 takes any http-request
// action there; lbc the three the page itself answers.
void Sema::statsRule(const Line& l, ir::StatsPage& sp) {
  const auto& w = l.words;
  if (sec_ == Sec::Defaults) {
    error(w[1], "'stats http-request' is not allowed in a 'defaults' section (HAProxy refuses it too)");
    return;
  }
  if (w.size() < 3) {
    error(w[1], "'stats http-request' expects an action: allow, deny or auth");
    return;
  }
  ir::StatsPage::Rule r;
  const std::string& act = w[2].text;
  size_t next = 3;
  if (act == "allow") {
    r.kind = ir::StatsPage::Rule::Kind::Allow;
  } else if (act == "deny") {
    r.kind = ir::StatsPage::Rule::Kind::Deny;
  } else if (act == "auth") {
    r.kind = ir::StatsPage::Rule::Kind::Auth;
    if (w.size() > 4 && w[3].text == "realm") {
      r.realm = w[4].text;
      next = 5;
    }
  } else {
    error(w[2], "'stats http-request " + act + "' is not supported by lbc yet: it has allow, deny and auth");
    return;
  }
  if (w.size() > next) {
    error(w[next], "unexpected '" + w[next].text + "' in 'stats http-request " + act +
                       "' (a condition starts with 'if' or 'unless')");
    return;
  }
  if (!sp.rules.empty() && !sp.last_rule_conditional)
    warning(w[0], "previous 'stats' action has no condition attached, further entries are NOOP");
  sp.last_rule_conditional = l.cond.has_value();
  // The condition runs with the proxy's other http-request rules, before them (see `stats admin`).
  Line mark = l;
  mark.words = {Word{"http-request", w[0].loc},
                Word{"set-var(txn.lbc_stats_rule_" + std::to_string(sp.rules.size()) + ")", w[1].loc},
                Word{"always_true", w[2].loc}};
  const size_t before = cur_->rules.size();
  httpRule(mark, ir::RuleSet::HttpReq);
  if (cur_->rules.size() > before) {
    ir::Rule rule = std::move(cur_->rules.back());
    cur_->rules.pop_back();
    cur_->rules.insert(cur_->rules.begin() + sp.prepended, std::move(rule));
    ++sp.prepended;
  }
  sp.rules.push_back(std::move(r));
}

void Sema::useService(const Line& l) {
  const auto& w = l.words;
  if (w.size() < 3) {
    error(w[1], "'use-service' expects a service name (lbc has 'prometheus-exporter')");
    return;
  }
  if (w[2].text != "prometheus-exporter") {
    error(w[2], "service '" + w[2].text + "' is not supported by lbc yet: it has 'prometheus-exporter' only");
    return;
  }
  if (w.size() > 3) {
    error(w[3],
          "unexpected '" + w[3].text + "' after the service name (a condition starts with 'if' or 'unless')");
    return;
  }
  if (const stdlib::ActionInfo* a = stdlib::findAction("use-service", stdlib::kHttpReq)) stdlib::noteUse(*a);
  // HAProxy's use-service is final: the service answers and the rules stop. The first rule marks
  // the transaction when the condition holds; an `allow` on the mark stops the rules.
  const std::string var = std::string("txn.") + ir::kUseServiceVar;
  Line mark = l;
  mark.words = {w[0], Word{"set-var(" + var + ")", w[1].loc}, Word{"always_true", w[2].loc}};
  httpRule(mark, ir::RuleSet::HttpReq);
  Line stop = l;
  stop.words = {w[0], Word{"allow", w[1].loc}};
  front::CondTerm t;
  t.anonymous = true;
  t.loc = w[1].loc;
  t.acl = {Word{"var(" + var + ")", w[1].loc}, Word{"-m", w[1].loc}, Word{"found", w[1].loc}};
  stop.cond.emplace();
  stop.cond->loc = w[1].loc;
  stop.cond->alternatives = {{std::move(t)}};
  httpRule(stop, ir::RuleSet::HttpReq);
}

}  // namespace lbc::sema

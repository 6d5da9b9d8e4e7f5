// http-request / http-response / tcp-request / tcp-response rules, use_backend and stick.
#include <algorithm>

#include "sema/context.h"
#include "sema/values.h"

namespace lbc::sema {

using stdlib::Status;

using stdlib::maskOf;

// Parses the action words of a rule (words[first] is the action). Returns false after an error.
// `literal_target`: the legacy `redirect` directive, whose target is a plain string (HAProxy
// parses it without log-format).
static bool parseAction(Sema& s, const Line& l, size_t first, ir::Rule& r, const Phase& phase,
                        bool literal_target = false) {
  const std::vector<Word>& w = l.words;
  const Word& aw = w[first];
  std::string name = aw.text;
  std::string paren;
  if (size_t p = name.find('('); p != std::string::npos) {
    paren = name.substr(p);
    name = name.substr(0, p);
  }
  stdlib::RuleSetMask set = maskOf(r.set);
  const stdlib::ActionInfo* a = stdlib::findAction(name, set);
  const std::string where = ir::ruleSetName(r.set);
  if (!a) {
    s.error(aw, "unknown '" + where + "' action '" + name + "'" +
                    front::didYouMean(name, stdlib::actionNames(set)));
    return false;
  }
  if (!(a->rulesets & set)) {
    std::string valid;
    for (uint32_t b = 1; b <= stdlib::kHttpAfterRes; b <<= 1)
      if (a->rulesets & b)
        valid +=
            std::string(valid.empty() ? "" : ", ") + stdlib::ruleSetName(static_cast<stdlib::RuleSetMask>(b));
    s.error(aw, "'" + name + "' is not a valid '" + where + "' action (it is valid in: " + valid + ")");
    return false;
  }
  if (a->status != Status::Supported) {
    s.error(aw, "unsupported '" + where + "' action '" + name +
                    "': HAProxy knows it, lbc does not support it yet");
    return false;
  }
  if (a->prefix && paren.empty() && name.starts_with("sc-")) {
    s.error(aw, "'" + name + "' expects a stick counter ID: '" + name + "(<sc-id>)'");
    return false;
  }
  stdlib::noteUse(*a);
  if (a->prefix && paren.empty()) {
    s.error(aw, "'" + name + "' expects a variable name: '" + name + "(<scope>.<name>)'");
    return false;
  }
  if (!a->prefix && !paren.empty()) {
    s.error(aw, "unexpected '" + paren + "' after action '" + name + "'");
    return false;
  }
  r.action = a->id;
  r.action_name = name;
  size_t i = first + 1;
  auto need = [&](size_t n, const std::string& usage) {
    if (i + n <= w.size()) return true;
    SourceLoc at = w.back().loc;
    at.col += at.len;
    at.len = 1;
    s.diags().error(at, "'" + where + " " + name + "' expects " + usage);
    return false;
  };
  auto done = [&]() {
    if (i < w.size()) {
      s.error(w[i], "unexpected '" + w[i].text + "' in '" + where + " " + name + "'");
      return false;
    }
    return true;
  };
  std::string_view n = a->name;
  if (n == "set-header" || n == "add-header") {
    if (!need(2, "<name> <value>")) return false;
    ir::HeaderArgs h;
    h.name = w[i].text;
    auto lf = s.logFormat(w[i + 1], &phase);
    if (!lf) return false;
    h.value = std::move(*lf);
    i += 2;
    r.args = std::move(h);
    return done();
  }
  if (n == "del-header") {
    if (!need(1, "<name> [-m <method>]")) return false;
    ir::HeaderArgs h;
    h.name = w[i++].text;
    if (i < w.size() && w[i].text == "-m") {
      if (!need(2, "<name> -m <str|beg|end|sub|reg>")) return false;
      const std::string& m = w[i + 1].text;
      using M = stdlib::MatchMethod;
      if (m == "str")
        h.method = M::Str;
      else if (m == "beg")
        h.method = M::Beg;
      else if (m == "end")
        h.method = M::End;
      else if (m == "sub")
        h.method = M::Sub;
      else if (m == "reg")
        h.method = M::Reg;
      else {
        s.error(w[i + 1], "'del-header -m' expects str, beg, end, sub or reg, not '" + m + "'");
        return false;
      }
      i += 2;
    }
    r.args = std::move(h);
    return done();
  }
  if (n == "replace-header" || n == "replace-value") {
    if (!need(3, "<name> <regex> <replacement>")) return false;
    ir::HeaderArgs h;
    h.name = w[i].text;
    h.regex = w[i + 1].text;
    if (std::string e = compileRegex(h.regex, false); !e.empty()) {
      s.error(w[i + 1], e);
      return false;
    }
    auto lf = s.logFormat(w[i + 2], &phase);
    if (!lf) return false;
    h.value = std::move(*lf);
    i += 3;
    r.args = std::move(h);
    return done();
  }
  if (n == "replace-path" || n == "replace-pathq" || n == "replace-uri") {
    if (!need(2, "<match-regex> <replace-fmt>")) return false;
    ir::HeaderArgs h;
    h.regex = w[i].text;
    if (std::string e = compileRegex(h.regex, false); !e.empty()) {
      s.error(w[i], e);
      return false;
    }
    auto lf = s.logFormat(w[i + 1], &phase);
    if (!lf) return false;
    h.value = std::move(*lf);
    i += 2;
    r.args = std::move(h);
    return done();
  }
  if (n == "set-path" || n == "set-uri" || n == "set-query" || n == "set-pathq" || n == "set-method") {
    if (!need(1, "<format>")) return false;
    auto lf = s.logFormat(w[i++], &phase);
    if (!lf) return false;
    r.args = ir::FormatArgs{std::move(*lf)};
    return done();
  }
  if (n == "use-service") {  // http-request's is read by Sema::useService (stats.cpp)
    s.error(aw, "'use-service' is supported by lbc only as 'http-request use-service prometheus-exporter'");
    return false;
  }
  if (n == "set-var") {
    ir::VarArgs v;
    std::string inner = paren.substr(1, paren.size() - (paren.back() == ')' ? 2 : 1));
    if (paren.back() != ')') {
      s.error(aw, "missing ')' in '" + aw.text + "'");
      return false;
    }
    std::string var = inner.substr(0, inner.find(','));
    size_t dot = var.find('.');
    std::optional<ir::VarScope> scope = ir::parseVarScope(std::string_view(var).substr(0, dot));
    if (dot == std::string::npos || dot + 1 >= var.size() || !scope) {
      s.error(aw, "invalid variable name '" + var +
                      "': expected <scope>.<name> with scope proc, sess, txn, req or res");
      return false;
    }
    if (inner.find(',') != std::string::npos) {
      s.error(aw, "unsupported 'set-var' conditions ('" + inner.substr(inner.find(',') + 1) +
                      "'): lbc does not support them yet");
      return false;
    }
    v.scope = *scope;
    v.name = var.substr(dot + 1);
    if (!need(1, "a sample expression")) return false;
    auto e = s.sample(w[i++], &phase);
    if (!e) return false;
    v.expr = std::move(*e);
    r.args = std::move(v);
    return done();
  }
  if (n == "track-sc0" || n == "track-sc1" || n == "track-sc2") {
    if (!need(1, "<key> [table <table>]")) return false;
    ir::TrackArgs t;
    t.slot = n.back() - '0';
    auto e = s.sample(w[i++], &phase);
    if (!e) return false;
    t.key = std::move(*e);
    if (i < w.size() && w[i].text == "table") {
      if (!need(2, "<key> table <table>")) return false;
      t.table = w[i + 1].text;
      t.table_loc = w[i + 1].loc;
      i += 2;
    }
    r.args = std::move(t);
    return done();
  }
  if (n == "sc-inc-gpc0" || n == "sc-inc-gpc1" || n == "sc-set-gpt0") {
    ir::CounterArgs c;
    std::string id = paren.size() >= 2 && paren.back() == ')' ? paren.substr(1, paren.size() - 2) : "";
    int64_t slot = -1;
    if (id.empty() || !sema::parseInt(id, slot, 0, 2).empty()) {
      s.error(aw, "invalid stick table track ID '" + id + "' in '" + aw.text + "': the max allowed ID is 2");
      return false;
    }
    c.slot = static_cast<int>(slot);
    if (n == "sc-set-gpt0") {
      if (!need(1, "an integer or a sample expression")) return false;
      const std::string& v = w[i].text;
      size_t d = !v.empty() && (v[0] == '-' || v[0] == '+') ? 1 : 0;
      if (d < v.size() && v.find_first_not_of("0123456789", d) == std::string::npos) {
        if (!s.integer(w[i], c.value, INT64_MIN / 2, INT64_MAX / 2)) return false;
      } else {
        auto e = s.sample(w[i], &phase);
        if (!e) return false;
        c.expr = std::move(*e);
      }
      ++i;
    }
    r.args = std::move(c);
    return done();
  }
  if (n == "redirect") {
    if (!need(2, "location|prefix|scheme <target> [code <code>] [options]")) return false;
    ir::RedirectArgs rd;
    const std::string& type = w[i].text;
    using T = ir::RedirectArgs::Type;
    if (type == "location")
      rd.type = T::Location;
    else if (type == "prefix")
      rd.type = T::Prefix;
    else if (type == "scheme")
      rd.type = T::Scheme;
    else {
      s.error(w[i], "'redirect' expects 'location', 'prefix' or 'scheme', not '" + type + "'" +
                        front::didYouMean(type, {"location", "prefix", "scheme"}));
      return false;
    }
    if (literal_target) {
      rd.target.text = w[i + 1].text;
      rd.target.items.push_back({ir::LogFormat::Item::Kind::Text, w[i + 1].text, "", 0, -1, std::nullopt});
    } else {
      auto lf = s.logFormat(w[i + 1], &phase);
      if (!lf) return false;
      rd.target = std::move(*lf);
    }
    i += 2;
    bool ignore_empty = false;
    while (i < w.size()) {
      const std::string& o = w[i].text;
      if (o == "code") {
        if (!need(2, "a status after 'code'")) return false;
        int64_t c = 0;
        if (!s.integer(w[i + 1], c, 0, 999)) return false;
        if (c != 301 && c != 302 && c != 303 && c != 307 && c != 308) {
          s.error(w[i + 1],
                  "invalid redirect code " + w[i + 1].text + ": expected 301, 302, 303, 307 or 308");
          return false;
        }
        rd.code = static_cast<int>(c);
        i += 2;
      } else if (o == "drop-query") {
        rd.drop_query = true;
        ++i;
      } else if (o == "append-slash") {
        rd.append_slash = true;
        ++i;
      } else if (o == "set-cookie" || o == "clear-cookie") {
        if (!need(2, "a cookie after '" + o + "'")) return false;
        (o == "set-cookie" ? rd.set_cookie : rd.clear_cookie) = w[i + 1].text;
        i += 2;
      } else if (o == "ignore-empty") {
        // The `redirect` directive's target is a fixed string: HAProxy 2.6 ignores the option there.
        rd.ignore_empty = !literal_target && rd.type == T::Location;
        ignore_empty = true;
        ++i;
      } else {
        s.error(w[i], "unknown redirect option '" + o + "'" +
                          front::didYouMean(o, {"code", "drop-query", "append-slash", "set-cookie",
                                                "clear-cookie", "ignore-empty"}));
        return false;
      }
    }
    // HAProxy marks the rule final only without ignore-empty: it may let evaluation go on.
    r.final = !ignore_empty;
    r.args = std::move(rd);
    return true;
  }
  if (n == "deny" || n == "return") {
    ir::ReturnArgs ret;
    // HAProxy: a denied request gets 403, a denied response 502 (the server answered something unacceptable).
    ret.status =
        n == "deny" ? (r.set == ir::RuleSet::HttpRes || r.set == ir::RuleSet::HttpAfterRes ? 502 : 403) : 200;
    bool has_body = false;
    while (i < w.size()) {
      const std::string& o = w[i].text;
      if ((n == "deny" && o == "deny_status") || o == "status") {
        if (!need(2, "a status after '" + o + "'")) return false;
        int64_t c = 0;
        if (!s.integer(w[i + 1], c, 100, 999)) return false;
        if (c < 200 || c > 599) {  // HAProxy: "Unexpected status code"
          s.error(w[i + 1],
                  "unexpected status code '" + w[i + 1].text + "' for '" + name + "': expected 200 to 599");
          return false;
        }
        ret.status = static_cast<int>(c);
        i += 2;
      } else if (o == "content-type") {
        if (!need(2, "a type after 'content-type'")) return false;
        ret.content_type = w[i + 1].text;
        i += 2;
      } else if (o == "string" || o == "lf-string" || o == "file" || o == "lf-file" || o == "errorfile") {
        if (!need(2, "an argument after '" + o + "'")) return false;
        if (has_body) {
          s.error(w[i],
                  "'" + name +
                      "' accepts only one body ('string', 'lf-string', 'file', 'lf-file' or 'errorfile')");
          return false;
        }
        has_body = true;
        using B = ir::ReturnArgs::Body;
        if (o == "string")
          ret.body = B::String, ret.text = w[i + 1].text;
        else if (o == "lf-string") {
          ret.body = B::LfString;
          auto lf = s.logFormat(w[i + 1], &phase);
          if (!lf) return false;
          ret.lf = std::move(*lf);
        } else {
          ret.body = o == "file" ? B::File : o == "lf-file" ? B::LfFile : B::Errorfile;
          ret.text = w[i + 1].text;
          if (!s.fileExists(w[i + 1], ret.text, "payload")) return false;
        }
        i += 2;
      } else if (o == "hdr") {
        if (!need(3, "a name and a value after 'hdr'")) return false;
        auto lf = s.logFormat(w[i + 2], &phase);
        if (!lf) return false;
        ret.headers.emplace_back(w[i + 1].text, std::move(*lf));
        i += 3;
      } else if (o == "default-errorfiles" || o == "errorfiles") {
        s.error(w[i], "unsupported '" + name + "' option '" + o + "': lbc does not support it yet");
        return false;
      } else {
        s.error(w[i], "unknown '" + name + "' option '" + o + "'" +
                          front::didYouMean(o, {"status", "deny_status", "content-type", "string",
                                                "lf-string", "file", "lf-file", "errorfile", "hdr"}));
        return false;
      }
    }
    if ((ret.body == ir::ReturnArgs::Body::String || ret.body == ir::ReturnArgs::Body::LfString ||
         ret.body == ir::ReturnArgs::Body::File || ret.body == ir::ReturnArgs::Body::LfFile) &&
        ret.content_type.empty()) {
      s.error(aw, "'" + name + "' with a body needs a 'content-type'");
      return false;
    }
    // `return` without a body answers an empty response; `deny` without one sends the default page.
    if (n == "deny" && !has_body && !hasDefaultErrorPage(ret.status)) {
      s.error(aw, "status " + std::to_string(ret.status) + " has no default error page: give '" + name +
                      "' a body ('string', 'file', ...) or use one of 200, 400, 401, 403, 404, 405, 407, "
                      "408, 410, 413, "
                      "421, 422, 425, 429, 500, 501, 502, 503, 504");
      return false;
    }
    if (!ret.content_type.empty() && !has_body) {  // HAProxy warns and drops it
      s.warning(aw, "content-type '" + ret.content_type + "' of '" + name +
                        "' is ignored: the reply has no body (neither errorfile nor payload)");
      ret.content_type.clear();
    }
    r.args = std::move(ret);
    r.final = true;
    return true;
  }
  if (n == "auth") {  // HAProxy's 401 page with `WWW-Authenticate` (sema's xref pass builds it)
    ir::ReturnArgs ret;
    ret.status = 401;
    ret.body = ir::ReturnArgs::Body::Page;
    if (i < w.size() && w[i].text == "realm") {
      if (!need(2, "a realm after 'realm'")) return false;
      ret.realm = w[i + 1].text;
      i += 2;
    }
    r.args = std::move(ret);
    r.final = true;
    return done();
  }
  if (n == "set-status") {
    if (!need(1, "a status code")) return false;
    ir::StatusArgs st;
    int64_t c = 0;
    if (!s.integer(w[i], c, 100, 999)) return false;  // HAProxy accepts any 3-digit status here
    st.status = static_cast<int>(c);
    ++i;
    if (i < w.size() && w[i].text == "reason") {
      if (!need(2, "a text after 'reason'")) return false;
      st.reason = w[i + 1].text;
      i += 2;
    }
    r.args = std::move(st);
    return done();
  }
  if (n == "allow" || n == "accept" || n == "reject") {
    r.final = true;
    return done();
  }
  s.error(aw, "internal error: supported action '" + name + "' has no handler");
  return false;
}

bool Sema::rulesAllowedHere(const Line& l) {
  if (sec_ != Sec::Defaults || !cur_->name.empty()) return true;
  error(l.words[0], "'" + l.words[0].text +
                        "' rules are not allowed in an anonymous 'defaults' section: name it "
                        "('defaults NAME') and inherit it explicitly with 'from NAME'");
  return false;
}

void Sema::httpRule(const Line& l, ir::RuleSet set) {
  if (!rulesAllowedHere(l)) return;
  if (!needArgs(l, 1, "an action")) return;
  if (set == ir::RuleSet::HttpReq && l.words[1].text == "use-service") {
    useService(l);
    return;
  }
  ir::Rule r;
  r.loc = l.loc;
  r.set = set;
  Phase ph = phaseFor(r.set);
  if (!parseAction(*this, l, 1, r, ph)) return;
  condition(l, r.cond, ph);
  if (set == ir::RuleSet::HttpReq && st_->first_use_backend.valid() && !st_->warned_rule_order) {
    st_->warned_rule_order = true;
    diags_.warning(l.loc,
                   "this 'http-request' rule comes after a 'use_backend' rule but runs before it: "
                   "http-request rules are always evaluated before backend selection");
    diags_.note(st_->first_use_backend, "the first 'use_backend' is here");
  }
  cur_->rules.push_back(std::move(r));
}

// The legacy `redirect` directive: HAProxy keeps these in a list of their own, evaluated after
// all of the proxy's http-request rules; endSection appends them to the rules in that order.
void Sema::legacyRedirect(const Line& l) {
  if (!needArgs(l, 1, "location|prefix|scheme <target> [code <code>] [options]")) return;
  ir::Rule r;
  r.loc = l.loc;
  r.set = ir::RuleSet::HttpReq;
  Phase ph = phaseFor(r.set);
  if (!parseAction(*this, l, 0, r, ph, true)) return;
  r.action_name = "redirect";
  r.legacy_redirect = true;
  condition(l, r.cond, ph);
  st_->legacy_redirects.push_back(std::move(r));
}

void Sema::tcpRule(const Line& l, bool response) {
  const std::string kw = response ? "tcp-response" : "tcp-request";
  if (!needArgs(l, 1,
                response ? "'content' or 'inspect-delay'"
                         : "'connection', 'session', 'content' or 'inspect-delay'"))
    return;
  const Word& sub = l.words[1];
  if (sub.text == "inspect-delay") {
    if (!noCondition(l) || !needArgs(l, 2, "a duration after 'inspect-delay'")) return;
    uint64_t ms = 0;
    if (!duration(l.words[2], ms)) return;
    (response ? cur_->tcp_res_inspect_delay : cur_->tcp_inspect_delay) = ms;
    return;
  }
  if (!rulesAllowedHere(l)) return;
  ir::Rule r;
  r.loc = l.loc;
  if (sub.text == "content")
    r.set = response ? ir::RuleSet::TcpResCont : ir::RuleSet::TcpReqCont;
  else if (!response && sub.text == "connection")
    r.set = ir::RuleSet::TcpReqConn;
  else if (!response && sub.text == "session")
    r.set = ir::RuleSet::TcpReqSess;
  else {
    error(sub, "unknown '" + kw + "' rule set '" + sub.text + "'" +
                   front::didYouMean(
                       sub.text, response ? std::vector<std::string_view>{"content", "inspect-delay"}
                                          : std::vector<std::string_view>{"connection", "session", "content",
                                                                          "inspect-delay"}));
    return;
  }
  if ((r.set == ir::RuleSet::TcpReqConn || r.set == ir::RuleSet::TcpReqSess) && cur_->caps &&
      !(cur_->caps & ir::kCapFe)) {
    error(sub, "'" + kw + " " + sub.text + "' is not allowed in " + sectionDesc() +
                   ": it applies to frontends only");
    return;
  }
  if (!needArgs(l, 2, "an action after '" + kw + " " + sub.text + "'")) return;
  Phase ph = phaseFor(r.set);
  if (!parseAction(*this, l, 2, r, ph)) return;
  condition(l, r.cond, ph);
  cur_->rules.push_back(std::move(r));
}

void Sema::useBackend(const Line& l, bool is_default) {
  const char* kw = is_default ? "default_backend" : "use_backend";
  if (!needArgs(l, 1, "a backend name")) return;
  if (is_default && !noCondition(l)) return;
  if (l.words.size() > 2) {
    error(l.words[2], std::string("unexpected '") + l.words[2].text + "' after the backend name in '" + kw +
                          "'" + (is_default ? "" : " (a condition starts with 'if' or 'unless')"));
    return;
  }
  ir::UseBackend u;
  u.loc = l.words[1].loc;
  u.name = l.words[1].text;
  if (u.name.find("%[") != std::string::npos) {
    Phase ph = phaseUseBackend();
    auto lf = logFormat(l.words[1], &ph);
    if (!lf) return;
    u.dynamic = std::move(*lf);
  }
  if (is_default) {
    cur_->default_backend = std::move(u);
    return;
  }
  condition(l, u.cond, phaseUseBackend());
  if (!st_->first_use_backend.valid()) st_->first_use_backend = l.loc;
  cur_->use_backends.push_back(std::move(u));
}

void Sema::stick(const Line& l) {
  if (!needArgs(l, 2, "'on', 'match', 'store-request' or 'store-response' and a sample expression")) return;
  ir::StickRule r;
  r.loc = l.loc;
  const std::string& k = l.words[1].text;
  using K = ir::StickRule::Kind;
  if (k == "on")
    r.kind = K::On;
  else if (k == "match")
    r.kind = K::Match;
  else if (k == "store-request")
    r.kind = K::StoreRequest;
  else if (k == "store-response")
    r.kind = K::StoreResponse;
  else {
    error(l.words[1], "unknown 'stick' rule '" + k + "'" +
                          front::didYouMean(k, {"on", "match", "store-request", "store-response"}));
    return;
  }
  Phase ph = phaseStick(r.kind);
  auto e = sample(l.words[2], &ph);
  if (!e) return;
  r.expr = std::move(*e);
  size_t i = 3;
  if (i < l.words.size() && l.words[i].text == "table") {
    if (i + 1 >= l.words.size()) {
      error(l.words[i], "'table' expects a table name");
      return;
    }
    r.table = l.words[i + 1].text;
    r.table_loc = l.words[i + 1].loc;
    i += 2;
  }
  if (i < l.words.size()) {
    error(l.words[i], "unexpected '" + l.words[i].text + "' in 'stick " + k + "'");
    return;
  }
  condition(l, r.cond, ph);
  cur_->stick_rules.push_back(std::move(r));
}

}  // namespace lbc::sema

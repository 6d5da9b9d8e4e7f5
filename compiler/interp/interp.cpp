#include "interp/interp.h"

#include <fstream>
#include <sstream>

#include "lbc/stdlib/exec.h"
#include "lbc/stdlib/registry.h"

namespace lbc::interp {

using stdlib::MatchMethod;

namespace {

int32_t neg(int32_t r) {
  return r == LBC_PASS ? LBC_FAIL : r == LBC_FAIL ? LBC_PASS : LBC_MISS;
}

std::string unhex(const std::string& h) {
  std::string out;
  for (size_t i = 0; i + 1 < h.size(); i += 2)
    out += static_cast<char>(std::stoi(h.substr(i, 2), nullptr, 16));
  return out;
}

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

Interpreter::Interpreter(const ir::Program& p) : p_(p) {
  for (const ir::Proxy& px : p.proxies) {
    names_.push_back(px.name.c_str());
    caps_.push_back(px.caps);
  }
  desc_.magic = LBC_PROGRAM_MAGIC;
  desc_.abi_version = LBC_ABI_VERSION;
  desc_.nproxies = static_cast<uint32_t>(names_.size());
  desc_.proxy_names = names_.data();
  desc_.proxy_caps = caps_.data();
}

Interpreter::~Interpreter() {
  for (auto& [k, re] : regexes_) lbc_rt_regex_free(re);
  for (auto& [k, a] : args_)
    lbc_rt_args_release(a.first, a.second.data(), static_cast<uint32_t>(a.second.size()));
}

const lbc_regex* Interpreter::regex(const std::string& text, bool icase) {
  auto [it, fresh] = regexes_.try_emplace({text, icase}, nullptr);
  if (fresh) it->second = lbc_rt_regex_new(text.data(), text.size(), icase ? LBC_RE_ICASE : 0);
  return it->second;
}

std::vector<lbc_arg>& Interpreter::argsOf(const std::vector<ir::Arg>& args, const char* helper) {
  auto [it, fresh] = args_.try_emplace(&args);
  if (fresh) {
    it->second.first = helper;
    for (const ir::Arg& a : args) it->second.second.push_back({a.str.data(), a.str.size(), a.num, nullptr});
    lbc_rt_args_prepare(helper, it->second.second.data(), static_cast<uint32_t>(it->second.second.size()));
  }
  return it->second.second;
}

int32_t Interpreter::sample(rt::Txn& t, const ir::SampleExpr& e, lbc_smp& smp) {
  stdlib::HelperRef f = stdlib::fetchHelper(e.fetch);
  std::vector<lbc_arg>& a = argsOf(e.args, f.name);
  int32_t r = f.fn(rt::toAbi(&t), a.data(), static_cast<uint32_t>(a.size()), &smp);
  if (r != LBC_FETCH_OK) return r;
  for (const ir::Converter& c : e.convs) {
    stdlib::HelperRef cv = stdlib::convHelper(c.id);
    std::vector<lbc_arg>& ca = argsOf(c.args, cv.name);
    if (!cv.fn(rt::toAbi(&t), ca.data(), static_cast<uint32_t>(ca.size()), &smp)) return LBC_FETCH_NONE;
  }
  return LBC_FETCH_OK;
}

bool Interpreter::render(rt::Txn& t, const ir::LogFormat& lf, lbc_smp& out) {
  lbc_txn* x = rt::toAbi(&t);
  // Samples first: one format is built at a time, and a sample never renders a format itself.
  std::vector<lbc_smp> vals(lf.items.size());
  for (size_t i = 0; i < lf.items.size(); ++i)
    if (lf.items[i].kind == ir::LogFormat::Item::Kind::Sample &&
        sample(t, *lf.items[i].sample, vals[i]) != LBC_FETCH_OK)
      vals[i] = lbc_smp{};
  lbc_lf_begin(x);
  for (size_t i = 0; i < lf.items.size(); ++i) {
    const auto& it = lf.items[i];
    switch (it.kind) {
      case ir::LogFormat::Item::Kind::Text:
        lbc_lf_text(x, it.text.data(), it.text.size());
        break;
      case ir::LogFormat::Item::Kind::Sample:
        lbc_lf_smp(x, &vals[i], it.lf_flags);
        break;
      case ir::LogFormat::Item::Kind::Alias:
        lbc_lf_alias(x, it.alias, it.lf_flags);
        break;
    }
  }
  return lbc_lf_end(x, &out) == 1;
}

bool Interpreter::matchOne(rt::Txn& t, const ir::AclTerm& term, const ir::Pattern& pat, lbc_smp smp) {
  lbc_txn* x = rt::toAbi(&t);
  const int32_t ic = term.icase ? 1 : 0;
  const std::string& pt = pat.text;
  auto str = [&](auto fn) {
    return lbc_rt_smp_cast(x, &smp, LBC_SMP_STR) == 1 && fn(smp.ptr, smp.len, pt.data(), pt.size(), ic) == 1;
  };
  auto range = [&](int64_t v) {
    return lbc_match_int(v, pat.lo, pat.hi,
                         (pat.has_lo ? LBC_INT_HAS_LO : 0) | (pat.has_hi ? LBC_INT_HAS_HI : 0)) == 1;
  };
  switch (term.method) {
    case MatchMethod::Str:
      return str(lbc_match_str);
    case MatchMethod::Beg:
      return str(lbc_match_beg);
    case MatchMethod::End:
      return str(lbc_match_end);
    case MatchMethod::Sub:
      return str(lbc_match_sub);
    case MatchMethod::Dir:
      return str(lbc_match_dir);
    case MatchMethod::Dom:
      return str(lbc_match_dom);
    case MatchMethod::Reg:
      return lbc_rt_smp_cast(x, &smp, LBC_SMP_STR) == 1 &&
             lbc_match_reg(regex(pt, term.icase), smp.ptr, smp.len) == 1;
    case MatchMethod::Len:
      return lbc_rt_smp_cast(x, &smp, LBC_SMP_STR) == 1 && range(static_cast<int64_t>(smp.len));
    case MatchMethod::Int:
      return lbc_rt_smp_cast(x, &smp, LBC_SMP_SINT) == 1 && range(smp.sint);
    case MatchMethod::Bin: {
      std::string b = unhex(pt);
      return lbc_rt_smp_cast(x, &smp, LBC_SMP_BIN) == 1 &&
             lbc_match_str(smp.ptr, smp.len, b.data(), b.size(), 0) == 1;
    }
    case MatchMethod::Ip:
      if (smp.type != LBC_SMP_IPV4 && smp.type != LBC_SMP_IPV6 &&
          lbc_rt_smp_cast(x, &smp, LBC_SMP_IPV4) != 1 && lbc_rt_smp_cast(x, &smp, LBC_SMP_IPV6) != 1)
        return false;
      return lbc_match_ip(&smp, pat.ip, pat.prefix_len, pat.ipv6 ? 1 : 0) == 1;
    case MatchMethod::Found:
    case MatchMethod::Bool:
      return false;  // handled without patterns
  }
  return false;
}

int32_t Interpreter::term(rt::Txn& t, const ir::AclTerm& term) {
  int32_t res = LBC_FAIL;
  lbc_smp smp{};
  if (stdlib::fetchIsMulti(term.expr.fetch)) smp.flags = LBC_SMPF_MULTI;
  do {
    int32_t r = sample(t, term.expr, smp);
    if (r != LBC_FETCH_OK) {
      if (r == LBC_FETCH_MISS) res |= LBC_MISS;
      break;
    }
    if (term.method == MatchMethod::Found) {
      res |= LBC_PASS;
    } else if (term.method == MatchMethod::Bool) {
      lbc_smp b = smp;
      if (lbc_rt_smp_cast(rt::toAbi(&t), &b, LBC_SMP_BOOL) == 1 && b.sint) res |= LBC_PASS;
    } else {
      for (const ir::Pattern& pat : term.patterns)
        if (matchOne(t, term, pat, smp)) {
          res |= LBC_PASS;
          break;
        }
    }
    if (res == LBC_PASS) break;
  } while (smp.flags & LBC_SMPF_NOT_LAST);
  // No value matched: a value that may still change (more data can come) makes it a miss.
  if (res != LBC_PASS && (smp.flags & LBC_SMPF_MAY_CHANGE)) res |= LBC_MISS;
  return res;
}

int32_t Interpreter::acl(rt::Txn& t, const ir::Acl& a) {
  int32_t res = LBC_FAIL;
  for (const ir::AclTerm& tm : a.terms) {
    res |= term(t, tm);
    if (res == LBC_PASS) break;
  }
  return res;
}

int32_t Interpreter::cond(rt::Txn& t, const ir::Proxy& px, const ir::Condition& c) {
  int32_t res = LBC_FAIL;
  for (const auto& suite : c.alternatives) {
    int32_t s = LBC_PASS;
    for (const ir::CondRef& ref : suite) {
      int32_t r = acl(t, px.acls[ref.acl]);
      s &= ref.negated ? neg(r) : r;
      if (s == LBC_FAIL) break;
    }
    res |= s;
    if (res == LBC_PASS) break;
  }
  return res;
}

// The condition of a rule as HAProxy applies it: MISS waits while data may come, else fails;
// `unless` inverts the result. Returns LBC_PASS, LBC_FAIL or LBC_MISS.
#define APPLY_COND(t, px, c, miss_waits)                                                    \
  [&]() -> int32_t {                                                                        \
    if (!(c)) return LBC_PASS;                                                              \
    int32_t r_ = cond(t, px, *(c));                                                         \
    if (r_ == LBC_MISS && (miss_waits) && lbc_rt_more_data(rt::toAbi(&t))) return LBC_MISS; \
    bool pass_ = r_ == LBC_PASS;                                                            \
    if ((c)->unless) pass_ = !pass_;                                                        \
    return pass_ ? LBC_PASS : LBC_FAIL;                                                     \
  }()

int32_t Interpreter::hook(Hook h, rt::Txn& t, uint32_t proxy) {
  const ir::Proxy& px = p_.proxies[proxy];
  for (uint32_t i = 0; i < px.rules.size(); ++i) {
    const ir::Rule& r = px.rules[i];
    if (r.set != h) continue;
    int32_t c = APPLY_COND(t, px, r.cond, true);
    if (c == LBC_MISS) return LBC_HOOK_MISS;
    if (c != LBC_PASS) continue;
    lbc_rt_fired(rt::toAbi(&t), proxy, LBC_RULE_ACTION, i);
    int32_t res = action(t, proxy, r);
    if (res != LBC_HOOK_CONTINUE) {
      if (res != LBC_HOOK_ALLOW) t.verdict = res;
      return res;
    }
  }
  return LBC_HOOK_CONTINUE;
}

int32_t Interpreter::action(rt::Txn& t, uint32_t proxy, const ir::Rule& r) {
  (void)proxy;
  lbc_txn* x = rt::toAbi(&t);
  using A = ir::ActionId;
  const int32_t dir = ir::isResponseSide(r.set) ? LBC_DIR_RES : LBC_DIR_REQ;
  auto done = [](int32_t rc) { return rc < 0 ? LBC_HOOK_ERROR : LBC_HOOK_CONTINUE; };
  lbc_smp v{};
  switch (r.action) {
    case A::set_header:
    case A::add_header: {
      const auto& h = std::get<ir::HeaderArgs>(r.args);
      if (!render(t, h.value, v)) return LBC_HOOK_ERROR;
      return done((r.action == A::set_header ? lbc_act_set_header : lbc_act_add_header)(x, dir, h.name.data(),
                                                                                        h.name.size(), &v));
    }
    case A::del_header: {
      const auto& h = std::get<ir::HeaderArgs>(r.args);
      int32_t m = static_cast<int32_t>(h.method.value_or(MatchMethod::Str));
      const lbc_regex* re = m == LBC_MATCH_REG ? regex(h.name, false) : nullptr;
      return done(lbc_act_del_header(x, dir, h.name.data(), h.name.size(), m, re));
    }
    case A::replace_header:
    case A::replace_value: {
      const auto& h = std::get<ir::HeaderArgs>(r.args);
      if (!render(t, h.value, v)) return LBC_HOOK_ERROR;
      auto fn = r.action == A::replace_header ? lbc_act_replace_header : lbc_act_replace_value;
      return done(fn(x, dir, h.name.data(), h.name.size(), regex(h.regex, false), &v));
    }
    case A::set_path:
    case A::set_uri:
    case A::set_query:
    case A::set_pathq:
    case A::set_method:
      if (!render(t, std::get<ir::FormatArgs>(r.args).value, v)) return LBC_HOOK_ERROR;
      return done(r.action == A::set_path     ? lbc_act_set_path(x, &v)
                  : r.action == A::set_uri    ? lbc_act_set_uri(x, &v)
                  : r.action == A::set_pathq  ? lbc_act_set_pathq(x, &v)
                  : r.action == A::set_method ? lbc_act_set_method(x, &v)
                                              : lbc_act_set_query(x, &v));
    case A::replace_path:
    case A::replace_pathq:
    case A::replace_uri: {
      const auto& h = std::get<ir::HeaderArgs>(r.args);
      if (!render(t, h.value, v)) return LBC_HOOK_ERROR;
      int32_t part = r.action == A::replace_path    ? LBC_URI_PATH
                     : r.action == A::replace_pathq ? LBC_URI_PATHQ
                                                    : LBC_URI_WHOLE;
      return done(lbc_act_replace_uri(x, part, regex(h.regex, false), &v));
    }
    case A::set_var: {
      const auto& a = std::get<ir::VarArgs>(r.args);
      if (sample(t, a.expr, v) != LBC_FETCH_OK) v = lbc_smp{};
      return done(lbc_act_set_var(x, static_cast<int32_t>(a.scope), a.name.data(), a.name.size(), &v));
    }
    case A::track_sc0:
    case A::track_sc1:
    case A::track_sc2: {
      const auto& a = std::get<ir::TrackArgs>(r.args);
      if (sample(t, a.key, v) != LBC_FETCH_OK) v = lbc_smp{};
      return done(lbc_act_track_sc(x, a.slot, &v, a.table.data(), a.table.size(),
                                   static_cast<int32_t>(a.table_proxy)));
    }
    case A::sc_inc_gpc0:
    case A::sc_inc_gpc1:
    case A::sc_set_gpt0: {
      const auto& a = std::get<ir::CounterArgs>(r.args);
      const int32_t op = r.action == A::sc_inc_gpc0   ? LBC_SC_INC_GPC0
                         : r.action == A::sc_inc_gpc1 ? LBC_SC_INC_GPC1
                                                      : LBC_SC_SET_GPT0;
      const lbc_smp* e = nullptr;
      if (a.expr) {
        if (sample(t, *a.expr, v) != LBC_FETCH_OK) v = lbc_smp{};
        e = &v;
      }
      return done(lbc_act_sc_counter(x, op, a.slot, a.value, e));
    }
    case A::set_status: {
      const auto& a = std::get<ir::StatusArgs>(r.args);
      return done(lbc_act_set_status(x, a.status, a.reason.data(), a.reason.size()));
    }
    case A::redirect: {
      const auto& a = std::get<ir::RedirectArgs>(r.args);
      if (!render(t, a.target, v)) return LBC_HOOK_ERROR;
      int32_t flags = (a.drop_query ? LBC_REDIR_DROP_QUERY : 0) |
                      (a.append_slash ? LBC_REDIR_APPEND_SLASH : 0) |
                      (a.ignore_empty ? LBC_REDIR_IGNORE_EMPTY : 0);
      int32_t rc = lbc_act_redirect(x, static_cast<int32_t>(a.type), &v, a.code, flags, a.set_cookie.data(),
                                    a.set_cookie.size(), a.clear_cookie.data(), a.clear_cookie.size());
      if (rc < 0) return LBC_HOOK_ERROR;
      if (rc == 0) return LBC_HOOK_CONTINUE;  // ignore-empty with an empty location
      return LBC_HOOK_REDIRECT;
    }
    case A::deny:
    case A::return_:
    case A::auth:
      return reply(t, r);
    case A::allow:
    case A::accept:
      return LBC_HOOK_ALLOW;
    case A::reject:
      return LBC_HOOK_REJECT;
    default:
      return LBC_HOOK_ERROR;  // sema and the driver's supported-check keep this unreachable
  }
}

// deny / return: the reply, then DENY or RETURN.
int32_t Interpreter::reply(rt::Txn& t, const ir::Rule& r) {
  lbc_txn* x = rt::toAbi(&t);
  ir::ReturnArgs def;  // a plain `deny`: HAProxy's 403 page
  def.status = 403;
  const auto* ap = std::get_if<ir::ReturnArgs>(&r.args);
  const ir::ReturnArgs& a = ap ? *ap : def;
  using B = ir::ReturnArgs::Body;
  int32_t kind = LBC_BODY_NONE;
  lbc_smp body{}, v{};
  std::string text;
  if (a.body == B::String || a.body == B::File || a.body == B::Errorfile || a.body == B::Page) {
    if (a.body == B::String || a.body == B::Page)
      text = a.text;
    else {
      auto [it, fresh] = files_.try_emplace(a.text);
      if (fresh) it->second = readFile(a.text);
      text = it->second;
    }
    kind = a.body == B::Errorfile || a.body == B::Page ? LBC_BODY_ERRORFILE : LBC_BODY_TEXT;
    body.type = LBC_SMP_STR, body.ptr = text.data(), body.len = text.size();
  } else if (a.body == B::LfString) {
    if (!render(t, a.lf, body)) return LBC_HOOK_ERROR;
    kind = LBC_BODY_TEXT;
  }
  if (lbc_act_reply(x, a.status, a.content_type.data(), a.content_type.size(), kind, &body) < 0)
    return LBC_HOOK_ERROR;
  for (const auto& [hn, hv] : a.headers) {
    if (!render(t, hv, v) || lbc_act_reply_header(x, hn.data(), hn.size(), &v) < 0) return LBC_HOOK_ERROR;
  }
  return r.action == ir::ActionId::deny ? LBC_HOOK_DENY : LBC_HOOK_RETURN;
}

int32_t Interpreter::backendOf(rt::Txn& t, const ir::UseBackend& u) {
  if (!u.dynamic) return static_cast<int32_t>(u.backend);
  lbc_smp v{};
  if (!render(t, *u.dynamic, v)) return LBC_BACKEND_NONE;
  return lbc_rt_find_backend(rt::toAbi(&t), v.ptr, v.len);
}

int32_t Interpreter::selectBackend(rt::Txn& t, uint32_t frontend) {
  const ir::Proxy& px = p_.proxies[frontend];
  for (uint32_t i = 0; i < px.use_backends.size(); ++i) {
    const ir::UseBackend& u = px.use_backends[i];
    if (APPLY_COND(t, px, u.cond, false) != LBC_PASS) continue;
    int32_t be = backendOf(t, u);
    if (be < 0) break;  // HAProxy: an unknown dynamic name falls back to the default backend
    lbc_rt_fired(rt::toAbi(&t), frontend, LBC_RULE_USE_BACKEND, i);
    return be;
  }
  if (px.default_backend) {
    int32_t be = backendOf(t, *px.default_backend);
    if (be >= 0) {
      lbc_rt_fired(rt::toAbi(&t), frontend, LBC_RULE_DEFAULT_BACKEND, 0);
      return be;
    }
  }
  return px.isBackend() ? static_cast<int32_t>(frontend) : LBC_BACKEND_NONE;
}

int32_t Interpreter::stick(rt::Txn& t, uint32_t proxy, uint32_t rule, lbc_smp* key) {
  const ir::Proxy& px = p_.proxies[proxy];
  const ir::StickRule& s = px.stick_rules[rule];
  *key = lbc_smp{};
  int32_t c = APPLY_COND(t, px, s.cond, true);
  if (c != LBC_PASS) return c;
  int32_t r = sample(t, s.expr, *key);
  if (r == LBC_FETCH_MISS) return LBC_MISS;
  if (r != LBC_FETCH_OK) *key = lbc_smp{};
  return LBC_PASS;
}

}  // namespace lbc::interp

#include "interp/outcome.h"

#include <sstream>

namespace lbc::interp {

namespace {
const char* scopeName(int32_t s) {
  static const char* kNames[] = {"proc", "sess", "txn", "req", "res"};
  return s >= 0 && s < 5 ? kNames[s] : "?";
}
const char* typeName(uint32_t t) {
  static const char* kNames[] = {"none", "bool", "sint", "ipv4", "ipv6", "str", "bin", "meth"};
  return t < 8 ? kNames[t] : "?";
}
std::string hexIfBinary(std::string_view v) {
  for (unsigned char c : v)
    if (c < 0x20 || c >= 0x7f) {
      static const char kHex[] = "0123456789abcdef";
      std::string h = "0x";
      for (unsigned char b : v) h += kHex[b >> 4], h += kHex[b & 15];
      return h;
    }
  return std::string(v);
}
}  // namespace

std::string smpText(const lbc_smp& s) {
  char buf[64];
  switch (s.type) {
    case LBC_SMP_NONE:
      return "-";
    case LBC_SMP_BOOL:
    case LBC_SMP_SINT:
      return std::to_string(s.sint);
    case LBC_SMP_IPV4:
      std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", s.ip[0], s.ip[1], s.ip[2], s.ip[3]);
      return buf;
    case LBC_SMP_IPV6: {
      std::string r;
      for (int i = 0; i < 16; i += 2) {
        std::snprintf(buf, sizeof buf, "%s%x", i ? ":" : "", (s.ip[i] << 8) | s.ip[i + 1]);
        r += buf;
      }
      return r;
    }
    default:
      return hexIfBinary(std::string_view(s.ptr ? s.ptr : "", s.len));
  }
}

const char* verdictName(int32_t v) {
  switch (v) {
    case LBC_HOOK_CONTINUE:
      return "forward";
    case LBC_HOOK_ALLOW:
      return "allow";
    case LBC_HOOK_DENY:
      return "deny";
    case LBC_HOOK_REJECT:
      return "reject";
    case LBC_HOOK_REDIRECT:
      return "redirect";
    case LBC_HOOK_RETURN:
      return "return";
    case LBC_HOOK_MISS:
      return "wait for more data";
    case LBC_HOOK_ERROR:
      return "error (rewrite failed: 500)";
  }
  return "?";
}

void captureState(const rt::Txn& t, Outcome& o) {
  o.fired = t.fired;
  o.method = t.method;
  o.uri = t.uri;
  for (const rt::Header& h : t.req_headers) o.req_headers.emplace_back(h.name, h.value);
  if (t.has_response) {
    o.res_status = t.status;
    o.res_reason = t.reason;
    for (const rt::Header& h : t.res_headers) o.res_headers.emplace_back(h.name, h.value);
  }
  for (const rt::Var& v : t.vars)
    o.vars.push_back(std::string(scopeName(v.scope)) + "." + std::string(v.name) + "=" + smpText(v.value) +
                     "(" + typeName(v.value.type) + ")");
  for (const rt::Track& k : t.tracks)
    o.tracks.push_back("sc" + std::to_string(k.slot) + "=" + smpText(k.key) + "(" + typeName(k.key.type) +
                       ")" + (k.table.empty() ? "" : "@" + std::string(k.table)));
}

ir::SourceLoc ruleLoc(const ir::Program& p, const rt::FiredRule& r) {
  if (r.proxy >= p.proxies.size()) return {};
  const ir::Proxy& px = p.proxies[r.proxy];
  switch (r.kind) {
    case LBC_RULE_ACTION:
      return r.index < px.rules.size() ? px.rules[r.index].loc : ir::SourceLoc{};
    case LBC_RULE_USE_BACKEND:
      return r.index < px.use_backends.size() ? px.use_backends[r.index].loc : ir::SourceLoc{};
    case LBC_RULE_DEFAULT_BACKEND:
      return px.default_backend ? px.default_backend->loc : ir::SourceLoc{};
    case LBC_RULE_STICK:
      return r.index < px.stick_rules.size() ? px.stick_rules[r.index].loc : ir::SourceLoc{};
  }
  return {};
}

std::string describe(const Outcome& o, const ir::Program& p, const std::vector<std::string>& files) {
  std::ostringstream s;
  auto where = [&](ir::SourceLoc l) {
    return l.file && l.file <= files.size() ? files[l.file - 1] + ":" + std::to_string(l.line)
                                            : std::string("?");
  };
  auto ruleText = [&](const rt::FiredRule& r) -> std::string {
    const ir::Proxy& px = p.proxies[r.proxy];
    switch (r.kind) {
      case LBC_RULE_ACTION: {
        const ir::Rule& rule = px.rules[r.index];
        return std::string(ir::ruleSetName(rule.set)) + " " + rule.action_name;
      }
      case LBC_RULE_USE_BACKEND:
        return "use_backend " + px.use_backends[r.index].name;
      case LBC_RULE_DEFAULT_BACKEND:
        return "default_backend " + px.default_backend->name;
      default:
        return "stick";
    }
  };
  if (!o.backend_selected)
    s << "backend: (not selected)\n";
  else if (o.backend < 0)
    s << "backend: none (503 Service Unavailable)\n";
  else
    s << "backend: " << p.proxies[o.backend].name << "\n";
  s << "verdict: " << verdictName(o.verdict);
  if (!o.stage.empty()) s << " (in " << o.stage << ")";
  if (o.status) s << " " << o.status;
  s << "\n";
  for (const auto& [n, v] : o.reply_headers) s << "  " << n << ": " << v << "\n";
  if (!o.content_type.empty()) s << "  content-type: " << o.content_type << "\n";
  if (!o.body.empty()) s << "  body: " << o.body.size() << " bytes\n";
  s << "rules fired:" << (o.fired.empty() ? " none" : "") << "\n";
  for (const rt::FiredRule& r : o.fired)
    s << "  " << where(ruleLoc(p, r)) << "  " << p.proxies[r.proxy].name << ": " << ruleText(r) << "\n";
  for (const StickResult& st : o.sticks)
    s << "stick rule " << where(p.proxies[o.backend].stick_rules[st.rule].loc) << ": "
      << (st.result == LBC_PASS   ? "key " + st.key
          : st.result == LBC_MISS ? std::string("miss")
                                  : std::string("no"))
      << "\n";
  if (!o.method.empty() || !o.uri.empty()) {
    s << "request:\n  " << o.method << " " << o.uri << "\n";
    for (const auto& [n, v] : o.req_headers) s << "  " << n << ": " << v << "\n";
  }
  if (o.res_status) {
    s << "response:\n  " << o.res_status << (o.res_reason.empty() ? "" : " " + o.res_reason) << "\n";
    for (const auto& [n, v] : o.res_headers) s << "  " << n << ": " << v << "\n";
  }
  for (const std::string& v : o.vars) s << "var " << v << "\n";
  for (const std::string& k : o.tracks) s << "track " << k << "\n";
  return s.str();
}

}  // namespace lbc::interp

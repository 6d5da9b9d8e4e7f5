// Rule actions (lbc_act_*): rewrites of the request/response view, variables, tracked keys and the
// verdict. New bytes go to the txn arena; a full arena makes the action fail (-1).
#include <string>

#include "internal.h"
#include "lbc/rt/stk_data.h"
#include "uri.h"

using namespace lbc::rt;
using namespace lbc::rt::detail;

namespace {

std::vector<Header>& headersOf(Txn& t, int32_t dir) {
  return dir == LBC_DIR_RES ? t.res_headers : t.req_headers;
}
std::string_view sv(const char* p, uint64_t n) {
  return {p ? p : "", static_cast<size_t>(n)};
}

int32_t failed(Txn& t) {
  t.rewrite_failed = true;
  return -1;
}

bool nameMatches(std::string_view hname, std::string_view name, int32_t method, const lbc_regex* re) {
  switch (method) {
    case LBC_MATCH_BEG:
      return lbc_match_beg(hname.data(), hname.size(), name.data(), name.size(), 1);
    case LBC_MATCH_END:
      return lbc_match_end(hname.data(), hname.size(), name.data(), name.size(), 1);
    case LBC_MATCH_SUB:
      return lbc_match_sub(hname.data(), hname.size(), name.data(), name.size(), 1);
    case LBC_MATCH_REG:
      return re && lbc_match_reg(re, hname.data(), hname.size());
    default:
      return ieq(hname, name);
  }
}

// HAProxy's exp_replace: the replacement with \0..\9 taken from the match of `re` on `in`.
bool substitute(const lbc_regex* re, std::string_view in, std::string_view repl, std::string& out) {
  size_t ov[20];
  int n = 0;
  if (!regexSearch(re, in, ov, 10, &n)) return false;
  out.clear();
  for (size_t i = 0; i < repl.size(); ++i) {
    if (repl[i] == '\\' && i + 1 < repl.size() && repl[i + 1] >= '0' && repl[i + 1] <= '9') {
      int g = repl[++i] - '0';
      if (g < n && ov[2 * g] != SIZE_MAX) out.append(in.substr(ov[2 * g], ov[2 * g + 1] - ov[2 * g]));
    } else {
      out += repl[i];
    }
  }
  return true;
}

bool isLws(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// The end of the list value starting at `i` (HAProxy's http_find_hdr_value_end): the next comma
// outside a quoted string (where a backslash quotes the next character), or the end.
size_t valueEnd(std::string_view v, size_t i) {
  bool quoted = false, pair = false;
  for (; i < v.size(); ++i) {
    char c = v[i];
    if (pair) {
      pair = false;
    } else if (quoted) {
      if (c == '\\')
        pair = true;
      else if (c == '"')
        quoted = false;
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      return i;
    }
  }
  return v.size();
}

int32_t setUriPart(Txn& t, std::string_view uri) {
  bool ok = false;
  std::string_view v = t.arena.copy(uri, &ok);
  if (!ok && !uri.empty()) return failed(t);
  t.uri = v;
  return 1;
}

}  // namespace

extern "C" {

int32_t lbc_act_add_header(lbc_txn* txn, int32_t dir, const char* name, uint64_t nlen, const lbc_smp* value) {
  Txn& t = T(txn);
  bool ok1 = false, ok2 = false;
  std::string_view n = t.arena.copy(sv(name, nlen), &ok1);
  std::string_view v = t.arena.copy(view(*value), &ok2);
  if (!ok1 || !ok2) return failed(t);
  headersOf(t, dir).push_back({n, v});
  return 1;
}

int32_t lbc_act_set_header(lbc_txn* txn, int32_t dir, const char* name, uint64_t nlen, const lbc_smp* value) {
  Txn& t = T(txn);
  std::vector<Header>& hs = headersOf(t, dir);
  std::erase_if(hs, [&](const Header& h) { return ieq(h.name, sv(name, nlen)); });
  return lbc_act_add_header(txn, dir, name, nlen, value);
}

int32_t lbc_act_del_header(lbc_txn* txn, int32_t dir, const char* name, uint64_t nlen, int32_t method,
                           const lbc_regex* re) {
  std::vector<Header>& hs = headersOf(T(txn), dir);
  size_t before = hs.size();
  std::erase_if(hs, [&](const Header& h) { return nameMatches(h.name, sv(name, nlen), method, re); });
  return hs.size() != before ? 1 : 0;
}

int32_t lbc_act_replace_header(lbc_txn* txn, int32_t dir, const char* name, uint64_t nlen,
                               const lbc_regex* re, const lbc_smp* replacement) {
  Txn& t = T(txn);
  int32_t r = 0;
  std::string out;
  for (Header& h : headersOf(t, dir)) {
    if (!ieq(h.name, sv(name, nlen)) || !substitute(re, h.value, view(*replacement), out)) continue;
    bool ok = false;
    std::string_view v = t.arena.copy(out, &ok);
    if (!ok && !out.empty()) return failed(t);
    h.value = v;
    r = 1;
  }
  return r;
}

int32_t lbc_act_replace_value(lbc_txn* txn, int32_t dir, const char* name, uint64_t nlen, const lbc_regex* re,
                              const lbc_smp* replacement) {
  Txn& t = T(txn);
  int32_t r = 0;
  std::string out;
  for (Header& h : headersOf(t, dir)) {
    if (!ieq(h.name, sv(name, nlen))) continue;
    // HAProxy's http_replace_hdrs() over http_find_header(): each comma-delimited value (a comma
    // inside a quoted string does not delimit), without the blanks around it, is matched; a
    // matching one is replaced together with those blanks, the others stay exactly as they were
    // ("a1, b2, c3, bb" with ^b.*$ -> z gives "a1,z, c3,z").
    std::string nv;
    std::string_view v = h.value;
    bool changed = false;
    for (size_t start = 0;;) {
      size_t end = valueEnd(v, start);
      std::string_view item = v.substr(start, end - start);
      size_t b = 0, e = item.size();
      while (b < e && isLws(item[b])) ++b;
      while (e > b && isLws(item[e - 1])) --e;
      if (substitute(re, item.substr(b, e - b), view(*replacement), out))
        nv += out, changed = true;
      else
        nv.append(item);
      if (end == v.size()) break;
      nv += ',';
      start = end + 1;
    }
    if (!changed) continue;
    bool ok = false;
    std::string_view c = t.arena.copy(nv, &ok);
    if (!ok && !nv.empty()) return failed(t);
    h.value = c;
    r = 1;
  }
  return r;
}

int32_t lbc_act_set_uri(lbc_txn* txn, const lbc_smp* value) {
  return setUriPart(T(txn), view(*value));
}

int32_t lbc_act_set_path(lbc_txn* txn, const lbc_smp* value) {
  Txn& t = T(txn);
  std::string_view pq = uriPathQuery(t.uri);
  std::string_view prefix = t.uri.substr(0, t.uri.size() - pq.size());
  if (pq.empty() && t.uri.find("://") == std::string_view::npos) prefix = {};  // "*" and the like
  size_t q = pq.find('?');
  std::string_view query = q == std::string_view::npos ? std::string_view() : pq.substr(q);
  return setUriPart(t, std::string(prefix) + std::string(view(*value)) + std::string(query));
}

int32_t lbc_act_set_query(lbc_txn* txn, const lbc_smp* value) {
  Txn& t = T(txn);
  size_t q = t.uri.find('?');
  std::string_view nq = view(*value);
  if (q == std::string_view::npos) {
    if (nq.empty()) return 0;  // HAProxy adds no '?' for an empty query
    return setUriPart(t, std::string(t.uri) + "?" + std::string(nq));
  }
  return setUriPart(t, std::string(t.uri.substr(0, q + 1)) + std::string(nq));
}

// set-pathq: the path and its query, after the scheme and authority of an absolute URI.
int32_t lbc_act_set_pathq(lbc_txn* txn, const lbc_smp* value) {
  Txn& t = T(txn);
  std::string_view pq = uriPathQuery(t.uri);
  std::string_view prefix = t.uri.substr(0, t.uri.size() - pq.size());
  if (pq.empty() && t.uri.find("://") == std::string_view::npos) prefix = {};  // "*" and the like
  return setUriPart(t, std::string(prefix) + std::string(view(*value)));
}

int32_t lbc_act_set_method(lbc_txn* txn, const lbc_smp* value) {
  Txn& t = T(txn);
  bool ok = false;
  std::string_view m = t.arena.copy(view(*value), &ok);
  if (!ok) return failed(t);
  t.method = m;
  return 1;
}

// replace-uri / replace-path / replace-pathq (HAProxy's http_action_replace_uri): when `re`
// matches the part, the part becomes the replacement with its \N references.
int32_t lbc_act_replace_uri(lbc_txn* txn, int32_t part, const lbc_regex* re, const lbc_smp* replacement) {
  Txn& t = T(txn);
  std::string_view in = part == LBC_URI_WHOLE ? t.uri : uriPathQuery(t.uri);
  if (part == LBC_URI_PATH) in = in.substr(0, in.find('?'));
  std::string out;
  if (!substitute(re, in, view(*replacement), out)) return 0;
  lbc_smp v{};
  v.type = LBC_SMP_STR, v.ptr = out.data(), v.len = out.size();
  return part == LBC_URI_WHOLE  ? lbc_act_set_uri(txn, &v)
         : part == LBC_URI_PATH ? lbc_act_set_path(txn, &v)
                                : lbc_act_set_pathq(txn, &v);
}

int32_t lbc_act_set_var(lbc_txn* txn, int32_t scope, const char* name, uint64_t nlen, const lbc_smp* value) {
  Txn& t = T(txn);
  if (value->type == LBC_SMP_NONE) return 0;
  lbc_smp v = *value;
  v.flags = 0;
  v.ctx = 0;
  if (v.type == LBC_SMP_STR || v.type == LBC_SMP_BIN || v.type == LBC_SMP_METH) {
    bool ok = false;
    std::string_view c = t.arena.copy(view(v), &ok);
    if (!ok && v.len) return failed(t);
    v.ptr = c.data();
  }
  for (Var& x : t.vars)
    if (x.scope == scope && x.name == sv(name, nlen)) return x.value = v, 1;
  bool ok = false;
  std::string_view n = t.arena.copy(sv(name, nlen), &ok);
  if (!ok) return failed(t);
  t.vars.push_back({scope, n, v});
  return 1;
}

int32_t lbc_act_redirect(lbc_txn* txn, int32_t type, const lbc_smp* target, int32_t code, int32_t flags,
                         const char* set_cookie, uint64_t sclen, const char* clear_cookie, uint64_t cclen) {
  Txn& t = T(txn);
  std::string loc;
  std::string_view tgt = view(*target);
  if (type == LBC_REDIR_LOCATION) {
    if (tgt.empty() && (flags & LBC_REDIR_IGNORE_EMPTY)) return 0;  // HAProxy: the rule is skipped
    loc = tgt;
  } else {
    std::string_view path = uriPathQuery(t.uri);
    if (flags & LBC_REDIR_DROP_QUERY) path = path.substr(0, path.find('?'));
    if (type == LBC_REDIR_SCHEME) {
      std::string_view host;
      for (const Header& h : t.req_headers)
        if (ieq(h.name, "host")) {
          host = h.value;
          break;
        }
      loc = std::string(tgt) + "://" + std::string(host);
    } else if (tgt != "/") {
      loc = tgt;
    }
    loc += path;
    if ((flags & LBC_REDIR_APPEND_SLASH) && (path.empty() || path.back() != '/')) loc += '/';
  }
  bool ok = false;
  std::string_view l = t.arena.copy(loc, &ok);
  if (!ok) return failed(t);
  t.reply = Reply{};
  t.reply.status = code;
  t.reply.headers.push_back({"Location", l});
  if (sclen) {
    std::string c = std::string(sv(set_cookie, sclen)) + "; path=/;";  // HAProxy 2.6's exact bytes
    std::string_view cv = t.arena.copy(c, &ok);
    if (!ok) return failed(t);
    t.reply.headers.push_back({"Set-Cookie", cv});
  }
  if (cclen) {
    std::string c = std::string(sv(clear_cookie, cclen)) + "; path=/; Max-Age=0;";
    std::string_view cv = t.arena.copy(c, &ok);
    if (!ok) return failed(t);
    t.reply.headers.push_back({"Set-Cookie", cv});
  }
  t.verdict = LBC_HOOK_REDIRECT;
  return 1;
}

int32_t lbc_act_reply(lbc_txn* txn, int32_t status, const char* content_type, uint64_t ctlen,
                      int32_t body_kind, const lbc_smp* body) {
  Txn& t = T(txn);
  t.reply = Reply{};
  t.reply.status = status;
  t.reply.content_type = sv(content_type, ctlen);
  t.reply.body_kind = body_kind;
  if (body && body_kind != LBC_BODY_NONE) {
    bool ok = false;
    t.reply.body = t.arena.copy(view(*body), &ok);
    if (!ok && body->len) return failed(t);
  }
  return 1;
}

int32_t lbc_act_reply_header(lbc_txn* txn, const char* name, uint64_t nlen, const lbc_smp* value) {
  Txn& t = T(txn);
  if (value->len == 0) return 1;  // HAProxy's http reply adds no header whose value came out empty
  bool ok1 = false, ok2 = false;
  std::string_view n = t.arena.copy(sv(name, nlen), &ok1), v = t.arena.copy(view(*value), &ok2);
  if (!ok1 || (!ok2 && value->len)) return failed(t);
  t.reply.headers.push_back({n, v});
  return 1;
}

int32_t lbc_act_track_sc(lbc_txn* txn, int32_t slot, const lbc_smp* key, const char* table, uint64_t tlen,
                         int32_t table_proxy) {
  Txn& t = T(txn);
  if (key->type == LBC_SMP_NONE) return 0;
  if (t.stk) t.stk->track(slot, *key, table_proxy);
  for (const Track& k : t.tracks)
    if (k.slot == slot) return 0;  // a slot already tracked stays (HAProxy ignores later track-scN)
  Track k{slot, *key, {}};
  k.key.flags = 0;
  k.key.ctx = 0;
  bool ok = true;
  if (key->type == LBC_SMP_STR || key->type == LBC_SMP_BIN || key->type == LBC_SMP_METH)
    k.key.ptr = t.arena.copy(view(*key), &ok).data();
  if (!ok && key->len) return failed(t);
  k.table = t.arena.copy(sv(table, tlen), &ok);
  if (!ok && tlen) return failed(t);
  t.tracks.push_back(k);
  return 1;
}

int32_t lbc_act_set_status(lbc_txn* txn, int32_t status, const char* reason, uint64_t rlen) {
  Txn& t = T(txn);
  bool ok = false;
  t.reason = t.arena.copy(sv(reason, rlen), &ok);
  if (!ok && rlen) return failed(t);
  t.status = status;
  return 1;
}

// sc-inc-gpc0/1 and sc-set-gpt0 on the entry counter `slot` tracks (nothing when it tracks none,
// or the table does not store the data type); an expression that has no integer value sets
// nothing. Never ends the rules.
int32_t lbc_act_sc_counter(lbc_txn* txn, int32_t op, int32_t slot, int64_t value, const lbc_smp* expr) {
  Txn& t = T(txn);
  if (!t.stk) return 1;
  int64_t out = 0;
  if (op == LBC_SC_SET_GPT0) {
    if (expr) {
      if (expr->type == LBC_SMP_SINT || expr->type == LBC_SMP_BOOL)
        value = expr->sint;
      else if (expr->type == LBC_SMP_STR)
        value = readInt(view(*expr));
      else
        return 1;
    }
    t.stk->op(StkOp::Set, slot, nullptr, {}, static_cast<uint32_t>(StkData::Gpt0), int64_t(uint32_t(value)),
              out);
    return 1;
  }
  t.stk->op(StkOp::Inc, slot, nullptr, {},
            static_cast<uint32_t>(op == LBC_SC_INC_GPC1 ? StkData::Gpc1 : StkData::Gpc0), 0, out);
  return 1;
}

}  // extern "C"

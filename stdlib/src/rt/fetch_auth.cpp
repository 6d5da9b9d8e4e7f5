// The Authorization header's fetches (HAProxy 2.6 http_fetch.c: http_auth*, get_http_auth) and
// the userlists they check against (auth.c: check_user, crypt(3) through libxcrypt's crypt_r).
#include <crypt.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "internal.h"
#include "userlist.h"

using namespace lbc::rt;
using namespace lbc::rt::detail;

namespace lbc::rt::detail {

UserList* parseUserList(std::string_view data) {
  auto ul = std::make_unique<UserList>();
  while (!data.empty()) {
    size_t nl = data.find('\n');
    std::string_view line = data.substr(0, nl);
    data = nl == std::string_view::npos ? std::string_view() : data.substr(nl + 1);
    std::string_view f[4];
    for (int i = 0; i < 4; ++i) {
      size_t tab = i < 3 ? line.find('\t') : std::string_view::npos;
      f[i] = line.substr(0, tab);
      line = tab == std::string_view::npos ? std::string_view() : line.substr(tab + 1);
    }
    UserList::User u{std::string(f[0]), std::string(f[2]), f[1] == "I", {}};
    for (std::string_view g = f[3]; !g.empty();) {
      size_t c = g.find(',');
      u.groups.emplace_back(g.substr(0, c));
      g = c == std::string_view::npos ? std::string_view() : g.substr(c + 1);
    }
    ul->users.push_back(std::move(u));
  }
  return ul.release();
}

void freeUserList(UserList* ul) {
  delete ul;
}

}  // namespace lbc::rt::detail

namespace {

enum class Method { None, Basic, Bearer };

struct Auth {
  Method method = Method::None;
  std::string_view data;        // after the scheme and its spaces
  std::string_view user, pass;  // Basic, in the arena
};

// The first value of the first `name` header (HAProxy's http_find_header, not full: values end
// at a comma outside quotes), trimmed.
bool firstValue(const Txn& t, std::string_view name, std::string_view& out) {
  for (const Header& h : t.req_headers) {
    if (!ieq(h.name, name)) continue;
    std::string_view v = h.value;
    bool quoted = false;
    size_t i = 0;
    for (; i < v.size(); ++i) {
      if (v[i] == '"')
        quoted = !quoted;
      else if (v[i] == '\\' && quoted)
        ++i;
      else if (v[i] == ',' && !quoted)
        break;
    }
    out = lbc::stdlib::trim(v.substr(0, std::min(i, v.size())), " \t");
    return true;
  }
  return false;
}

// A scheme word matches when it is a case-insensitive prefix of the scheme (HAProxy compares
// with strncasecmp over the word's length).
bool schemeIs(std::string_view word, std::string_view scheme) {
  return word.size() <= scheme.size() && ieq(word, scheme.substr(0, word.size()));
}

// get_http_auth: the scheme up to the first space (not empty), the data after the spaces;
// Basic data decodes to "user:pass" (the password ends at a NUL byte, as HAProxy's C string).
bool getAuth(Txn& t, Auth& a) {
  if (!t.http) return false;
  std::string_view v;
  if (!firstValue(t, "Authorization", v)) return false;
  size_t sp = v.find(' ');
  if (sp == std::string_view::npos || sp == 0) return false;
  std::string_view scheme = v.substr(0, sp);
  size_t p = sp;
  while (p < v.size() && v[p] == ' ') ++p;
  a.data = v.substr(p);
  if (schemeIs(scheme, "Basic")) {
    std::string dec;
    if (!b64dec(a.data, dec)) return false;
    dec = dec.substr(0, std::strlen(dec.c_str()));
    size_t colon = dec.find(':');
    if (colon == std::string::npos) return false;
    bool ok1 = false, ok2 = false;
    a.user = t.arena.copy(std::string_view(dec).substr(0, colon), &ok1);
    a.pass = t.arena.copy(std::string_view(dec).substr(colon + 1), &ok2);
    if ((!ok1 && colon) || (!ok2 && colon + 1 < dec.size())) return false;
    a.method = Method::Basic;
    return true;
  }
  if (schemeIs(scheme, "Bearer")) {
    a.method = Method::Bearer;
    return true;
  }
  return false;
}

// check_user: the user's insecure password compared as is, or its hash through crypt(3).
const UserList::User* checkUser(const UserList* ul, std::string_view user, std::string_view pass) {
  if (!ul) return nullptr;
  for (const auto& u : ul->users) {
    if (u.name != user) continue;
    std::string pw(pass);
    if (u.insecure) return pw == u.pass ? &u : nullptr;
    thread_local std::unique_ptr<crypt_data> cd = std::make_unique<crypt_data>();
    std::memset(cd.get(), 0, sizeof *cd);
    const char* ep = crypt_r(pw.c_str(), u.pass.c_str(), cd.get());
    return ep && u.pass == ep ? &u : nullptr;
  }
  return nullptr;
}

const UserList* listOf(const lbc_arg* args, uint32_t nargs) {
  return nargs > 0 ? static_cast<const UserList*>(args[0].obj) : nullptr;
}

}  // namespace

#define FETCH(Id) int32_t lbc_fetch_##Id(lbc_txn* txn, const lbc_arg* args, uint32_t nargs, lbc_smp* out)

extern "C" {

FETCH(http_auth_type) {
  (void)args, (void)nargs;
  Auth a;
  if (!getAuth(T(txn), a)) return setNone(out), LBC_FETCH_NONE;
  setStr(out, a.method == Method::Basic ? "Basic" : "Bearer");
  return LBC_FETCH_OK;
}

FETCH(http_auth_user) {
  (void)args, (void)nargs;
  Auth a;
  if (!getAuth(T(txn), a) || a.method != Method::Basic) return setNone(out), LBC_FETCH_NONE;
  setStr(out, a.user);
  return LBC_FETCH_OK;
}

FETCH(http_auth_pass) {
  (void)args, (void)nargs;
  Auth a;
  if (!getAuth(T(txn), a) || a.method != Method::Basic) return setNone(out), LBC_FETCH_NONE;
  setStr(out, a.pass);
  return LBC_FETCH_OK;
}

// http_auth_bearer([header]): the token of the Authorization header, or of the named header
// (then an empty string when it holds no Bearer token).
FETCH(http_auth_bearer) {
  Txn& t = T(txn);
  std::string_view hdr = argStr(args, nargs, 0);
  if (hdr.empty()) {
    Auth a;
    if (!getAuth(t, a) || a.method != Method::Bearer) return setNone(out), LBC_FETCH_NONE;
    setStr(out, a.data);
    return LBC_FETCH_OK;
  }
  if (!t.http) return setNone(out), LBC_FETCH_NONE;
  std::string_view v, token;
  if (firstValue(t, hdr, v)) {
    size_t sp = v.find(' ');
    if (sp != std::string_view::npos && schemeIs(v.substr(0, sp), "Bearer")) token = v.substr(sp + 1);
  }
  setStr(out, token);
  return LBC_FETCH_OK;
}

FETCH(http_auth) {
  Auth a;
  if (!getAuth(T(txn), a) || a.method != Method::Basic) return setNone(out), LBC_FETCH_NONE;
  bool ok = checkUser(listOf(args, nargs), a.user, a.pass);
  setInt(out, ok ? 1 : 0, LBC_SMP_BOOL);
  return LBC_FETCH_OK;
}

// http_auth_group(userlist): the user's name when the credentials are valid. An ACL (which asks
// for every value) gets the user's groups instead, so its patterns match group names, as
// HAProxy's auth match (pat_match_auth) does.
FETCH(http_auth_group) {
  Auth a;
  out->flags &= ~LBC_SMPF_NOT_LAST;
  if (!getAuth(T(txn), a) || a.method != Method::Basic) return setNone(out), LBC_FETCH_NONE;
  const UserList::User* u = checkUser(listOf(args, nargs), a.user, a.pass);
  if (!u) return setNone(out), LBC_FETCH_NONE;
  if (!(out->flags & LBC_SMPF_MULTI)) {
    setStr(out, a.user);
    return LBC_FETCH_OK;
  }
  size_t i = static_cast<size_t>(out->ctx);
  if (i >= u->groups.size()) return setNone(out), LBC_FETCH_NONE;
  setStr(out, u->groups[i]);
  out->ctx = i + 1;
  if (i + 1 < u->groups.size()) out->flags |= LBC_SMPF_NOT_LAST;
  return LBC_FETCH_OK;
}

}  // extern "C"

#include "http1/cookie.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <string>
#include <vector>

#include "lbc/text.h"
#include "upstream/live.h"

namespace lbc::rt {
namespace {

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

using text::ieq;
bool istarts(std::string_view a, std::string_view prefix) {
  return a.size() >= prefix.size() && ieq(a.substr(0, prefix.size()), prefix);
}
std::string_view trim(std::string_view s) {
  return text::trim(s, " \t");
}

// HAProxy's cookie dates: a 30-bit count of 4-second units, as 5 base64 characters.
int32_t b64tos30(const char* p) {
  int32_t v = 0;
  for (int i = 0; i < 5; ++i) {
    const char* at = std::strchr(kB64, p[i]);
    if (!p[i] || !at) return -1;
    v = (v << 6) | int32_t(at - kB64);
  }
  return v;
}
void s30tob64(uint32_t v, std::string& out) {
  for (int i = 4; i >= 0; --i) out += kB64[(v >> (6 * i)) & 63];
}

// One cookie of a Cookie header value: [b, e) its text without surrounding blanks.
struct Item {
  size_t b = 0, e = 0;
  std::string text;  // possibly rewritten
  bool keep = true;
};

std::vector<Item> splitCookies(std::string_view v) {
  std::vector<Item> items;
  size_t i = 0;
  while (i < v.size()) {
    size_t d = i;
    while (d < v.size() && v[d] != ';' && v[d] != ',') ++d;
    std::string_view t = v.substr(i, d - i);
    size_t lead = 0;
    while (lead < t.size() && (t[lead] == ' ' || t[lead] == '\t')) ++lead;
    std::string_view tt = trim(t);
    if (!tt.empty()) items.push_back({i + lead, i + lead + tt.size(), std::string(tt), true});
    i = d + 1;
  }
  return items;
}

// The header value without the removed cookies: as HAProxy's del_hdr_value, a removed run is
// replaced by the delimiter that followed it and one space; nothing is left at either end.
std::string joinCookies(std::string_view v, const std::vector<Item>& items) {
  std::string out;
  const Item* prev = nullptr;
  bool gap = false;
  for (const Item& it : items) {
    if (!it.keep) {
      gap = true;
      continue;
    }
    if (prev) {
      if (gap) {
        size_t d = it.b;
        while (d > prev->e && v[d - 1] != ';' && v[d - 1] != ',') --d;
        out += d > prev->e ? v[d - 1] : ';';
        out += ' ';
      } else {
        out.append(v.substr(prev->e, it.b - prev->e));
      }
    }
    out += it.text;
    prev = &it;
    gap = false;
  }
  return out;
}

bool setValue(Txn& t, std::string_view& view, const std::string& s) {
  bool ok = true;
  view = t.arena.copy(s, &ok);
  return ok || s.empty();
}

}  // namespace

bool cookieRequest(const ProxySpec& be, Backend& backend, Txn& t, CookieState& st, int64_t now_s,
                   ServerState** out) {
  const CookieSpec& ck = be.cookie;
  *out = nullptr;
  bool assigned = false;
  const bool remove = ck.mode == CookieMode::Insert && ck.indirect;
  for (size_t h = 0; h < t.req_headers.size(); ++h) {
    if (!ieq(t.req_headers[h].name, "cookie")) continue;
    const std::string_view v = t.req_headers[h].value;
    std::vector<Item> items = splitCookies(v);
    bool changed = false;
    for (Item& it : items) {
      size_t eq = it.text.find('=');
      if (eq == std::string::npos || trim(std::string_view(it.text).substr(0, eq)) != ck.name) continue;
      std::string_view val = trim(std::string_view(it.text).substr(eq + 1));
      size_t delim = val.size();
      if (ck.mode == CookieMode::Prefix) {
        delim = std::min(val.find('~'), val.size());
      } else if (size_t bar = val.find('|'); bar != std::string_view::npos) {
        // NAME=SRV|last|first: the dates of an insert-mode cookie with maxidle/maxlife.
        delim = bar;
        if (val.size() - (bar + 1) >= 5) {
          int32_t d = b64tos30(val.data() + bar + 1);
          if (d > 0) st.last_date = uint32_t(d) << 2;
        }
        size_t bar2 = val.find('|', bar + 1);
        if (bar2 != std::string_view::npos && val.size() - bar2 > 5) {
          int32_t d = b64tos30(val.data() + bar2 + 1);
          if (d > 0) st.first_date = uint32_t(d) << 2;
        }
      }
      bool expired = false;
      const int64_t first = st.first_date, last = st.last_date;
      if (first && ck.maxlife_s && (now_s - first > ck.maxlife_s || first - now_s > 86400)) {
        st.cli = 'O';
        expired = true;
      } else if (last && ck.maxidle_s && (now_s - last > ck.maxidle_s || last - now_s > 86400)) {
        st.cli = 'E';
        expired = true;
      }
      if (expired) st.first_date = st.last_date = 0;
      const std::string_view srvpart = val.substr(0, delim);
      ServerState* found = nullptr;
      // The first running server with that cookie (several may share one); an empty value
      // designates none, and only the first cookie of the request counts.
      if (!srvpart.empty() && !assigned && !expired) {
        for (auto& s : backend.servers()) {
          if (s->spec->cookie.empty() || s->spec->cookie != srvpart) continue;
          if (s->admin.load(std::memory_order_relaxed) == SrvAdmin::Maint) continue;
          bool up = s->up.load(std::memory_order_relaxed);
          if (up || be.persist) {
            st.cli = up ? 'V' : 'D';
            found = s.get();
            break;
          }
          st.cli = 'D';
        }
      }
      if (found) {
        st.direct = true;
        assigned = true;
        *out = found;
      } else if (st.cli == 'N') {
        st.cli = assigned ? 'U' : 'I';
      }
      if (ck.mode == CookieMode::Prefix && delim != val.size()) {
        std::string name = it.text.substr(0, eq + 1);
        it.text = name + std::string(val.substr(delim + 1));
        changed = true;
      } else if (remove) {
        it.keep = false;
        changed = true;
      }
    }
    if (!changed) continue;
    std::string nv = joinCookies(v, items);
    if (nv.empty()) {
      t.req_headers.erase(t.req_headers.begin() + long(h));
      --h;
    } else if (!setValue(t, t.req_headers[h].value, nv)) {
      return false;
    }
  }
  return true;
}

namespace {
// Whether a cache could keep this response (HAProxy's http_check_response_for_cacheability):
// only then does `nocache` add `Cache-control: private`.
bool cacheable(const Txn& t) {
  if (t.method != "GET" && t.method != "HEAD") return false;
  if (t.status < 200) return false;
  bool fresh = false, null_maxage = false, ok = true;
  for (const auto& h : t.res_headers) {
    if (ieq(h.name, "pragma") && ieq(trim(h.value), "no-cache")) return false;
    if (!ieq(h.name, "cache-control")) continue;
    std::string_view v = h.value;
    while (!v.empty()) {
      size_t c = std::min(v.find(','), v.size());
      std::string_view e = trim(v.substr(0, c));
      v.remove_prefix(std::min(c + 1, v.size()));
      if (ieq(e, "max-age=0")) {
        null_maxage = true;
      } else if (ieq(e, "private") || ieq(e, "no-cache") || ieq(e, "no-store") || ieq(e, "s-maxage=0")) {
        ok = false;
      } else if (istarts(e, "no-cache=\"set-cookie")) {
        // only the cookie must not be cached
      } else if (istarts(e, "s-maxage")) {
        fresh = true;
        null_maxage = false;
      } else if (istarts(e, "max-age")) {
        fresh = true;
      }
    }
  }
  if (!ok || null_maxage) return false;
  bool validator = false;
  for (const auto& h : t.res_headers) {
    fresh |= ieq(h.name, "expires");
    validator |= ieq(h.name, "etag") || ieq(h.name, "last-modified");
  }
  return fresh || validator;
}
}  // namespace

bool cookieResponse(const CookieSpec& ck, const ServerState* srv, Txn& t, CookieState& st) {
  if (ck.nocache) st.cacheable = cacheable(t);  // before the rules, as HAProxy
  const std::string* sc = srv && !srv->spec->cookie.empty() ? &srv->spec->cookie : nullptr;
  for (size_t h = 0; h < t.res_headers.size(); ++h) {
    if (!ieq(t.res_headers[h].name, "set-cookie")) continue;
    std::string_view v = t.res_headers[h].value;
    size_t eq = v.find('=');
    if (eq == std::string_view::npos) continue;
    size_t semi = std::min(v.find(';'), v.size());
    if (semi < eq || trim(v.substr(0, eq)) != ck.name) continue;
    if (st.srv == 'N') st.srv = 'P';
    st.found = true;
    if (ck.preserve) continue;  // the server may end persistence itself
    if ((srv && ck.mode == CookieMode::Insert) || (st.direct && ck.indirect)) {
      t.res_headers.erase(t.res_headers.begin() + long(h));
      --h;
      st.srv = 'D';
    } else if (sc && (ck.mode == CookieMode::Rewrite || ck.mode == CookieMode::Prefix)) {
      // The value between '=' and ';' (blanks kept around it) becomes the server's cookie, or
      // gets it as a prefix.
      size_t vb = eq + 1, ve = semi;
      while (vb < ve && (v[vb] == ' ' || v[vb] == '\t')) ++vb;
      while (ve > vb && (v[ve - 1] == ' ' || v[ve - 1] == '\t')) --ve;
      std::string nv(v.substr(0, vb));
      nv += *sc;
      if (ck.mode == CookieMode::Prefix) nv += "~" + std::string(v.substr(vb, ve - vb));
      nv += v.substr(ve);
      if (!setValue(t, t.res_headers[h].value, nv)) return false;
      st.srv = 'R';
    }
  }
  return true;
}

bool cookieInsert(const CookieSpec& ck, const ServerState* srv, Txn& t, CookieState& st, int64_t now_s) {
  if (ck.mode != CookieMode::Insert || !srv) return true;
  if (st.found && ck.preserve) return true;
  const int64_t last = st.last_date;
  bool refresh = !st.direct || ((ck.maxidle_s || last) && (!last || last - now_s < 0)) ||
                 (ck.maxlife_s && !st.first_date) || (!ck.maxlife_s && st.first_date);
  if (!refresh || (ck.postonly && t.method != "POST")) return true;
  const std::string& sc = srv->spec->cookie;
  std::string v = ck.name + "=";
  if (sc.empty()) {
    v += "; Expires=Thu, 01-Jan-1970 00:00:01 GMT; path=/";  // a server without cookie: forget it
  } else {
    v += sc;
    if (ck.maxidle_s || ck.maxlife_s) {
      v += '|';
      s30tob64(uint32_t((now_s + 3) >> 2), v);
      if (ck.maxlife_s) {
        v += '|';
        s30tob64(st.first_date ? st.first_date >> 2 : uint32_t((now_s + 3) >> 2), v);
      }
    }
    v += "; path=/";
  }
  if (!ck.domain.empty()) v += "; domain=" + ck.domain;
  if (ck.httponly) v += "; HttpOnly";
  if (ck.secure) v += "; Secure";
  if (!ck.attrs.empty()) v += "; " + ck.attrs;
  bool ok = true;
  std::string_view val = t.arena.copy(v, &ok);
  if (!ok) return false;
  t.res_headers.push_back({"Set-Cookie", val});
  st.srv = !sc.empty() && st.direct ? 'U' : 'I';
  if (ck.nocache && st.cacheable) t.res_headers.push_back({"Cache-control", "private"});
  return true;
}

}  // namespace lbc::rt

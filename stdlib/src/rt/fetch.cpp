// Sample fetches (lbc_fetch_*): the transaction's connection, request, response and variables.
// Multi-valued fetches iterate with smp->ctx when the caller sets LBC_SMPF_MULTI (ACLs do).
#include <array>
#include <cstring>
#include <vector>

#include "internal.h"
#include "uri.h"

using namespace lbc::rt;
using namespace lbc::rt::detail;

namespace {

constexpr size_t kBufSize = 16384;  // HAProxy's tune.bufsize default: payloads beyond never match

using Values = std::vector<std::string_view>;

std::string_view trimSp(std::string_view v) {
  return lbc::stdlib::trim(v, " \t");
}

// Values of header `name` (any header when empty), split on commas outside quotes unless `full`.
Values headerValues(const std::vector<Header>& hs, std::string_view name, bool full) {
  Values out;
  for (const Header& h : hs) {
    if (!name.empty() && !ieq(h.name, name)) continue;
    if (full) {
      out.push_back(trimSp(h.value));
      continue;
    }
    std::string_view v = h.value;
    bool quoted = false;
    size_t start = 0;
    for (size_t i = 0; i <= v.size(); ++i) {
      if (i < v.size() && v[i] == '"')
        quoted = !quoted;
      else if (i < v.size() && v[i] == '\\' && quoted)
        ++i;
      else if (i == v.size() || (v[i] == ',' && !quoted)) {
        out.push_back(trimSp(v.substr(start, i - start)));
        start = i + 1;
      }
    }
  }
  return out;
}

// Picks the value(s) a fetch returns: occurrence `occ` (>0 from the first, <0 from the last), or
// with occ == 0: every value when the caller iterates, else the last one.
int32_t pick(const Values& vals, int64_t occ, lbc_smp* out, uint32_t type = LBC_SMP_STR) {
  out->flags &= ~LBC_SMPF_NOT_LAST;
  int64_t n = static_cast<int64_t>(vals.size());
  if (occ == 0 && (out->flags & LBC_SMPF_MULTI)) {
    int64_t i = static_cast<int64_t>(out->ctx);
    if (i >= n) return setNone(out), LBC_FETCH_NONE;
    setStr(out, vals[i], type);
    out->ctx = static_cast<uint64_t>(i + 1);
    if (i + 1 < n) out->flags |= LBC_SMPF_NOT_LAST;
    return LBC_FETCH_OK;
  }
  if (occ == 0) occ = -1;
  int64_t i = occ > 0 ? occ - 1 : n + occ;
  if (i < 0 || i >= n) return setNone(out), LBC_FETCH_NONE;
  setStr(out, vals[i], type);
  return LBC_FETCH_OK;
}

int64_t argNum(const lbc_arg* a, uint32_t n, uint32_t i, int64_t dflt = 0) {
  return i < n ? a[i].num : dflt;
}

int32_t hdrFetch(lbc_txn* txn, const lbc_arg* args, uint32_t nargs, lbc_smp* out, bool response, bool full) {
  Txn& t = T(txn);
  if (!t.http || (response && !t.has_response)) return setNone(out), LBC_FETCH_NONE;
  Values v = headerValues(response ? t.res_headers : t.req_headers, argStr(args, nargs, 0), full);
  return pick(v, argNum(args, nargs, 1), out);
}

int32_t hdrCnt(lbc_txn* txn, const lbc_arg* args, uint32_t nargs, lbc_smp* out) {
  Txn& t = T(txn);
  if (!t.http) return setNone(out), LBC_FETCH_NONE;
  setInt(out, static_cast<int64_t>(headerValues(t.req_headers, argStr(args, nargs, 0), false).size()));
  return LBC_FETCH_OK;
}

int32_t hdrIp(lbc_txn* txn, const lbc_arg* args, uint32_t nargs, lbc_smp* out) {
  Txn& t = T(txn);
  if (!t.http) return setNone(out), LBC_FETCH_NONE;
  Values all = headerValues(t.req_headers, argStr(args, nargs, 0), false);
  // HAProxy skips values that are not addresses and goes on with the next occurrence.
  Values ips;
  std::vector<std::pair<std::array<uint8_t, 16>, bool>> parsed;
  for (std::string_view v : all) {
    std::array<uint8_t, 16> ip{};
    bool v6 = false;
    if (parseIp(v, ip.data(), v6)) ips.push_back(v), parsed.push_back({ip, v6});
  }
  int64_t occ = argNum(args, nargs, 1);
  int32_t r;
  if (occ != 0) {  // a fixed occurrence counts every value, addresses or not
    r = pick(all, occ, out);
    if (r != LBC_FETCH_OK) return r;
    std::array<uint8_t, 16> ip{};
    bool v6 = false;
    if (!parseIp(view(*out), ip.data(), v6)) return setNone(out), LBC_FETCH_NONE;
    setIp(out, ip.data(), v6);
    return LBC_FETCH_OK;
  }
  uint64_t before = out->ctx;
  r = pick(ips, 0, out);
  if (r != LBC_FETCH_OK) return r;
  size_t idx = (out->flags & LBC_SMPF_MULTI) ? static_cast<size_t>(before) : ips.size() - 1;
  setIp(out, parsed[idx].first.data(), parsed[idx].second);
  return LBC_FETCH_OK;
}

// Cookie values named `name` (any when empty) from the request's Cookie headers.
Values cookieValues(const Txn& t, std::string_view name) {
  Values out;
  for (const Header& h : t.req_headers) {
    if (!ieq(h.name, "cookie")) continue;
    std::string_view v = h.value;
    while (!v.empty()) {
      size_t semi = v.find(';');
      std::string_view c = trimSp(v.substr(0, semi));
      v = semi == std::string_view::npos ? std::string_view() : v.substr(semi + 1);
      size_t eq = c.find('=');
      if (eq == std::string_view::npos) continue;
      if (name.empty() || trimSp(c.substr(0, eq)) == name) out.push_back(trimSp(c.substr(eq + 1)));
    }
  }
  return out;
}

int32_t cookFetch(lbc_txn* txn, const lbc_arg* args, uint32_t nargs, lbc_smp* out) {
  Txn& t = T(txn);
  if (!t.http) return setNone(out), LBC_FETCH_NONE;
  std::string_view name = argStr(args, nargs, 0);
  Values v = cookieValues(t, name);
  return pick(v, name.empty() && !(out->flags & LBC_SMPF_MULTI) ? 1 : 0, out);
}

std::string_view payloadOf(const Txn& t, bool response) {
  return response ? t.res_payload : t.req_payload;
}

int32_t tooShort(lbc_txn* txn, lbc_smp* out) {
  setNone(out);
  return lbc_rt_more_data(txn) ? LBC_FETCH_MISS : LBC_FETCH_NONE;
}

int32_t payloadFetch(lbc_txn* txn, const lbc_arg* args, uint32_t nargs, lbc_smp* out, bool response) {
  if (T(txn).http) return setNone(out), LBC_FETCH_NONE;  // HAProxy: meaningless for HTTP messages
  std::string_view d = payloadOf(T(txn), response);
  int64_t off = argNum(args, nargs, 0), len = argNum(args, nargs, 1);
  if (off < 0 || len < 0 || static_cast<uint64_t>(off) + static_cast<uint64_t>(len) > kBufSize)
    return setNone(out), LBC_FETCH_NONE;
  if (len == 0) {  // the rest of the buffer from `off`
    if (static_cast<size_t>(off) > d.size()) return tooShort(txn, out);
    setStr(out, d.substr(static_cast<size_t>(off)), LBC_SMP_BIN);
    return LBC_FETCH_OK;
  }
  if (static_cast<size_t>(off + len) > d.size()) return tooShort(txn, out);
  setStr(out, d.substr(static_cast<size_t>(off), static_cast<size_t>(len)), LBC_SMP_BIN);
  return LBC_FETCH_OK;
}

int32_t payloadLv(lbc_txn* txn, const lbc_arg* args, uint32_t nargs, lbc_smp* out, bool response) {
  if (T(txn).http) return setNone(out), LBC_FETCH_NONE;  // HAProxy: meaningless for HTTP messages
  std::string_view d = payloadOf(T(txn), response);
  int64_t loff = argNum(args, nargs, 0), lsize = argNum(args, nargs, 1);
  if (loff < 0 || lsize <= 0 || lsize > 8 || static_cast<uint64_t>(loff + lsize) > kBufSize)
    return setNone(out), LBC_FETCH_NONE;
  if (static_cast<size_t>(loff + lsize) > d.size()) return tooShort(txn, out);
  uint64_t size = 0;
  for (int64_t i = 0; i < lsize; ++i)
    size = (size << 8) | static_cast<uint8_t>(d[static_cast<size_t>(loff + i)]);
  int64_t boff = loff + lsize;
  if (nargs > 2 && args[2].str) {
    std::string_view a = argStr(args, nargs, 2);
    // "+N"/"-N" is relative to the end of the length field, "N" absolute (as HAProxy).
    if (!a.empty() && (a[0] == '+' || a[0] == '-'))
      boff += args[2].num;
    else
      boff = args[2].num;
  }
  if (size == 0 || size > kBufSize || boff < 0 || static_cast<uint64_t>(boff) + size > kBufSize)
    return setNone(out), LBC_FETCH_NONE;
  if (static_cast<uint64_t>(boff) + size > d.size()) return tooShort(txn, out);
  setStr(out, d.substr(static_cast<size_t>(boff), static_cast<size_t>(size)), LBC_SMP_BIN);
  return LBC_FETCH_OK;
}

int32_t helloType(lbc_txn* txn, lbc_smp* out, bool response) {
  std::string_view d = payloadOf(T(txn), response);
  auto b = [&](size_t i) { return static_cast<uint8_t>(d[i]); };
  if (d.empty()) return tooShort(txn, out);
  if (!((b(0) >= 0x14 && b(0) <= 0x17) || b(0) == 0xff)) return setNone(out), LBC_FETCH_NONE;
  if (d.size() < 9) return tooShort(txn, out);
  if ((b(1) << 16) + b(2) < 0x00030000) return setNone(out), LBC_FETCH_NONE;
  if ((b(3) << 8) + b(4) < 4) return setNone(out), LBC_FETCH_NONE;
  size_t hs_len = (size_t(b(6)) << 16) + (size_t(b(7)) << 8) + b(8);
  if (d.size() < hs_len + 9) return tooShort(txn, out);
  setInt(out, b(5));
  return LBC_FETCH_OK;
}

// The server_name of a TLS ClientHello in the request payload.
int32_t sslSni(lbc_txn* txn, lbc_smp* out) {
  std::string_view d = T(txn).req_payload;
  auto b = [&](size_t i) { return static_cast<uint8_t>(d[i]); };
  if (d.size() < 5) return tooShort(txn, out);
  if (b(0) != 0x16 || b(1) != 3) return setNone(out), LBC_FETCH_NONE;
  size_t rec = (size_t(b(3)) << 8) | b(4);
  if (d.size() < 5 + rec) return tooShort(txn, out);
  std::string_view hs = d.substr(5, rec);
  auto h = [&](size_t i) { return static_cast<uint8_t>(hs[i]); };
  if (hs.size() < 38 || h(0) != 1) return setNone(out), LBC_FETCH_NONE;
  size_t p = 4 + 2 + 32;  // type+len, version, random
  auto need = [&](size_t n) { return p + n <= hs.size(); };
  if (!need(1)) return setNone(out), LBC_FETCH_NONE;
  p += 1 + h(p);  // session id
  if (!need(2)) return setNone(out), LBC_FETCH_NONE;
  p += 2 + ((size_t(h(p)) << 8) | h(p + 1));  // cipher suites
  if (!need(1)) return setNone(out), LBC_FETCH_NONE;
  p += 1 + h(p);  // compression methods
  if (!need(2)) return setNone(out), LBC_FETCH_NONE;
  size_t ext_end = p + 2 + ((size_t(h(p)) << 8) | h(p + 1));
  p += 2;
  if (ext_end > hs.size()) return setNone(out), LBC_FETCH_NONE;
  while (p + 4 <= ext_end) {
    size_t type = (size_t(h(p)) << 8) | h(p + 1), len = (size_t(h(p + 2)) << 8) | h(p + 3);
    p += 4;
    if (p + len > ext_end) break;
    if (type == 0 && len >= 5 && h(p + 2) == 0) {
      size_t nlen = (size_t(h(p + 3)) << 8) | h(p + 4);
      if (5 + nlen > len) break;
      setStr(out, hs.substr(p + 5, nlen));
      return LBC_FETCH_OK;
    }
    p += len;
  }
  return setNone(out), LBC_FETCH_NONE;
}

// The request line of a raw request buffer (a TCP-mode stream that carries HTTP, as HAProxy's
// smp_prefetch_htx parses it): LBC_FETCH_OK with the version, MISS while the head is incomplete
// and more may come, NONE when it is not an HTTP/1 request.
bool tchar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}
int32_t rawRequestVersion(lbc_txn* txn, std::string_view& version) {
  std::string_view d = T(txn).req_payload;
  size_t end = d.find("\r\n\r\n");
  if (end == std::string_view::npos) return lbc_rt_more_data(txn) ? LBC_FETCH_MISS : LBC_FETCH_NONE;
  std::string_view line = d.substr(0, d.find("\r\n"));
  size_t sp1 = line.find(' '), sp2 = line.rfind(' ');
  if (sp1 == 0 || sp1 == std::string_view::npos || sp2 == sp1) return LBC_FETCH_NONE;
  for (char c : line.substr(0, sp1))
    if (!tchar(c)) return LBC_FETCH_NONE;
  std::string_view v = line.substr(sp2 + 1);
  if (v.size() != 8 || !v.starts_with("HTTP/") || v[5] < '0' || v[5] > '9' || v[6] != '.' || v[7] < '0' ||
      v[7] > '9')
    return LBC_FETCH_NONE;
  version = v;
  return LBC_FETCH_OK;
}

// HAProxy's strl2ic: a decimal with an optional '-', stopping at the first byte above '9'.
int64_t strl2ic(std::string_view s) {
  uint32_t i = 0;
  if (s.empty()) return 0;
  bool neg = s[0] == '-';
  for (size_t k = neg ? 1 : 0; k < s.size(); ++k) {
    int j = s[k] - '0';
    if (j > 9) break;
    i = neg ? i * 10 - static_cast<uint32_t>(j) : i * 10 + static_cast<uint32_t>(j);
  }
  return static_cast<int32_t>(i);
}

int32_t hdrVal(lbc_txn* txn, const lbc_arg* args, uint32_t nargs, lbc_smp* out, bool response) {
  int32_t r = hdrFetch(txn, args, nargs, out, response, false);
  if (r != LBC_FETCH_OK) return r;
  uint32_t flags = out->flags;
  setInt(out, strl2ic(view(*out)));
  out->flags = flags;
  return LBC_FETCH_OK;
}

// An RDP connection request's "Cookie: <name>=<value>\r\n" (HAProxy's fetch_rdp_cookie_name):
// 1 found, 0 not an RDP cookie, -1 too short for now.
int rdpCookie(lbc_txn* txn, std::string_view key, std::string_view& value) {
  std::string_view d = T(txn).req_payload;
  if (d.size() <= 11) return -1;
  d.remove_prefix(11);
  if (d.size() <= 7) return -1;
  if (!ieq(d.substr(0, 7), "Cookie:")) return 0;
  d.remove_prefix(7);
  while (!d.empty() && d[0] == ' ') d.remove_prefix(1);
  if (!key.empty()) {
    if (d.size() <= key.size()) return -1;
    if (!ieq(d.substr(0, key.size()), key)) return 0;
    d.remove_prefix(key.size());
    if (d[0] != '=') return 0;
    d.remove_prefix(1);
  }
  size_t cr = d.find('\r');
  if (cr == std::string_view::npos || d.size() - cr < 2) return -1;
  if (d[cr + 1] != '\n') return 0;
  value = d.substr(0, cr);
  return 1;
}

int32_t rdpCookieFetch(lbc_txn* txn, const lbc_arg* args, uint32_t nargs, lbc_smp* out) {
  if (T(txn).http) return setNone(out), LBC_FETCH_NONE;  // a payload fetch: nothing in HTTP
  std::string_view v;
  int r = rdpCookie(txn, argStr(args, nargs, 0), v);
  if (r < 0) return tooShort(txn, out);
  if (r == 0) return setNone(out), LBC_FETCH_NONE;
  return setStr(out, v), LBC_FETCH_OK;
}

int32_t rdpCookieCnt(lbc_txn* txn, const lbc_arg* args, uint32_t nargs, lbc_smp* out) {
  if (T(txn).http) return setNone(out), LBC_FETCH_NONE;
  std::string_view v;
  int r = rdpCookie(txn, argStr(args, nargs, 0), v);
  if (r < 0 && lbc_rt_more_data(txn)) return setNone(out), LBC_FETCH_MISS;
  return setInt(out, r > 0 ? 1 : 0), LBC_FETCH_OK;
}

int32_t protoHttp(lbc_txn* txn, lbc_smp* out) {
  if (T(txn).http) return setInt(out, 1, LBC_SMP_BOOL), LBC_FETCH_OK;
  std::string_view v;
  int32_t r = rawRequestVersion(txn, v);
  if (r != LBC_FETCH_OK) return setNone(out), r;
  return setInt(out, 1, LBC_SMP_BOOL), LBC_FETCH_OK;
}

// req.ver: the version after "HTTP/" ("1.1").
int32_t reqVer(lbc_txn* txn, lbc_smp* out) {
  Txn& t = T(txn);
  std::string_view v = t.version;
  if (!t.http) {
    int32_t r = rawRequestVersion(txn, v);
    if (r != LBC_FETCH_OK) return setNone(out), r;
  }
  size_t slash = v.find('/');
  if (slash == std::string_view::npos || slash + 1 >= v.size()) return setNone(out), LBC_FETCH_NONE;
  return setStr(out, v.substr(slash + 1)), LBC_FETCH_OK;
}

int32_t urlParam(lbc_txn* txn, const lbc_arg* args, uint32_t nargs, lbc_smp* out) {
  Txn& t = T(txn);
  if (!t.http) return setNone(out), LBC_FETCH_NONE;
  size_t q = t.uri.find('?');
  if (q == std::string_view::npos) return setNone(out), LBC_FETCH_NONE;
  std::string_view query = t.uri.substr(q + 1), name = argStr(args, nargs, 0), delim = argStr(args, nargs, 1);
  if (delim.empty()) delim = "&";
  Values vals;
  while (true) {
    size_t e = query.find_first_of(delim);
    std::string_view p = query.substr(0, e);
    size_t eq = p.find('=');
    if (eq != std::string_view::npos && (name.empty() || p.substr(0, eq) == name))
      vals.push_back(p.substr(eq + 1));
    if (e == std::string_view::npos) break;
    query.remove_prefix(e + 1);
  }
  return pick(vals, (out->flags & LBC_SMPF_MULTI) ? 0 : 1, out);  // the first one outside ACLs
}

int32_t ipOf(lbc_smp* out, const uint8_t* ip, bool v6) {
  setIp(out, ip, v6);
  return LBC_FETCH_OK;
}

}  // namespace

#define FETCH(Id) int32_t lbc_fetch_##Id(lbc_txn* txn, const lbc_arg* args, uint32_t nargs, lbc_smp* out)
#define UNUSED_ARGS (void)args, (void)nargs

extern "C" {

FETCH(always_false) {
  return UNUSED_ARGS, (void)txn, setInt(out, 0, LBC_SMP_BOOL), LBC_FETCH_OK;
}
FETCH(always_true) {
  return UNUSED_ARGS, (void)txn, setInt(out, 1, LBC_SMP_BOOL), LBC_FETCH_OK;
}

FETCH(base) {
  UNUSED_ARGS;
  Txn& t = T(txn);
  if (!t.http) return setNone(out), LBC_FETCH_NONE;
  std::string_view path = uriPath(t.uri);
  Values host = headerValues(t.req_headers, "host", true);
  if (host.empty()) {
    if (path.empty()) return setNone(out), LBC_FETCH_NONE;
    return setStr(out, path), LBC_FETCH_OK;
  }
  std::string s = std::string(host.front()) + std::string(path);
  bool ok = false;
  std::string_view v = t.arena.copy(s, &ok);
  if (!ok) return setNone(out), LBC_FETCH_NONE;
  return setStr(out, v), LBC_FETCH_OK;
}

FETCH(cook) {
  return cookFetch(txn, args, nargs, out);
}
FETCH(req_cook) {
  return cookFetch(txn, args, nargs, out);
}
FETCH(dst) {
  return UNUSED_ARGS, ipOf(out, T(txn).dst, T(txn).dst_v6);
}
FETCH(src) {
  return UNUSED_ARGS, ipOf(out, T(txn).src, T(txn).src_v6);
}
FETCH(dst_port) {
  return UNUSED_ARGS, setInt(out, T(txn).dst_port), LBC_FETCH_OK;
}
FETCH(src_port) {
  return UNUSED_ARGS, setInt(out, T(txn).src_port), LBC_FETCH_OK;
}

FETCH(hdr) {
  return hdrFetch(txn, args, nargs, out, T(txn).in_response, false);
}
FETCH(req_hdr) {
  return hdrFetch(txn, args, nargs, out, false, false);
}
FETCH(req_fhdr) {
  return hdrFetch(txn, args, nargs, out, false, true);
}
FETCH(res_hdr) {
  return hdrFetch(txn, args, nargs, out, true, false);
}
FETCH(shdr) {
  return hdrFetch(txn, args, nargs, out, true, false);
}
FETCH(hdr_cnt) {
  return hdrCnt(txn, args, nargs, out);
}
FETCH(req_hdr_cnt) {
  return hdrCnt(txn, args, nargs, out);
}
FETCH(hdr_ip) {
  return hdrIp(txn, args, nargs, out);
}
FETCH(req_hdr_ip) {
  return hdrIp(txn, args, nargs, out);
}

FETCH(method) {
  UNUSED_ARGS;
  Txn& t = T(txn);
  if (!t.http || t.method.empty()) return setNone(out), LBC_FETCH_NONE;
  return setStr(out, t.method, LBC_SMP_METH), LBC_FETCH_OK;
}

FETCH(path) {
  UNUSED_ARGS;
  Txn& t = T(txn);
  std::string_view p = uriPathQuery(t.uri);
  if (!t.http || p.empty()) return setNone(out), LBC_FETCH_NONE;
  return setStr(out, p.substr(0, p.find('?'))), LBC_FETCH_OK;
}

FETCH(pathq) {
  UNUSED_ARGS;
  Txn& t = T(txn);
  std::string_view p = uriPathQuery(t.uri);
  if (!t.http || p.empty()) return setNone(out), LBC_FETCH_NONE;
  return setStr(out, p), LBC_FETCH_OK;
}

FETCH(query) {
  UNUSED_ARGS;
  Txn& t = T(txn);
  size_t q = t.uri.find('?');
  if (!t.http || q == std::string_view::npos) return setNone(out), LBC_FETCH_NONE;
  return setStr(out, t.uri.substr(q + 1)), LBC_FETCH_OK;
}

FETCH(url) {
  UNUSED_ARGS;
  Txn& t = T(txn);
  if (!t.http) return setNone(out), LBC_FETCH_NONE;
  return setStr(out, t.uri), LBC_FETCH_OK;
}

FETCH(url_param) {
  return urlParam(txn, args, nargs, out);
}

FETCH(payload_lv) {
  return payloadLv(txn, args, nargs, out, T(txn).in_response);
}
FETCH(req_payload_lv) {
  return payloadLv(txn, args, nargs, out, false);
}
FETCH(req_payload) {
  return payloadFetch(txn, args, nargs, out, false);
}
FETCH(req_len) {
  setInt(out, static_cast<int64_t>(T(txn).req_payload.size()));
  if (lbc_rt_more_data(txn)) out->flags |= LBC_SMPF_MAY_CHANGE;  // more may come: a miss waits
  return UNUSED_ARGS, LBC_FETCH_OK;
}
FETCH(req_len_2) {
  return lbc_fetch_req_len(txn, args, nargs, out);
}
FETCH(req_ssl_hello_type) {
  return UNUSED_ARGS, helloType(txn, out, false);
}
FETCH(req_ssl_hello_type_2) {
  return UNUSED_ARGS, helloType(txn, out, false);
}
FETCH(rep_ssl_hello_type) {
  return UNUSED_ARGS, helloType(txn, out, true);
}
FETCH(res_ssl_hello_type) {
  return UNUSED_ARGS, helloType(txn, out, true);
}
FETCH(req_ssl_sni) {
  return UNUSED_ARGS, sslSni(txn, out);
}
FETCH(req_ssl_sni_2) {
  return UNUSED_ARGS, sslSni(txn, out);
}

FETCH(ssl_fc) {
  return UNUSED_ARGS, setInt(out, T(txn).ssl ? 1 : 0, LBC_SMP_BOOL), LBC_FETCH_OK;
}
FETCH(ssl_fc_sni) {
  UNUSED_ARGS;
  Txn& t = T(txn);
  if (!t.ssl || t.sni.empty()) return setNone(out), LBC_FETCH_NONE;
  return setStr(out, t.sni), LBC_FETCH_OK;
}

static int32_t sslStr(Txn& t, std::string_view v, lbc_smp* out) {
  if (!t.ssl || v.empty()) return setNone(out), LBC_FETCH_NONE;
  return setStr(out, v), LBC_FETCH_OK;
}
FETCH(ssl_fc_alpn) {
  return UNUSED_ARGS, sslStr(T(txn), T(txn).ssl_alpn, out);
}
FETCH(ssl_fc_protocol) {
  return UNUSED_ARGS, sslStr(T(txn), T(txn).ssl_protocol, out);
}
FETCH(ssl_fc_cipher) {
  return UNUSED_ARGS, sslStr(T(txn), T(txn).ssl_cipher, out);
}
FETCH(ssl_fc_is_resumed) {
  UNUSED_ARGS;
  Txn& t = T(txn);
  if (!t.ssl) return setNone(out), LBC_FETCH_NONE;
  return setInt(out, t.ssl_resumed ? 1 : 0, LBC_SMP_BOOL), LBC_FETCH_OK;
}
// The TLVs of the client's PROXY v2 header (accept-proxy); no sample without one.
static int32_t ppStr(std::string_view v, lbc_smp* out) {
  if (v.empty()) return setNone(out), LBC_FETCH_NONE;
  return setStr(out, v), LBC_FETCH_OK;
}
FETCH(fc_pp_authority) {
  return UNUSED_ARGS, ppStr(T(txn).pp_authority, out);
}
FETCH(fc_pp_unique_id) {
  return UNUSED_ARGS, ppStr(T(txn).pp_unique_id, out);
}
FETCH(ssl_bc) {
  return UNUSED_ARGS, setInt(out, T(txn).ssl_bc ? 1 : 0, LBC_SMP_BOOL), LBC_FETCH_OK;
}

FETCH(status) {
  UNUSED_ARGS;
  Txn& t = T(txn);
  if (!t.has_response) return setNone(out), LBC_FETCH_NONE;
  return setInt(out, t.status), LBC_FETCH_OK;
}

FETCH(var) {
  Txn& t = T(txn);
  std::string_view full = argStr(args, nargs, 0);
  size_t dot = full.find('.');
  std::string_view scope = full.substr(0, dot),
                   name = dot == std::string_view::npos ? "" : full.substr(dot + 1);
  int32_t sc = scope == "proc"   ? LBC_VAR_PROC
               : scope == "sess" ? LBC_VAR_SESS
               : scope == "txn"  ? LBC_VAR_TXN
               : scope == "req"  ? LBC_VAR_REQ
                                 : LBC_VAR_RES;
  for (const Var& v : t.vars) {
    if (v.scope == sc && v.name == name) {
      uint32_t flags = out->flags;
      uint64_t ctx = out->ctx;
      *out = v.value;
      out->flags = flags & ~LBC_SMPF_NOT_LAST;
      out->ctx = ctx;
      return LBC_FETCH_OK;
    }
  }
  if (nargs > 1 && args[1].str) return setStr(out, argStr(args, nargs, 1)), LBC_FETCH_OK;
  return setNone(out), LBC_FETCH_NONE;
}

FETCH(hdr_val) {
  return hdrVal(txn, args, nargs, out, T(txn).in_response);
}
FETCH(req_hdr_val) {
  return hdrVal(txn, args, nargs, out, false);
}
FETCH(res_hdr_val) {
  return hdrVal(txn, args, nargs, out, true);
}
FETCH(shdr_val) {
  return hdrVal(txn, args, nargs, out, true);
}
FETCH(req_proto_http) {
  return UNUSED_ARGS, protoHttp(txn, out);
}
FETCH(req_proto_http_2) {
  return UNUSED_ARGS, protoHttp(txn, out);
}
FETCH(req_ver) {
  return UNUSED_ARGS, reqVer(txn, out);
}
FETCH(req_ver_2) {
  return UNUSED_ARGS, reqVer(txn, out);
}
FETCH(rdp_cookie) {
  return rdpCookieFetch(txn, args, nargs, out);
}
FETCH(req_rdp_cookie) {
  return rdpCookieFetch(txn, args, nargs, out);
}
FETCH(rdp_cookie_cnt) {
  return rdpCookieCnt(txn, args, nargs, out);
}
FETCH(req_rdp_cookie_cnt) {
  return rdpCookieCnt(txn, args, nargs, out);
}
// True once the inspection is over (HAProxy's SMP_OPT_FINAL); until then the rule waits.
FETCH(wait_end) {
  UNUSED_ARGS;
  if (lbc_rt_more_data(txn)) return setNone(out), LBC_FETCH_MISS;
  return setInt(out, 1, LBC_SMP_BOOL), LBC_FETCH_OK;
}

}  // extern "C"

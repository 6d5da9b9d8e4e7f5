// String, encoding, hash and date converters (HAProxy 2.6 sample.c): pure functions of the input
// and their constant arguments, with HAProxy's output formats.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>

#include "internal.h"

using namespace lbc::rt;
using namespace lbc::rt::detail;

namespace {

// Two's complement addition without undefined behaviour (HAProxy's -fwrapv).
int64_t wrapAdd(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}

int32_t fail(lbc_smp* s) {
  setNone(s);
  return 0;
}
bool as(lbc_txn* txn, lbc_smp* s, uint32_t type) {
  return lbc_rt_smp_cast(txn, s, static_cast<int32_t>(type)) == 1;
}
bool asInt(lbc_txn* txn, lbc_smp* s) {
  if (s->type == LBC_SMP_STR && s->len == 0) return false;  // c_str2int refuses an empty string
  return as(txn, s, LBC_SMP_SINT);
}
int32_t out(lbc_txn* txn, lbc_smp* s, std::string_view v, uint32_t type = LBC_SMP_STR) {
  bool ok = false;
  std::string_view c = T(txn).arena.copy(v, &ok);
  if (!ok) return fail(s);
  setStr(s, c, type);
  return 1;
}
int hexDigit(char c) {
  return c >= '0' && c <= '9'   ? c - '0'
         : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                : -1;
}

// A variable named by a converter argument, as a string; false when it is not set.
bool varStr(lbc_txn* txn, const lbc_arg* arg, std::string_view& v) {
  if (!arg->str || !arg->len) return false;
  lbc_smp var{};
  if (lbc_fetch_var(txn, arg, 1, &var) != LBC_FETCH_OK || !as(txn, &var, LBC_SMP_STR)) return false;
  v = view(var);
  return true;
}

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kB64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string b64enc(std::string_view in, const char* alphabet, bool pad) {
  std::string v;
  for (size_t i = 0; i < in.size(); i += 3) {
    uint32_t n = uint32_t(uint8_t(in[i])) << 16;
    if (i + 1 < in.size()) n |= uint32_t(uint8_t(in[i + 1])) << 8;
    if (i + 2 < in.size()) n |= uint8_t(in[i + 2]);
    v += alphabet[(n >> 18) & 63];
    v += alphabet[(n >> 12) & 63];
    if (i + 1 < in.size() || pad) v += i + 1 < in.size() ? alphabet[(n >> 6) & 63] : '=';
    if (i + 2 < in.size() || pad) v += i + 2 < in.size() ? alphabet[n & 63] : '=';
  }
  return v;
}

}  // namespace

namespace lbc::rt::detail {

// HAProxy's base64dec: quads of 4; '=' is padding from the third character of a quad on, and
// a quad may follow a padded one ("YQ==YQ==" is "aa").
bool b64dec(std::string_view in, std::string& v) {
  if (in.size() % 4) return false;
  unsigned char t[4];
  int i = 0, pad = 0;
  for (char c : in) {
    const char* p = c ? std::strchr(kB64, c) : nullptr;
    int b = c == '=' ? 64 : p ? static_cast<int>(p - kB64) : -1;
    if (b < 0 || (pad && b != 64) || (b == 64 && i < 2)) return false;
    if (b == 64) ++pad;
    t[i++] = static_cast<unsigned char>(b);
    if (i == 4) {
      char o[3] = {char((t[0] << 2) + (t[1] >> 4)), char((t[1] << 4) + (t[2] >> 2)),
                   char((t[2] << 6) + t[3])};
      v.append(o, static_cast<size_t>(3 - pad));
      pad = i = 0;
    }
  }
  return true;
}

}  // namespace lbc::rt::detail

namespace {

// HAProxy's base64urldec: no padding (a length of 4n+1 fails); a '=' in the input decodes as 63.
bool ub64dec(std::string_view in, std::string& v) {
  if (in.size() % 4 == 1) return false;
  unsigned char t[4];
  int i = 0;
  auto flush = [&](int n) {
    char o[3] = {char((t[0] << 2) + (t[1] >> 4)), char((t[1] << 4) + (t[2] >> 2)), char((t[2] << 6) + t[3])};
    v.append(o, static_cast<size_t>(n));
  };
  for (char c : in) {
    const char* p = c ? std::strchr(kB64Url, c) : nullptr;
    int b = c == '=' ? 63 : p ? static_cast<int>(p - kB64Url) : -1;
    if (b < 0) return false;
    t[i++] = static_cast<unsigned char>(b);
    if (i == 4) flush(3), i = 0;
  }
  if (i) {
    for (int k = i; k < 4; ++k) t[k] = 0;
    flush(i - 1);
  }
  return true;
}

std::string_view trimSet(std::string_view v, std::string_view set, bool left) {
  if (left) {
    size_t b = v.find_first_not_of(set);
    return b == std::string_view::npos ? std::string_view() : v.substr(b);
  }
  size_t e = v.find_last_not_of(set);
  return e == std::string_view::npos ? std::string_view() : v.substr(0, e + 1);
}

// ltime / utime: strftime of the date (seconds since the epoch, plus the offset).
int32_t formatTime(lbc_txn* txn, const lbc_arg* args, uint32_t nargs, lbc_smp* s, bool local) {
  if (!asInt(txn, s)) return fail(s);
  // As HAProxy: the 55-bit mask first (a negative date becomes a far future one), then the offset.
  // HAProxy is built with -fwrapv: an offset that overflows wraps, as it does there.
  time_t when = static_cast<time_t>(wrapAdd(s->sint & 0x007fffffffffffffLL, nargs > 1 ? args[1].num : 0));
  struct tm tm;
  if (!(local ? localtime_r(&when, &tm) : gmtime_r(&when, &tm))) return fail(s);
  std::string fmt(argStr(args, nargs, 0));
  char buf[1024];
  size_t n = std::strftime(buf, sizeof buf, fmt.c_str(), &tm);
  return out(txn, s, std::string_view(buf, n));
}

// be2dec(sep,chunk[,truncate]) / be2hex([sep][,chunk][,truncate]): each run of `chunk` input bytes
// as one big-endian unsigned number (decimal) or as hex digits, separated by `sep`; with
// `truncate` a last, shorter run is dropped.
int32_t beChunks(lbc_txn* txn, const lbc_arg* args, uint32_t nargs, lbc_smp* s, bool hex) {
  if (!as(txn, s, LBC_SMP_BIN)) return fail(s);
  std::string_view in = view(*s), sep = argStr(args, nargs, 0);
  int64_t chunk = nargs > 1 && args[1].str ? args[1].num : (hex ? 0 : 1);
  bool truncate = nargs > 2 && args[2].num;
  size_t step = chunk > 0 ? static_cast<size_t>(chunk) : in.size();
  size_t last = truncate && step ? in.size() - in.size() % step : in.size();
  std::string v;
  char b[24];
  for (size_t i = 0; i < last; i += step) {
    if (i) v += sep;
    std::string_view part = in.substr(i, std::min(step, last - i));
    if (hex) {
      for (unsigned char c : part) std::snprintf(b, sizeof b, "%02X", c), v += b;
    } else {
      uint64_t n = 0;
      for (unsigned char c : part) n = (n << 8) | c;
      std::snprintf(b, sizeof b, "%llu", static_cast<unsigned long long>(n));
      v += b;
    }
    if (!step) break;
  }
  return out(txn, s, v);
}

}  // namespace

#define CONV(Id) int32_t lbc_conv_##Id(lbc_txn* txn, const lbc_arg* args, uint32_t nargs, lbc_smp* s)

extern "C" {

CONV(ltrim) {
  if (!as(txn, s, LBC_SMP_STR)) return fail(s);
  return setStr(s, trimSet(view(*s), argStr(args, nargs, 0), true)), 1;
}
CONV(rtrim) {
  if (!as(txn, s, LBC_SMP_STR)) return fail(s);
  return setStr(s, trimSet(view(*s), argStr(args, nargs, 0), false)), 1;
}

CONV(hex2i) {
  (void)args, (void)nargs;
  if (!as(txn, s, LBC_SMP_STR)) return fail(s);
  int64_t n = 0;
  for (char c : view(*s)) {
    int d = hexDigit(c);
    if (d < 0) return fail(s);
    n = static_cast<int64_t>((static_cast<uint64_t>(n) << 4) + static_cast<uint64_t>(d));
  }
  setInt(s, n);
  return 1;
}

CONV(htonl) {
  (void)args, (void)nargs;
  if (!asInt(txn, s)) return fail(s);
  uint32_t v = static_cast<uint32_t>(s->sint);
  char b[4] = {char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
  return out(txn, s, std::string_view(b, 4), LBC_SMP_BIN);
}

CONV(b64dec) {
  (void)args, (void)nargs;
  if (!as(txn, s, LBC_SMP_STR)) return fail(s);
  std::string v;
  if (!b64dec(view(*s), v)) return fail(s);
  return out(txn, s, v, LBC_SMP_BIN);
}
CONV(ub64dec) {
  (void)args, (void)nargs;
  if (!as(txn, s, LBC_SMP_STR)) return fail(s);
  std::string v;
  if (!ub64dec(view(*s), v)) return fail(s);
  return out(txn, s, v, LBC_SMP_BIN);
}
CONV(ub64enc) {
  (void)args, (void)nargs;
  if (!as(txn, s, LBC_SMP_BIN)) return fail(s);
  return out(txn, s, b64enc(view(*s), kB64Url, false));
}

CONV(iif) {
  if (!as(txn, s, LBC_SMP_BOOL)) return fail(s);
  return setStr(s, argStr(args, nargs, s->sint ? 0 : 1)), 1;
}

// concat([prefix][,var][,suffix]): an unset variable adds nothing.
CONV(concat) {
  if (!as(txn, s, LBC_SMP_STR)) return fail(s);
  std::string v(view(*s));
  v += argStr(args, nargs, 0);
  std::string_view var;
  if (nargs > 1 && varStr(txn, &args[1], var)) v += var;
  v += argStr(args, nargs, 2);
  return out(txn, s, v);
}

// secure_memcmp(var): true when the input equals the variable, in a time that does not depend on
// where they differ.
CONV(secure_memcmp) {
  if (!as(txn, s, LBC_SMP_BIN)) return fail(s);
  std::string_view in = view(*s), var;
  if (!varStr(txn, &args[0], var)) return fail(s);
  (void)nargs;
  bool eq = in.size() == var.size();
  if (eq) {
    unsigned char diff = 0;
    for (size_t i = 0; i < in.size(); ++i) diff |= static_cast<unsigned char>(in[i] ^ var[i]);
    eq = diff == 0;
  }
  setInt(s, eq ? 1 : 0, LBC_SMP_BOOL);
  return 1;
}

// strcmp(var): memcmp over the shorter length, then the shorter string is the smaller (HAProxy's
// sample_conv_strcmp; glibc's memcmp gives the difference of the first differing bytes).
CONV(strcmp) {
  if (!as(txn, s, LBC_SMP_STR)) return fail(s);
  std::string_view in = view(*s), var;
  if (!varStr(txn, &args[0], var)) return fail(s);
  (void)nargs;
  int64_t r = 0;
  size_t n = std::min(in.size(), var.size());
  for (size_t i = 0; i < n && r == 0; ++i) r = int64_t(uint8_t(in[i])) - int64_t(uint8_t(var[i]));
  if (r == 0 && in.size() != var.size()) r = in.size() < var.size() ? -1 : 1;
  setInt(s, r);
  return 1;
}

// cut_crlf: the input up to its first CR or LF.
CONV(cut_crlf) {
  (void)args, (void)nargs;
  if (!as(txn, s, LBC_SMP_STR)) return fail(s);
  std::string_view in = view(*s);
  return out(txn, s, in.substr(0, std::min(in.find('\r'), in.find('\n'))));
}

// host_only / port_only: a Host value without its port (lower-cased), or the port (0 without
// one). port_only's port is the digits after the last ':' (HAProxy's http_get_host_port: at least
// one digit, a host before); host_only cuts at the last ':' after any IPv6 literal's ']'.
static size_t hostPortColon(std::string_view h) {
  size_t p = h.size();
  while (p > 0 && h[p - 1] >= '0' && h[p - 1] <= '9') --p;
  if (p == h.size() || p < 2 || h[p - 1] != ':') return std::string_view::npos;
  return p - 1;
}
CONV(host_only) {
  (void)args, (void)nargs;
  if (!as(txn, s, LBC_SMP_STR)) return fail(s);
  std::string_view in = view(*s);
  size_t from = in.rfind(']');
  size_t c = in.rfind(':');
  if (c != std::string_view::npos && (from == std::string_view::npos || c > from)) in = in.substr(0, c);
  std::string h(in);
  for (char& ch : h) ch = lowerAscii(ch);
  return out(txn, s, h);
}
CONV(port_only) {
  (void)args, (void)nargs;
  if (!as(txn, s, LBC_SMP_STR)) return fail(s);
  std::string_view in = view(*s);
  size_t c = hostPortColon(in);
  setInt(s, c == std::string_view::npos ? 0 : readInt(in.substr(c + 1)));
  return 1;
}

// http_date([offset[,unit]]): an IMF-fixdate; with "ms" or "us" the input is in that unit and the
// fraction follows the seconds.
CONV(http_date) {
  if (!asInt(txn, s)) return fail(s);
  static const char* kDay[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* kMon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                               "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  int64_t v = wrapAdd(s->sint, nargs > 0 ? args[0].num : 0);  // wraps, as HAProxy built with -fwrapv
  std::string_view unit = argStr(args, nargs, 1);
  int64_t frac = 0;
  bool sub = unit == "ms" || unit == "us";
  if (sub) {
    int64_t div = unit == "ms" ? 1000 : 1000000;
    frac = v % div;
    v /= div;
  }
  time_t when = static_cast<time_t>(v & 0x007fffffffffffffLL);
  struct tm tm;
  if (!gmtime_r(&when, &tm)) return fail(s);
  char buf[96];
  int n =
      sub ? std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d.%d GMT", kDay[tm.tm_wday],
                          tm.tm_mday, kMon[tm.tm_mon], 1900 + tm.tm_year, tm.tm_hour, tm.tm_min, tm.tm_sec,
                          static_cast<int>(frac))
          : std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDay[tm.tm_wday],
                          tm.tm_mday, kMon[tm.tm_mon], 1900 + tm.tm_year, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return out(txn, s, std::string_view(buf, static_cast<size_t>(n)));
}

CONV(be2dec) {
  return beChunks(txn, args, nargs, s, false);
}
CONV(be2hex) {
  return beChunks(txn, args, nargs, s, true);
}

CONV(ltime) {
  return formatTime(txn, args, nargs, s, true);
}
CONV(utime) {
  return formatTime(txn, args, nargs, s, false);
}

}  // extern "C"

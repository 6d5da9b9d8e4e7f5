// Converters (lbc_conv_*): each casts its input as HAProxy's sample casts would, writes new
// bytes into the txn arena, and leaves ctx / LBC_SMPF_NOT_LAST alone.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "internal.h"
#include "maps.h"

using namespace lbc::rt;
using namespace lbc::rt::detail;

namespace {

bool asStr(lbc_txn* txn, lbc_smp* s, uint32_t type = LBC_SMP_STR) {
  return lbc_rt_smp_cast(txn, s, static_cast<int32_t>(type)) == 1;
}
int32_t fail(lbc_smp* s) {
  setNone(s);
  return 0;
}
int32_t outStr(lbc_txn* txn, lbc_smp* s, std::string_view v, uint32_t type = LBC_SMP_STR) {
  bool ok = false;
  std::string_view c = T(txn).arena.copy(v, &ok);
  if (!ok) return fail(s);
  setStr(s, c, type);
  return 1;
}

// field / word: the `index`th (1-based, negative from the end) run of `count` fields separated by
// any delimiter character; `words` skips empty fields (consecutive delimiters).
int32_t extract(lbc_txn* txn, const lbc_arg* args, uint32_t nargs, lbc_smp* s, bool words) {
  if (!asStr(txn, s)) return fail(s);
  int64_t index = args[0].num, count = nargs > 2 ? args[2].num : 1;
  std::string_view in = view(*s), delims = argStr(args, nargs, 1);
  if (index == 0 || count < 0) return fail(s);
  // Field boundaries.
  std::vector<std::pair<size_t, size_t>> f;
  size_t b = 0;
  for (size_t i = 0; i <= in.size(); ++i) {
    if (i == in.size() || delims.find(in[i]) != std::string_view::npos) {
      if (!words || i > b) f.push_back({b, i});
      b = i + 1;
    }
  }
  int64_t n = static_cast<int64_t>(f.size());
  int64_t first, last;  // inclusive field indexes
  if (index > 0) {
    first = index - 1;
    last = count == 0 ? n - 1 : first + count - 1;
  } else {
    last = n + index;
    first = count == 0 ? 0 : last - count + 1;
  }
  if (first < 0) first = 0;
  if (last >= n) last = n - 1;
  if (n == 0 || first > last || last < 0 || first >= n) return setStr(s, {}), 1;
  setStr(s, in.substr(f[first].first, f[last].second - f[first].first));
  return 1;
}

int32_t mapLookup(lbc_txn* txn, const lbc_arg* args, uint32_t nargs, lbc_smp* s) {
  const Map* m = static_cast<const Map*>(args[0].obj);
  if (!m) return fail(s);  // lbc_rt_args_prepare was not called
  const MapEntry* hit = nullptr;
  if (m->method == LBC_MATCH_INT) {
    if (lbc_rt_smp_cast(txn, s, LBC_SMP_SINT) != 1) return fail(s);
    for (const MapEntry& e : m->entries)
      if (e.range.contains(s->sint)) {
        hit = &e;
        break;
      }
  } else if (m->method == LBC_MATCH_IP) {
    if (s->type != LBC_SMP_IPV4 && s->type != LBC_SMP_IPV6 && lbc_rt_smp_cast(txn, s, LBC_SMP_IPV4) != 1 &&
        lbc_rt_smp_cast(txn, s, LBC_SMP_IPV6) != 1)
      return fail(s);
    for (const MapEntry& e : m->entries)  // longest prefix, as HAProxy's tree
      if (lbc_match_ip(s, e.net, e.prefix, e.v6) && (!hit || e.prefix > hit->prefix)) hit = &e;
  } else {
    if (!asStr(txn, s)) return fail(s);
    std::string_view v = view(*s);
    if (m->method == LBC_MATCH_STR) {
      auto it = m->exact.find(std::string(v));
      if (it != m->exact.end()) hit = &m->entries[it->second];
    } else {
      for (const MapEntry& e : m->entries) {
        bool ok = false;
        switch (m->method) {
          case LBC_MATCH_BEG:  // longest prefix, as HAProxy's prefix tree
            ok = lbc_match_beg(v.data(), v.size(), e.key.data(), e.key.size(), 0) &&
                 (!hit || e.key.size() > hit->key.size());
            if (ok) hit = &e;
            continue;
          case LBC_MATCH_END:
            ok = lbc_match_end(v.data(), v.size(), e.key.data(), e.key.size(), 0);
            break;
          case LBC_MATCH_SUB:
            ok = lbc_match_sub(v.data(), v.size(), e.key.data(), e.key.size(), 0);
            break;
          case LBC_MATCH_REG:
            ok = lbc_match_reg(e.re, v.data(), v.size());
            break;
          default:
            break;
        }
        if (ok) {
          hit = &e;
          break;
        }
      }
    }
  }
  if (hit) return outStr(txn, s, hit->value);
  if (nargs > 1 && args[1].str) return setStr(s, argStr(args, nargs, 1)), 1;
  return fail(s);
}

}  // namespace

#define CONV(Id) int32_t lbc_conv_##Id(lbc_txn* txn, const lbc_arg* args, uint32_t nargs, lbc_smp* s)

extern "C" {

CONV(lower) {
  (void)args, (void)nargs;
  if (!asStr(txn, s)) return fail(s);
  std::string v(view(*s));
  for (char& c : v) c = lowerAscii(c);
  return outStr(txn, s, v);
}

CONV(upper) {
  (void)args, (void)nargs;
  if (!asStr(txn, s)) return fail(s);
  std::string v(view(*s));
  for (char& c : v)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
  return outStr(txn, s, v);
}

CONV(length) {
  (void)args, (void)nargs;
  if (!asStr(txn, s)) return fail(s);
  setInt(s, static_cast<int64_t>(s->len));
  return 1;
}

CONV(hex) {
  (void)args, (void)nargs;
  if (!asStr(txn, s, LBC_SMP_BIN)) return fail(s);
  static const char kHex[] = "0123456789ABCDEF";
  std::string v;
  for (unsigned char c : view(*s)) v += kHex[c >> 4], v += kHex[c & 15];
  return outStr(txn, s, v);
}

CONV(base64) {
  (void)args, (void)nargs;
  if (!asStr(txn, s, LBC_SMP_BIN)) return fail(s);
  static const char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string_view in = view(*s);
  std::string v;
  for (size_t i = 0; i < in.size(); i += 3) {
    uint32_t n = uint32_t(uint8_t(in[i])) << 16;
    if (i + 1 < in.size()) n |= uint32_t(uint8_t(in[i + 1])) << 8;
    if (i + 2 < in.size()) n |= uint8_t(in[i + 2]);
    v += kB64[(n >> 18) & 63];
    v += kB64[(n >> 12) & 63];
    v += i + 1 < in.size() ? kB64[(n >> 6) & 63] : '=';
    v += i + 2 < in.size() ? kB64[n & 63] : '=';
  }
  return outStr(txn, s, v);
}

CONV(bytes) {
  if (!asStr(txn, s, LBC_SMP_BIN)) return fail(s);
  std::string_view in = view(*s);
  int64_t off = args[0].num;
  if (off < 0) return fail(s);
  if (static_cast<uint64_t>(off) >= in.size()) return setStr(s, {}, LBC_SMP_BIN), 1;
  std::string_view r = in.substr(static_cast<size_t>(off));
  if (nargs > 1 && args[1].num >= 0 && static_cast<uint64_t>(args[1].num) < r.size())
    r = r.substr(0, static_cast<size_t>(args[1].num));
  setStr(s, r, LBC_SMP_BIN);
  return 1;
}

CONV(field) {
  return extract(txn, args, nargs, s, false);
}
CONV(word) {
  return extract(txn, args, nargs, s, true);
}

CONV(ipmask) {
  if (s->type != LBC_SMP_IPV4 && s->type != LBC_SMP_IPV6 && lbc_rt_smp_cast(txn, s, LBC_SMP_IPV4) != 1 &&
      lbc_rt_smp_cast(txn, s, LBC_SMP_IPV6) != 1)
    return fail(s);
  bool v6 = s->type == LBC_SMP_IPV6;
  if (v6 && nargs < 2) return fail(s);  // no IPv6 mask given: HAProxy fails the conversion
  std::string_view m = argStr(args, nargs, v6 ? 1 : 0);
  int bits;
  if (m.find('.') != std::string_view::npos) {
    uint8_t mb[16];
    bool mv6 = false;
    if (!parseIp(m, mb, mv6)) return fail(s);
    bits = 0;
    while (bits < 32 && (mb[bits / 8] & (0x80 >> (bits % 8)))) ++bits;
  } else {
    bits = static_cast<int>(readInt(m));
  }
  int total = v6 ? 128 : 32;
  for (int i = 0; i < total / 8; ++i) {
    int keep = bits - i * 8;
    uint8_t mask = keep >= 8 ? 0xff : keep <= 0 ? 0 : static_cast<uint8_t>(0xff << (8 - keep));
    s->ip[i] &= mask;
  }
  return 1;
}

CONV(json) {
  if (!asStr(txn, s)) return fail(s);
  std::string_view mode = argStr(args, nargs, 0);
  bool utf8 = mode.starts_with("utf8"), skip = mode == "utf8s" || mode == "utf8ps";
  std::string_view in = view(*s);
  std::string v;
  char b[8];
  for (size_t i = 0; i < in.size();) {
    unsigned char c = static_cast<unsigned char>(in[i]);
    uint32_t cp = c;
    size_t n = 1;
    if (utf8 && c >= 0x80) {
      n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 0;
      bool ok = n && i + n <= in.size();
      if (ok) {
        cp = c & (0x7f >> n);
        for (size_t k = 1; k < n; ++k) {
          unsigned char cc = static_cast<unsigned char>(in[i + k]);
          if ((cc & 0xc0) != 0x80) ok = false;
          cp = (cp << 6) | (cc & 0x3f);
        }
      }
      if (!ok) {
        if (!skip) return fail(s);
        ++i;
        continue;
      }
    }
    i += n;
    switch (cp) {
      case '"':
        v += "\\\"";
        break;
      case '\\':
        v += "\\\\";
        break;
      case '/':
        v += "\\/";
        break;
      case '\b':
        v += "\\b";
        break;
      case '\f':
        v += "\\f";
        break;
      case '\r':
        v += "\\r";
        break;
      case '\n':
        v += "\\n";
        break;
      case '\t':
        v += "\\t";
        break;
      default:
        if (cp < 0x20 || cp > 0x7e) {
          std::snprintf(b, sizeof b, "\\u%04x", cp & 0xffff);
          v += b;
        } else {
          v += static_cast<char>(cp);
        }
    }
  }
  return outStr(txn, s, v);
}

CONV(url_dec) {
  if (!asStr(txn, s)) return fail(s);
  bool in_form = nargs > 0 && args[0].num != 0;
  std::string_view in = view(*s);
  std::string v;
  auto hex = [](char c) -> int {
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
  };
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '?' && !in_form) in_form = true;  // after '?', '+' means space (HAProxy's url_decode)
    if (c == '+' && in_form)
      v += ' ';
    else if (c == '%') {
      if (i + 2 >= in.size()) return fail(s);
      int h = hex(in[i + 1]), l = hex(in[i + 2]);
      if (h < 0 || l < 0) return fail(s);
      v += static_cast<char>(h * 16 + l);
      i += 2;
    } else
      v += c;
  }
  return outStr(txn, s, v);
}

CONV(regsub) {
  if (!asStr(txn, s)) return fail(s);
  const lbc_regex* re = static_cast<const lbc_regex*>(args[0].obj);
  if (!re) return fail(s);
  bool global = argStr(args, nargs, 2).find('g') != std::string_view::npos;
  std::string_view in = view(*s), subst = argStr(args, nargs, 1);
  std::string v;
  size_t pos = 0;
  size_t ov[20];
  int n = 0;
  while (pos <= in.size()) {
    if (!regexSearch(re, in.substr(pos), ov, 10, &n)) break;
    v.append(in.substr(pos, ov[0]));
    for (size_t i = 0; i < subst.size(); ++i) {
      if (subst[i] == '\\' && i + 1 < subst.size() && subst[i + 1] >= '0' && subst[i + 1] <= '9') {
        int g = subst[++i] - '0';
        if (g < n && ov[2 * g] != SIZE_MAX) v.append(in.substr(pos + ov[2 * g], ov[2 * g + 1] - ov[2 * g]));
      } else {
        v += subst[i];
      }
    }
    size_t end = pos + ov[1];
    if (ov[1] == ov[0]) {  // empty match: copy one char to make progress
      if (end < in.size()) v += in[end];
      end += 1;
    }
    pos = end;
    if (!global) break;
  }
  if (pos < in.size()) v.append(in.substr(pos));
  return outStr(txn, s, v);
}

CONV(map) {
  return mapLookup(txn, args, nargs, s);
}
CONV(map_str) {
  return mapLookup(txn, args, nargs, s);
}
CONV(map_beg) {
  return mapLookup(txn, args, nargs, s);
}
CONV(map_end) {
  return mapLookup(txn, args, nargs, s);
}
CONV(map_sub) {
  return mapLookup(txn, args, nargs, s);
}
CONV(map_reg) {
  return mapLookup(txn, args, nargs, s);
}
CONV(map_int) {
  return mapLookup(txn, args, nargs, s);
}
CONV(map_ip) {
  return mapLookup(txn, args, nargs, s);
}

}  // extern "C"

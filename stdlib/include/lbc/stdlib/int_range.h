// HAProxy's integer pattern (pat_parse_int), shared by ACL patterns (sema) and map_int keys (the
// runtime's map loader): `N` is exactly N; `LO:HI` or `LO-HI` a range; `:HI` or `-HI` at most HI;
// `LO:` or `LO-` at least LO. The first ':' or '-' is the separator, so `-1` means "up to 1" (a
// negative value cannot be written), as in HAProxy.
#pragma once
#include <cstdint>
#include <string_view>

namespace lbc::stdlib {

struct IntRange {
  int64_t lo = 0, hi = 0;
  bool has_lo = false, has_hi = false;
  bool contains(int64_t v) const { return (!has_lo || v >= lo) && (!has_hi || v <= hi); }
};

// Digits only, optionally signed, no overflow (HAProxy's strl2llrc).
inline bool parseIntStrict(std::string_view s, int64_t& out) {
  bool neg = !s.empty() && s[0] == '-';
  if (neg) s.remove_prefix(1);
  if (s.empty()) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (static_cast<uint64_t>(INT64_MAX) + (neg ? 1 : 0) - d) / 10) return false;
    v = v * 10 + d;
  }
  out = neg ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
  return true;
}

inline bool parseIntRange(std::string_view text, IntRange& r) {
  r = {};
  if (text.empty()) return false;
  size_t sep = text.find_first_of(":-");
  if (sep == std::string_view::npos) {
    if (!parseIntStrict(text, r.lo)) return false;
    r.hi = r.lo;
    r.has_lo = r.has_hi = true;
    return true;
  }
  std::string_view lo = text.substr(0, sep), hi = text.substr(sep + 1);
  if (lo.empty() && hi.empty()) return false;
  if (!lo.empty() && !(r.has_lo = parseIntStrict(lo, r.lo))) return false;
  if (!hi.empty() && !(r.has_hi = parseIntStrict(hi, r.hi))) return false;
  return true;
}

}  // namespace lbc::stdlib

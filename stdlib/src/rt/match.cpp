// Single-pattern matchers (HAProxy's pat_match_*). The interpreter loops over patterns with them;
// codegen may call them or build pattern sets that give the same answers.
#include <cstring>

#include "internal.h"

using namespace lbc::rt::detail;

namespace {

bool eqAt(const char* s, const char* p, uint64_t n, int32_t icase) {
  if (!icase) return std::memcmp(s, p, n) == 0;
  for (uint64_t i = 0; i < n; ++i)
    if (lowerAscii(s[i]) != lowerAscii(p[i])) return false;
  return true;
}

// HAProxy's match_word: the pattern (without leading/trailing delimiters) appears in `s` as a
// run of whole delimited components (`delim` or '?' / the string ends around it).
int32_t matchWord(const char* s, uint64_t n, const char* p, uint64_t pn, int32_t icase, char delim) {
  while (pn && *p == delim) ++p, --pn;  // leading delimiters are ignored
  while (pn && p[pn - 1] == delim) --pn;
  if (!pn) return 0;
  bool may_match = true;
  for (uint64_t i = 0; i < n; ++i) {
    if (s[i] == delim || s[i] == '?') {
      may_match = true;
      continue;
    }
    if (!may_match) continue;
    if (n - i >= pn && eqAt(s + i, p, pn, icase) && (i + pn == n || s[i + pn] == delim || s[i + pn] == '?'))
      return 1;
    may_match = false;
  }
  return 0;
}

}  // namespace

extern "C" {

int32_t lbc_match_str(const char* s, uint64_t n, const char* p, uint64_t pn, int32_t icase) {
  return n == pn && eqAt(s, p, n, icase);
}
int32_t lbc_match_beg(const char* s, uint64_t n, const char* p, uint64_t pn, int32_t icase) {
  return n >= pn && eqAt(s, p, pn, icase);
}
int32_t lbc_match_end(const char* s, uint64_t n, const char* p, uint64_t pn, int32_t icase) {
  return n >= pn && eqAt(s + (n - pn), p, pn, icase);
}
int32_t lbc_match_sub(const char* s, uint64_t n, const char* p, uint64_t pn, int32_t icase) {
  if (pn > n) return 0;
  for (uint64_t i = 0; i + pn <= n; ++i)
    if (eqAt(s + i, p, pn, icase)) return 1;
  return 0;
}
int32_t lbc_match_dir(const char* s, uint64_t n, const char* p, uint64_t pn, int32_t icase) {
  return matchWord(s, n, p, pn, icase, '/');
}
int32_t lbc_match_dom(const char* s, uint64_t n, const char* p, uint64_t pn, int32_t icase) {
  return matchWord(s, n, p, pn, icase, '.');
}
int32_t lbc_match_int(int64_t v, int64_t lo, int64_t hi, int32_t flags) {
  if ((flags & LBC_INT_HAS_LO) && v < lo) return 0;
  if ((flags & LBC_INT_HAS_HI) && v > hi) return 0;
  return 1;
}
int32_t lbc_match_ip(const lbc_smp* smp, const uint8_t* net, int32_t prefix, int32_t net_v6) {
  uint8_t ip[16];
  static const uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (smp->type == LBC_SMP_IPV4) {
    if (net_v6) {  // compare as ::ffff:a.b.c.d
      std::memcpy(ip, kMapped, 12);
      std::memcpy(ip + 12, smp->ip, 4);
    } else {
      std::memcpy(ip, smp->ip, 4);
    }
  } else if (smp->type == LBC_SMP_IPV6) {
    if (!net_v6) {  // as HAProxy: ::ffff:0:0/96, ::0/96 and 2002::/16 (6to4) carry an IPv4
      static const uint8_t kZero[12] = {};
      if (std::memcmp(smp->ip, kMapped, 12) == 0 || std::memcmp(smp->ip, kZero, 12) == 0)
        std::memcpy(ip, smp->ip + 12, 4);
      else if (smp->ip[0] == 0x20 && smp->ip[1] == 0x02)
        std::memcpy(ip, smp->ip + 2, 4);
      else
        return 0;
    } else {
      std::memcpy(ip, smp->ip, 16);
    }
  } else {
    return 0;
  }
  int32_t bits = prefix;
  for (int i = 0; bits > 0; ++i, bits -= 8) {
    uint8_t mask = bits >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - bits));
    if ((ip[i] & mask) != (net[i] & mask)) return 0;
  }
  return 1;
}

}  // extern "C"

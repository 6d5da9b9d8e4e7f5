// Runtime services of the ABI: arena, fired rules, sample casts, backend names, regexes.
#define PCRE2_CODE_UNIT_WIDTH 8
#include <arpa/inet.h>
#include <pcre2.h>

#include <cstdio>
#include <cstring>

#include "internal.h"

namespace lbc::rt::detail {

struct Regex {
  pcre2_code* code = nullptr;
  bool jit = false;
};

std::string ipText(const uint8_t* ip, bool v6) {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(v6 ? AF_INET6 : AF_INET, ip, buf, sizeof buf);
  return buf;
}

bool parseIp(std::string_view s, uint8_t ip[16], bool& v6) {
  std::memset(ip, 0, 16);
  // url2ipv4: four decimal bytes separated by dots, anything may follow.
  size_t i = 0;
  bool ok = true;
  for (int part = 0; part < 4 && ok; ++part) {
    if (part) {
      if (i >= s.size() || s[i] != '.')
        ok = false;
      else
        ++i;
    }
    size_t b = i;
    unsigned v = 0;
    while (ok && i < s.size() && s[i] >= '0' && s[i] <= '9' && i - b < 3) v = v * 10 + (s[i++] - '0');
    if (i == b || v > 255)
      ok = false;
    else
      ip[part] = static_cast<uint8_t>(v);
  }
  if (ok && (i == s.size() || !(s[i] >= '0' && s[i] <= '9'))) {
    v6 = false;
    return true;
  }
  std::memset(ip, 0, 16);
  if (s.size() >= INET6_ADDRSTRLEN) return false;
  char buf[INET6_ADDRSTRLEN];
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = 0;
  if (inet_pton(AF_INET6, buf, ip) == 1) {
    v6 = true;
    return true;
  }
  return false;
}

int64_t readInt(std::string_view s) {
  size_t i = 0;
  bool neg = false;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) neg = s[i++] == '-';
  uint64_t v = 0;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) v = v * 10 + static_cast<uint64_t>(s[i] - '0');
  return static_cast<int64_t>(neg ? 0 - v : v);  // negated as unsigned: -2^63 has no positive twin
}

bool toStr(Txn& t, const lbc_smp& s, std::string_view& out) {
  std::string tmp;
  switch (s.type) {
    case LBC_SMP_STR:
    case LBC_SMP_BIN:
    case LBC_SMP_METH:
      out = view(s);
      return true;
    case LBC_SMP_BOOL:
    case LBC_SMP_SINT:
      tmp = std::to_string(s.sint);
      break;
    case LBC_SMP_IPV4:
      tmp = ipText(s.ip, false);
      break;
    case LBC_SMP_IPV6:
      tmp = ipText(s.ip, true);
      break;
    default:
      return false;
  }
  bool ok = false;
  out = t.arena.copy(tmp, &ok);
  return ok;
}

bool regexSearch(const lbc_regex* re, std::string_view s, size_t* ovec, int novec, int* nmatch) {
  const Regex* r = reinterpret_cast<const Regex*>(re);
  if (!r || !r->code) return false;
  pcre2_match_data* md = pcre2_match_data_create(static_cast<uint32_t>(novec > 0 ? novec : 1), nullptr);
  if (!md) return false;
  int rc = r->jit
               ? pcre2_jit_match(r->code, reinterpret_cast<PCRE2_SPTR>(s.data()), s.size(), 0, 0, md, nullptr)
               : pcre2_match(r->code, reinterpret_cast<PCRE2_SPTR>(s.data()), s.size(), 0, 0, md, nullptr);
  bool ok = rc >= 0;
  if (ok && ovec) {
    PCRE2_SIZE* o = pcre2_get_ovector_pointer(md);
    int n = rc == 0 ? novec : rc;
    for (int i = 0; i < novec; ++i) {
      bool set = i < n && o[2 * i] != PCRE2_UNSET;
      ovec[2 * i] = set ? o[2 * i] : SIZE_MAX;
      ovec[2 * i + 1] = set ? o[2 * i + 1] : SIZE_MAX;
    }
    if (nmatch) *nmatch = n;
  }
  pcre2_match_data_free(md);
  return ok;
}

}  // namespace lbc::rt::detail

using namespace lbc::rt;
using namespace lbc::rt::detail;

extern "C" {

int32_t lbc_rt_more_data(lbc_txn* txn) {
  return T(txn).more_data ? 1 : 0;
}

void lbc_rt_fired(lbc_txn* txn, uint32_t proxy, uint32_t kind, uint32_t index) {
  T(txn).fired.push_back({proxy, kind, index});
}

void* lbc_rt_alloc(lbc_txn* txn, uint64_t n) {
  return T(txn).arena.alloc(static_cast<size_t>(n));
}

int32_t lbc_rt_smp_cast(lbc_txn* txn, lbc_smp* smp, int32_t type) {
  Txn& t = T(txn);
  if (smp->type == LBC_SMP_NONE) return 0;
  if (static_cast<int32_t>(smp->type) == type) return 1;
  switch (type) {
    case LBC_SMP_STR:
    case LBC_SMP_BIN: {
      std::string_view v;
      if (!toStr(t, *smp, v)) return 0;
      setStr(smp, v, static_cast<uint32_t>(type));
      return 1;
    }
    case LBC_SMP_METH:
      if (smp->type != LBC_SMP_STR && smp->type != LBC_SMP_BIN) return 0;
      smp->type = LBC_SMP_METH;
      return 1;
    case LBC_SMP_SINT:
    case LBC_SMP_BOOL:
      if (smp->type == LBC_SMP_BOOL || smp->type == LBC_SMP_SINT) {
        int64_t v = smp->sint;
        setInt(smp, type == LBC_SMP_BOOL ? v != 0 : v, static_cast<uint32_t>(type));
        return 1;
      }
      if (smp->type == LBC_SMP_STR) {
        if (view(*smp).empty()) return 0;  // HAProxy's c_str2int: an empty string is no number
        int64_t v = readInt(view(*smp));
        setInt(smp, type == LBC_SMP_BOOL ? v != 0 : v, static_cast<uint32_t>(type));
        return 1;
      }
      if (smp->type == LBC_SMP_IPV4 && type == LBC_SMP_SINT) {
        uint32_t v = (uint32_t(smp->ip[0]) << 24) | (uint32_t(smp->ip[1]) << 16) |
                     (uint32_t(smp->ip[2]) << 8) | smp->ip[3];
        setInt(smp, v);
        return 1;
      }
      return 0;
    case LBC_SMP_IPV4:
    case LBC_SMP_IPV6: {
      uint8_t ip[16];
      bool v6 = false;
      if (smp->type == LBC_SMP_STR) {
        if (!parseIp(view(*smp), ip, v6)) return 0;
        // A text IPv4 stays IPv4 unless an IPv6 is asked for, as HAProxy's c_str2addr.
      } else if (smp->type == LBC_SMP_SINT) {
        uint32_t v = static_cast<uint32_t>(smp->sint);
        std::memset(ip, 0, 16);
        ip[0] = v >> 24, ip[1] = v >> 16, ip[2] = v >> 8, ip[3] = static_cast<uint8_t>(v);
      } else if (smp->type == LBC_SMP_IPV4 || smp->type == LBC_SMP_IPV6) {
        std::memcpy(ip, smp->ip, 16);
        v6 = smp->type == LBC_SMP_IPV6;
      } else {
        return 0;
      }
      if (type == LBC_SMP_IPV6 && !v6) {  // v4 -> ::ffff:a.b.c.d
        uint8_t m[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ip[0], ip[1], ip[2], ip[3]};
        std::memcpy(ip, m, 16);
        v6 = true;
      } else if (type == LBC_SMP_IPV4 && v6) {  // only a v4-mapped v6 converts
        static const uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (std::memcmp(ip, kMapped, 12) != 0) return 0;
        uint8_t v4[16] = {ip[12], ip[13], ip[14], ip[15]};
        std::memcpy(ip, v4, 16);
        v6 = false;
      }
      setIp(smp, ip, v6);
      return 1;
    }
    default:
      return 0;
  }
}

int32_t lbc_rt_find_backend(lbc_txn* txn, const char* name, uint64_t len) {
  const lbc_program* p = T(txn).program;
  if (!p || !p->proxy_names) return LBC_BACKEND_NONE;
  std::string_view n(name, static_cast<size_t>(len));
  for (uint32_t i = 0; i < p->nproxies; ++i)
    if ((p->proxy_caps[i] & 2) && n == p->proxy_names[i]) return static_cast<int32_t>(i);
  return LBC_BACKEND_NONE;
}

lbc_regex* lbc_rt_regex_new(const char* pattern, uint64_t len, int32_t flags) {
  int err = 0;
  PCRE2_SIZE off = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern), static_cast<PCRE2_SIZE>(len),
                                   (flags & LBC_RE_ICASE) ? PCRE2_CASELESS : 0, &err, &off, nullptr);
  if (!code) return nullptr;
  auto* r = new Regex{code, pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0};
  return reinterpret_cast<lbc_regex*>(r);
}

void lbc_rt_regex_free(lbc_regex* re) {
  Regex* r = reinterpret_cast<Regex*>(re);
  if (!r) return;
  pcre2_code_free(r->code);
  delete r;
}

int32_t lbc_match_reg(const lbc_regex* re, const char* s, uint64_t n) {
  return regexSearch(re, std::string_view(s ? s : "", static_cast<size_t>(n)), nullptr, 0, nullptr) ? 1 : 0;
}

}  // extern "C"

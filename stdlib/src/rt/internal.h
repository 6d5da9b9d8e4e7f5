// Shared by the stdlib helper implementations (lbc_stdlib_rt): sample constructors, string views
// of samples, case-insensitive comparisons, IP text. Not part of the ABI.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "lbc/abi.h"
#include "lbc/rt/txn.h"
#include "lbc/stdlib/text.h"

namespace lbc::rt::detail {

inline Txn& T(lbc_txn* t) {
  return *fromAbi(t);
}

using stdlib::ieq;
using stdlib::lowerAscii;
inline std::string_view view(const lbc_smp& s) {
  return {s.ptr ? s.ptr : "", static_cast<size_t>(s.len)};
}
inline std::string_view argStr(const lbc_arg* a, uint32_t n, uint32_t i) {
  return i < n && a[i].str ? std::string_view(a[i].str, static_cast<size_t>(a[i].len)) : std::string_view();
}

// Keeps ctx and the input flags; sets the value.
inline void setNone(lbc_smp* s) {
  s->type = LBC_SMP_NONE;
  s->ptr = nullptr;
  s->len = 0;
  s->sint = 0;
}
inline void setStr(lbc_smp* s, std::string_view v, uint32_t type = LBC_SMP_STR) {
  s->type = type;
  s->ptr = v.data();
  s->len = v.size();
  s->sint = 0;
}
inline void setInt(lbc_smp* s, int64_t v, uint32_t type = LBC_SMP_SINT) {
  s->type = type;
  s->sint = v;
  s->ptr = nullptr;
  s->len = 0;
}
inline void setIp(lbc_smp* s, const uint8_t* ip, bool v6) {
  s->type = v6 ? LBC_SMP_IPV6 : LBC_SMP_IPV4;
  std::memset(s->ip, 0, sizeof s->ip);
  std::memcpy(s->ip, ip, v6 ? 16 : 4);
  s->ptr = nullptr;
  s->len = 0;
}

// The string form of a sample (HAProxy's cast to str), written into the txn arena when it must be
// built. Returns false for NONE or when the arena is full.
bool toStr(Txn& t, const lbc_smp& s, std::string_view& out);
std::string ipText(const uint8_t* ip, bool v6);
// A leading dotted quad (url2ipv4), then a whole IPv6 text. Fills 16 bytes.
bool parseIp(std::string_view s, uint8_t ip[16], bool& v6);
// HAProxy's read_int64: optional sign, then digits; stops at the first other character.
int64_t readInt(std::string_view s);

// HAProxy's base64dec (the b64dec converter, Basic authorization): appends to `v`.
bool b64dec(std::string_view in, std::string& v);

// Regex handle behind lbc_regex.
struct Regex;
bool regexSearch(const lbc_regex* re, std::string_view s, size_t* ovec, int novec, int* nmatch);

}  // namespace lbc::rt::detail

// Byte classes of RFC 9110/9112 as HAProxy 2.6 applies them.
#pragma once
#include <array>
#include <cstdint>
#include <string_view>

#include "lbc/text.h"

namespace lbc::rt::http1::detail {

enum : uint8_t { kToken = 1, kUri = 2, kHex = 4, kSpHt = 8 };

constexpr std::array<uint8_t, 256> makeClasses() {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    uint8_t f = 0;
    bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (alnum || std::string_view("!#$%&'*+-.^_`|~").find(char(c)) != std::string_view::npos) f |= kToken;
    // HAProxy 2.6 takes any visible ASCII in the request-target but '#' (a fragment is never sent).
    if (c >= 0x21 && c <= 0x7e && c != '#') f |= kUri;
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) f |= kHex;
    if (c == ' ' || c == '\t') f |= kSpHt;
    t[c] = f;
  }
  return t;
}
inline constexpr std::array<uint8_t, 256> kClasses = makeClasses();

inline bool is(char c, uint8_t cls) {
  return (kClasses[static_cast<uint8_t>(c)] & cls) != 0;
}
inline int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  return (c | 0x20) - 'a' + 10;
}
inline char lower(char c) {
  return text::lowerAscii(c);
}
using text::ieq;
// HTTP's optional whitespace: spaces and tabs.
inline std::string_view trim(std::string_view v) {
  return text::trim(v, " \t");
}

}  // namespace lbc::rt::http1::detail

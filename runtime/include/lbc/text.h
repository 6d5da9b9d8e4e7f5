// ASCII text helpers shared by the compiler, the stdlib helpers and the runtime: the one copy of
// case-insensitive comparison and trimming. HTTP names and HAProxy keywords fold ASCII only.
#pragma once
#include <string>
#include <string_view>

namespace lbc::text {

constexpr char lowerAscii(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c;
}

// Equal ignoring ASCII case.
constexpr bool ieq(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (lowerAscii(a[i]) != lowerAscii(b[i])) return false;
  return true;
}

inline std::string lowerCopy(std::string s) {
  for (char& c : s) c = lowerAscii(c);
  return s;
}

// `s` without the leading and trailing characters of `chars` (blanks by default; HTTP's
// optional whitespace is " \t").
constexpr std::string_view trim(std::string_view s, std::string_view chars = " \t\r") {
  size_t b = s.find_first_not_of(chars);
  // All trimmed: empty, but still pointing into `s` (parsers take offsets from it).
  if (b == std::string_view::npos) return s.substr(s.size());
  return s.substr(b, s.find_last_not_of(chars) - b + 1);
}

}  // namespace lbc::text

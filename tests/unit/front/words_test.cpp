#include "front/words.h"

#include <gtest/gtest.h>

#include <map>

using lbc::front::decodeWord;
using lbc::front::EnvLookup;

namespace {
EnvLookup env() {
  return [](std::string_view n) -> std::optional<std::string> {
    static const std::map<std::string, std::string, std::less<>> kEnv = {{"HOME", "/root"}, {"EMPTY", ""}};
    auto it = kEnv.find(n);
    if (it == kEnv.end()) return std::nullopt;
    return it->second;
  };
}
}  // namespace

TEST(Words, PlainWordIsUnchanged) {
  auto r = decodeWord("roundrobin", env());
  EXPECT_EQ(r.text, "roundrobin");
  EXPECT_FALSE(r.quoted);
  EXPECT_TRUE(r.error.empty());
}

TEST(Words, DoubleQuotesExpandVariablesAndEscapes) {
  EXPECT_EQ(decodeWord("\"$HOME/x\"", env()).text, "/root/x");
  EXPECT_EQ(decodeWord("\"${HOME}x\"", env()).text, "/rootx");
  EXPECT_EQ(decodeWord("\"${NOPE-dflt}\"", env()).text, "dflt");
  EXPECT_EQ(decodeWord("\"${NOPE}\"", env()).text, "");
  EXPECT_EQ(decodeWord("\"a\\\"b\"", env()).text, "a\"b");
  EXPECT_EQ(decodeWord("\"a b\"", env()).text, "a b");
}

TEST(Words, SingleQuotesAreVerbatim) {
  EXPECT_EQ(decodeWord("'$HOME \\n'", env()).text, "$HOME \\n");
}

TEST(Words, UnquotedVariablesStayLiteral) {
  EXPECT_EQ(decodeWord("${HOME}", env()).text, "${HOME}");
}

TEST(Words, BackslashEscapesOutsideQuotes) {
  EXPECT_EQ(decodeWord("a\\ b", env()).text, "a b");
  EXPECT_EQ(decodeWord("a\\#b", env()).text, "a#b");
  EXPECT_EQ(decodeWord("\\x41", env()).text, "A");
  // Unknown escapes stay, so regular expressions keep working.
  EXPECT_EQ(decodeWord("^/a\\.b\\d", env()).text, "^/a\\.b\\d");
}

TEST(Words, ConcatenatedQuotedParts) {
  EXPECT_EQ(decodeWord("foo\"bar baz\"'qux'", env()).text, "foobar bazqux");
}

TEST(Words, Errors) {
  EXPECT_FALSE(decodeWord("\"abc", env()).error.empty());
  EXPECT_FALSE(decodeWord("\\xZZ", env()).error.empty());
  EXPECT_FALSE(decodeWord("\"cost $5\"", env()).error.empty());
  EXPECT_FALSE(decodeWord("\"${}\"", env()).error.empty());
  EXPECT_FALSE(decodeWord("\"${A\"", env()).error.empty());
}

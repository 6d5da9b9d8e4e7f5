// LbcLexer.g4 is the specification of the tokens; FastLexer implements it by hand for speed.
// This test runs both over every configuration in the repository (and some edge cases) and
// requires identical token streams.
#include "front/fast_lexer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "LbcLexer.h"

namespace {

template <typename Source>
std::vector<std::string> drain(Source& lexer) {
  std::vector<std::string> out;
  for (;;) {
    auto t = lexer.nextToken();
    out.push_back(std::to_string(t->getType()) + "@" + std::to_string(t->getLine()) + ":" +
                  std::to_string(t->getCharPositionInLine()) + " " + t->getText());
    if (t->getType() == antlr4::Token::EOF) break;
  }
  return out;
}

std::vector<std::string> antlrTokens(const std::string& text) {
  antlr4::ANTLRInputStream in(text);
  lbcgen::LbcLexer lexer(&in);
  lexer.removeErrorListeners();
  return drain(lexer);
}

std::vector<std::string> fastTokens(const std::string& text) {
  lbc::front::FastLexer lexer(text);
  return drain(lexer);
}

void expectSame(const std::string& text, const std::string& what) {
  auto a = antlrTokens(text);
  auto f = fastTokens(text);
  size_t n = std::min(a.size(), f.size());
  for (size_t i = 0; i < n; ++i) {
    if (a[i] != f[i]) {
      ADD_FAILURE() << what << ": token " << i << " differs: grammar says '" << a[i] << "', FastLexer says '"
                    << f[i] << "'";
      return;
    }
  }
  EXPECT_EQ(a.size(), f.size()) << what;
}

}  // namespace

TEST(FastLexer, EdgeCases) {
  const char* cases[] = {"",
                         "\n",
                         "a",
                         "a b\n",
                         "  # only a comment\n",
                         "x \"unterminated\n",
                         "x 'unterminated\n",
                         "x \\\n",
                         "x \\",
                         "!{ ssl_fc }",
                         "!!a",
                         "!\"open",
                         "a!b",
                         "{x} { } }{",
                         ".if defined(A) && !(B || C)\nx\n.endif\n",
                         ".if streq(\"$X\",'y') # c\n",
                         ".ifx\n",
                         ".elif\n",
                         ".if a & b | c\n",
                         "||or or\n",
                         "if unless ifx\n",
                         "global\nglobalx\n",
                         "\r\n\r\na\r\n",
                         "a\rb\n",
                         "\"a\\\"b\" 'c\\'d'\n",
                         "a\\ b\\#c #d\n",
                         "\t\f x\n",
                         ".diag \"m\" .alert\n",
                         "use_backend %[req.hdr(host),lower] if { hdr(x) -m found }\n",
                         "\"\"",
                         "''",
                         ".if (\n",
                         ".if \"\n"};
  for (const char* c : cases) expectSame(c, std::string("case '") + c + "'");
}

TEST(FastLexer, EveryRepositoryConfiguration) {
  namespace fs = std::filesystem;
  size_t files = 0;
  for (const char* dir :
       {"tests/haproxy_diff/cases", "tests/diag/cases", "samples", "tests/fuzz/regressions"}) {
    fs::path p = fs::path(LBC_SOURCE_DIR) / dir;
    if (!fs::exists(p)) continue;
    for (const auto& e : fs::directory_iterator(p)) {
      if (!e.is_regular_file()) continue;
      std::ifstream in(e.path(), std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      std::string text = ss.str();
      bool ascii = true;
      for (unsigned char c : text) ascii = ascii && c < 0x80;
      if (!ascii) continue;  // the grammar's columns count code points, FastLexer's count bytes
      expectSame(text, e.path().string());
      ++files;
    }
  }
  EXPECT_GE(files, 300u);
}

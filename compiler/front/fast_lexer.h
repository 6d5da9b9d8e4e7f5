// A hand-written token source that produces exactly the tokens LbcLexer.g4 defines for the
// DEFAULT and PP modes. ANTLR 4.9's C++ lexer spends ~1,000 instructions per input character
// (a lock and a std::function per DFA step); this one spends a few. LbcLexer.g4 stays the
// specification: tests/unit/front/fast_lexer_test.cpp checks both produce the same tokens on
// every configuration of the test corpus. Only front/parse.cpp and that test include this.
#pragma once
#include <antlr4-runtime.h>

#include <string>
#include <string_view>

namespace lbc::front {

// ANTLR's input streams require valid UTF-8, but configuration words are bytes (HAProxy
// accepts any, and `\xNN` escapes make any). Text given to ANTLR is therefore transcoded
// byte-for-code-point (each byte >= 0x80 becomes the code point of the same value), which keeps
// ANTLR's character positions equal to byte offsets; fromAntlr() undoes it on token text.
std::string toAntlr(std::string_view bytes);
std::string fromAntlr(std::string_view utf8);

class FastLexer : public antlr4::TokenSource {
 public:
  explicit FastLexer(std::string_view text) : text_(text) {}
  std::unique_ptr<antlr4::Token> nextToken() override;
  size_t getLine() const override { return line_; }
  size_t getCharPositionInLine() override { return pos_ - line_start_; }
  // The error strategy conjures missing tokens from the source pair, so one must exist.
  // Built on first use only (error recovery), as transcoding the whole file costs ~5% of a parse.
  antlr4::CharStream* getInputStream() override {
    if (!input_) input_ = std::make_unique<antlr4::ANTLRInputStream>(toAntlr(text_));
    return input_.get();
  }
  std::string getSourceName() override { return "config"; }
  antlr4::TokenFactory<antlr4::CommonToken>* getTokenFactory() override {
    return antlr4::CommonTokenFactory::DEFAULT.get();
  }

 private:
  std::unique_ptr<antlr4::Token> make(size_t type, size_t start);
  size_t scanQuoted(size_t i, bool& closed) const;  // at a quote; returns the index after it
  std::unique_ptr<antlr4::Token> trivia();
  std::unique_ptr<antlr4::Token> defaultToken();
  std::unique_ptr<antlr4::Token> ppToken();
  char at(size_t i) const { return i < text_.size() ? text_[i] : '\0'; }

  std::string_view text_;
  size_t pos_ = 0;
  size_t line_ = 1;
  size_t line_start_ = 0;
  bool pp_mode_ = false;
  std::unique_ptr<antlr4::ANTLRInputStream> input_;
};

}  // namespace lbc::front

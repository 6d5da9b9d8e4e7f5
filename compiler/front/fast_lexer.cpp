#include "front/fast_lexer.h"

#include "LbcLexer.h"

namespace lbc::front {

using lbcgen::LbcLexer;

namespace {
bool isBlank(char c) {
  return c == ' ' || c == '\t' || c == '\f';
}
bool isEol(char c) {
  return c == '\n' || c == '\r';
}
// Characters that end an unquoted run in DEFAULT mode (WORD_PART's excluded set).
bool endsWord(char c) {
  return isBlank(c) || isEol(c) || c == '#' || c == '"' || c == '\'' || c == '\\' || c == '\0';
}
bool endsPpWord(char c) {
  return endsWord(c) || c == '(' || c == ')' || c == ',' || c == '&' || c == '|' || c == '!';
}
}  // namespace

std::string toAntlr(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (unsigned char c : bytes) {
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else {
      out += static_cast<char>(0xC0 | (c >> 6));
      out += static_cast<char>(0x80 | (c & 0x3F));
    }
  }
  return out;
}

std::string fromAntlr(std::string_view utf8) {
  std::string out;
  out.reserve(utf8.size());
  for (size_t i = 0; i < utf8.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(utf8[i]);
    if ((c == 0xC2 || c == 0xC3) && i + 1 < utf8.size()) {
      out += static_cast<char>(((c & 0x03) << 6) | (static_cast<unsigned char>(utf8[i + 1]) & 0x3F));
      ++i;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::unique_ptr<antlr4::Token> FastLexer::make(size_t type, size_t start) {
  // The source pair's stream is fetched lazily by whoever needs it (see getInputStream()).
  auto t =
      std::make_unique<antlr4::CommonToken>(std::make_pair(this, static_cast<antlr4::CharStream*>(nullptr)),
                                            type, antlr4::Token::DEFAULT_CHANNEL, start, pos_ - 1);
  t->setText(type == antlr4::Token::EOF ? std::string("<EOF>")
                                        : std::string(text_.substr(start, pos_ - start)));
  t->setLine(line_);
  t->setCharPositionInLine(start - line_start_);
  t->setStartIndex(start);
  t->setStopIndex(pos_ - 1);
  return t;
}

// A quoted part starting at text_[i]. DQ: escapes allowed, no newline; SQ: verbatim, no newline.
size_t FastLexer::scanQuoted(size_t i, bool& closed) const {
  char q = text_[i++];
  while (i < text_.size() && !isEol(text_[i])) {
    if (text_[i] == q) {
      closed = true;
      return i + 1;
    }
    if (q == '"' && text_[i] == '\\' && i + 1 < text_.size() && !isEol(text_[i + 1]))
      i += 2;
    else
      ++i;
  }
  closed = false;
  return i;
}

std::unique_ptr<antlr4::Token> FastLexer::nextToken() {
  return pp_mode_ ? ppToken() : defaultToken();
}

// Skips blanks and comments; returns the NL or EOF token when one comes first (both modes
// share these rules; a newline also leaves PP mode).
std::unique_ptr<antlr4::Token> FastLexer::trivia() {
  for (;;) {
    size_t start = pos_;
    if (pos_ >= text_.size()) return make(antlr4::Token::EOF, start);
    char c = text_[pos_];
    if (c == '\n' || (c == '\r' && at(pos_ + 1) == '\n')) {
      pos_ += c == '\r' ? 2 : 1;
      auto t = make(LbcLexer::NL, start);
      ++line_;
      line_start_ = pos_;
      pp_mode_ = false;
      return t;
    }
    if (isBlank(c)) {
      while (pos_ < text_.size() && isBlank(text_[pos_])) ++pos_;
    } else if (c == '#') {
      while (pos_ < text_.size() && !isEol(text_[pos_])) ++pos_;
    } else {
      return nullptr;
    }
  }
}

std::unique_ptr<antlr4::Token> FastLexer::defaultToken() {
  {
    if (auto t = trivia()) return t;
    size_t start = pos_;
    char c = text_[pos_];
    // Maximal munch over WORD_PART*, noting whether a quote stays open (UNTERMINATED).
    size_t i = pos_;
    bool plain = true;  // no quote and no escape: may be a keyword token
    bool unterminated = false;
    while (i < text_.size()) {
      char d = text_[i];
      if (d == '"' || d == '\'') {
        bool closed = false;
        i = scanQuoted(i, closed);
        plain = false;
        if (!closed) {
          unterminated = true;
          break;
        }
      } else if (d == '\\') {
        if (i + 1 >= text_.size() || isEol(text_[i + 1])) break;  // a lone backslash: not part of a word
        i += 2;
        plain = false;
      } else if (endsWord(d)) {
        break;
      } else {
        ++i;
      }
    }
    if (unterminated) {
      pos_ = i;
      return make(LbcLexer::UNTERMINATED, start);
    }
    if (c == '!') {  // WORD cannot start with '!': BANG, and the rest lexes on its own
      pos_ = start + 1;
      return make(LbcLexer::BANG, start);
    }
    if (i == start) {  // a backslash before the end of the line, or a stray '\r'
      pos_ = start + 1;
      return make(LbcLexer::BAD, start);
    }
    pos_ = i;
    std::string_view w = text_.substr(start, i - start);
    size_t type = LbcLexer::WORD;
    if (plain) {
      if (w == ".if")
        type = LbcLexer::PP_IF, pp_mode_ = true;
      else if (w == ".elif")
        type = LbcLexer::PP_ELIF, pp_mode_ = true;
      else if (w == ".else")
        type = LbcLexer::PP_ELSE;
      else if (w == ".endif")
        type = LbcLexer::PP_ENDIF;
      else if (w == ".diag" || w == ".notice" || w == ".warning" || w == ".alert")
        type = LbcLexer::PP_MSG;
      else if (w == "global" || w == "defaults" || w == "frontend" || w == "backend" || w == "listen" ||
               w == "peers" || w == "resolvers" || w == "userlist" || w == "cache" || w == "http-errors" ||
               w == "ring" || w == "mailers" || w == "program" || w == "fcgi-app" || w == "log-forward")
        type = LbcLexer::SECTION;
      else if (w == "if")
        type = LbcLexer::IF;
      else if (w == "unless")
        type = LbcLexer::UNLESS;
      else if (w == "||" || (w.size() == 2 && (w[0] | 0x20) == 'o' && (w[1] | 0x20) == 'r'))
        type = LbcLexer::OR;
      else if (w == "{")
        type = LbcLexer::LBRACE;
      else if (w == "}")
        type = LbcLexer::RBRACE;
    }
    return make(type, start);
  }
}

std::unique_ptr<antlr4::Token> FastLexer::ppToken() {
  {
    if (auto t = trivia()) return t;
    size_t start = pos_;
    char c = text_[pos_];
    size_t type = 0;
    if (c == '(')
      type = LbcLexer::PP_LPAREN;
    else if (c == ')')
      type = LbcLexer::PP_RPAREN;
    else if (c == ',')
      type = LbcLexer::PP_COMMA;
    else if (c == '!')
      type = LbcLexer::PP_NOT;
    else if (c == '&' && at(pos_ + 1) == '&')
      type = LbcLexer::PP_AND;
    else if (c == '|' && at(pos_ + 1) == '|')
      type = LbcLexer::PP_OR;
    if (type) {
      pos_ += (type == LbcLexer::PP_AND || type == LbcLexer::PP_OR) ? 2 : 1;
      return make(type, start);
    }
    size_t i = pos_;
    while (i < text_.size()) {
      char d = text_[i];
      if (d == '"' || d == '\'') {
        bool closed = false;
        size_t j = scanQuoted(i, closed);
        if (!closed) break;
        i = j;
      } else if (d == '\\') {
        if (i + 1 >= text_.size() || isEol(text_[i + 1])) break;
        i += 2;
      } else if (endsPpWord(d)) {
        break;
      } else {
        ++i;
      }
    }
    if (i == start) {
      pos_ = start + 1;
      return make(LbcLexer::PP_BAD, start);
    }
    pos_ = i;
    return make(LbcLexer::PP_WORD, start);
  }
}

}  // namespace lbc::front

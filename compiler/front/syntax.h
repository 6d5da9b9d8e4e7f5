// The syntax tree: what the ANTLR parse tree becomes after words are decoded (quotes,
// escapes, environment variables). Plain data; no ANTLR type leaks past compiler/front.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ir/source_loc.h"

namespace lbc::front {

using ir::SourceLoc;

struct Word {
  std::string text;  // decoded
  SourceLoc loc;     // start of the word in the source; loc.len = raw length
  bool quoted = false;
  std::string unset_var;  // an environment variable in it was not set
};

// One term of a condition: a named ACL or an anonymous `{ fetch ... }` ACL.
struct CondTerm {
  bool negated = false;
  bool anonymous = false;
  Word name;              // named ACL
  std::vector<Word> acl;  // anonymous ACL words (fetch, flags, patterns)
  SourceLoc loc;          // whole term
};

struct CondAst {
  bool unless = false;
  SourceLoc loc;                                    // the `if` / `unless` keyword
  std::vector<std::vector<CondTerm>> alternatives;  // OR of ANDs
};

// `.if` expression.
struct PpExpr {
  enum class Kind { Or, And, Not, Term } kind = Kind::Term;
  std::vector<PpExpr> kids;
  Word word;               // Term: the function name or bare value
  bool call = false;       // Term: `name(args)`
  std::vector<Word> args;  // Term: decoded arguments
  SourceLoc loc;
};

enum class LineKind { Section, Directive, PpIf, PpElif, PpElse, PpEndif, PpMsg };

struct Line {
  LineKind kind = LineKind::Directive;
  SourceLoc loc;  // first word
  std::vector<Word>
      words;  // Section: [kind, args...]; Directive: [keyword, args...]; PpMsg: [.diag, args...]
  std::optional<CondAst> cond;
  std::optional<PpExpr> pp;  // PpIf / PpElif
};

struct File {
  uint32_t file_id = 0;
  std::vector<Line> lines;
};

// A sample expression `fetch(args),conv(args),...`.
struct SampleCall {
  Word name;
  bool has_parens = false;
  std::vector<Word> args;
};
struct SampleAst {
  SampleCall fetch;
  std::vector<SampleCall> convs;
};

// A log-format string: literal text, %[sample] and %alias items.
struct LogFormatItem {
  enum class Kind { Text, Sample, Alias } kind = Kind::Text;
  std::string text;   // Text: decoded text; Alias: alias name; Sample: the expression text
  std::string flags;  // %{+Q} flags
  SourceLoc loc;
  std::optional<SampleAst> sample;
};
struct LogFormatAst {
  std::vector<LogFormatItem> items;
};

}  // namespace lbc::front

#include "front/parse.h"

#include <antlr4-runtime.h>

#include "LbcLexer.h"
#include "LbcParser.h"
#include "front/fast_lexer.h"

namespace lbc::front {
namespace {

using lbcgen::LbcLexer;
using lbcgen::LbcParser;

std::string describeToken(antlr4::Token* t) {
  if (!t) return "end of input";
  switch (t->getType()) {
    case antlr4::Token::EOF:
      return "end of input";
    case LbcLexer::NL:
      return "end of line";
    default:
      break;
  }
  // FastLexer tokens hold the file's bytes; sub-parser tokens hold transcoded text.
  std::string s = dynamic_cast<FastLexer*>(t->getTokenSource()) ? t->getText() : fromAntlr(t->getText());
  if (s.size() > 40) s = s.substr(0, 37) + "...";
  return "'" + s + "'";
}

// Turns ANTLR's syntax errors into diagnostics that say what a HAProxy user did wrong.
class ErrorListener : public antlr4::BaseErrorListener {
 public:
  ErrorListener(DiagEngine& d, uint32_t file, SourceLoc base, bool sub)
      : diags_(d), file_(file), base_(base), sub_(sub) {}

  void syntaxError(antlr4::Recognizer* recognizer, antlr4::Token* offending, size_t line, size_t col,
                   const std::string& msg, std::exception_ptr) override {
    if (last_line_ == line && !sub_) return;  // one syntax error per line is enough
    last_line_ = line;
    SourceLoc loc =
        sub_ ? base_ : SourceLoc{file_, static_cast<uint32_t>(line), static_cast<uint32_t>(col + 1), 1};
    if (sub_) {
      loc.col = base_.col + static_cast<uint32_t>(col);
      loc.len = 1;
    } else if (offending && offending->getType() != antlr4::Token::EOF &&
               offending->getType() != LbcLexer::NL) {
      loc.len = static_cast<uint32_t>(offending->getText().size());
    }
    std::string text;
    auto* parser = dynamic_cast<antlr4::Parser*>(recognizer);
    if (!parser) {
      size_t q = msg.find('\'');
      text = msg.find("token recognition error") != std::string::npos && q != std::string::npos
                 ? "unexpected character " + fromAntlr(msg.substr(q))
                 : msg;
    } else {
      std::vector<std::string> stack = parser->getRuleInvocationStack();
      auto in = [&](const char* rule) { return std::find(stack.begin(), stack.end(), rule) != stack.end(); };
      std::string what = describeToken(offending);
      if (in("anonAcl")) {
        text = offending && offending->getType() == LbcLexer::NL
                   ? "missing '}' to close the anonymous ACL in this condition"
                   : "unexpected " + what + " inside an anonymous ACL '{ ... }'";
      } else if (in("condition")) {
        if (offending && offending->getType() == LbcLexer::NL)
          text = "missing condition after 'if'/'unless' (or after '||')";
        else if (offending && offending->getType() == LbcLexer::RBRACE)
          text = "unexpected '}' in condition: no anonymous ACL '{' is open";
        else
          text = "unexpected " + what + " in condition";
      } else if (in("ppLine") || in("ppExpr")) {
        text = "malformed preprocessor condition: unexpected " + what;
      } else if (in("sampleExpr")) {
        text = "malformed sample expression: unexpected " + what +
               " (expected 'fetch(args),converter(args),...')";
      } else if (in("logFormat")) {
        text = "malformed log-format string at " + what;
      } else if (offending && offending->getType() == LbcLexer::IF) {
        text = "unexpected 'if' here";
      } else {
        text = "unexpected " + what;
      }
    }
    diags_.error(loc, text);
  }

 private:
  DiagEngine& diags_;
  uint32_t file_;
  SourceLoc base_;
  bool sub_;
  size_t last_line_ = 0;
};

class Builder {
 public:
  Builder(uint32_t file, DiagEngine& d, const EnvLookup& env) : file_(file), diags_(d), env_(env) {}

  SourceLoc locOf(antlr4::Token* t) const {
    return SourceLoc{file_, static_cast<uint32_t>(t->getLine()),
                     static_cast<uint32_t>(t->getCharPositionInLine() + 1),
                     static_cast<uint32_t>(t->getText().size())};
  }

  Word decode(antlr4::Token* first, const std::string& raw, uint32_t raw_len) {
    Word w;
    w.loc = locOf(first);
    w.loc.len = raw_len;
    DecodeResult r = decodeWord(raw, env_);
    if (!r.error.empty()) {
      SourceLoc at = w.loc;
      at.col += static_cast<uint32_t>(r.error_offset);
      at.len = 1;
      diags_.error(at, r.error);
    }
    w.text = std::move(r.text);
    w.quoted = r.quoted;
    w.unset_var = std::move(r.unset_var);
    return w;
  }

  // Joins tokens that touch (no blank between them) into one word: `!foo` lexes as BANG WORD.
  std::vector<Word> words(const std::vector<antlr4::Token*>& toks) {
    std::vector<Word> out;
    size_t i = 0;
    while (i < toks.size()) {
      std::string raw = toks[i]->getText();
      size_t j = i + 1;
      while (j < toks.size() && toks[j - 1]->getStopIndex() + 1 == toks[j]->getStartIndex()) {
        raw += toks[j]->getText();
        ++j;
      }
      out.push_back(decode(toks[i], raw, static_cast<uint32_t>(raw.size())));
      i = j;
    }
    return out;
  }

  template <typename Ctx>
  static std::vector<antlr4::Token*> startTokens(const std::vector<Ctx*>& ctxs) {
    std::vector<antlr4::Token*> v;
    for (auto* c : ctxs) v.push_back(c->getStart());
    return v;
  }

  PpExpr ppExpr(LbcParser::PpExprContext* ctx) {
    PpExpr e;
    e.kind = PpExpr::Kind::Or;
    e.loc = locOf(ctx->getStart());
    for (auto* a : ctx->ppAnd()) e.kids.push_back(ppAnd(a));
    if (e.kids.size() == 1) return std::move(e.kids[0]);
    return e;
  }
  PpExpr ppAnd(LbcParser::PpAndContext* ctx) {
    PpExpr e;
    e.kind = PpExpr::Kind::And;
    e.loc = locOf(ctx->getStart());
    for (auto* u : ctx->ppUnary()) e.kids.push_back(ppUnary(u));
    if (e.kids.size() == 1) return std::move(e.kids[0]);
    return e;
  }
  PpExpr ppUnary(LbcParser::PpUnaryContext* ctx) {
    PpExpr e;
    e.loc = locOf(ctx->getStart());
    if (auto* n = dynamic_cast<LbcParser::PpNotContext*>(ctx)) {
      e.kind = PpExpr::Kind::Not;
      if (n->ppUnary()) e.kids.push_back(ppUnary(n->ppUnary()));
      return e;
    }
    if (auto* p = dynamic_cast<LbcParser::PpParenContext*>(ctx)) {
      if (p->ppExpr()) return ppExpr(p->ppExpr());
      return e;
    }
    auto* t = dynamic_cast<LbcParser::PpTermContext*>(ctx);
    e.kind = PpExpr::Kind::Term;
    if (!t || !t->PP_WORD()) return e;
    antlr4::Token* tok = t->PP_WORD()->getSymbol();
    e.word = decode(tok, tok->getText(), static_cast<uint32_t>(tok->getText().size()));
    if (t->PP_LPAREN()) {
      e.call = true;
      if (t->ppArgs()) {
        for (auto* a : t->ppArgs()->ppArg()) {
          if (a->PP_WORD()) {
            antlr4::Token* at = a->PP_WORD()->getSymbol();
            e.args.push_back(decode(at, at->getText(), static_cast<uint32_t>(at->getText().size())));
          } else {
            Word empty;
            empty.loc = locOf(a->getStart());
            e.args.push_back(empty);
          }
        }
        if (e.args.size() == 1 && e.args[0].text.empty() && !e.args[0].quoted) e.args.clear();
      }
    }
    return e;
  }

  CondAst condition(LbcParser::CondKeywordContext* kw, LbcParser::ConditionContext* ctx) {
    CondAst c;
    c.unless = kw->UNLESS() != nullptr;
    c.loc = locOf(kw->getStart());
    for (auto* alt : ctx->andCond()) {
      std::vector<CondTerm> terms;
      for (auto* t : alt->condTerm()) {
        CondTerm term;
        term.negated = (t->BANG().size() % 2) == 1;
        term.loc = locOf(t->getStart());
        antlr4::Token* stop = t->getStop();
        if (stop)
          term.loc.len = static_cast<uint32_t>(stop->getStopIndex() - t->getStart()->getStartIndex() + 1);
        if (auto* anon = t->anonAcl()) {
          term.anonymous = true;
          term.acl = words(startTokens(anon->aclWord()));
        } else {
          // After a syntax error (`if !` at the end of a line) the term may be empty: the error
          // is reported already, so the term is dropped.
          antlr4::Token* nt = t->WORD()      ? t->WORD()->getSymbol()
                              : t->SECTION() ? t->SECTION()->getSymbol()
                                             : nullptr;
          if (!nt) continue;
          term.name = decode(nt, nt->getText(), static_cast<uint32_t>(nt->getText().size()));
        }
        terms.push_back(std::move(term));
      }
      c.alternatives.push_back(std::move(terms));
    }
    return c;
  }

  void line(LbcParser::LineContext* ctx, File& out) {
    Line l;
    if (auto* s = ctx->sectionHeader()) {
      l.kind = LineKind::Section;
      std::vector<antlr4::Token*> toks{s->SECTION()->getSymbol()};
      for (auto* w : s->anyWord()) toks.push_back(w->getStart());
      l.words = words(toks);
    } else if (auto* d = ctx->directive()) {
      l.kind = LineKind::Directive;
      std::vector<antlr4::Token*> toks{d->headWord()->getStart()};
      for (auto* w : d->anyWord()) toks.push_back(w->getStart());
      l.words = words(toks);
      // `if` with nothing after it gives no alternative: HAProxy accepts it, sema warns.
      if (d->condKeyword()) l.cond = condition(d->condKeyword(), d->condition());
    } else if (auto* p = ctx->ppLine()) {
      Word head;
      head.loc = locOf(p->getStart());
      head.text = p->getStart()->getText();
      l.words.push_back(head);
      if (auto* i = dynamic_cast<LbcParser::PpIfContext*>(p)) {
        l.kind = LineKind::PpIf;
        if (i->ppExpr()) l.pp = ppExpr(i->ppExpr());
      } else if (auto* e = dynamic_cast<LbcParser::PpElifContext*>(p)) {
        l.kind = LineKind::PpElif;
        if (e->ppExpr()) l.pp = ppExpr(e->ppExpr());
      } else if (dynamic_cast<LbcParser::PpElseContext*>(p)) {
        l.kind = LineKind::PpElse;
      } else if (dynamic_cast<LbcParser::PpEndifContext*>(p)) {
        l.kind = LineKind::PpEndif;
      } else if (auto* m = dynamic_cast<LbcParser::PpMsgContext*>(p)) {
        l.kind = LineKind::PpMsg;
        auto rest = words(startTokens(m->anyWord()));
        l.words.insert(l.words.end(), rest.begin(), rest.end());
      }
    } else {
      return;  // blank or comment-only line
    }
    if (l.words.empty()) return;
    l.loc = l.words[0].loc;
    out.lines.push_back(std::move(l));
  }

 private:
  uint32_t file_;
  DiagEngine& diags_;
  const EnvLookup& env_;
};

// Sample expressions and log-format strings are short and numerous (one per rule), so one
// lexer/parser pair per thread is reused for all of them instead of being built per word.
struct SubParser {
  antlr4::ANTLRInputStream input{std::string()};
  LbcLexer lexer{&input};
  antlr4::CommonTokenStream tokens{&lexer};
  LbcParser parser{&tokens};
  SubParser() {
    lexer.removeErrorListeners();
    parser.removeErrorListeners();
    parser.getInterpreter<antlr4::atn::ParserATNSimulator>()->setPredictionMode(
        antlr4::atn::PredictionMode::SLL);
  }
};

// Runs the lexer in `mode` over the word and parses it with `rule`.
template <typename Fn>
auto subParse(const Word& word, DiagEngine& diags, size_t mode, Fn rule) {
  static thread_local SubParser sp;
  sp.input.load(toAntlr(word.text));
  sp.lexer.setInputStream(&sp.input);
  sp.lexer.setMode(mode);
  sp.tokens.setTokenSource(&sp.lexer);
  sp.parser.setTokenStream(&sp.tokens);
  ErrorListener listener(diags, word.loc.file, word.loc, true);
  sp.lexer.addErrorListener(&listener);
  sp.parser.addErrorListener(&listener);
  size_t before = diags.errorCount();
  auto result = rule(sp.parser, sp.tokens, before);
  sp.lexer.removeErrorListeners();
  sp.parser.removeErrorListeners();
  sp.parser.getTreeTracker().reset();  // the parse tree was copied into the syntax tree
  return result;
}

std::string decodeArg(const std::string& raw) {
  std::string out;
  for (size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == '"' || c == '\'') {
      size_t close = raw.find(c, i + 1);
      while (c == '"' && close != std::string::npos && raw[close - 1] == '\\') close = raw.find(c, close + 1);
      if (close == std::string::npos) close = raw.size();
      for (size_t j = i + 1; j < close; ++j) {
        if (c == '"' && raw[j] == '\\' && j + 1 < close) ++j;
        out += raw[j];
      }
      i = close;
    } else {
      out += c;
    }
  }
  return out;
}

SampleCall sampleCall(LbcParser::SmpCallContext* ctx, const Word& word) {
  SampleCall call;
  call.name.text = fromAntlr(ctx->SMP_IDENT()->getText());
  call.name.loc = word.loc;
  call.name.loc.col += static_cast<uint32_t>(ctx->getStart()->getCharPositionInLine());
  call.name.loc.len = static_cast<uint32_t>(call.name.text.size());
  if (ctx->SMP_LPAREN()) {
    call.has_parens = true;
    for (auto* a : ctx->smpArgs()->smpArg()) {
      Word w;
      w.loc = word.loc;
      w.loc.col += static_cast<uint32_t>(a->getStart()->getCharPositionInLine());
      if (a->ARG_TEXT()) {
        std::string raw = fromAntlr(a->ARG_TEXT()->getText());
        w.loc.len = static_cast<uint32_t>(raw.size());
        w.text = decodeArg(raw);
        w.quoted = raw.find_first_of("\"'") != std::string::npos;
      }
      call.args.push_back(std::move(w));
    }
    if (call.args.size() == 1 && call.args[0].text.empty() && !call.args[0].quoted) call.args.clear();
  }
  return call;
}

}  // namespace

File parseConfig(const SourceManager& sm, uint32_t file_id, DiagEngine& diags, const EnvLookup& env) {
  std::string text = sm.text(file_id);
  if (text.empty() || text.back() != '\n') text += '\n';
  FastLexer lexer(text);
  antlr4::CommonTokenStream tokens(&lexer);
  LbcParser parser(&tokens);
  // The grammar is LL(1) but for conditions; SLL prediction is exact here and much cheaper.
  parser.getInterpreter<antlr4::atn::ParserATNSimulator>()->setPredictionMode(
      antlr4::atn::PredictionMode::SLL);
  ErrorListener listener(diags, file_id, SourceLoc{}, false);
  parser.removeErrorListeners();
  parser.addErrorListener(&listener);
  LbcParser::ConfigContext* tree = parser.config();
  File out;
  out.file_id = file_id;
  Builder b(file_id, diags, env);
  for (auto* l : tree->line()) b.line(l, out);
  return out;
}

std::optional<SampleAst> parseSample(const Word& word, DiagEngine& diags) {
  return subParse(
      word, diags, LbcLexer::SMP,
      [&](LbcParser& parser, antlr4::CommonTokenStream&, size_t before) -> std::optional<SampleAst> {
        auto* tree = parser.sampleExpr();
        if (diags.errorCount() != before) return std::nullopt;
        SampleAst ast;
        auto calls = tree->smpCall();
        ast.fetch = sampleCall(calls[0], word);
        for (size_t i = 1; i < calls.size(); ++i) ast.convs.push_back(sampleCall(calls[i], word));
        return ast;
      });
}

std::optional<LogFormatAst> parseLogFormat(const Word& word, DiagEngine& diags) {
  return subParse(
      word, diags, LbcLexer::LF,
      [&](LbcParser& parser, antlr4::CommonTokenStream&, size_t before) -> std::optional<LogFormatAst> {
        auto* tree = parser.logFormat();
        if (diags.errorCount() != before) return std::nullopt;
        LogFormatAst ast;
        for (auto* item : tree->lfItem()) {
          LogFormatItem it;
          antlr4::Token* t = item->getStart();
          std::string raw = fromAntlr(t->getText());
          it.loc = word.loc;
          it.loc.col += static_cast<uint32_t>(t->getCharPositionInLine());
          it.loc.len = static_cast<uint32_t>(raw.size());
          size_t p = 1;
          if (t->getType() == LbcLexer::LF_SAMPLE || t->getType() == LbcLexer::LF_ALIAS) {
            if (raw.size() > 1 && raw[1] == '{') {
              size_t close = raw.find('}');
              it.flags = raw.substr(2, close - 2);
              p = close + 1;
            }
          }
          if (t->getType() == LbcLexer::LF_TEXT) {
            it.kind = LogFormatItem::Kind::Text;
            it.text = raw;
          } else if (t->getType() == LbcLexer::LF_PERCENT) {
            it.kind = LogFormatItem::Kind::Text;
            it.text = "%";
          } else if (t->getType() == LbcLexer::LF_ALIAS) {
            it.kind = LogFormatItem::Kind::Alias;
            it.text = raw.substr(p);
          } else {
            it.kind = LogFormatItem::Kind::Sample;
            it.text = raw.substr(p + 1, raw.size() - p - 2);
            Word inner;
            inner.text = it.text;
            inner.loc = it.loc;
            inner.loc.col += static_cast<uint32_t>(p + 1);
            inner.loc.len = static_cast<uint32_t>(it.text.size());
            it.sample = parseSample(inner, diags);
            if (!it.sample) return std::nullopt;
          }
          ast.items.push_back(std::move(it));
        }
        return ast;
      });
}

}  // namespace lbc::front

#include "front/preproc.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <vector>

namespace lbc::front {
namespace {

// Build features lbc reports to `feature()`, named as in `haproxy -vv`.
constexpr std::array<std::string_view, 4> kFeatures = {"OPENSSL", "PCRE2", "PCRE2_JIT", "LINUX_SPLICE"};

// Compares dotted versions numerically ("2.10" > "2.6"); missing components count as 0.
int compareVersions(std::string_view a, std::string_view b) {
  while (!a.empty() || !b.empty()) {
    auto take = [](std::string_view& s) {
      long v = 0;
      size_t i = 0;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') v = v * 10 + (s[i++] - '0');
      while (i < s.size() && s[i] != '.') ++i;  // ignore suffixes like "-dev"
      s = i < s.size() ? s.substr(i + 1) : std::string_view();
      return v;
    };
    long x = take(a), y = take(b);
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

class Evaluator {
 public:
  Evaluator(DiagEngine& d, const EnvLookup& env) : diags_(d), env_(env) {}

  // Returns nullopt after reporting an error.
  std::optional<bool> eval(const PpExpr& e) {
    switch (e.kind) {
      case PpExpr::Kind::Or: {
        bool r = false;
        for (const auto& k : e.kids) {
          auto v = eval(k);
          if (!v) return std::nullopt;
          r = r || *v;
        }
        return r;
      }
      case PpExpr::Kind::And: {
        bool r = true;
        for (const auto& k : e.kids) {
          auto v = eval(k);
          if (!v) return std::nullopt;
          r = r && *v;
        }
        return r;
      }
      case PpExpr::Kind::Not: {
        if (e.kids.empty()) return std::nullopt;
        auto v = eval(e.kids[0]);
        if (!v) return std::nullopt;
        return !*v;
      }
      case PpExpr::Kind::Term:
        return term(e);
    }
    return std::nullopt;
  }

 private:
  bool wantArgs(const PpExpr& e, size_t n) {
    if (e.args.size() == n) return true;
    diags_.error(e.word.loc, "'" + e.word.text + "()' takes " + std::to_string(n) + " argument" +
                                 (n == 1 ? "" : "s") + ", got " + std::to_string(e.args.size()));
    return false;
  }

  std::optional<bool> term(const PpExpr& e) {
    const std::string& f = e.word.text;
    if (!e.call) {
      if (f.empty()) return false;
      long v = 0;
      auto [p, ec] = std::from_chars(f.data(), f.data() + f.size(), v);
      if (ec == std::errc() && p == f.data() + f.size()) return v != 0;
      diags_.error(e.word.loc, "unparsable conditional expression '" + f +
                                   "': expected a number or a predicate such as defined(NAME)");
      return std::nullopt;
    }
    if (f == "defined") {
      if (!wantArgs(e, 1)) return std::nullopt;
      return env_(e.args[0].text).has_value();
    }
    if (f == "feature") {
      if (!wantArgs(e, 1)) return std::nullopt;
      return std::find(kFeatures.begin(), kFeatures.end(), e.args[0].text) != kFeatures.end();
    }
    if (f == "streq" || f == "strneq") {
      if (!wantArgs(e, 2)) return std::nullopt;
      bool eq = e.args[0].text == e.args[1].text;
      return f == "streq" ? eq : !eq;
    }
    if (f == "version_atleast" || f == "version_before") {
      if (!wantArgs(e, 1)) return std::nullopt;
      int c = compareVersions(kHaproxyCompatVersion, e.args[0].text);
      return f == "version_atleast" ? c >= 0 : c < 0;
    }
    static const std::vector<std::string_view> kPreds = {"defined", "feature",         "streq",
                                                         "strneq",  "version_atleast", "version_before"};
    diags_.error(e.word.loc,
                 "unknown predicate '" + f + "()' in conditional expression" + didYouMean(f, kPreds));
    return std::nullopt;
  }

  DiagEngine& diags_;
  const EnvLookup& env_;
};

struct Block {
  SourceLoc loc;
  bool parent_active;
  bool taken;   // some branch of this block was taken already
  bool active;  // current branch is active
  bool saw_else;
};

}  // namespace

void preprocess(File& file, DiagEngine& diags, const EnvLookup& env) {
  Evaluator ev(diags, env);
  std::vector<Block> stack;
  std::vector<Line> out;
  auto active = [&] { return stack.empty() || stack.back().active; };
  for (Line& l : file.lines) {
    switch (l.kind) {
      case LineKind::PpIf: {
        bool parent = active();
        bool v = false;
        if (parent && l.pp) v = ev.eval(*l.pp).value_or(false);  // an empty condition is false
        stack.push_back(Block{l.loc, parent, v, parent && v, false});
        break;
      }
      case LineKind::PpElif: {
        if (stack.empty()) {
          diags.error(l.loc, "'.elif' without a matching '.if'");
          break;
        }
        Block& b = stack.back();
        if (b.saw_else) diags.error(l.loc, "'.elif' after '.else'");
        bool v = false;
        if (b.parent_active && !b.taken && l.pp) v = ev.eval(*l.pp).value_or(false);
        b.active = b.parent_active && !b.taken && v;
        b.taken = b.taken || v;
        break;
      }
      case LineKind::PpElse: {
        if (stack.empty()) {
          diags.error(l.loc, "'.else' without a matching '.if'");
          break;
        }
        Block& b = stack.back();
        if (b.saw_else) diags.error(l.loc, "second '.else' in the same '.if' block");
        b.saw_else = true;
        b.active = b.parent_active && !b.taken;
        b.taken = true;
        break;
      }
      case LineKind::PpEndif:
        if (stack.empty())
          diags.error(l.loc, "'.endif' without a matching '.if'");
        else
          stack.pop_back();
        break;
      case LineKind::PpMsg: {
        if (!active()) break;
        const std::string& kw = l.words[0].text;
        if (l.words.size() > 2) {
          diags.error(l.words[2].loc, "unexpected argument '" + l.words[2].text + "' for '" + kw +
                                          "': quote the message if it contains spaces");
          break;
        }
        std::string msg = l.words.size() > 1 ? l.words[1].text : "";
        if (kw == ".alert")
          diags.error(l.loc, msg);
        else if (kw == ".warning")
          diags.warning(l.loc, msg);
        else
          diags.report(Severity::Note, l.loc, msg);
        break;
      }
      default:
        if (active()) out.push_back(std::move(l));
    }
  }
  for (const Block& b : stack) diags.error(b.loc, "'.if' block is not closed: missing '.endif'");
  file.lines = std::move(out);
}

}  // namespace lbc::front

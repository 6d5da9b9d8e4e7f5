#include "front/diag.h"

#include <algorithm>
#include <ostream>
#include <sstream>

namespace lbc::front {

Diagnostic& DiagEngine::add(Severity s, SourceLoc loc, std::string msg) {
  if (s == Severity::Error) ++errors_;
  if (s == Severity::Warning) ++warnings_;
  diags_.push_back(Diagnostic{s, loc, std::move(msg), {}});
  return diags_.back();
}

void DiagEngine::note(SourceLoc loc, std::string msg) {
  if (diags_.empty()) return;
  diags_.back().notes.push_back(Diagnostic{Severity::Note, loc, std::move(msg), {}});
}

static const char* severityName(Severity s) {
  switch (s) {
    case Severity::Error:
      return "error";
    case Severity::Warning:
      return "warning";
    case Severity::Note:
      return "note";
  }
  return "error";
}

void DiagEngine::renderText(std::ostream& out, const Diagnostic& d) const {
  if (d.loc.valid()) {
    out << sm_.path(d.loc.file) << ':' << d.loc.line << ':' << d.loc.col << ": ";
  } else {
    out << "lbc: ";
  }
  out << severityName(d.severity) << ": " << d.message << '\n';
  if (!d.loc.valid() || d.loc.line == 0) return;
  std::string_view src = sm_.lineText(d.loc.file, d.loc.line);
  std::string num = std::to_string(d.loc.line);
  std::string pad(num.size(), ' ');
  // Tabs are kept in the underline so the caret lines up with the source as displayed.
  // Columns are bytes; the underline is drawn in characters (UTF-8 continuation bytes take no cell).
  auto cont = [](char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; };
  std::string under;
  size_t col0 = d.loc.col > 0 ? d.loc.col - 1 : 0;
  for (size_t i = 0; i < col0 && i < src.size(); ++i)
    if (!cont(src[i])) under += (src[i] == '\t') ? '\t' : ' ';
  if (col0 > src.size()) under.append(col0 - src.size(), ' ');
  under += '^';
  size_t len = d.loc.len;
  if (len > 1) {
    size_t end = std::min(src.size(), col0 + len);
    size_t chars = 0;
    for (size_t i = col0; i < end; ++i) chars += !cont(src[i]);
    if (chars > 1) under.append(chars - 1, '~');
  }
  out << ' ' << num << " | " << src << '\n';
  out << ' ' << pad << " | " << under << '\n';
}

static void jsonString(std::ostream& out, std::string_view s) {
  out << '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out << "\\\"";
        break;
      case '\\':
        out << "\\\\";
        break;
      case '\n':
        out << "\\n";
        break;
      case '\t':
        out << "\\t";
        break;
      case '\r':
        out << "\\r";
        break;
      default:
        if (c < 0x20) {
          static const char* hex = "0123456789abcdef";
          out << "\\u00" << hex[c >> 4] << hex[c & 15];
        } else {
          out << c;
        }
    }
  }
  out << '"';
}

static void jsonDiag(std::ostream& out, const SourceManager& sm, const Diagnostic& d) {
  out << "{\"severity\":\"" << severityName(d.severity) << "\",\"file\":";
  jsonString(out, d.loc.valid() ? std::string_view(sm.path(d.loc.file)) : std::string_view());
  out << ",\"line\":" << d.loc.line << ",\"column\":" << d.loc.col << ",\"length\":" << d.loc.len
      << ",\"message\":";
  jsonString(out, d.message);
  out << ",\"notes\":[";
  for (size_t i = 0; i < d.notes.size(); ++i) {
    if (i) out << ',';
    jsonDiag(out, sm, d.notes[i]);
  }
  out << "]}";
}

void DiagEngine::render(std::ostream& out, DiagFormat fmt, size_t max_errors) const {
  if (fmt == DiagFormat::Json) {
    out << "{\"errors\":" << errors_ << ",\"warnings\":" << warnings_ << ",\"diagnostics\":[";
    for (size_t i = 0; i < diags_.size(); ++i) {
      if (i) out << ',';
      out << "\n  ";
      jsonDiag(out, sm_, diags_[i]);
    }
    out << "\n]}\n";
    return;
  }
  // Source order reads best: a user fixes a file top to bottom.
  std::vector<const Diagnostic*> order;
  for (const Diagnostic& d : diags_) order.push_back(&d);
  std::stable_sort(order.begin(), order.end(), [](const Diagnostic* a, const Diagnostic* b) {
    if (a->loc.file != b->loc.file) return a->loc.file < b->loc.file;
    if (a->loc.line != b->loc.line) return a->loc.line < b->loc.line;
    return a->loc.col < b->loc.col;
  });
  size_t shown = 0;
  for (const Diagnostic* dp : order) {
    const Diagnostic& d = *dp;
    if (d.severity == Severity::Error && shown++ >= max_errors) continue;
    renderText(out, d);
    for (const Diagnostic& n : d.notes) renderText(out, n);
  }
  if (errors_ > max_errors)
    out << "lbc: " << (errors_ - max_errors) << " more error" << (errors_ - max_errors == 1 ? "" : "s")
        << " not shown (" << errors_ << " in all)\n";
}

std::string DiagEngine::renderOne(const Diagnostic& d) const {
  std::ostringstream ss;
  renderText(ss, d);
  return ss.str();
}

// Optimal-string-alignment distance: insertions, deletions, substitutions and adjacent
// transpositions ("defualt" -> "default") each cost one.
static size_t editDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev2(b.size() + 1), prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        cur[j] = std::min(cur[j], prev2[j - 2] + 1);
    }
    std::swap(prev2, prev);
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string closestMatch(std::string_view word, const std::vector<std::string_view>& candidates) {
  std::string_view best;
  size_t best_d = ~size_t(0);
  for (std::string_view c : candidates) {
    if (c == word) continue;
    size_t d = editDistance(word, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  // Accept up to a third of the word's length (at least 1, at most 3 edits); never for one- or
  // two-letter words, where any name is "close".
  size_t limit = std::clamp<size_t>(word.size() / 3, 1, 3);
  if (!best.empty() && best_d <= limit && word.size() >= 3) return std::string(best);
  // An abbreviation of a single candidate ("warn" for "warning", "ap" for "app").
  if (word.size() >= 2) {
    std::string_view only;
    size_t n = 0;
    for (std::string_view c : candidates)
      if (c.size() > word.size() && c.starts_with(word)) only = c, ++n;
    if (n == 1) return std::string(only);
  }
  return {};
}

std::string didYouMean(std::string_view word, const std::vector<std::string_view>& candidates) {
  std::string m = closestMatch(word, candidates);
  if (m.empty()) return {};
  return "; did you mean '" + m + "'?";
}

}  // namespace lbc::front

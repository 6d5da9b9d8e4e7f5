// Diagnostics: `file:line:col: error: message`, the source line, a caret underline, notes.
// Every error of a run is collected (printing is capped), so a user fixes a file in one pass.
#pragma once
#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include "front/source.h"

namespace lbc::front {

enum class Severity { Error, Warning, Note };

struct Diagnostic {
  Severity severity = Severity::Error;
  SourceLoc loc;
  std::string message;
  std::vector<Diagnostic> notes;  // attached notes (e.g. "previous definition is here")
};

enum class DiagFormat { Text, Json };

class DiagEngine {
 public:
  explicit DiagEngine(const SourceManager& sm) : sm_(sm) {}

  Diagnostic& error(SourceLoc loc, std::string msg) { return add(Severity::Error, loc, std::move(msg)); }
  Diagnostic& warning(SourceLoc loc, std::string msg) { return add(Severity::Warning, loc, std::move(msg)); }
  Diagnostic& report(Severity s, SourceLoc loc, std::string msg) { return add(s, loc, std::move(msg)); }
  // Attaches a note to the most recent error or warning.
  void note(SourceLoc loc, std::string msg);

  size_t errorCount() const { return errors_; }
  size_t warningCount() const { return warnings_; }
  const std::vector<Diagnostic>& all() const { return diags_; }

  // Text: at most `max_errors` errors are printed, then a count of the rest. Warnings are
  // always printed. Json: everything, one array.
  void render(std::ostream& out, DiagFormat fmt, size_t max_errors = 20) const;
  std::string renderOne(const Diagnostic& d) const;

 private:
  Diagnostic& add(Severity s, SourceLoc loc, std::string msg);
  void renderText(std::ostream& out, const Diagnostic& d) const;
  const SourceManager& sm_;
  std::vector<Diagnostic> diags_;
  size_t errors_ = 0;
  size_t warnings_ = 0;
};

// "did you mean": the closest candidate by edit distance, or empty when none is close enough.
std::string closestMatch(std::string_view word, const std::vector<std::string_view>& candidates);
// Appends "; did you mean 'x'?" when a near candidate exists.
std::string didYouMean(std::string_view word, const std::vector<std::string_view>& candidates);

}  // namespace lbc::front

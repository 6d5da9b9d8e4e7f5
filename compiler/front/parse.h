// The ANTLR driver: configuration text -> syntax tree. The only place that sees ANTLR types.
#pragma once
#include <optional>

#include "front/diag.h"
#include "front/syntax.h"
#include "front/words.h"

namespace lbc::front {

// Parses one file into lines (the preprocessor is applied separately, see preproc.h).
File parseConfig(const SourceManager& sm, uint32_t file_id, DiagEngine& diags, const EnvLookup& env);

// Parses a decoded word as a sample expression `fetch(args),conv(args)...`.
std::optional<SampleAst> parseSample(const Word& word, DiagEngine& diags);

// Parses a decoded word as a log-format string (literal text, %[sample], %alias).
std::optional<LogFormatAst> parseLogFormat(const Word& word, DiagEngine& diags);

}  // namespace lbc::front

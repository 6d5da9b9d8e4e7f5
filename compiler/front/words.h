// Decodes one raw word as HAProxy's parse_line does: double quotes (escapes and $VAR / ${VAR}
// / ${VAR-default} expansion), single quotes (verbatim), backslash escapes outside quotes.
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace lbc::front {

using EnvLookup = std::function<std::optional<std::string>(std::string_view)>;

struct DecodeResult {
  std::string text;
  bool quoted = false;
  std::string unset_var;    // the first ${VAR} that was not set (expanded to nothing)
  std::string error;        // non-empty: what is wrong
  size_t error_offset = 0;  // byte offset into the raw word
};

DecodeResult decodeWord(std::string_view raw, const EnvLookup& env);

// The process environment.
EnvLookup processEnv();

}  // namespace lbc::front

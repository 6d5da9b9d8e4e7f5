#include "front/words.h"

#include <cctype>
#include <cstdlib>

namespace lbc::front {

EnvLookup processEnv() {
  return [](std::string_view name) -> std::optional<std::string> {
    std::string n(name);
    const char* v = std::getenv(n.c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  };
}

static int hexVal(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Handles a backslash at raw[i]; appends the result and returns the number of bytes consumed.
static size_t decodeEscape(std::string_view raw, size_t i, std::string& out, DecodeResult& r) {
  if (i + 1 >= raw.size()) {
    out += '\\';
    return 1;
  }
  char c = raw[i + 1];
  switch (c) {
    case ' ':
    case '\\':
    case '#':
    case '"':
    case '\'':
    case '$':
      out += c;
      return 2;
    case 'r':
      out += '\r';
      return 2;
    case 'n':
      out += '\n';
      return 2;
    case 't':
      out += '\t';
      return 2;
    case 'x': {
      int h = i + 2 < raw.size() ? hexVal(raw[i + 2]) : -1;
      int l = i + 3 < raw.size() ? hexVal(raw[i + 3]) : -1;
      if (h < 0 || l < 0) {
        if (r.error.empty()) {
          r.error = "invalid '\\x' escape: expected two hexadecimal digits";
          r.error_offset = i;
        }
        out += "\\x";
        return 2;
      }
      out += static_cast<char>(h * 16 + l);
      return 4;
    }
    default:
      // Unknown escapes stay as written: regular expressions rely on `\.`, `\d`, `\1`...
      out += '\\';
      out += c;
      return 2;
  }
}

static bool isNameStart(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
}
static bool isNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

// Expands `$NAME`, `${NAME}` or `${NAME-default}` at raw[i]; returns bytes consumed.
static size_t expandVar(std::string_view raw, size_t i, std::string& out, const EnvLookup& env,
                        DecodeResult& r) {
  if (i + 1 < raw.size() && raw[i + 1] == '{') {
    size_t close = raw.find('}', i + 2);
    if (close == std::string_view::npos) {
      if (r.error.empty()) {
        r.error = "missing '}' after '${' in environment variable reference";
        r.error_offset = i;
      }
      out += "${";
      return 2;
    }
    std::string_view body = raw.substr(i + 2, close - i - 2);
    std::string_view name = body, def;
    bool has_def = false;
    if (size_t dash = body.find('-'); dash != std::string_view::npos) {
      name = body.substr(0, dash);
      def = body.substr(dash + 1);
      has_def = true;
    }
    if (name.empty() || !isNameStart(name[0]) ||
        name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") !=
            std::string_view::npos) {
      if (r.error.empty()) {
        r.error = "invalid environment variable name '" + std::string(body) + "'";
        if (body.ends_with("[*]")) r.error += " ('${VAR[*]}' word splitting is not supported by lbc)";
        r.error_offset = i;
      }
      return close - i + 1;
    }
    if (auto v = env(name))
      out += *v;
    else if (has_def)
      out += def;
    else if (r.unset_var.empty())
      r.unset_var = std::string(name);
    return close - i + 1;
  }
  if (i + 1 < raw.size() && isNameStart(raw[i + 1])) {
    size_t j = i + 1;
    while (j < raw.size() && isNameChar(raw[j])) ++j;
    if (auto v = env(raw.substr(i + 1, j - i - 1)))
      out += *v;
    else if (r.unset_var.empty())
      r.unset_var = std::string(raw.substr(i + 1, j - i - 1));
    return j - i;
  }
  if (r.error.empty()) {
    r.error = "'$' inside double quotes starts an environment variable name, and '" +
              std::string(i + 1 < raw.size() ? raw.substr(i + 1, 1) : std::string_view("end of word")) +
              "' cannot start one: write '\\$' for a literal dollar sign";
    r.error_offset = i;
  }
  out += '$';
  return 1;
}

DecodeResult decodeWord(std::string_view raw, const EnvLookup& env) {
  DecodeResult r;
  std::string& out = r.text;
  size_t i = 0;
  while (i < raw.size()) {
    char c = raw[i];
    if (c == '\\') {
      i += decodeEscape(raw, i, out, r);
    } else if (c == '\'') {
      r.quoted = true;
      size_t close = raw.find('\'', i + 1);
      if (close == std::string_view::npos) {
        if (r.error.empty()) {
          r.error = "unterminated single quote";
          r.error_offset = i;
        }
        out += raw.substr(i + 1);
        break;
      }
      out += raw.substr(i + 1, close - i - 1);
      i = close + 1;
    } else if (c == '"') {
      r.quoted = true;
      size_t j = i + 1;
      bool closed = false;
      while (j < raw.size()) {
        if (raw[j] == '"') {
          closed = true;
          ++j;
          break;
        }
        if (raw[j] == '\\')
          j += decodeEscape(raw, j, out, r);
        else if (raw[j] == '$')
          j += expandVar(raw, j, out, env, r);
        else
          out += raw[j++];
      }
      if (!closed && r.error.empty()) {
        r.error = "unterminated double quote";
        r.error_offset = i;
      }
      i = j;
    } else {
      out += c;
      ++i;
    }
  }
  return r;
}

}  // namespace lbc::front

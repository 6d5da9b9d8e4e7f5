// `tcp-check comment|connect|send|send-binary|expect` (HAProxy 2.6), the rules of
// `option tcp-check`.
#include <algorithm>

#include "sema/context.h"
#include "sema/values.h"

namespace lbc::sema {

namespace {
int hexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// HAProxy's parse_binary(): an even number of hex digits.
bool decodeHex(const std::string& hex, std::string& out) {
  if (hex.empty() || hex.size() % 2) return false;
  out.clear();
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = hexDigit(hex[i]), lo = hexDigit(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(char(hi * 16 + lo));
  }
  return true;
}

bool isOneOf(const std::string& w, std::initializer_list<std::string_view> list) {
  return std::find(list.begin(), list.end(), w) != list.end();
}
}  // namespace

void Sema::tcpCheck(const Line& l) {
  if (!noCondition(l)) return;
  if (!needArgs(l, 1, "'connect', 'send', 'send-binary', 'expect' or 'comment'")) return;
  const std::string& sub = l.words[1].text;
  ir::TcpCheckRule r;
  r.loc = l.loc;
  auto unsupported = [&](const Word& w, const std::string& what) {
    error(w, "unsupported 'tcp-check " + what + "': HAProxy knows it, lbc does not support it yet");
  };
  // `comment <text>` after the rule's own arguments (from index i).
  auto trailing = [&](size_t i, const char* what) {
    while (i < l.words.size()) {
      const Word& w = l.words[i];
      if (w.text == "comment" && i + 1 < l.words.size()) {
        r.comment = l.words[i + 1].text;
        i += 2;
        continue;
      }
      error(w, "unsupported or unknown 'tcp-check " + std::string(what) + "' option '" + w.text +
                   "': lbc supports only 'comment <text>' here");
      return false;
    }
    return true;
  };
  if (sub == "comment") {
    if (!needArgs(l, 2, "a comment")) return;
    r.kind = ir::TcpCheckRule::Kind::Comment;
    r.data = l.words[2].text;
    if (l.words.size() > 3) {
      error(l.words[3], "unexpected '" + l.words[3].text + "' after the 'tcp-check comment' text");
      return;
    }
  } else if (sub == "connect") {
    r.kind = ir::TcpCheckRule::Kind::Connect;
    size_t i = 2;
    for (; i < l.words.size(); ++i) {
      const Word& w = l.words[i];
      if (w.text == "port" && i + 1 < l.words.size()) {
        int64_t port = 0;
        if (!integer(l.words[i + 1], port, 1, 65535)) return;
        r.port = uint16_t(port);
        ++i;
      } else if (w.text == "comment" && i + 1 < l.words.size()) {
        r.comment = l.words[++i].text;
      } else if (isOneOf(w.text, {"default", "send-proxy", "via-socks4", "ssl", "sni", "alpn", "proto",
                                  "linger", "addr", "port"})) {
        unsupported(w, "connect " + w.text);
        return;
      } else {
        error(w, "unknown 'tcp-check connect' option '" + w.text + "'");
        return;
      }
    }
  } else if (sub == "send" || sub == "send-binary") {
    if (!needArgs(l, 2, sub == "send" ? "a string" : "a hexadecimal string")) return;
    r.kind = ir::TcpCheckRule::Kind::Send;
    r.binary = sub == "send-binary";
    if (r.binary) {
      if (!decodeHex(l.words[2].text, r.data)) {
        error(l.words[2],
              "'tcp-check send-binary': '" + l.words[2].text + "' is not an even number of hex digits");
        return;
      }
    } else {
      r.data = l.words[2].text;
    }
    if (!trailing(3, sub.c_str())) return;
  } else if (sub == "expect") {
    // tcp-check expect [comment <msg>] [!] <match> <pattern> [comment <msg>]
    r.kind = ir::TcpCheckRule::Kind::Expect;
    bool have_match = false;
    for (size_t i = 2; i < l.words.size(); ++i) {
      const Word& w = l.words[i];
      if (w.text == "comment" && i + 1 < l.words.size()) {
        r.comment = l.words[++i].text;
      } else if (w.text == "!" && !have_match) {
        r.negate = true;
      } else if (isOneOf(w.text, {"min-recv", "error-status", "ok-status", "tout-status", "on-success",
                                  "on-error", "status-code", "string-lf", "binary-lf", "rstring-lf"})) {
        unsupported(w, "expect " + w.text);
        return;
      } else if (!have_match && isOneOf(w.text, {"string", "rstring", "binary", "rbinary"})) {
        if (i + 1 >= l.words.size()) {
          error(w, "'tcp-check expect " + w.text + "' expects a pattern");
          return;
        }
        have_match = true;
        r.binary = w.text == "binary" || w.text == "rbinary";
        r.regex = w.text == "rstring" || w.text == "rbinary";
        const Word& pat = l.words[++i];
        if (r.regex) {
          if (std::string e = compileRegex(pat.text, false); !e.empty()) {
            error(pat, e);
            return;
          }
          r.data = pat.text;
        } else if (r.binary) {
          if (!decodeHex(pat.text, r.data)) {
            error(pat, "'tcp-check expect binary': '" + pat.text + "' is not an even number of hex digits");
            return;
          }
        } else {
          r.data = pat.text;
        }
      } else {
        error(w, "unexpected '" + w.text +
                     "' in 'tcp-check expect' (expected '[!] string|rstring|binary|rbinary " +
                     "<pattern>' and 'comment <text>')");
        return;
      }
    }
    if (!have_match) {
      error(l.words[1],
            "'tcp-check expect' expects a match type (string, rstring, binary, rbinary) and a pattern");
      return;
    }
  } else if (isOneOf(sub, {"send-lf", "send-binary-lf", "set-var", "unset-var"}) ||
             sub.starts_with("set-var(") || sub.starts_with("unset-var(")) {
    unsupported(l.words[1], sub);
    return;
  } else {
    error(l.words[1], "unknown 'tcp-check' keyword '" + sub + "'" +
                          front::didYouMean(sub, {"connect", "send", "send-binary", "expect", "comment"}));
    return;
  }
  // A proxy's own rules replace those of its defaults section, as in HAProxy.
  if (!st_->own_tcp_checks) cur_->tcp_checks.clear();
  st_->own_tcp_checks = true;
  cur_->tcp_checks.push_back(std::move(r));
}

}  // namespace lbc::sema

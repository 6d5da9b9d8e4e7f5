// `log` lines (HAProxy 2.6's manual, section 4.2 "log"), `log-tag` and `log-send-hostname`:
// `log <target> [len <n>] [format <f>] [sample <ranges>:<size>] <facility> [<level> [<minlevel>]]`.
#include <sys/un.h>

#include <algorithm>

#include "sema/context.h"
#include "sema/values.h"

namespace lbc::sema {
namespace {

template <size_t N>
int indexOf(const std::string_view (&names)[N], std::string_view v) {
  for (size_t i = 0; i < N; ++i)
    if (names[i] == v && !v.empty()) return int(i);
  return -1;
}

template <size_t N>
std::vector<std::string_view> listOf(const std::string_view (&names)[N]) {
  std::vector<std::string_view> v;
  for (auto n : names)
    if (!n.empty()) v.push_back(n);
  return v;
}

// The UDP address of `rest` (after an optional family prefix), port 514 unless given. Returns an
// error message, or "".
std::string udpTarget(std::string_view rest, std::string_view family, ir::LogTarget& t) {
  ir::Address a;
  std::string text = family.empty() ? std::string(rest) : std::string(family) + "@" + std::string(rest);
  if (std::string e = parseAddress(text, AddrUse::Other, true, a); !e.empty()) return e;
  if (a.wildcard || a.host.empty()) return "a UDP log target needs a host: '" + std::string(rest) + "'";
  if (a.kind != ir::Address::Kind::Ipv4 && a.kind != ir::Address::Kind::Ipv6)
    return "invalid UDP log target '" + std::string(rest) + "'";
  if (a.port_hi && a.port_hi != a.port_lo) return "a log target takes one port, not a range";
  t.kind = a.kind == ir::Address::Kind::Ipv4 ? ir::LogTarget::Kind::Udp4 : ir::LogTarget::Kind::Udp6;
  std::copy(std::begin(a.ip), std::end(a.ip), t.ip);
  if (a.has_port && a.port_lo) t.port = a.port_lo;
  return {};
}

std::string unixTarget(std::string_view path, ir::LogTarget& t) {
  if (path.empty()) return "missing socket path";
  if (path.size() >= sizeof(sockaddr_un{}.sun_path))
    return "unix socket path too long (" + std::to_string(path.size()) + " bytes; at most " +
           std::to_string(sizeof(sockaddr_un{}.sun_path) - 1) + ")";
  t.kind = ir::LogTarget::Kind::Unix;
  t.path = std::string(path);
  return {};
}

// The target word: stdout/stderr/fd@N, a unix datagram socket, or a UDP address. Returns an
// error message, or "".
std::string parseTarget(const std::string& w, ir::LogTarget& t) {
  if (w == "stdout" || w == "stderr") {
    t.kind = ir::LogTarget::Kind::Fd;
    t.fd = w == "stdout" ? 1 : 2;
    return {};
  }
  if (w[0] == '/') return unixTarget(w, t);
  const size_t at = w.find('@');
  if (at == std::string::npos) return udpTarget(w, "", t);
  const std::string_view proto = std::string_view(w).substr(0, at), rest = std::string_view(w).substr(at + 1);
  if (proto == "ring")
    return "log target '" + w + "' names a ring: 'ring' sections are not supported by lbc yet";
  if (proto == "tcp" || proto == "tcp4" || proto == "tcp6")
    return "log target '" + w +
           "': logging over TCP (HAProxy sends it through an implicit ring) is not supported by lbc yet; use "
           "a "
           "UDP address or a unix datagram socket";
  if (proto == "fd") {
    int64_t fd = 0;
    if (!parseInt(rest, fd, 0, 255).empty())
      return "invalid file descriptor '" + std::string(rest) + "' after 'fd@' (0 to 255)";
    t.kind = ir::LogTarget::Kind::Fd;
    t.fd = int(fd);
    return {};
  }
  if (proto == "unix" || proto == "uxdg") return unixTarget(rest, t);
  if (proto == "udp" || proto == "udp4" || proto == "udp6" || proto == "ipv4" || proto == "ipv6") {
    const char* family = proto == "udp" ? "" : (proto.back() == '4' ? "ipv4" : "ipv6");
    return udpTarget(rest, family, t);
  }
  return "unknown address family '" + std::string(proto) + "@' in log target '" + w +
         "': expected udp@, udp4@, udp6@, ipv4@, ipv6@, unix@, uxdg@, fd@ or ring@";
}

// `sample 1-3,7:10`: ascending 1-based ranges within a sample of `size` messages.
std::string parseSample(const std::string& v, ir::LogTarget& t) {
  const size_t colon = v.rfind(':');
  if (colon == std::string::npos || colon == 0)
    return "'sample' expects '<ranges>:<size>' (e.g. '1-3,7:10': the 1st to 3rd and 7th of every 10 "
           "messages)";
  int64_t size = 0;
  if (!parseInt(std::string_view(v).substr(colon + 1), size, 1, 0x7fffffff).empty())
    return "invalid sample size '" + v.substr(colon + 1) + "' (a number from 1)";
  t.sample_size = uint32_t(size);
  std::string_view ranges = std::string_view(v).substr(0, colon);
  while (!ranges.empty()) {
    const size_t comma = ranges.find(',');
    std::string_view r = ranges.substr(0, comma);
    ranges = comma == std::string_view::npos ? std::string_view() : ranges.substr(comma + 1);
    const size_t dash = r.find('-');
    int64_t lo = 0, hi = 0;
    if (!parseInt(r.substr(0, dash), lo, 1, size).empty() ||
        (dash != std::string_view::npos && !parseInt(r.substr(dash + 1), hi, 1, size).empty()))
      return "invalid sample range '" + std::string(r) + "': expected N or N-M, from 1 to the sample size " +
             std::to_string(size);
    if (dash == std::string_view::npos) hi = lo;
    if (hi < lo) return "invalid sample range '" + std::string(r) + "': its end is before its start";
    if (!t.sample.empty() && uint32_t(lo) <= t.sample.back().second)
      return "sample range '" + std::string(r) + "' overlaps or precedes the previous one";
    t.sample.emplace_back(uint32_t(lo), uint32_t(hi));
  }
  if (t.sample.empty()) return "'sample' expects at least one range before ':'";
  return {};
}

}  // namespace

void Sema::logLine(const Line& l, std::vector<ir::LogTarget>& out, bool* global_flag) {
  if (!noCondition(l)) return;
  if (!needArgs(l, 1, "'global' or a target (address, stdout, stderr, /path) and a facility")) return;
  if (l.words[1].text == "global") {
    if (!global_flag) {
      error(l.words[1], "'log global' is only valid in proxies and defaults sections");
      return;
    }
    if (l.words.size() > 2) {
      error(l.words[2], "unexpected '" + l.words[2].text + "' after 'log global'");
      return;
    }
    *global_flag = true;
    return;
  }
  ir::LogTarget t;
  t.loc = l.loc;
  t.target = l.words[1].text;
  if (std::string e = parseTarget(t.target, t); !e.empty()) {
    error(l.words[1],
          e.starts_with("log target") || e.starts_with("unknown") ? e : "invalid log target: " + e);
    return;
  }
  size_t i = 2;
  for (; i < l.words.size(); i += 2) {
    const std::string& w = l.words[i].text;
    if (w != "len" && w != "format" && w != "sample") break;
    if (i + 1 >= l.words.size()) {
      error(l.words[i], "'log ... " + w + "' expects an argument");
      return;
    }
    const Word& a = l.words[i + 1];
    if (w == "len") {
      int64_t v = 0;
      if (!integer(a, v, 80, 65535)) return;
      t.len = static_cast<uint32_t>(v);
    } else if (w == "format") {
      const int f = indexOf(ir::kLogFormats, a.text);
      if (f < 0) {
        error(a, "unknown log format '" + a.text + "'" + front::didYouMean(a.text, listOf(ir::kLogFormats)));
        return;
      }
      t.format = static_cast<ir::LogTarget::Format>(f);
    } else if (std::string e = parseSample(a.text, t); !e.empty()) {
      error(a, e);
      return;
    }
  }
  if (i >= l.words.size()) {
    SourceLoc at = l.words.back().loc;
    at.col += at.len;
    diags_.error(at, "'log " + t.target + "' expects a facility (e.g. local0, daemon, user)");
    return;
  }
  const Word& fac = l.words[i++];
  const int f = indexOf(ir::kLogFacilities, fac.text);
  if (f < 0) {
    error(fac, "unknown log facility '" + fac.text + "'" +
                   front::didYouMean(fac.text, listOf(ir::kLogFacilities)));
    return;
  }
  t.facility = uint8_t(f);
  for (int k = 0; k < 2 && i < l.words.size(); ++k, ++i) {
    const Word& lv = l.words[i];
    const int v = indexOf(ir::kLogLevels, lv.text);
    if (v < 0) {
      error(lv, "unknown log level '" + lv.text + "'" + front::didYouMean(lv.text, listOf(ir::kLogLevels)));
      return;
    }
    (k == 0 ? t.level : t.min_level) = uint8_t(v);
  }
  if (i < l.words.size()) {
    error(l.words[i], "unexpected '" + l.words[i].text + "' at the end of the 'log' line");
    return;
  }
  out.push_back(std::move(t));
}

// `log-tag <tag>` (global, or a proxy's own) and `log-send-hostname [<name>]` (global).
void Sema::logTag(const Line& l, std::string& out) {
  if (!noCondition(l)) return;
  if (!needArgs(l, 1, "a tag")) return;
  if (l.words.size() > 2) {
    error(l.words[2], "unexpected '" + l.words[2].text + "': 'log-tag' takes one argument");
    return;
  }
  if (l.words[1].text.empty()) {
    error(l.words[1], "'log-tag' expects a non-empty tag");
    return;
  }
  out = l.words[1].text;
}

void Sema::logSendHostname(const Line& l) {
  if (!noCondition(l)) return;
  if (l.words.size() > 2) {
    error(l.words[2], "unexpected '" + l.words[2].text + "': 'log-send-hostname' takes at most one argument");
    return;
  }
  prog_.global.log_send_hostname = l.words.size() > 1 ? l.words[1].text : std::string();
}

}  // namespace lbc::sema

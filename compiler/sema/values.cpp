#include "sema/values.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace lbc::sema {

static bool allDigits(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

std::string parseDuration(std::string_view s, uint64_t& ms, uint64_t unit_ms, std::string* warning) {
  if (s.empty()) return "missing duration";
  size_t i = 0;
  uint64_t v = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
    if (v > (~0ull - 9) / 10) return "duration '" + std::string(s) + "' is too large";
    v = v * 10 + static_cast<uint64_t>(s[i++] - '0');
  }
  if (i == 0)
    return "'" + std::string(s) +
           "' is not a duration: expected a number with an optional unit (us, ms, s, m, h, d)";
  std::string_view unit = s.substr(i);
  // HAProxy 2.6 only warns when a valid unit is followed by letters ("30sec"): keep the unit.
  static constexpr std::string_view kUnits[] = {"us", "ms", "s", "m", "h", "d"};
  const bool exact = std::find(std::begin(kUnits), std::end(kUnits), unit) != std::end(kUnits);
  if (warning && unit.size() > 1 && !exact) {
    for (std::string_view u : kUnits) {  // two-letter units first: "msec" reads as "ms"
      if (unit.starts_with(u) && unit != u) {
        *warning = "unexpected '" + std::string(unit.substr(u.size())) + "' after the time value '" +
                   std::string(s) + "': read as '" + std::string(s.substr(0, i)) + std::string(u) +
                   "' (HAProxy will reject this in later versions)";
        unit = u;
        break;
      }
    }
  }
  uint64_t mul_us;
  if (unit.empty())
    mul_us = unit_ms * 1000;
  else if (unit == "us")
    mul_us = 1;
  else if (unit == "ms")
    mul_us = 1000;
  else if (unit == "s")
    mul_us = 1000000;
  else if (unit == "m")
    mul_us = 60000000;
  else if (unit == "h")
    mul_us = 3600000000ull;
  else if (unit == "d")
    mul_us = 86400000000ull;
  else
    return "unknown time unit '" + std::string(unit) + "' in '" + std::string(s) +
           "': expected us, ms, s, m, h or d";
  if (v != 0 && mul_us > ~0ull / v) return "duration '" + std::string(s) + "' is too large";
  uint64_t us = v * mul_us;
  ms = (us + 999) / 1000;
  // HAProxy keeps timers in a signed 32-bit millisecond count.
  if (ms > 2147483647ull)
    return "duration '" + std::string(s) + "' is too large: the maximum is 2147483647ms (about 24.8 days)";
  return {};
}

std::string parseSize(std::string_view s, uint64_t& bytes) {
  size_t i = 0;
  uint64_t v = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
    if (v > (~0ull - 9) / 10) return "size '" + std::string(s) + "' is too large";
    v = v * 10 + static_cast<uint64_t>(s[i++] - '0');
  }
  if (i == 0)
    return "'" + std::string(s) + "' is not a size: expected a number with an optional k, m or g suffix";
  std::string_view unit = s.substr(i);
  uint64_t mul = 1;
  if (unit.empty())
    mul = 1;
  else if (unit == "k" || unit == "K")
    mul = 1024;
  else if (unit == "m" || unit == "M")
    mul = 1024 * 1024;
  else if (unit == "g" || unit == "G")
    mul = 1024ull * 1024 * 1024;
  else
    return "unknown size unit '" + std::string(unit) + "' in '" + std::string(s) + "': expected k, m or g";
  if (v != 0 && mul > ~0ull / v) return "size '" + std::string(s) + "' is too large";
  bytes = v * mul;
  return {};
}

std::string parseInt(std::string_view s, int64_t& v, int64_t lo, int64_t hi) {
  const char* b = s.data();
  const char* e = s.data() + s.size();
  if (b != e && *b == '+') ++b;
  auto [p, ec] = std::from_chars(b, e, v);
  if (s.empty() || ec == std::errc::invalid_argument || p != e)
    return "'" + std::string(s) + "' is not an integer";
  if (ec == std::errc::result_out_of_range || v < lo || v > hi)
    return "'" + std::string(s) + "' is out of range: expected " + std::to_string(lo) + " to " +
           std::to_string(hi);
  return {};
}

static std::string parsePort(std::string_view p, AddrUse use, ir::Address& out) {
  if (p.empty()) {
    if (use == AddrUse::Bind) return "missing port number in '" + out.text + "'";
    return {};
  }
  if (use == AddrUse::Server && (p[0] == '+' || p[0] == '-')) {
    int64_t off = 0;
    if (!parseInt(p.substr(1), off, 0, 65535).empty())
      return "invalid port offset '" + std::string(p) + "' in '" + out.text + "'";
    out.relative_port = true;
    out.port_offset = static_cast<int>(p[0] == '-' ? -off : off);
    out.has_port = true;
    return {};
  }
  size_t dash = p.find('-');
  std::string_view a = p.substr(0, dash);
  int64_t lo = 0, hi = 0;
  if (!allDigits(a) || !parseInt(a, lo, 0, 65535).empty())
    return "invalid port '" + std::string(a) + "' in '" + out.text + "': expected 1 to 65535";
  hi = lo;
  if (dash != std::string_view::npos) {
    if (use != AddrUse::Bind) return "port ranges are only allowed on bind lines: '" + out.text + "'";
    std::string_view b = p.substr(dash + 1);
    if (!allDigits(b) || !parseInt(b, hi, 0, 65535).empty())
      return "invalid port '" + std::string(b) + "' in '" + out.text + "': expected 1 to 65535";
    if (hi < lo) return "invalid port range '" + std::string(p) + "': the end is below the start";
  }
  if (use == AddrUse::Bind && lo == 0) return "invalid port '0' in '" + out.text + "': expected 1 to 65535";
  out.has_port = true;
  out.port_lo = static_cast<uint16_t>(lo);
  out.port_hi = static_cast<uint16_t>(hi);
  return {};
}

static bool resolveHost(const std::string& host, int family, ir::Address& out) {
  addrinfo hints{};
  hints.ai_family = family;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &res) != 0 || !res) return false;
  if (res->ai_family == AF_INET) {
    auto* sin = reinterpret_cast<sockaddr_in*>(res->ai_addr);
    std::memcpy(out.ip, &sin->sin_addr, 4);
    out.kind = ir::Address::Kind::Ipv4;
  } else {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(res->ai_addr);
    std::memcpy(out.ip, &sin6->sin6_addr, 16);
    out.kind = ir::Address::Kind::Ipv6;
  }
  freeaddrinfo(res);
  return true;
}

std::string parseAddress(std::string_view s, AddrUse use, bool resolve, ir::Address& out) {
  out = ir::Address{};
  out.text = std::string(s);
  if (s.empty()) return "missing address";
  int family = AF_UNSPEC;
  std::string_view rest = s;
  if (size_t at = s.find('@'); at != std::string_view::npos) {
    std::string_view proto = s.substr(0, at);
    rest = s.substr(at + 1);
    if (proto == "ipv4" || proto == "tcp4")
      family = AF_INET;
    else if (proto == "ipv6" || proto == "tcp6")
      family = AF_INET6;
    else if (proto == "tcp")
      family = AF_UNSPEC;
    else if (proto == "unix" || proto == "uxst") {
      if (rest.empty()) return "missing socket path after 'unix@'";
      out.kind = ir::Address::Kind::Unix;
      out.host = std::string(rest);
      return {};
    } else if (proto == "abns") {
      if (rest.empty()) return "missing socket name after 'abns@'";
      out.kind = ir::Address::Kind::Abns;
      out.host = std::string(rest);
      return {};
    } else if (proto == "fd") {
      int64_t fd = 0;
      if (use != AddrUse::Bind && use != AddrUse::Other)
        return "'fd@' addresses are only valid on bind lines";
      if (!parseInt(rest, fd, 0, 1 << 30).empty())
        return "invalid file descriptor '" + std::string(rest) + "' after 'fd@'";
      out.kind = ir::Address::Kind::Fd;
      out.fd = static_cast<int>(fd);
      return {};
    } else if (proto == "udp" || proto == "udp4" || proto == "udp6" || proto == "quic4" || proto == "quic6" ||
               proto == "sockpair" || proto == "uxdg") {
      return "address family '" + std::string(proto) + "@' is not supported by lbc yet";
    } else {
      return "unknown address family '" + std::string(proto) + "@' in '" + out.text +
             "': expected ipv4@, ipv6@, unix@, abns@ or fd@";
    }
  } else if (s[0] == '/') {
    out.kind = ir::Address::Kind::Unix;
    out.host = std::string(s);
    return {};
  }

  std::string_view host, port;
  if (!rest.empty() && rest[0] == '[') {
    size_t close = rest.find(']');
    if (close == std::string_view::npos) return "missing ']' in IPv6 address '" + out.text + "'";
    host = rest.substr(1, close - 1);
    std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return "unexpected '" + std::string(after) + "' after ']' in '" + out.text + "'";
      port = after.substr(1);
    }
  } else {
    // The last colon separates the port, so `2001::2254:80` is [2001::2254]:80, as in HAProxy.
    size_t colon = rest.rfind(':');
    if (colon == std::string_view::npos) {
      host = rest;
    } else {
      host = rest.substr(0, colon);
      port = rest.substr(colon + 1);
    }
  }
  if (std::string e = parsePort(port, use, out); !e.empty()) return e;
  if (!out.has_port && use == AddrUse::Bind) return "missing port number in '" + out.text + "'";
  out.host = std::string(host);
  if (host.empty() || host == "*") {
    if (use == AddrUse::Server && host.empty() && !out.has_port) return "missing address";
    out.wildcard = true;
    out.kind = family == AF_INET6 ? ir::Address::Kind::Ipv6 : ir::Address::Kind::Ipv4;
    return {};
  }
  std::string h(host);
  if (family != AF_INET6 && inet_pton(AF_INET, h.c_str(), out.ip) == 1) {
    out.kind = ir::Address::Kind::Ipv4;
    out.wildcard = h == "0.0.0.0";
    return {};
  }
  if (family != AF_INET && inet_pton(AF_INET6, h.c_str(), out.ip) == 1) {
    out.kind = ir::Address::Kind::Ipv6;
    out.wildcard = h == "::";
    return {};
  }
  std::string whole(rest);
  uint8_t probe[16];
  if (h.find(':') != std::string::npos && inet_pton(AF_INET6, whole.c_str(), probe) != 1)
    return "invalid IPv6 address '" + out.text + "'";
  if (h.find(':') != std::string::npos)
    return "invalid address '" + out.text +
           "': without brackets the last ':' separates the port, so this reads as "
           "host '" +
           h + "' and port '" + std::string(port) + "'; write '[" + std::string(rest) + "]' or 'ipv6@" +
           std::string(rest) + "' for an IPv6 address without a port, or '[address]:port'";
  if (h.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") !=
      std::string::npos)
    return "invalid address '" + out.text + "'";
  out.kind = ir::Address::Kind::Host;
  if (resolve) {
    ir::Address r = out;
    if (!resolveHost(h, family, r)) return "could not resolve address '" + h + "'";
    std::memcpy(out.ip, r.ip, 16);
    out.kind = r.kind;
  }
  return {};
}

std::string parseNetwork(std::string_view s, uint8_t ip[16], uint8_t& prefix, bool& ipv6) {
  std::string addr(s.substr(0, s.find('/')));
  std::string_view mask =
      s.find('/') == std::string_view::npos ? std::string_view() : s.substr(s.find('/') + 1);
  std::memset(ip, 0, 16);
  if (inet_pton(AF_INET, addr.c_str(), ip) == 1) {
    ipv6 = false;
    prefix = 32;
    if (!mask.empty()) {
      int64_t p = 0;
      if (mask.find('.') != std::string_view::npos) {
        uint8_t m[4];
        std::string ms(mask);
        if (inet_pton(AF_INET, ms.c_str(), m) != 1) return "invalid netmask '" + ms + "'";
        uint32_t v = (uint32_t(m[0]) << 24) | (uint32_t(m[1]) << 16) | (uint32_t(m[2]) << 8) | m[3];
        int n = 0;
        while (n < 32 && (v & (0x80000000u >> n))) ++n;
        if (n < 32 && (v << n) != 0) return "non-contiguous netmask '" + ms + "'";
        prefix = static_cast<uint8_t>(n);
      } else if (!parseInt(mask, p, 0, 32).empty()) {
        return "invalid prefix length '/" + std::string(mask) + "': expected 0 to 32";
      } else {
        prefix = static_cast<uint8_t>(p);
      }
    }
    return {};
  }
  if (inet_pton(AF_INET6, addr.c_str(), ip) == 1) {
    ipv6 = true;
    prefix = 128;
    if (!mask.empty()) {
      int64_t p = 0;
      if (!parseInt(mask, p, 0, 128).empty())
        return "invalid prefix length '/" + std::string(mask) + "': expected 0 to 128";
      prefix = static_cast<uint8_t>(p);
    }
    return {};
  }
  return "'" + std::string(s) + "' is not an IPv4 or IPv6 address or network";
}

}  // namespace lbc::sema

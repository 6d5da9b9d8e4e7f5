#include "proxy_header.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

#include "lbc/hash.h"

namespace lbc::rt {
namespace {

constexpr char kV2Sig[12] = {'\r', '\n', '\r', '\n', '\0', '\r', '\n', 'Q', 'U', 'I', 'T', '\n'};
constexpr size_t kV2Head = 16, kV2Inet = 12, kV2Inet6 = 36;
constexpr size_t kAuthorityMax = 255, kUniqueIdMax = 128;  // HAProxy's HA_PP2_AUTHORITY_MAX, UNIQUEID_LEN
enum : uint8_t {
  kTlvAlpn = 0x01,
  kTlvAuthority = 0x02,
  kTlvCrc32c = 0x03,
  kTlvUniqueId = 0x05,
  kTlvSsl = 0x20,
  kSubVersion = 0x21,
  kSubCn = 0x22,
  kSubCipher = 0x23,
  kSubSigAlg = 0x24,
  kSubKeyAlg = 0x25,
};

bool digit(char c) {
  return c >= '0' && c <= '9';
}

// A TCP4 address as HAProxy reads it (inetaddr_host_lim_ret): up to four dot-separated groups of
// digits, each the value of its last three digits added at its byte's place (so an oversized
// group carries into the next byte), missing groups zero. Stops at the first other character.
uint32_t readV4(const char*& p, const char* end) {
  uint32_t v = 0;
  for (int shift = 24;; shift -= 8) {
    const char* start = p;
    while (p < end && digit(*p)) ++p;
    uint32_t group = 0, mult = 1;
    for (const char* d = p; d != start && mult <= 100; mult *= 10) group += uint32_t(*--d - '0') * mult;
    v += group << shift;
    if (shift == 0 || p == end || *p != '.') break;
    ++p;
  }
  return v;
}

// HAProxy's read_uint: digits until another character or the end, wrapping past 2^32.
uint32_t readUint(const char*& p, const char* end) {
  uint32_t v = 0;
  while (p < end && digit(*p)) v = v * 10 + uint32_t(*p++ - '0');
  return v;
}

void setV4(sockaddr_storage& ss, uint32_t host_addr, uint32_t port) {
  ss = {};
  auto* a = reinterpret_cast<sockaddr_in*>(&ss);
  a->sin_family = AF_INET;
  a->sin_addr.s_addr = htonl(host_addr);
  a->sin_port = htons(uint16_t(port));
}

void setV6(sockaddr_storage& ss, const void* addr16, uint16_t net_port) {
  ss = {};
  auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
  a->sin6_family = AF_INET6;
  std::memcpy(&a->sin6_addr, addr16, 16);
  a->sin6_port = net_port;
}

ProxyHdrResult parseTcp4(const char* p, const char* end, const char* base, ProxyHdr& out) {
  const uint32_t src = readV4(p, end);
  if (p == end) return ProxyHdrResult::kTruncated;
  if (*p++ != ' ') return ProxyHdrResult::kBadHeader;
  const uint32_t dst = readV4(p, end);
  if (p == end) return ProxyHdrResult::kTruncated;
  if (*p++ != ' ') return ProxyHdrResult::kBadHeader;
  const uint32_t sport = readUint(p, end);
  if (p == end) return ProxyHdrResult::kTruncated;
  if (*p++ != ' ') return ProxyHdrResult::kBadHeader;
  const uint32_t dport = readUint(p, end);
  if (end - p < 2) return ProxyHdrResult::kTruncated;
  if (*p++ != '\r' || *p++ != '\n') return ProxyHdrResult::kBadHeader;
  setV4(out.src, src, sport);
  setV4(out.dst, dst, dport);
  out.has_addr = true;
  out.len = size_t(p - base);
  return ProxyHdrResult::kOk;
}

// TCP6: the line up to its CR is split at spaces (the fifth and later fields are ignored), ports
// must be all digits, addresses what inet_pton accepts.
ProxyHdrResult parseTcp6(const char* p, const char* end, const char* base, ProxyHdr& out) {
  std::string_view field[4];
  int n = 0;
  const char* start = p;
  for (;; ++p) {
    if (end - p < 2) return ProxyHdrResult::kTruncated;
    if (*p == '\r') {
      if (p[1] != '\n') return ProxyHdrResult::kBadHeader;
      break;
    }
    if (*p == ' ') {
      if (n < 4) field[n++] = std::string_view(start, size_t(p - start));
      start = p + 1;
    }
  }
  if (n < 3) return ProxyHdrResult::kBadHeader;
  if (n == 3) field[n++] = std::string_view(start, size_t(p - start));
  const char* line_end = p + 2;
  uint32_t port[2];
  for (int i = 0; i < 2; ++i) {
    const char* q = field[2 + i].data();
    const char* qe = q + field[2 + i].size();
    port[i] = readUint(q, qe);
    if (q != qe) return ProxyHdrResult::kBadHeader;
  }
  unsigned char a[2][16];
  for (int i = 0; i < 2; ++i) {
    if (field[i].size() >= 64) return ProxyHdrResult::kBadHeader;
    char text[64];
    std::memcpy(text, field[i].data(), field[i].size());
    text[field[i].size()] = 0;
    if (inet_pton(AF_INET6, text, a[i]) != 1) return ProxyHdrResult::kBadHeader;
  }
  setV6(out.src, a[0], htons(uint16_t(port[0])));
  setV6(out.dst, a[1], htons(uint16_t(port[1])));
  out.has_addr = true;
  out.len = size_t(line_end - base);
  return ProxyHdrResult::kOk;
}

ProxyHdrResult parseV1(std::string_view in, ProxyHdr& out) {
  out.version = 1;
  const char* p = in.data() + 6;
  const char* end = in.data() + in.size();
  if (in.size() < 9) return ProxyHdrResult::kTruncated;
  // HAProxy compares the 5 bytes even when fewer came (reading its buffer's stale bytes): what
  // did not come cannot match here, and the header is then an unhandled protocol.
  const bool five = end - p >= 5;
  if (five && std::memcmp(p, "TCP4 ", 5) == 0) return parseTcp4(p + 5, end, in.data(), out);
  if (five && std::memcmp(p, "TCP6 ", 5) == 0) return parseTcp6(p + 5, end, in.data(), out);
  if (size_t(end - p) >= 9 && std::memcmp(p, "UNKNOWN\r\n", 9) == 0) {
    out.len = 6 + 9;
    return ProxyHdrResult::kOk;
  }
  return ProxyHdrResult::kBadProto;
}

uint16_t be16(const char* p) {
  return uint16_t((uint8_t(p[0]) << 8) | uint8_t(p[1]));
}

uint32_t be32(const char* p) {
  return (uint32_t(uint8_t(p[0])) << 24) | (uint32_t(uint8_t(p[1])) << 16) | (uint32_t(uint8_t(p[2])) << 8) |
         uint32_t(uint8_t(p[3]));
}

// The TLVs after the addresses of a PROXY command over TCP.
ProxyHdrResult parseTlvs(std::string_view hdr, size_t off, ProxyHdr& out) {
  while (off < hdr.size()) {
    if (off + 3 > hdr.size()) return ProxyHdrResult::kBadHeader;
    const uint8_t type = uint8_t(hdr[off]);
    const size_t len = be16(hdr.data() + off + 1);
    const size_t value = off + 3;
    off = value + len;
    if (off > hdr.size()) return ProxyHdrResult::kBadHeader;
    const std::string_view v = hdr.substr(value, len);
    switch (type) {
      case kTlvCrc32c: {
        if (len != 4) return ProxyHdrResult::kBadHeader;
        std::string copy(hdr);  // the sum covers the header with this field zeroed
        std::memset(copy.data() + value, 0, 4);
        if (hash::crc(copy, hash::kCrc32c) != be32(v.data())) return ProxyHdrResult::kBadHeader;
        break;
      }
      case kTlvAuthority:
        if (len > kAuthorityMax) return ProxyHdrResult::kBadHeader;
        out.authority = v;
        break;
      case kTlvUniqueId:
        if (len > kUniqueIdMax) return ProxyHdrResult::kBadHeader;
        out.unique_id = v;
        break;
      default:
        break;
    }
  }
  return ProxyHdrResult::kOk;
}

ProxyHdrResult parseV2(std::string_view in, ProxyHdr& out) {
  out.version = 2;
  if (in.size() < kV2Head) return ProxyHdrResult::kTruncated;
  if (std::memcmp(in.data(), kV2Sig, sizeof kV2Sig) != 0 || (uint8_t(in[12]) & 0xF0) != 0x20)
    return ProxyHdrResult::kNotHeader;
  const size_t body = be16(in.data() + 14);
  const size_t total = kV2Head + body;
  if (in.size() < total) return ProxyHdrResult::kTruncated;
  const std::string_view hdr = in.substr(0, total);
  switch (uint8_t(in[12]) & 0x0F) {
    case 0x01:  // PROXY
      if (in[13] == 0x11) {
        if (body < kV2Inet) return ProxyHdrResult::kBadHeader;
        const char* a = in.data() + kV2Head;
        setV4(out.src, be32(a), be16(a + 8));
        setV4(out.dst, be32(a + 4), be16(a + 10));
        out.has_addr = true;
        if (ProxyHdrResult r = parseTlvs(hdr, kV2Head + kV2Inet, out); r != ProxyHdrResult::kOk) return r;
      } else if (in[13] == 0x21) {
        if (body < kV2Inet6) return ProxyHdrResult::kBadHeader;
        const char* a = in.data() + kV2Head;
        uint16_t sp, dp;
        std::memcpy(&sp, a + 32, 2);
        std::memcpy(&dp, a + 34, 2);
        setV6(out.src, a, sp);
        setV6(out.dst, a + 16, dp);
        out.has_addr = true;
        if (ProxyHdrResult r = parseTlvs(hdr, kV2Head + kV2Inet6, out); r != ProxyHdrResult::kOk) return r;
      } else if (ProxyHdrResult r = parseTlvs(hdr, 0, out); r != ProxyHdrResult::kOk) {
        // Another family keeps the socket's addresses, but HAProxy 2.6 still walks the TLVs, from
        // the start of the header (its TLV offset is only set for TCP over IPv4/IPv6): the
        // signature read as a TLV is longer than any header short of 2576 bytes, so it fails.
        return r;
      }
      break;
    case 0x00:  // LOCAL: the socket's addresses stay
      break;
    default:
      return ProxyHdrResult::kBadHeader;
  }
  out.len = total;
  return ProxyHdrResult::kOk;
}

}  // namespace

ProxyHdrResult parseProxyHeader(std::string_view in, ProxyHdr& out) {
  out = ProxyHdr{};
  if (in.size() < 6) return ProxyHdrResult::kTruncated;
  if (std::memcmp(in.data(), "PROXY ", 6) == 0) return parseV1(in, out);
  return parseV2(in, out);
}

const char* proxyHdrError(ProxyHdrResult r) {
  switch (r) {
    case ProxyHdrResult::kTruncated:
      return "Truncated PROXY protocol header received";
    case ProxyHdrResult::kNotHeader:
      return "Received something which does not look like a PROXY protocol header";
    case ProxyHdrResult::kBadHeader:
      return "Received an invalid PROXY protocol header";
    case ProxyHdrResult::kBadProto:
      return "Received an unhandled protocol in the PROXY protocol header";
    case ProxyHdrResult::kOk:
      break;
  }
  return "";
}

// ---- writing -----------------------------------------------------------------------------------

namespace {

bool inet(const sockaddr_storage* a) {
  return a && (a->ss_family == AF_INET || a->ss_family == AF_INET6);
}

// The address as IPv6 (an IPv4 one mapped), and its port in network order.
void asV6(const sockaddr_storage& a, unsigned char out[16], uint16_t& port) {
  if (a.ss_family == AF_INET) {
    const auto* s = reinterpret_cast<const sockaddr_in*>(&a);
    std::memset(out, 0, 10);
    out[10] = out[11] = 0xFF;
    std::memcpy(out + 12, &s->sin_addr, 4);
    port = s->sin_port;
  } else {
    const auto* s = reinterpret_cast<const sockaddr_in6*>(&a);
    std::memcpy(out, &s->sin6_addr, 16);
    port = s->sin6_port;
  }
}

void putTlv(std::string& out, uint8_t type, std::string_view v) {
  out.push_back(char(type));
  out.push_back(char(v.size() >> 8));
  out.push_back(char(v.size() & 0xFF));
  out.append(v);
}

void put16(std::string& out, uint16_t v) {
  out.push_back(char(v >> 8));
  out.push_back(char(v & 0xFF));
}

void putSslTlv(std::string& out, uint16_t opts, const ProxyHdrSource& s) {
  const size_t at = out.size();
  out.append(3, '\0');  // type and length, filled below
  uint8_t client = 0;
  uint32_t verify = 0;
  std::string sub;
  if (s.ssl) {
    client |= 0x01;  // PP2_CLIENT_SSL
    if (!s.ssl_version.empty()) putTlv(sub, kSubVersion, s.ssl_version);
    if (s.cert_sess) {
      client |= 0x04;  // PP2_CLIENT_CERT_SESS
      verify = s.verify;
      if (s.cert_conn) client |= 0x02;  // PP2_CLIENT_CERT_CONN
    }
    if ((opts & kPpV2SslCn) && !s.ssl_cn.empty()) putTlv(sub, kSubCn, s.ssl_cn);
    if ((opts & kPpV2SslKeyAlg) && !s.ssl_key_alg.empty()) putTlv(sub, kSubKeyAlg, s.ssl_key_alg);
    if ((opts & kPpV2SslSigAlg) && !s.ssl_sig_alg.empty()) putTlv(sub, kSubSigAlg, s.ssl_sig_alg);
    if ((opts & kPpV2SslCipher) && !s.ssl_cipher.empty()) putTlv(sub, kSubCipher, s.ssl_cipher);
  }
  out.push_back(char(client));
  for (int i = 3; i >= 0; --i) out.push_back(char((verify >> (8 * i)) & 0xFF));
  out.append(sub);
  const size_t len = out.size() - at - 3;
  out[at] = char(kTlvSsl);
  out[at + 1] = char(len >> 8);
  out[at + 2] = char(len & 0xFF);
}

}  // namespace

void buildProxyV1(std::string& out, const sockaddr_storage* src, const sockaddr_storage* dst) {
  if (!inet(src) || !inet(dst)) {
    out += "PROXY UNKNOWN\r\n";
    return;
  }
  char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
  uint16_t sp, dp;
  const char* proto = "TCP4";
  if (src->ss_family == AF_INET && dst->ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(src);
    const auto* b = reinterpret_cast<const sockaddr_in*>(dst);
    inet_ntop(AF_INET, &a->sin_addr, s, sizeof s);
    inet_ntop(AF_INET, &b->sin_addr, d, sizeof d);
    sp = a->sin_port, dp = b->sin_port;
  } else {
    proto = "TCP6";
    unsigned char a[16], b[16];
    asV6(*src, a, sp);
    asV6(*dst, b, dp);
    inet_ntop(AF_INET6, a, s, sizeof s);
    inet_ntop(AF_INET6, b, d, sizeof d);
  }
  out += "PROXY ";
  out += proto;
  out += ' ';
  out += s;
  out += ' ';
  out += d;
  out += ' ';
  out += std::to_string(ntohs(sp));
  out += ' ';
  out += std::to_string(ntohs(dp));
  out += "\r\n";
}

void buildProxyV2(std::string& out, uint16_t opts, const ProxyHdrSource& s) {
  const size_t at = out.size();
  out.append(kV2Sig, sizeof kV2Sig);
  if (!inet(s.src) || !inet(s.dst)) {
    out.push_back(char(0x20));  // LOCAL
    out.push_back(char(0x00));  // AF_UNSPEC, UNSPEC
    out.append(2, '\0');
  } else if (s.src->ss_family == AF_INET && s.dst->ss_family == AF_INET) {
    out.push_back(char(0x21));
    out.push_back(char(0x11));
    out.append(2, '\0');
    const auto* a = reinterpret_cast<const sockaddr_in*>(s.src);
    const auto* b = reinterpret_cast<const sockaddr_in*>(s.dst);
    out.append(reinterpret_cast<const char*>(&a->sin_addr), 4);
    out.append(reinterpret_cast<const char*>(&b->sin_addr), 4);
    out.append(reinterpret_cast<const char*>(&a->sin_port), 2);
    out.append(reinterpret_cast<const char*>(&b->sin_port), 2);
  } else {
    out.push_back(char(0x21));
    out.push_back(char(0x21));
    out.append(2, '\0');
    unsigned char a[16], b[16];
    uint16_t sp, dp;
    asV6(*s.src, a, sp);
    asV6(*s.dst, b, dp);
    out.append(reinterpret_cast<const char*>(a), 16);
    out.append(reinterpret_cast<const char*>(b), 16);
    out.append(reinterpret_cast<const char*>(&sp), 2);
    out.append(reinterpret_cast<const char*>(&dp), 2);
  }
  size_t crc_at = 0;
  if (opts & kPpV2Crc32c) {
    crc_at = out.size() + 3;
    putTlv(out, kTlvCrc32c, std::string_view("\0\0\0\0", 4));
  }
  if (!s.alpn.empty()) putTlv(out, kTlvAlpn, s.alpn);
  if ((opts & kPpV2Authority) && !s.authority.empty()) putTlv(out, kTlvAuthority, s.authority);
  if ((opts & kPpV2UniqueId) && s.stream) putTlv(out, kTlvUniqueId, s.unique_id);
  if (opts & kPpV2Ssl) putSslTlv(out, opts, s);
  const size_t body = out.size() - at - kV2Head;
  out[at + 14] = char((body >> 8) & 0xFF);
  out[at + 15] = char(body & 0xFF);
  if (crc_at) {
    const uint32_t c = hash::crc(std::string_view(out).substr(at), hash::kCrc32c);
    for (int i = 0; i < 4; ++i) out[crc_at + size_t(i)] = char((c >> (24 - 8 * i)) & 0xFF);
  }
}

void buildProxyHeader(std::string& out, uint16_t opts, const ProxyHdrSource& s) {
  if (opts & kPpV2)
    buildProxyV2(out, opts, s);
  else
    buildProxyV1(out, s.src, s.dst);
}

}  // namespace lbc::rt

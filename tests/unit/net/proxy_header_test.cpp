// The PROXY protocol header (runtime/src/net/proxy_header.cpp): what HAProxy 2.6 accepts and
// refuses, and the headers it writes read back by the parser.
#include "net/proxy_header.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include "lbc/hash.h"

namespace lbc::rt {
namespace {

std::string text(const sockaddr_storage& a) {
  char ip[INET6_ADDRSTRLEN] = "";
  uint16_t port = 0;
  if (a.ss_family == AF_INET) {
    const auto* s = reinterpret_cast<const sockaddr_in*>(&a);
    inet_ntop(AF_INET, &s->sin_addr, ip, sizeof ip);
    port = ntohs(s->sin_port);
  } else if (a.ss_family == AF_INET6) {
    const auto* s = reinterpret_cast<const sockaddr_in6*>(&a);
    inet_ntop(AF_INET6, &s->sin6_addr, ip, sizeof ip);
    port = ntohs(s->sin6_port);
  }
  return std::string(ip) + ":" + std::to_string(port);
}

sockaddr_storage v4(const char* ip, uint16_t port) {
  sockaddr_storage ss{};
  auto* a = reinterpret_cast<sockaddr_in*>(&ss);
  a->sin_family = AF_INET;
  inet_pton(AF_INET, ip, &a->sin_addr);
  a->sin_port = htons(port);
  return ss;
}

sockaddr_storage v6(const char* ip, uint16_t port) {
  sockaddr_storage ss{};
  auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
  a->sin6_family = AF_INET6;
  inet_pton(AF_INET6, ip, &a->sin6_addr);
  a->sin6_port = htons(port);
  return ss;
}

ProxyHdrResult parse(std::string_view in, ProxyHdr& h) {
  return parseProxyHeader(in, h);
}

TEST(ProxyHeaderV1, Tcp4) {
  ProxyHdr h;
  std::string in = "PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\r\nGET / HTTP/1.1\r\n";
  ASSERT_EQ(parse(in, h), ProxyHdrResult::kOk);
  EXPECT_EQ(h.len, in.find("GET"));
  EXPECT_EQ(h.version, 1);
  EXPECT_TRUE(h.has_addr);
  EXPECT_EQ(text(h.src), "192.0.2.1:56324");
  EXPECT_EQ(text(h.dst), "198.51.100.2:443");
}

TEST(ProxyHeaderV1, Tcp4LeniencyAsHaproxy) {
  ProxyHdr h;
  // Missing groups are zero, a port past 65535 is truncated to 16 bits.
  ASSERT_EQ(parse("PROXY TCP4 10.1 1.2.3.4 65537 80\r\n", h), ProxyHdrResult::kOk);
  EXPECT_EQ(text(h.src), "10.1.0.0:1");
  // A group of more than three digits keeps its last three.
  ASSERT_EQ(parse("PROXY TCP4 1.2.3.0004 1.2.3.4 1 2\r\n", h), ProxyHdrResult::kOk);
  EXPECT_EQ(text(h.src), "1.2.3.4:1");
}

TEST(ProxyHeaderV1, Tcp6AndUnknown) {
  ProxyHdr h;
  ASSERT_EQ(parse("PROXY TCP6 2001:db8::1 ::1 1000 2000\r\n", h), ProxyHdrResult::kOk);
  EXPECT_EQ(text(h.src), "2001:db8::1:1000");
  EXPECT_EQ(text(h.dst), "::1:2000");
  ASSERT_EQ(parse("PROXY UNKNOWN\r\nxyz", h), ProxyHdrResult::kOk);
  EXPECT_EQ(h.len, 15u);
  EXPECT_FALSE(h.has_addr);
}

TEST(ProxyHeaderV1, Errors) {
  ProxyHdr h;
  EXPECT_EQ(parse("PROX", h), ProxyHdrResult::kTruncated);
  EXPECT_EQ(parse("PROXY TCP4 1.2.3.4 5.6.7.8 1 2", h), ProxyHdrResult::kTruncated);
  EXPECT_EQ(parse("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n\n", h), ProxyHdrResult::kBadHeader);
  EXPECT_EQ(parse("PROXY TCP4 1.2.3.4,5.6.7.8 1 2\r\n", h), ProxyHdrResult::kBadHeader);
  EXPECT_EQ(parse("PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n", h), ProxyHdrResult::kBadProto);
  EXPECT_EQ(parse("PROXY UNKN", h), ProxyHdrResult::kBadProto);  // (found by the fuzzer: a read past the end)
  EXPECT_EQ(parse("PROXY TCP4", h), ProxyHdrResult::kBadProto);
  EXPECT_EQ(parse("PROXY TCP6 nothere ::1 1 2\r\n", h), ProxyHdrResult::kBadHeader);
  EXPECT_EQ(parse("PROXY TCP6 ::1 ::1 1x 2\r\n", h), ProxyHdrResult::kBadHeader);
  EXPECT_EQ(parse("GET / HTTP/1.1\r\n\r\n", h), ProxyHdrResult::kNotHeader);
}

TEST(ProxyHeaderV2, RoundTripInet) {
  const sockaddr_storage s = v4("192.0.2.1", 1234), d = v4("203.0.113.9", 80);
  ProxyHdrSource src;
  src.src = &s, src.dst = &d, src.stream = true;
  src.authority = "example.com";
  src.unique_id = "abc";
  std::string out;
  buildProxyV2(out, kPpV2 | kPpV2Authority | kPpV2UniqueId | kPpV2Crc32c, src);
  out += "payload";
  ProxyHdr h;
  ASSERT_EQ(parse(out, h), ProxyHdrResult::kOk);
  EXPECT_EQ(h.version, 2);
  EXPECT_EQ(h.len, out.size() - 7);
  EXPECT_EQ(text(h.src), "192.0.2.1:1234");
  EXPECT_EQ(text(h.dst), "203.0.113.9:80");
  EXPECT_EQ(h.authority, "example.com");
  EXPECT_EQ(h.unique_id, "abc");
  // A flipped byte fails the CRC32C.
  out[20] ^= 1;
  EXPECT_EQ(parse(out, h), ProxyHdrResult::kBadHeader);
}

TEST(ProxyHeaderV2, MixedFamiliesAreInet6) {
  const sockaddr_storage s = v4("192.0.2.1", 1), d = v6("2001:db8::2", 2);
  ProxyHdrSource src;
  src.src = &s, src.dst = &d;
  std::string out;
  buildProxyV2(out, kPpV2, src);
  ProxyHdr h;
  ASSERT_EQ(parse(out, h), ProxyHdrResult::kOk);
  EXPECT_EQ(text(h.src), "::ffff:192.0.2.1:1");
  EXPECT_EQ(text(h.dst), "2001:db8::2:2");
  std::string v1;
  buildProxyV1(v1, &s, &d);
  EXPECT_EQ(v1, "PROXY TCP6 ::ffff:192.0.2.1 2001:db8::2 1 2\r\n");
}

TEST(ProxyHeaderV2, LocalForChecks) {
  std::string out;
  buildProxyHeader(out, kPpV2, ProxyHdrSource{});
  ASSERT_EQ(out.size(), 16u);
  EXPECT_EQ(uint8_t(out[12]), 0x20);
  ProxyHdr h;
  ASSERT_EQ(parse(out, h), ProxyHdrResult::kOk);
  EXPECT_FALSE(h.has_addr);
  out.clear();
  buildProxyHeader(out, 0, ProxyHdrSource{});  // check-send-proxy alone: v1
  EXPECT_EQ(out, "PROXY UNKNOWN\r\n");
}

TEST(ProxyHeaderV2, SslTlv) {
  const sockaddr_storage s = v4("192.0.2.1", 1), d = v4("192.0.2.2", 2);
  ProxyHdrSource src;
  src.src = &s, src.dst = &d, src.ssl = true, src.ssl_version = "TLSv1.3", src.ssl_cn = "client";
  std::string out;
  buildProxyV2(out, kPpV2 | kPpV2Ssl | kPpV2SslCn, src);
  // addresses (12), then the SSL TLV: type, length, client, verify, VERSION, CN
  const size_t t = 16 + 12;
  ASSERT_GT(out.size(), t + 8);
  EXPECT_EQ(uint8_t(out[t]), 0x20);
  EXPECT_EQ(uint8_t(out[t + 3]), 0x01);  // PP2_CLIENT_SSL
  EXPECT_EQ(uint8_t(out[t + 8]), 0x21);  // PP2_SUBTYPE_SSL_VERSION
  EXPECT_NE(out.find("client"), std::string::npos);
  ProxyHdr h;
  EXPECT_EQ(parse(out, h), ProxyHdrResult::kOk);
}

TEST(ProxyHeaderV2, Errors) {
  const sockaddr_storage s = v4("192.0.2.1", 1), d = v4("192.0.2.2", 2);
  ProxyHdrSource src;
  src.src = &s, src.dst = &d;
  std::string good;
  buildProxyV2(good, kPpV2, src);
  ProxyHdr h;
  EXPECT_EQ(parse(good.substr(0, 20), h), ProxyHdrResult::kTruncated);
  std::string bad = good;
  bad[12] = 0x11;  // version 1
  EXPECT_EQ(parse(bad, h), ProxyHdrResult::kNotHeader);
  bad = good;
  bad[12] = 0x22;  // command 2
  EXPECT_EQ(parse(bad, h), ProxyHdrResult::kBadHeader);
  bad = good;
  bad[15] = 4;  // too short for its addresses
  EXPECT_EQ(parse(bad, h), ProxyHdrResult::kBadHeader);
  bad = good + std::string(
                   "\x02\x00\x09"
                   "ab",
                   5);  // a TLV longer than the header
  bad[15] = char(12 + 5);
  EXPECT_EQ(parse(bad, h), ProxyHdrResult::kBadHeader);
}

}  // namespace
}  // namespace lbc::rt

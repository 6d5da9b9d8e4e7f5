// The first-record parser of pass-through TLS (req.ssl_sni and friends) on hellos sent by a
// real openssl s_client, and on the edges: prefixes, garbage, a hello split across records.
#include "net/tls_hello.h"

#include <gtest/gtest.h>

#include "tls_test_util.h"

namespace lbc::rt {
namespace {

// The bytes `s_client <args>` sends first, read until they hold one whole record.
std::string captureHello(const std::string& args) {
  tlstest::Listener l;
  tlstest::Child c("openssl s_client -connect 127.0.0.1:" + std::to_string(l.port) + " " + args +
                   " </dev/null >/dev/null 2>&1");
  int fd = l.accept();
  std::string got;
  TlsHello h;
  char buf[4096];
  while (fd >= 0 && parseTlsHello(got, h) == TlsHelloResult::kNeedMore) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 5000) != 1) break;
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    got.append(buf, size_t(n));
  }
  if (fd >= 0) ::close(fd);
  return got;
}

TEST(TlsHelloTest, ReadsSniAlpnAndVersionsOfARealClientHello) {
  std::string bytes = captureHello("-servername Www.Example.Test -alpn h2,http/1.1");
  TlsHello h;
  ASSERT_EQ(parseTlsHello(bytes, h), TlsHelloResult::kOk);
  EXPECT_EQ(h.hello_type, 1);
  EXPECT_EQ(h.sni, "Www.Example.Test");  // as sent: `lower` is the configuration's business
  EXPECT_EQ(h.alpn, std::string_view("\x02h2\x08http/1.1", 12));
  EXPECT_EQ(h.hello_version, 0x0303);
  EXPECT_EQ(h.max_version, 0x0304);
  EXPECT_EQ(tlsVersionNumber(h.record_version), 3u * 65536 + 1);
  EXPECT_LE(h.record_len, bytes.size());
  // Any shorter prefix of the record asks for more.
  for (size_t n = 0; n < h.record_len; ++n) {
    TlsHello p;
    ASSERT_EQ(parseTlsHello(std::string_view(bytes).substr(0, n), p), TlsHelloResult::kNeedMore) << n;
  }
}

TEST(TlsHelloTest, ATls12HelloWithoutSni) {
  std::string bytes = captureHello("-tls1_2 -noservername");
  TlsHello h;
  ASSERT_EQ(parseTlsHello(bytes, h), TlsHelloResult::kOk);
  EXPECT_TRUE(h.sni.empty());
  EXPECT_TRUE(h.alpn.empty());
  EXPECT_EQ(h.max_version, 0x0303);
}

TEST(TlsHelloTest, GarbageAServerHelloAndAHelloSplitAcrossRecords) {
  TlsHello h;
  EXPECT_EQ(parseTlsHello("GET / HTTP/1.1\r\n\r\n", h), TlsHelloResult::kNotHello);
  EXPECT_EQ(parseTlsHello(std::string("\x16\x02\x00\x00\x10", 5), h), TlsHelloResult::kNotHello);  // SSL 2.0
  EXPECT_EQ(parseTlsHello(std::string("\x16\x03\x01\xff\xff", 5), h), TlsHelloResult::kNotHello);  // too long
  std::string server_hello("\x16\x03\x03\x00\x06\x02\x00\x00\x02\x03\x03", 11);
  ASSERT_EQ(parseTlsHello(server_hello, h), TlsHelloResult::kOk);
  EXPECT_EQ(h.hello_type, 2);
  EXPECT_EQ(h.hello_version, 0x0303);
  // A ClientHello announcing 512 bytes in a record of 8: the rest is in the next record.
  std::string split("\x16\x03\x01\x00\x08\x01\x00\x02\x00\x03\x03\x00\x00", 13);
  EXPECT_EQ(parseTlsHello(split, h), TlsHelloResult::kNotHello);
  EXPECT_TRUE(h.sni.empty());
}

}  // namespace
}  // namespace lbc::rt

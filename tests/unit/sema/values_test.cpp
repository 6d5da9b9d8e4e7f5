#include "sema/values.h"

#include <gtest/gtest.h>

using namespace lbc::sema;
using lbc::ir::Address;

TEST(Values, Durations) {
  uint64_t ms = 0;
  EXPECT_EQ(parseDuration("30s", ms), "");
  EXPECT_EQ(ms, 30000u);
  EXPECT_EQ(parseDuration("500", ms), "");
  EXPECT_EQ(ms, 500u);
  EXPECT_EQ(parseDuration("500", ms, 1000), "");  // a bare number in seconds where the unit is s
  EXPECT_EQ(ms, 500000u);
  EXPECT_EQ(parseDuration("1us", ms), "");
  EXPECT_EQ(ms, 1u);  // rounded up
  EXPECT_EQ(parseDuration("2h", ms), "");
  EXPECT_EQ(ms, 7200000u);
  EXPECT_NE(parseDuration("1.5s", ms), "");
  EXPECT_NE(parseDuration("30x", ms), "");
  EXPECT_NE(parseDuration("25d", ms), "");  // above 2^31-1 ms
  EXPECT_NE(parseDuration("", ms), "");
  std::string warn;
  EXPECT_EQ(parseDuration("30sec", ms, 1, &warn), "");
  EXPECT_EQ(ms, 30000u);
  EXPECT_FALSE(warn.empty());
  // Regression: "500ms" with a warning sink was read as "500m" (500 minutes).
  warn.clear();
  EXPECT_EQ(parseDuration("500ms", ms, 1, &warn), "");
  EXPECT_EQ(ms, 500u);
  EXPECT_TRUE(warn.empty()) << warn;
  EXPECT_EQ(parseDuration("250us", ms, 1, &warn), "");
  EXPECT_TRUE(warn.empty()) << warn;
  EXPECT_EQ(parseDuration("5msec", ms, 1, &warn), "");
  EXPECT_EQ(ms, 5u);
  EXPECT_FALSE(warn.empty());
}

TEST(Values, Sizes) {
  uint64_t v = 0;
  EXPECT_EQ(parseSize("16k", v), "");
  EXPECT_EQ(v, 16384u);
  EXPECT_EQ(parseSize("1m", v), "");
  EXPECT_EQ(v, 1048576u);
  EXPECT_NE(parseSize("1t", v), "");
}

TEST(Values, BindAddresses) {
  Address a;
  EXPECT_EQ(parseAddress(":80", AddrUse::Bind, false, a), "");
  EXPECT_TRUE(a.wildcard);
  EXPECT_EQ(a.port_lo, 80);
  EXPECT_EQ(parseAddress("*:8000-8010", AddrUse::Bind, false, a), "");
  EXPECT_EQ(a.port_hi, 8010);
  EXPECT_EQ(parseAddress("2001::2254:80", AddrUse::Bind, false, a), "");  // last colon is the port
  EXPECT_EQ(a.kind, Address::Kind::Ipv6);
  EXPECT_EQ(a.port_lo, 80);
  EXPECT_EQ(parseAddress("[::1]:443", AddrUse::Bind, false, a), "");
  EXPECT_EQ(a.kind, Address::Kind::Ipv6);
  EXPECT_EQ(parseAddress("ipv4@0.0.0.0:80", AddrUse::Bind, false, a), "");
  EXPECT_EQ(parseAddress("unix@/run/x.sock", AddrUse::Bind, false, a), "");
  EXPECT_EQ(a.kind, Address::Kind::Unix);
  EXPECT_EQ(parseAddress("abns@name", AddrUse::Bind, false, a), "");
  EXPECT_EQ(parseAddress("fd@3", AddrUse::Bind, false, a), "");
  EXPECT_EQ(a.fd, 3);
  EXPECT_NE(parseAddress("127.0.0.1", AddrUse::Bind, false, a), "");  // missing port
  EXPECT_NE(parseAddress(":0", AddrUse::Bind, false, a), "");
  EXPECT_NE(parseAddress(":70000", AddrUse::Bind, false, a), "");
  EXPECT_NE(parseAddress(":90-80", AddrUse::Bind, false, a), "");
  EXPECT_NE(parseAddress("bogus@:80", AddrUse::Bind, false, a), "");
}

TEST(Values, ServerAddresses) {
  Address a;
  EXPECT_EQ(parseAddress("192.168.1.10:80", AddrUse::Server, false, a), "");
  EXPECT_EQ(parseAddress("10.0.0.1", AddrUse::Server, false, a), "");  // no port: the client's port
  EXPECT_FALSE(a.has_port);
  EXPECT_EQ(parseAddress("10.0.0.1:+1", AddrUse::Server, false, a), "");
  EXPECT_TRUE(a.relative_port);
  EXPECT_EQ(parseAddress("app.example:80", AddrUse::Server, false, a), "");
  EXPECT_EQ(a.kind, Address::Kind::Host);
  EXPECT_EQ(parseAddress("localhost:80", AddrUse::Server, true, a), "");
  EXPECT_NE(a.kind, Address::Kind::Host);
  EXPECT_NE(parseAddress("no-such-host.invalid:80", AddrUse::Server, true, a), "");
  EXPECT_NE(parseAddress("10.0.0.1:80-90", AddrUse::Server, false, a), "");
}

TEST(Values, Networks) {
  uint8_t ip[16];
  uint8_t len = 0;
  bool v6 = false;
  EXPECT_EQ(parseNetwork("10.0.0.0/8", ip, len, v6), "");
  EXPECT_EQ(len, 8);
  EXPECT_EQ(parseNetwork("10.0.0.0/255.255.0.0", ip, len, v6), "");
  EXPECT_EQ(len, 16);
  EXPECT_EQ(parseNetwork("2001:db8::/32", ip, len, v6), "");
  EXPECT_TRUE(v6);
  EXPECT_NE(parseNetwork("10.0.0.0/33", ip, len, v6), "");
  EXPECT_NE(parseNetwork("10.0.0.0/255.0.255.0", ip, len, v6), "");
  EXPECT_NE(parseNetwork("not-an-ip", ip, len, v6), "");
}

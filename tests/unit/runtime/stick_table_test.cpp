// The stick table on its own: keys per type (HAProxy's conversions), size bound with LRU
// eviction, nopurge, expiry, refresh on lookup; and the lowering of rules into the topology.
#include "../../../runtime/src/state/stick_table.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include "driver/driver.h"
#include "lower/lower.h"

namespace lbc::rt {
namespace {

lbc_smp str(const char* s, uint32_t type = LBC_SMP_STR) {
  lbc_smp m{};
  m.type = type;
  m.ptr = s;
  m.len = strlen(s);
  return m;
}
lbc_smp v4(const char* text) {
  lbc_smp m{};
  m.type = LBC_SMP_IPV4;
  inet_pton(AF_INET, text, m.ip);
  return m;
}

StickTableSpec spec(StickKeyType t, uint64_t size, uint32_t len = 0, uint64_t expire = 0) {
  StickTableSpec s;
  s.present = true;
  s.type = t;
  s.size = size;
  s.key_len = len;
  s.expire_ms = expire;
  return s;
}

TEST(StickTable, KeysFollowTheTableType) {
  std::string k;
  StickTable ip(spec(StickKeyType::Ip, 10));
  ASSERT_TRUE(ip.makeKey(v4("10.0.0.1"), k));
  EXPECT_EQ(k, std::string("\x0a\x00\x00\x01", 4));
  lbc_smp mapped{};
  mapped.type = LBC_SMP_IPV6;
  inet_pton(AF_INET6, "::ffff:10.0.0.1", mapped.ip);
  std::string k2;
  ASSERT_TRUE(ip.makeKey(mapped, k2));
  EXPECT_EQ(k, k2);
  lbc_smp real6{};
  real6.type = LBC_SMP_IPV6;
  inet_pton(AF_INET6, "2001:db8::1", real6.ip);
  EXPECT_FALSE(ip.makeKey(real6, k2));  // a real IPv6 address is no IPv4 key
  EXPECT_FALSE(ip.makeKey(str("not an ip"), k2));

  StickTable bin(spec(StickKeyType::Binary, 10, 8));
  ASSERT_TRUE(bin.makeKey(str("ab", LBC_SMP_BIN), k));
  EXPECT_EQ(k, std::string("ab\0\0\0\0\0\0", 8));  // padded with zeros to len, as HAProxy
  ASSERT_TRUE(bin.makeKey(str("0123456789", LBC_SMP_BIN), k));
  EXPECT_EQ(k, "01234567");  // truncated

  StickTable s(spec(StickKeyType::String, 10, 4));
  ASSERT_TRUE(s.makeKey(str("abcdef"), k));
  EXPECT_EQ(k, "abcd");
  lbc_smp n{};
  n.type = LBC_SMP_SINT;
  n.sint = 42;
  ASSERT_TRUE(s.makeKey(n, k));
  EXPECT_EQ(k, "42");

  StickTable i(spec(StickKeyType::Integer, 10));
  ASSERT_TRUE(i.makeKey(str("17abc"), k));
  std::string k17;
  n.sint = 17;
  ASSERT_TRUE(i.makeKey(n, k17));
  EXPECT_EQ(k, k17);
}

TEST(StickTable, StoreLookupAndLruEviction) {
  StickTable t(spec(StickKeyType::String, 3, 32));
  t.store("a", 1, 0);
  t.store("b", 2, 0);
  t.store("c", 3, 0);
  EXPECT_EQ(t.lookup("a", 0), 1);  // "a" becomes the most recent: "b" is now the oldest
  t.store("d", 4, 0);
  EXPECT_EQ(t.entries(), 3u);
  EXPECT_EQ(t.lookup("b", 0), 0);
  EXPECT_EQ(t.lookup("a", 0), 1);
  EXPECT_EQ(t.lookup("d", 0), 4);
  t.store("a", 2, 0);  // a store overwrites the server id
  EXPECT_EQ(t.lookup("a", 0), 2);
}

TEST(StickTable, NopurgeRefusesNewEntriesWhenFull) {
  StickTableSpec sp = spec(StickKeyType::String, 2, 32);
  sp.nopurge = true;
  StickTable t(sp);
  t.store("a", 1, 0);
  t.store("b", 2, 0);
  t.store("c", 3, 0);
  EXPECT_EQ(t.lookup("c", 0), 0);
  EXPECT_EQ(t.lookup("a", 0), 1);
}

TEST(StickTable, EntriesExpireAndLookupsRefreshThem) {
  StickTable t(spec(StickKeyType::String, 10, 32, 1000));
  t.store("a", 1, 0);
  t.store("b", 2, 0);
  EXPECT_EQ(t.lookup("a", 900), 1);   // refreshed until 1900
  EXPECT_EQ(t.lookup("b", 1000), 0);  // expired
  EXPECT_EQ(t.lookup("a", 1800), 1);
  EXPECT_EQ(t.lookup("a", 2900), 0);
  EXPECT_EQ(t.entries(), 0u);
}

TEST(StickTable, ManyKeysStayWithinSize) {
  StickTable t(spec(StickKeyType::Integer, 1000));
  std::string k;
  lbc_smp n{};
  n.type = LBC_SMP_SINT;
  for (int i = 0; i < 20000; ++i) {
    n.sint = i;
    ASSERT_TRUE(t.makeKey(n, k));
    t.store(k, i % 7 + 1, 0);
  }
  EXPECT_LE(t.entries(), 1000u);
  EXPECT_GT(t.entries(), 900u);
}

TEST(Lower, RulesAndStickTablesReachTheTopologyInIrOrder) {
  auto c = driver::compileText(
      "t.cfg",
      "defaults\n  mode tcp\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\n"
      "frontend f\n  bind 127.0.0.1:1\n  tcp-request inspect-delay 2s\n"
      "  tcp-request content accept if { req.len gt 0 }\n"
      "  use_backend b if { src 10.0.0.1 }\n  default_backend b\n"
      "backend b\n  stick-table type ip size 10 expire 5s\n  stick on src\n"
      "  stick store-response src table b\n  server s 127.0.0.1:2\n",
      sema::Options{}, front::processEnv());
  ASSERT_TRUE(c->ok());
  Topology topo;
  ASSERT_TRUE(lower::lowerProgram(c->program, c->sources, *c->diags, topo));
  ASSERT_EQ(topo.proxies.size(), c->program.proxies.size());  // defaults included, as a placeholder
  uint32_t f = c->program.findProxy("f", 1), b = c->program.findProxy("b", 2);
  for (size_t i = 0; i < topo.proxies.size(); ++i) {
    EXPECT_EQ(topo.proxies[i].name, c->program.proxies[i].name);
    EXPECT_EQ(topo.proxies[i].frontend, c->program.proxies[i].isFrontend());
  }
  EXPECT_TRUE(topo.proxies[f].select_backend);
  EXPECT_EQ(topo.proxies[f].hooks, kHasTcpReqCont);
  EXPECT_EQ(topo.proxies[f].tcp_inspect_delay_ms, 2000u);
  ASSERT_EQ(topo.proxies[b].stick_rules.size(), 2u);
  EXPECT_EQ(topo.proxies[b].stick_rules[0].table, b);
  EXPECT_EQ(topo.proxies[b].stick_rules[1].kind, StickKind::StoreResponse);
  EXPECT_TRUE(topo.proxies[b].table.present);
  EXPECT_EQ(topo.proxies[b].table.expire_ms, 5000u);
  Topology back;
  std::string err;
  auto bytes = encodeTopology(topo);
  ASSERT_TRUE(decodeTopology(bytes.data(), bytes.size(), back, err)) << err;
  EXPECT_EQ(back.proxies[b].stick_rules.size(), 2u);
}

}  // namespace
}  // namespace lbc::rt

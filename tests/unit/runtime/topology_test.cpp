// Topology bytes: a round trip keeps every field; damaged bytes are refused, never a crash.
#include <gtest/gtest.h>

#include "lbc/rt/run.h"
#include "lbc/rt/topology.h"

namespace lbc::rt {
namespace {

Topology sample() {
  Topology t;
  t.global.nbthread = 3;
  t.global.maxconn = 1234;
  t.global.pidfile = "/run/x.pid";
  t.global.hard_stop_after_ms = 5000;
  ProxySpec fe;
  fe.name = "fe";
  fe.where = "a.cfg:3";
  fe.frontend = true;
  fe.backend_index = 1;
  BindSpec b;
  b.where = "a.cfg:4";
  b.addr.kind = Endpoint::Kind::Ipv6;
  b.addr.ip[15] = 1;
  b.addr.port_lo = 8000;
  b.addr.port_hi = 8002;
  b.v6only = true;
  fe.binds.push_back(b);
  ProxySpec be;
  be.name = "be";
  be.backend = true;
  be.balance = BalanceAlgo::Source;
  be.hash_consistent = true;
  be.timeouts.queue = 777;
  be.abortonclose = true;
  ServerSpec s;
  s.name = "s1";
  s.addr.kind = Endpoint::Kind::Host;
  s.addr.host = "localhost";
  s.addr.port_lo = 80;
  s.weight = 7;
  s.maxconn = 30;
  s.backup = true;
  s.id = 42;
  s.check.enabled = true;
  s.check.fall = 5;
  be.servers.push_back(s);
  t.proxies = {fe, be};
  return t;
}

TEST(Topology, RoundTrip) {
  Topology t = sample();
  auto bytes = encodeTopology(t);
  Topology d;
  std::string err;
  ASSERT_TRUE(decodeTopology(bytes.data(), bytes.size(), d, err)) << err;
  EXPECT_EQ(d.global.nbthread, 3u);
  EXPECT_EQ(d.global.pidfile, "/run/x.pid");
  EXPECT_EQ(d.global.hard_stop_after_ms, 5000u);
  ASSERT_EQ(d.proxies.size(), 2u);
  EXPECT_EQ(d.proxies[0].binds[0].addr.port_hi, 8002);
  EXPECT_EQ(d.proxies[0].binds[0].addr.ip[15], 1);
  EXPECT_TRUE(d.proxies[0].binds[0].v6only);
  EXPECT_EQ(d.proxies[0].backend_index, 1u);
  EXPECT_EQ(d.proxies[1].balance, BalanceAlgo::Source);
  EXPECT_EQ(d.proxies[1].timeouts.queue, 777u);
  EXPECT_TRUE(d.proxies[1].abortonclose && !d.proxies[0].abortonclose);
  const ServerSpec& s = d.proxies[1].servers[0];
  EXPECT_EQ(s.addr.host, "localhost");
  EXPECT_EQ(s.weight, 7u);
  EXPECT_EQ(s.id, 42);
  EXPECT_TRUE(s.backup);
  EXPECT_EQ(s.check.fall, 5u);
}

TEST(Topology, LogTargetsRoundTripAndBadOnesAreRefused) {
  Topology t = sample();
  LogTargetSpec l;
  l.kind = LogSinkKind::Udp6;
  l.ip[15] = 1;
  l.port = 5514;
  l.format = LogFormatKind::Short;
  l.facility = 3;
  l.sample_size = 10;
  l.sample = {{1, 3}, {7, 7}};
  l.tag = "edge";
  l.max_level = 5;
  l.len = 512;
  l.message_max = 2048;
  t.proxies[0].logs.push_back(l);
  t.proxies[0].httplog = t.proxies[0].dontlognull = true;
  auto bytes = encodeTopology(t);
  Topology d;
  std::string err;
  ASSERT_TRUE(decodeTopology(bytes.data(), bytes.size(), d, err)) << err;
  ASSERT_EQ(d.proxies[0].logs.size(), 1u);
  EXPECT_EQ(d.proxies[0].logs[0].kind, LogSinkKind::Udp6);
  EXPECT_EQ(d.proxies[0].logs[0].ip[15], 1);
  EXPECT_EQ(d.proxies[0].logs[0].port, 5514);
  EXPECT_EQ(d.proxies[0].logs[0].format, LogFormatKind::Short);
  EXPECT_EQ(d.proxies[0].logs[0].sample_size, 10u);
  ASSERT_EQ(d.proxies[0].logs[0].sample.size(), 2u);
  EXPECT_EQ(d.proxies[0].logs[0].sample[1].lo, 7u);
  EXPECT_EQ(d.proxies[0].logs[0].tag, "edge");
  EXPECT_EQ(d.proxies[0].logs[0].facility, 3);
  EXPECT_EQ(d.proxies[0].logs[0].max_level, 5);
  EXPECT_EQ(d.proxies[0].logs[0].len, 512u);
  EXPECT_EQ(d.proxies[0].logs[0].message_max, 2048u);
  EXPECT_TRUE(d.proxies[0].httplog && d.proxies[0].dontlognull && !d.proxies[0].tcplog);
  t.proxies[0].logs[0].format = static_cast<LogFormatKind>(9);  // no such format
  bytes = encodeTopology(t);
  EXPECT_FALSE(decodeTopology(bytes.data(), bytes.size(), d, err));
  EXPECT_EQ(err, "topology: bad log target");
}

TEST(Topology, DamagedBytesAreRefused) {
  auto bytes = encodeTopology(sample());
  Topology d;
  std::string err;
  for (size_t n = 0; n < bytes.size(); ++n) EXPECT_FALSE(decodeTopology(bytes.data(), n, d, err)) << n;
  for (size_t i = 0; i < bytes.size(); ++i) {  // every single-byte flip: refused or decoded, never a crash
    auto copy = bytes;
    copy[i] ^= 0xFF;
    decodeTopology(copy.data(), copy.size(), d, err);
  }
  bytes.push_back(0);
  EXPECT_FALSE(decodeTopology(bytes.data(), bytes.size(), d, err));
  EXPECT_FALSE(decodeTopology(nullptr, 0, d, err));
}

TEST(RunFlags, Parse) {
  RunFlags f;
  std::string err;
  ASSERT_TRUE(parseRunFlags({"-D", "-p", "/tmp/p", "--nbthread=2", "a.cfg", "-q", "b.cfg"}, f, err)) << err;
  EXPECT_TRUE(f.daemon);
  EXPECT_TRUE(f.quiet);
  EXPECT_EQ(f.pidfile, "/tmp/p");
  EXPECT_EQ(f.nbthread, 2u);
  EXPECT_EQ(f.rest, (std::vector<std::string>{"a.cfg", "b.cfg"}));
  RunFlags g;
  EXPECT_FALSE(parseRunFlags({"--nbthread", "0"}, g, err));
  EXPECT_FALSE(parseRunFlags({"-x"}, g, err));
  EXPECT_FALSE(parseRunFlags({"-p"}, g, err));
}

TEST(Serve, RefusesForeignPrograms) {
  lbc_program p{};
  RunFlags f;
  EXPECT_EQ(serve(&p, f), 1);
  p.magic = LBC_PROGRAM_MAGIC;
  p.abi_version = LBC_ABI_VERSION + 1;
  EXPECT_EQ(serve(&p, f), 1);
  p.abi_version = LBC_ABI_VERSION;
  uint8_t junk[3] = {1, 2, 3};
  p.topology = junk;
  p.topology_size = sizeof junk;
  EXPECT_EQ(serve(&p, f), 1);
}

}  // namespace
}  // namespace lbc::rt

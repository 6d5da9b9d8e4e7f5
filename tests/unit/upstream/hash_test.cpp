// balance source / uri / url_param / hdr over the map (map-based) and the ring (consistent).
#include <map>

#include "test_util.h"
#include "upstream/hash.h"

namespace lbc::rt::test {
namespace {

ProxySpec hashSpec(BalanceAlgo algo, bool consistent, const std::vector<Srv>& servers) {
  ProxySpec p = makeSpec(algo, servers);
  p.hash_consistent = consistent;
  return p;
}

TEST(HashFunctions, KnownValues) {
  EXPECT_EQ(hashCrc32("123456789"), 0xCBF43926u);  // the CRC-32 check value
  EXPECT_EQ(hashDjb2(""), 5381u);
  EXPECT_EQ(hashDjb2("a"), 5381u * 33 + 'a');
  EXPECT_EQ(hashSdbm("ab"), 6363201u);
  EXPECT_EQ(hashSdbm("\xff"), 255u);  // bytes are unsigned
  EXPECT_EQ(hashWt6(""), 0xa53c965au ^ 0x5ca6953au);
  EXPECT_EQ(hashWt6("abc"), 0x940028e8u);
  EXPECT_EQ(fullHash(0), 0xab4ed927u);
  EXPECT_EQ(fullHash(1), 0x348681b6u);
}

TEST(HashFunctions, KeyUsesHashTypeAndAvalanche) {
  ProxySpec p;
  p.hash_fn = HashFn::Djb2;
  EXPECT_EQ(hashKey(p, "a"), hashDjb2("a"));
  p.hash_avalanche = true;
  EXPECT_EQ(hashKey(p, "a"), fullHash(hashDjb2("a")));
  p.hash_fn = HashFn::Crc32;
  p.hash_avalanche = false;
  EXPECT_EQ(hashKey(p, "123456789"), 0xCBF43926u);
}

TEST(MapHash, KeyModuloTheMap) {
  // Equal weights: the map is a, b, c repeated (16 entries each).
  Harness h(hashSpec(BalanceAlgo::Source, false, {{"a"}, {"b"}, {"c"}}));
  for (uint32_t k = 0; k < 100; ++k) EXPECT_EQ(h.pick(k), (Names{"a", "b", "c"})[k % 3]) << k;
}

TEST(MapHash, WeightedMap) {
  // Weights 2, 1: a, a, b repeated.
  Harness h(hashSpec(BalanceAlgo::Uri, false, {{"a", 2}, {"b", 1}}));
  EXPECT_EQ(h.pick(0), "a");
  EXPECT_EQ(h.pick(1), "a");
  EXPECT_EQ(h.pick(2), "b");
  EXPECT_EQ(h.pick(47), "b");
  EXPECT_EQ(h.pick(48), "a");
}

TEST(MapHash, AbsentKeyIsRoundRobin) {
  Harness h(hashSpec(BalanceAlgo::Hdr, false, {{"a"}, {"b"}, {"c"}}));
  EXPECT_EQ(h.picks(4), (Names{"a", "b", "c", "a"}));
  EXPECT_EQ(h.pick(std::nullopt, h.srv("b")), "c");  // b was next, avoided
}

TEST(MapHash, HashedServerQueuesOnItself) {
  // A hash never moves to another server: a full one queues the connection, up to its maxqueue.
  Harness h(hashSpec(BalanceAlgo::Uri, false, {{"a", 1, false, 1, 1}, {"b"}}));
  Backend::Result r;
  h.open(&r, 0);
  EXPECT_EQ(r, Backend::Result::Assigned);
  QueueLink* q = h.open(&r, 0);
  EXPECT_EQ(r, Backend::Result::Queued);
  EXPECT_EQ(q->queued_on, h.srv("a"));
  h.open(&r, 0);
  EXPECT_EQ(r, Backend::Result::Failed);
  EXPECT_EQ(h.pick(1), "b");
}

TEST(MapHash, OneServerNeedsNoKey) {
  // tot_used == 1: the server is taken without hashing, so a full one queues on itself rather
  // than in the backend queue as the round-robin fallback would.
  Harness h(hashSpec(BalanceAlgo::UrlParam, false, {{"a", 1, false, 1}}));
  Backend::Result r;
  h.open(&r);
  QueueLink* q = h.open(&r);
  EXPECT_EQ(r, Backend::Result::Queued);
  EXPECT_EQ(q->queued_on, h.srv("a"));
}

TEST(MapHash, BackupWhenNoActive) {
  Harness h(hashSpec(BalanceAlgo::Source, false, {{"a"}, {"b"}, {"k1", 1, true}, {"k2", 1, true}}));
  h.be().setServerUp(h.srv("a"), false);
  h.be().setServerUp(h.srv("b"), false);
  for (uint32_t k = 0; k < 10; ++k) EXPECT_EQ(h.pick(k), "k1");
}

std::vector<std::string> ringPicks(Harness& h, uint32_t n) {
  std::vector<std::string> v;
  for (uint32_t k = 0; k < n; ++k) v.push_back(h.pick(fullHash(k)));
  return v;
}

TEST(Chash, OnlyTheDownServersKeysMove) {
  Harness h(hashSpec(BalanceAlgo::Uri, true, {{"a"}, {"b"}, {"c"}, {"d", 2}}));
  const Names before = ringPicks(h, 2000);
  std::map<std::string, int> n;
  for (auto& s : before) ++n[s];
  EXPECT_EQ(n.size(), 4u);
  EXPECT_GT(n["d"], n["a"]);  // twice the points on the ring
  h.be().setServerUp(h.srv("b"), false);
  const Names during = ringPicks(h, 2000);
  for (size_t k = 0; k < before.size(); ++k) {
    if (before[k] == "b")
      EXPECT_NE(during[k], "b") << k;
    else
      EXPECT_EQ(during[k], before[k]) << k;
  }
  h.be().setServerUp(h.srv("b"), true);
  EXPECT_EQ(ringPicks(h, 2000), before);
}

TEST(Chash, PointsAreFullHashOfIdAndIndex) {
  // One point per weight unit * 16 at full_hash(id * 4096 + n): a key equal to a point of b's
  // lands on b.
  Harness h(hashSpec(BalanceAlgo::Source, true, {{"a", 1, false, 0, 0, 1}, {"b", 1, false, 0, 0, 2}}));
  for (uint32_t n = 0; n < 16; ++n) {
    EXPECT_EQ(h.pick(fullHash(2 * 4096 + n)), "b") << n;
    EXPECT_EQ(h.pick(fullHash(1 * 4096 + n)), "a") << n;
  }
}

TEST(Chash, AvoidWalksOnAndAbsentKeyWalksTheRing) {
  Harness h(hashSpec(BalanceAlgo::Hdr, true, {{"a"}, {"b"}}));
  for (uint32_t k = 0; k < 50; ++k) {
    std::string s = h.pick(fullHash(k));
    EXPECT_NE(h.pick(fullHash(k), h.srv(s)), s);
  }
  // No key: consecutive ring nodes, every server in turn over a full lap.
  std::map<std::string, int> n;
  for (auto& s : h.picks(32)) ++n[s];
  EXPECT_EQ(n["a"], 16);
  EXPECT_EQ(n["b"], 16);
}

}  // namespace
}  // namespace lbc::rt::test

// roundrobin (fwrr), static-rr and first: the orders are deterministic, so the tests pin them.
#include <map>

#include "test_util.h"

namespace lbc::rt::test {
namespace {

TEST(Fwrr, EqualWeightsRotate) {
  Harness h(makeSpec(BalanceAlgo::RoundRobin, {{"a"}, {"b"}, {"c"}}));
  EXPECT_EQ(h.picks(7), (Names{"a", "b", "c", "a", "b", "c", "a"}));
}

TEST(Fwrr, WeightsGiveHaproxysOrder) {
  // The sequence haproxy 2.6 gives for weights 3, 2, 1 (e2e_tcp compares it live).
  Harness h(makeSpec(BalanceAlgo::RoundRobin, {{"a", 3}, {"b", 2}, {"c", 1}}));
  Names seq = h.picks(12);
  EXPECT_EQ(seq, (Names{"a", "b", "a", "c", "a", "b", "a", "b", "a", "c", "a", "b"}));
}

TEST(Fwrr, DistributionFollowsWeights) {
  Harness h(makeSpec(BalanceAlgo::RoundRobin, {{"a", 5}, {"b", 1}, {"c", 1}, {"d", 2}}));
  std::map<std::string, int> n;
  for (auto& s : h.picks(9 * 20)) ++n[s];
  EXPECT_EQ(n["a"], 100);
  EXPECT_EQ(n["b"], 20);
  EXPECT_EQ(n["c"], 20);
  EXPECT_EQ(n["d"], 40);
}

TEST(Fwrr, AvoidTakesTheNextServer) {
  Harness h(makeSpec(BalanceAlgo::RoundRobin, {{"a"}, {"b"}}));
  EXPECT_EQ(h.pick(std::nullopt, h.srv("a")), "b");
  EXPECT_EQ(h.pick(std::nullopt, h.srv("b")), "a");
  // The only server is taken even when avoided.
  Harness one(makeSpec(BalanceAlgo::RoundRobin, {{"a"}}));
  EXPECT_EQ(one.pick(std::nullopt, one.srv("a")), "a");
}

TEST(Fwrr, DownServerIsSkippedAndComesBack) {
  Harness h(makeSpec(BalanceAlgo::RoundRobin, {{"a"}, {"b"}, {"c"}}));
  ServerTransition t = h.be().setServerUp(h.srv("b"), false);
  EXPECT_TRUE(t.changed);
  EXPECT_EQ(t.prev_usable, 3u);
  EXPECT_EQ(t.act, 2u);
  EXPECT_EQ(h.picks(4), (Names{"a", "c", "a", "c"}));
  EXPECT_FALSE(h.be().setServerUp(h.srv("b"), false).changed);  // no change, no message
  EXPECT_TRUE(h.be().setServerUp(h.srv("b"), true).changed);
  EXPECT_EQ(h.picks(3), (Names{"a", "b", "c"}));  // the groups start over
}

TEST(Fwrr, BackupsOnlyWhenNoActiveAndOnlyTheFirst) {
  // Without `option allbackups` (unsupported) every connection goes to the first usable backup.
  Harness h(makeSpec(BalanceAlgo::RoundRobin, {{"a"}, {"k1", 1, true}, {"k2", 1, true}}));
  EXPECT_EQ(h.picks(3), (Names{"a", "a", "a"}));
  ServerTransition t = h.be().setServerUp(h.srv("a"), false);
  EXPECT_EQ(t.act, 0u);
  EXPECT_EQ(t.bck, 2u);
  EXPECT_EQ(h.picks(3), (Names{"k1", "k1", "k1"}));
  h.be().setServerUp(h.srv("k1"), false);
  EXPECT_EQ(h.picks(2), (Names{"k2", "k2"}));
  h.be().setServerUp(h.srv("k2"), false);
  EXPECT_EQ(h.pick(), "-");
  h.be().setServerUp(h.srv("a"), true);
  EXPECT_EQ(h.pick(), "a");
}

TEST(Fwrr, FullServersAreSkippedThenEveryoneWaits) {
  Harness h(makeSpec(BalanceAlgo::RoundRobin, {{"a", 1, false, 1}, {"b", 1, false, 1}}));
  EXPECT_EQ(h.fill(3), (Names{"a", "b", "queued"}));
  EXPECT_EQ(h.be().waiting(), 1u);
}

TEST(Fwrr, NoServerFails) {
  Harness h(makeSpec(BalanceAlgo::RoundRobin, {{"a"}}));
  h.be().setServerUp(h.srv("a"), false);
  EXPECT_EQ(h.fill(1), (Names{"failed"}));
  EXPECT_EQ(h.be().waiting(), 0u);
}

TEST(StaticRr, MapOrderFollowsWeights) {
  Harness h(makeSpec(BalanceAlgo::StaticRr, {{"a", 2}, {"b", 1}}));
  EXPECT_EQ(h.picks(9), (Names{"a", "a", "b", "a", "a", "b", "a", "a", "b"}));
}

TEST(StaticRr, AvoidAndFullServers) {
  Harness h(makeSpec(BalanceAlgo::StaticRr, {{"a", 1, false, 1}, {"b", 1, false, 1}, {"c"}}));
  EXPECT_EQ(h.pick(std::nullopt, h.srv("a")), "b");  // a is next but avoided
  // The map resumes after b; then a and b are full and skipped.
  EXPECT_EQ(h.fill(5), (Names{"c", "a", "b", "c", "c"}));
}

TEST(First, FillsInIdOrder) {
  Harness h(makeSpec(BalanceAlgo::First,
                     {{"c", 1, false, 2, 0, 3}, {"a", 1, false, 2, 0, 1}, {"b", 1, false, 2, 0, 2}}));
  EXPECT_EQ(h.fill(7), (Names{"a", "a", "b", "b", "c", "c", "queued"}));
}

TEST(First, AvoidAndDown) {
  Harness h(makeSpec(BalanceAlgo::First, {{"a"}, {"b"}}));
  EXPECT_EQ(h.pick(), "a");
  EXPECT_EQ(h.pick(std::nullopt, h.srv("a")), "b");
  h.be().setServerUp(h.srv("a"), false);
  EXPECT_EQ(h.pick(), "b");
}

}  // namespace
}  // namespace lbc::rt::test

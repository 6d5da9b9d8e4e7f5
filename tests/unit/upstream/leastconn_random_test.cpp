// leastconn and random: loads decide.
#include <map>

#include "test_util.h"

namespace lbc::rt::test {
namespace {

TEST(LeastConn, EqualLoadsAlternate) {
  Harness h(makeSpec(BalanceAlgo::LeastConn, {{"a"}, {"b"}}));
  EXPECT_EQ(h.fill(4), (Names{"a", "b", "a", "b"}));
}

TEST(LeastConn, WeightsScaleTheLoad) {
  // a (weight 2) counts each connection half as much as b.
  Harness h(makeSpec(BalanceAlgo::LeastConn, {{"a", 2}, {"b", 1}}));
  EXPECT_EQ(h.fill(6), (Names{"a", "b", "a", "a", "b", "a"}));
}

TEST(LeastConn, TheLeastLoadedWins) {
  Harness h(makeSpec(BalanceAlgo::LeastConn, {{"a"}, {"b"}, {"c"}}));
  EXPECT_EQ(h.fill(3), (Names{"a", "b", "c"}));
  // a, b, c hold one each; two more on a and b: c is the least loaded.
  h.open(nullptr, std::nullopt, h.srv("c"));
  h.open(nullptr, std::nullopt, h.srv("c"));
  EXPECT_EQ(h.srv("a")->served.load() + h.srv("b")->served.load(), 4u);
  EXPECT_EQ(h.pick(), "c");
  // c's connection ends: c is still the least loaded, now with none.
  h.be().release(h.srv("c"));
  EXPECT_EQ(h.fill(1), (Names{"c"}));
}

TEST(LeastConn, AvoidOnlyAsLastResort) {
  Harness h(makeSpec(BalanceAlgo::LeastConn, {{"a"}, {"b"}}));
  h.fill(1);  // a: 1
  h.fill(1);  // b: 1
  h.fill(1);  // a: 2
  EXPECT_EQ(h.pick(std::nullopt, h.srv("b")), "a");
  Harness one(makeSpec(BalanceAlgo::LeastConn, {{"a"}}));
  EXPECT_EQ(one.pick(std::nullopt, one.srv("a")), "a");
}

TEST(LeastConn, ServerWithFullQueueIsNoCandidate) {
  Harness h(makeSpec(BalanceAlgo::LeastConn, {{"a", 1, false, 1, 1}, {"b", 10}}));
  // a: 1 slot + 1 queue place; b: no limit but it counts its load / 10.
  EXPECT_EQ(h.fill(1), (Names{"a"}));
  h.be().setServerUp(h.srv("b"), false);
  // a's own queue, then a is no candidate (slot and queue full): the backend queue.
  EXPECT_EQ(h.fill(2), (Names{"queued", "queued"}));
  EXPECT_EQ(h.srv("a")->queue.length, 1u);
  EXPECT_EQ(h.be().waiting(), 2u);
}

TEST(Random, DistributionFollowsWeights) {
  ProxySpec spec = makeSpec(BalanceAlgo::Random, {{"a", 3}, {"b", 1}});
  spec.random_draws = 1;  // one draw: pure weighted choice
  Harness h(spec);
  std::map<std::string, int> n;
  for (auto& s : h.picks(4000)) ++n[s];
  EXPECT_NEAR(n["a"], 3000, 150);
  EXPECT_NEAR(n["b"], 1000, 150);
}

TEST(Random, TwoDrawsPreferTheLessLoaded) {
  Harness h(makeSpec(BalanceAlgo::Random, {{"a"}, {"b"}}));
  for (int i = 0; i < 10; ++i) h.open(nullptr, std::nullopt, h.srv("b"));  // a holds 10
  EXPECT_EQ(h.srv("a")->served.load(), 10u);
  std::map<std::string, int> n;
  for (auto& s : h.picks(1000)) ++n[s];
  // b wins unless both draws hit a (about one in four).
  EXPECT_NEAR(n["b"], 750, 80);
}

TEST(Random, AvoidAndBackups) {
  Harness h(makeSpec(BalanceAlgo::Random, {{"a"}, {"b"}, {"k", 1, true}}));
  for (int i = 0; i < 50; ++i) EXPECT_EQ(h.pick(std::nullopt, h.srv("a")), "b");
  h.be().setServerUp(h.srv("a"), false);
  h.be().setServerUp(h.srv("b"), false);
  EXPECT_EQ(h.picks(3), (Names{"k", "k", "k"}));
  EXPECT_EQ(h.pick(std::nullopt, h.srv("k")), "k");  // the only one: taken though avoided
}

}  // namespace
}  // namespace lbc::rt::test

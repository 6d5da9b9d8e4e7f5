// Sticky counters of the stick table: HAProxy's freq_ctr arithmetic, counters, trackers holding
// entries against eviction, and many threads counting on the same entries (exact totals).
#include <gtest/gtest.h>

#include <thread>

#include "../../../runtime/src/state/stick_table.h"

namespace lbc::rt {
namespace {

StickTableSpec counters(uint64_t size, uint64_t expire = 0) {
  StickTableSpec s;
  s.present = true;
  s.type = StickKeyType::String;
  s.key_len = 32;
  s.size = size;
  s.expire_ms = expire;
  s.store = {
      {StkData::Gpc0, 0}, {StkData::ConnCur, 0}, {StkData::HttpReqCnt, 0}, {StkData::HttpReqRate, 10000}};
  return s;
}

TEST(StickCounters, RateIsTheCurrentPeriodPlusThePreviousShare) {
  StickTable::Slot s;
  const uint32_t p = 10000, t0 = 100000;
  for (int i = 0; i < 10; ++i) StickTable::rateAdd(s, p, 1, t0);
  EXPECT_EQ(StickTable::rateRead(s, p, t0), 10u);
  EXPECT_EQ(StickTable::rateRead(s, p, t0 + 9999), 10u);  // still the first period
  // Half-way into the next period: half the previous period's events remain in the window.
  EXPECT_EQ(StickTable::rateRead(s, p, t0 + 15000), 5u);
  StickTable::rateAdd(s, p, 2, t0 + 15000);
  EXPECT_EQ(StickTable::rateRead(s, p, t0 + 15000), 7u);
  // Two periods later nothing is left.
  EXPECT_EQ(StickTable::rateRead(s, p, t0 + 30001), 0u);
  StickTable::rateAdd(s, p, 1, t0 + 40000);
  EXPECT_EQ(StickTable::rateRead(s, p, t0 + 40000), 1u);
}

TEST(StickCounters, CountersAndTrackers) {
  StickTable t(counters(2));
  StickTable::Entry* a = t.acquire("a", 1000);
  ASSERT_NE(a, nullptr);
  EXPECT_TRUE(t.add(a, StkData::Gpc0, 1, 1000));
  EXPECT_TRUE(t.add(a, StkData::ConnCur, 1, 1000));
  EXPECT_TRUE(t.add(a, StkData::ConnCur, -1, 1000));
  EXPECT_TRUE(t.add(a, StkData::ConnCur, -1, 1000));  // never below 0
  EXPECT_FALSE(t.add(a, StkData::Gpc1, 1, 1000));     // not stored
  EXPECT_EQ(t.get(a, StkData::Gpc0, 1000), 1u);
  EXPECT_EQ(t.get(a, StkData::ConnCur, 1000), 0u);
  EXPECT_EQ(t.get(a, StkData::Gpc1, 1000), std::nullopt);
  EXPECT_EQ(t.getKey("a", StkData::Gpc0, 1000), 1u);
  EXPECT_EQ(t.getKey("zz", StkData::Gpc0, 1000), std::nullopt);
  // Full: the held entry stays, the other is evicted.
  t.addKey("b", StkData::Gpc0, 1, 1001);
  t.addKey("c", StkData::Gpc0, 1, 1002);
  EXPECT_TRUE(t.has("a", 1003));
  EXPECT_FALSE(t.has("b", 1003));
  EXPECT_TRUE(t.has("c", 1003));
  t.release(a, 1004);
  EXPECT_EQ(t.refs("a", 1004), 0u);
}

TEST(StickCounters, HeldEntriesDoNotExpire) {
  StickTable t(counters(10, 100));
  StickTable::Entry* a = t.acquire("a", 1000);
  t.addKey("b", StkData::Gpc0, 1, 1000);
  EXPECT_TRUE(t.has("a", 5000));
  EXPECT_FALSE(t.has("b", 5000));
  t.release(a, 5000);  // refreshed on release
  EXPECT_TRUE(t.has("a", 5099));
  EXPECT_FALSE(t.has("a", 5100));
}

TEST(StickCounters, ManyThreadsCountExactly) {
  StickTable t(counters(1000));
  constexpr int kThreads = 8, kPer = 20000;
  std::vector<std::thread> ts;
  for (int i = 0; i < kThreads; ++i)
    ts.emplace_back([&, i] {
      for (int n = 0; n < kPer; ++n) {
        std::string key = "k" + std::to_string(n % 4);
        StickTable::Entry* e = t.acquire(key, 5000);
        t.add(e, StkData::HttpReqCnt, 1, 5000);
        t.add(e, StkData::HttpReqRate, 1, 5000);
        t.add(e, StkData::ConnCur, 1, 5000);
        t.add(e, StkData::ConnCur, -1, 5000);
        t.release(e, 5000);
        t.addKey("shared", StkData::Gpc0, 1, 5000);
        (void)i;
      }
    });
  for (auto& th : ts) th.join();
  uint64_t total = 0;
  for (int k = 0; k < 4; ++k) {
    std::string key = "k" + std::to_string(k);
    EXPECT_EQ(t.getKey(key, StkData::HttpReqCnt, 5000), uint64_t(kThreads * kPer / 4));
    EXPECT_EQ(t.getKey(key, StkData::HttpReqRate, 5000), uint64_t(kThreads * kPer / 4));
    EXPECT_EQ(t.getKey(key, StkData::ConnCur, 5000), 0u);
    EXPECT_EQ(t.refs(key, 5000), 0u);
    total += *t.getKey(key, StkData::HttpReqCnt, 5000);
  }
  EXPECT_EQ(total, uint64_t(kThreads * kPer));
  EXPECT_EQ(t.getKey("shared", StkData::Gpc0, 5000), uint64_t(kThreads * kPer));
}

}  // namespace
}  // namespace lbc::rt

// Queues: arrival order, maxqueue, leaving, and the races between leaving and a handed slot.
#include "test_util.h"

namespace lbc::rt::test {
namespace {

TEST(Queue, FreedSlotsGoInArrivalOrder) {
  Harness h(makeSpec(BalanceAlgo::RoundRobin, {{"a", 1, false, 1}}));
  Backend::Result r;
  QueueLink* first = h.open(&r);
  ASSERT_EQ(r, Backend::Result::Assigned);
  QueueLink* w1 = h.open(&r);
  ASSERT_EQ(r, Backend::Result::Queued);
  QueueLink* w2 = h.open(&r);
  QueueLink* w3 = h.open(&r);
  EXPECT_EQ(h.be().waiting(), 3u);
  EXPECT_TRUE(w1->queued);
  EXPECT_EQ(w1->queued_on, nullptr);  // every server full: the backend queue

  h.be().release(first->assigned);
  ASSERT_EQ(woken(), (std::vector<QueueLink*>{w1}));
  EXPECT_EQ(w1->assigned, h.srv("a"));
  EXPECT_FALSE(w1->queued);
  EXPECT_EQ(h.srv("a")->served.load(), 1u);  // the slot went straight to w1
  h.be().release(h.srv("a"));
  h.be().release(h.srv("a"));
  EXPECT_EQ(woken(), (std::vector<QueueLink*>{w1, w2, w3}));
  EXPECT_EQ(h.be().waiting(), 0u);
}

TEST(Queue, ServerAndBackendQueuesMergeByArrival) {
  // A hash queues on its server; round robin (no key) on the backend: a freed slot of that
  // server goes to whichever came first.
  Harness h(makeSpec(BalanceAlgo::Uri, {{"a", 1, false, 1}, {"b", 1, false, 1}}));
  QueueLink* ha = h.open(nullptr, 0);  // the map: key 0 -> a, 1 -> b
  h.open(nullptr, 1);
  QueueLink* x1 = h.open();
  QueueLink* x2 = h.open(nullptr, 0);
  QueueLink* x3 = h.open();
  EXPECT_EQ(x1->queued_on, nullptr);
  EXPECT_EQ(x2->queued_on, h.srv("a"));
  EXPECT_EQ(x3->queued_on, nullptr);
  for (int i = 0; i < 3; ++i) h.be().release(ha->assigned);
  EXPECT_EQ(woken(), (std::vector<QueueLink*>{x1, x2, x3}));
}

TEST(Queue, MaxqueueFails) {
  Harness h(makeSpec(BalanceAlgo::Source, {{"a", 1, false, 1, 2}}));
  EXPECT_EQ(h.fill(4), (Names{"a", "queued", "queued", "failed"}));
  EXPECT_EQ(h.be().waiting(), 2u);
}

TEST(Queue, LeaveBeforeTheSlotComes) {
  Harness h(makeSpec(BalanceAlgo::RoundRobin, {{"a", 1, false, 1}}));
  QueueLink* held = h.open();
  QueueLink* w1 = h.open();
  QueueLink* w2 = h.open();
  EXPECT_TRUE(h.be().leaveQueue(w1));  // gave up: out of the line, nothing to give back
  EXPECT_FALSE(w1->queued);
  EXPECT_EQ(h.be().waiting(), 1u);
  h.be().release(held->assigned);
  EXPECT_EQ(woken(), (std::vector<QueueLink*>{w2}));  // w1 is skipped
}

TEST(Queue, LeaveAfterTheSlotWasHanded) {
  // The slot was handed (the wake-up is on its way) before the waiter gave up: leaveQueue says
  // so, and the caller must release the slot, which then goes to the next waiter.
  Harness h(makeSpec(BalanceAlgo::RoundRobin, {{"a", 1, false, 1}}));
  QueueLink* held = h.open();
  QueueLink* w1 = h.open();
  QueueLink* w2 = h.open();
  h.be().release(held->assigned);
  ASSERT_EQ(w1->assigned, h.srv("a"));
  EXPECT_FALSE(h.be().leaveQueue(w1));
  EXPECT_FALSE(h.be().leaveQueue(w1));  // twice: still nothing to remove
  h.be().release(w1->assigned);
  EXPECT_EQ(woken(), (std::vector<QueueLink*>{w1, w2}));
  EXPECT_EQ(h.srv("a")->served.load(), 1u);
}

TEST(Queue, DownServersWaitersMoveToTheBackendQueue) {
  Harness h(makeSpec(BalanceAlgo::Source, {{"a", 1, false, 1}, {"b", 1, false, 1}}));
  QueueLink* ha = h.open(nullptr, 0);  // the map: key 0 -> a, 1 -> b
  h.open(nullptr, 1);
  QueueLink* w1 = h.open(nullptr, 0);
  QueueLink* w2 = h.open(nullptr, 0);
  ASSERT_EQ(w1->queued_on, h.srv("a"));
  ServerTransition t = h.be().setServerUp(h.srv("a"), false);
  EXPECT_EQ(t.xferred, 2u);
  EXPECT_EQ(t.queued, 0u);
  EXPECT_EQ(t.sessions, 1u);
  EXPECT_EQ(w1->queued_on, nullptr);
  EXPECT_TRUE(w1->queued);
  // b's slot frees: the oldest former waiter of a gets it.
  h.be().release(h.srv("b"));
  EXPECT_EQ(woken(), (std::vector<QueueLink*>{w1}));
  EXPECT_EQ(w1->assigned, h.srv("b"));
  // a's old connection ends: a is down, nobody gets its slot.
  h.be().release(ha->assigned);
  EXPECT_EQ(woken().size(), 1u);
  // a comes back: it takes w2 from the backend queue.
  t = h.be().setServerUp(h.srv("a"), true);
  EXPECT_EQ(t.xferred, 1u);
  EXPECT_EQ(woken(), (std::vector<QueueLink*>{w1, w2}));
  EXPECT_EQ(w2->assigned, h.srv("a"));
}

TEST(Queue, ForcedServerQueuesOnItself) {
  // A stick table's server: its slot, or its queue, even when another server has room.
  Harness h(makeSpec(BalanceAlgo::RoundRobin, {{"a", 1, false, 1}, {"b"}}));
  QueueLink held, l;
  ASSERT_EQ(h.be().assign(&held, nullptr, std::nullopt, h.srv("a")), Backend::Result::Assigned);
  ASSERT_EQ(h.be().assign(&l, nullptr, std::nullopt, h.srv("a")), Backend::Result::Queued);
  EXPECT_EQ(l.queued_on, h.srv("a"));
  EXPECT_TRUE(h.be().leaveQueue(&l));
}

}  // namespace
}  // namespace lbc::rt::test

// The timer wheel (runtime/src/core/timer_wheel.h): entries come back at their deadline (never
// before, at most a tick after), lazily placed entries keep their earlier place, and the wheel's
// horizon is crossed by looking again.
#include "core/timer_wheel.h"

#include <gtest/gtest.h>

#include <vector>

namespace lbc::rt {
namespace {

struct Item {
  TimerEntry e;
  uint64_t deadline = 0;
  uint64_t fired_at = 0;
  Item() { e.owner = this; }
};

// Runs the wheel from `from` to `to` one millisecond at a time, as the loop would; an item whose
// deadline has not come yet (lazy placement) is put back.
void runUntil(TimerWheel& w, uint64_t from, uint64_t to) {
  for (uint64_t now = from; now <= to; ++now)
    w.expire(now, [&](TimerEntry* e) {
      Item* it = static_cast<Item*>(e->owner);
      if (it->deadline <= now)
        it->fired_at = now;
      else
        w.insert(e, it->deadline);
    });
}

TEST(TimerWheel, FiresAtItsTickNotBefore) {
  TimerWheel w;
  w.start(1000);
  Item a, b;
  a.deadline = 1010;
  b.deadline = 1003;
  w.insert(&a.e, a.deadline);
  w.insert(&b.e, b.deadline);
  EXPECT_EQ(w.size(), 2u);
  EXPECT_EQ(w.nextDue(), 1004u);  // rounded up to the 4 ms tick
  runUntil(w, 1000, 1020);
  EXPECT_GE(b.fired_at, 1003u);
  EXPECT_LE(b.fired_at, 1003u + TimerWheel::kTickMs);
  EXPECT_GE(a.fired_at, 1010u);
  EXPECT_LE(a.fired_at, 1010u + TimerWheel::kTickMs);
  EXPECT_EQ(w.size(), 0u);
  EXPECT_EQ(w.nextDue(), TimerWheel::kNoTimer);
}

TEST(TimerWheel, RemovedEntriesNeverFire) {
  TimerWheel w;
  w.start(0);
  Item a, b, c;
  for (Item* i : {&a, &b, &c}) {
    i->deadline = 40;
    w.insert(&i->e, i->deadline);
  }
  w.remove(&b.e);
  w.remove(&b.e);  // twice is harmless
  EXPECT_FALSE(b.e.linked);
  runUntil(w, 0, 100);
  EXPECT_NE(a.fired_at, 0u);
  EXPECT_EQ(b.fired_at, 0u);
  EXPECT_NE(c.fired_at, 0u);
}

TEST(TimerWheel, ScheduleKeepsAnEarlierPlace) {
  TimerWheel w;
  w.start(0);
  Item a;
  a.deadline = 20;
  w.schedule(&a.e, a.deadline);
  const uint64_t placed = a.e.when;
  a.deadline = 200;  // activity moved the deadline later: the wheel is not touched
  w.schedule(&a.e, a.deadline);
  EXPECT_EQ(a.e.when, placed);
  runUntil(w, 0, 100);
  EXPECT_EQ(a.fired_at, 0u);  // looked at, found early, put back
  runUntil(w, 101, 300);
  EXPECT_GE(a.fired_at, 200u);
  w.schedule(&a.e, 0);  // no deadline: out of the wheel
  EXPECT_FALSE(a.e.linked);
}

TEST(TimerWheel, BeyondTheHorizonWaitsAndComesBack) {
  TimerWheel w;
  w.start(0);
  Item a;
  a.deadline = 3 * TimerWheel::kSlots * TimerWheel::kTickMs + 7;  // three turns away
  w.insert(&a.e, a.deadline);
  runUntil(w, 0, a.deadline + 2 * TimerWheel::kTickMs);
  EXPECT_GE(a.fired_at, a.deadline);
  EXPECT_LE(a.fired_at, a.deadline + TimerWheel::kTickMs);
}

TEST(TimerWheel, ManyEntriesInOneSlotAndNextDueSkipsStaleSlots) {
  TimerWheel w;
  w.start(0);
  std::vector<Item> items(100);
  for (size_t i = 0; i < items.size(); ++i) {
    items[i].deadline = 50 + (i % 3);
    w.insert(&items[i].e, items[i].deadline);
  }
  Item late;
  late.deadline = 2000;
  w.insert(&late.e, late.deadline);
  for (auto& i : items) w.remove(&i.e);  // their slots' bits are now stale
  EXPECT_EQ(w.nextDue(), 2000u);
  runUntil(w, 0, 2004);
  EXPECT_GE(late.fired_at, 2000u);
  for (auto& i : items) EXPECT_EQ(i.fired_at, 0u);
}

}  // namespace
}  // namespace lbc::rt

#include "timer_wheel.h"

namespace lbc::rt {

void TimerWheel::pushFront(TimerEntry* e, uint64_t tick) {
  TimerEntry*& head = slots_[tick % kSlots];
  e->prev = nullptr;
  e->next = head;
  if (head) head->prev = e;
  head = e;
  mark(tick);
}

void TimerWheel::insert(TimerEntry* e, uint64_t when) {
  uint64_t tick = (when + kTickMs - 1) / kTickMs;
  if (tick < tick_) tick = tick_;
  if (tick >= tick_ + kSlots) tick = tick_ + kSlots - 1;  // beyond the horizon: look again then
  pushFront(e, tick);
  e->when = tick * kTickMs;
  e->linked = true;
  ++count_;
}

void TimerWheel::remove(TimerEntry* e) {
  if (!e->linked) return;
  TimerEntry*& head = slots_[(e->when / kTickMs) % kSlots];
  if (e->prev)
    e->prev->next = e->next;
  else
    head = e->next;
  if (e->next) e->next->prev = e->prev;
  e->prev = e->next = nullptr;
  e->linked = false;
  --count_;
}

uint64_t TimerWheel::nextDue() {
  if (!count_) return kNoTimer;
  const uint32_t start = uint32_t(tick_ % kSlots);
  for (uint32_t k = 0; k <= kWords; ++k) {
    const uint32_t w = (start / 64 + k) % kWords;
    uint64_t bits = occupied_[w];
    if (k == 0) bits &= ~uint64_t(0) << (start % 64);            // the start word: from `start` on
    if (k == kWords) bits &= (uint64_t(1) << (start % 64)) - 1;  // wrapped: below `start`
    while (bits) {
      const uint32_t slot = w * 64 + uint32_t(__builtin_ctzll(bits));
      if (slots_[slot]) return (tick_ + (slot + kSlots - start) % kSlots) * kTickMs;
      occupied_[w] &= ~(uint64_t(1) << (slot % 64));  // stale: emptied by removals
      bits &= bits - 1;
    }
  }
  return (tick_ + kSlots) * kTickMs;
}

}  // namespace lbc::rt

// A hashed timer wheel of 1024 slots of 4 ms. An object that needs a deadline embeds a TimerEntry;
// the wheel links entries, never allocates, and hands each due entry back to its caller, which
// decides whether the deadline really passed (entries are placed lazily: an object whose deadline
// moved later keeps its earlier place and is looked at again when that place comes).
#pragma once
#include <cstdint>
#include <vector>

namespace lbc::rt {

struct TimerEntry {
  void* owner = nullptr;  // the object embedding the entry (set once by its owner)
  TimerEntry* prev = nullptr;
  TimerEntry* next = nullptr;
  uint64_t when = 0;  // ms: the start of the tick it sits in
  bool linked = false;
};

class TimerWheel {
 public:
  static constexpr uint32_t kSlots = 1024;
  static constexpr uint64_t kTickMs = 4;
  static constexpr uint64_t kNoTimer = ~uint64_t(0);

  TimerWheel() : slots_(kSlots, nullptr) {}
  TimerWheel(const TimerWheel&) = delete;
  TimerWheel& operator=(const TimerWheel&) = delete;

  // The wheel's clock starts at `now` (ms).
  void start(uint64_t now) { tick_ = now / kTickMs + 1; }

  // Places `e` at `when` (ms), rounded up to a tick; past the horizon it waits at the horizon.
  void insert(TimerEntry* e, uint64_t when);
  void remove(TimerEntry* e);
  // Lazy placement for deadline `d` (0 = none): an earlier place is kept.
  void schedule(TimerEntry* e, uint64_t d) {
    if (!d) {
      remove(e);
      return;
    }
    if (e->linked && e->when <= d) return;
    remove(e);
    insert(e, d);
  }

  // Hands every entry whose tick is due at `now` to `f(TimerEntry*)`, unlinked; f may insert it
  // (or others) again.
  template <class F>
  void expire(uint64_t now, F&& f) {
    const uint64_t now_tick = now / kTickMs;
    while (tick_ <= now_tick && count_) {
      TimerEntry* e = slots_[tick_ % kSlots];
      slots_[tick_ % kSlots] = nullptr;
      const uint64_t tick = tick_++;
      while (e) {
        TimerEntry* next = e->next;
        if (e->when / kTickMs != tick) {
          pushFront(e, tick);  // a later round in the same slot: keep it
        } else {
          e->linked = false;
          e->prev = e->next = nullptr;
          --count_;
          f(e);
        }
        e = next;
      }
    }
    if (!count_) tick_ = now_tick + 1;
  }

  // When the next linked entry is due (ms), kNoTimer when none is.
  uint64_t nextDue();
  uint32_t size() const { return count_; }

 private:
  void pushFront(TimerEntry* e, uint64_t tick);
  void mark(uint64_t tick) { occupied_[(tick % kSlots) / 64] |= uint64_t(1) << (tick % 64); }

  std::vector<TimerEntry*> slots_;
  // Which slots hold a list: nextDue finds the next one in 16 words instead of walking up to 1024
  // slots each loop round. A set bit may be stale (its list emptied by removals); nextDue clears
  // those as it meets them.
  static constexpr uint32_t kWords = kSlots / 64;
  uint64_t occupied_[kWords] = {};
  uint64_t tick_ = 0;  // next tick to run
  uint32_t count_ = 0;
};

}  // namespace lbc::rt

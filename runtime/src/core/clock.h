// The monotonic clock the loop, the timers and the start-up code read (milliseconds).
#pragma once
#include <time.h>

#include <cstdint>

namespace lbc::rt {

inline uint64_t monoMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000 + uint64_t(ts.tv_nsec) / 1000000;
}

}  // namespace lbc::rt

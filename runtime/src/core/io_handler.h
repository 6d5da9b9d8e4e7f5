// Every io_uring operation names the object that submitted it: user_data is a pointer to an
// IoHandler with a small operation code in its low bits (the handler's own numbering). The loop
// hands each completion to that object and knows nothing of what the object is.
#pragma once
#include <liburing.h>

#include <cstdint>

namespace lbc::rt {

class alignas(16) IoHandler {
 public:
  static constexpr uint32_t kOpBits = 4;
  static constexpr uint64_t kOpMask = (uint64_t(1) << kOpBits) - 1;

  // One completion of operation `op` (as passed to ioData). A completion that carried a provided
  // buffer still carries it (the loop has counted it as taken).
  virtual void onCompletion(io_uring_cqe& cqe, uint32_t op) = 0;

  // The user_data of an operation `op` (< 16) of this handler.
  uint64_t ioData(uint32_t op) const { return reinterpret_cast<uint64_t>(this) | op; }

 protected:
  IoHandler() = default;
  ~IoHandler() = default;
};

// The user_data of an operation whose completion nobody needs (a cancel, a detached close).
inline constexpr uint64_t kNoHandler = 0;

}  // namespace lbc::rt

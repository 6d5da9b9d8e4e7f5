// The plain socket over the loop's io_uring: multishot reads into provided buffers (no copy: the
// buffer goes from the recv completion to the session and back to the ring), sends from the
// caller's memory, connects bounded by a linked timeout.
#pragma once
#include <linux/time_types.h>

#include <string_view>

#include "core/loop.h"
#include "transport.h"

namespace lbc::rt {

class RawTransport final : public Transport {
 public:
  RawTransport() = default;
  explicit RawTransport(Loop* loop) : loop_(loop) {}
  void setLoop(Loop* loop) { loop_ = loop; }

  void adopt(int fd, bool nodelay) override;
  bool connect(const sockaddr* addr, socklen_t len, uint64_t timeout_ms, bool nodelay) override;
  bool handshake() override { return true; }
  void recvMultishot() override;
  void recvInto(void* buf, size_t len) override;
  bool recvBuffered() override;
  void stopRecv() override;
  void cancelPending() override;
  void send(const void* buf, size_t len) override;
  void setSendPrefix(std::string_view bytes) override;
  void shutdownWrite() override;
  void watchPeerClose() override;
  void close(bool reset) override;
  void closeNow(bool reset) override;
  void resetOnClose() override;
  bool connectedNow() const override;
  bool idleAlive() const override { return probeIdle(fd_); }
  void discardUnread() override;
  int detach() override;

  // The PROXY protocol header of `accept-proxy` (HAProxy's conn_recv_proxy): one report
  // (kPeerClosed, the poll's revents) when the socket is readable, then a look at what came
  // without consuming it, and the header's bytes taken out of the socket (errno on failure).
  void waitReadable();
  ssize_t peek(void* buf, size_t len);
  ssize_t consume(void* buf, size_t len);

  void onCompletion(io_uring_cqe& cqe, uint32_t op) override;

  // For sockets parked outside any transport (the idle server connection pool).
  static bool probeIdle(int fd);
  static void closeDetached(int fd);

 private:
  enum Op : uint32_t { kConnect = 1, kRecv, kSend, kPoll, kAux };
  io_uring_sqe* submit(uint32_t op);
  void sendPrefix();

  Loop* loop_ = nullptr;
  __kernel_timespec connect_ts_{};  // read by the kernel when the linked timeout is submitted
  // The prefix (setSendPrefix) and the caller's send waiting behind it.
  std::string_view prefix_;
  const void* held_buf_ = nullptr;
  size_t held_len_ = 0;
  bool held_ = false;
  uint8_t prefix_inflight_ = 0;  // sends of the prefix whose completion has not come back
};

}  // namespace lbc::rt

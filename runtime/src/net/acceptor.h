// A listening socket's multishot accept on the loop. What an accepted socket becomes (its
// transport, its session) is the subclass's business.
#pragma once
#include "core/loop.h"

namespace lbc::rt {

class Acceptor : public IoHandler {
 public:
  explicit Acceptor(int fd) : fd_(fd) {}

  void arm(Loop& loop);
  void cancel(Loop& loop);  // the pending accept ends (its completion is not reported)
  void closeSocket();
  int fd() const { return fd_; }
  bool armed() const { return armed_; }

  void onCompletion(io_uring_cqe& cqe, uint32_t op) override;

 protected:
  ~Acceptor() = default;
  // `res`: the accepted socket, or -errno. `more`: the multishot accept goes on.
  virtual void onAccepted(int res, bool more) = 0;

 private:
  int fd_ = -1;
  bool armed_ = false;  // a multishot accept is pending
};

}  // namespace lbc::rt

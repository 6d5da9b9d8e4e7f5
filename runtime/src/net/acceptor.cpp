#include "acceptor.h"

#include <sys/socket.h>
#include <unistd.h>

namespace lbc::rt {

void Acceptor::arm(Loop& loop) {
  io_uring_sqe* s = loop.sqe();
  io_uring_prep_multishot_accept(s, fd_, nullptr, nullptr, SOCK_CLOEXEC);
  io_uring_sqe_set_data64(s, ioData(0));
  armed_ = true;
}

void Acceptor::cancel(Loop& loop) {
  if (!armed_) return;
  io_uring_sqe* s = loop.sqe();
  io_uring_prep_cancel64(s, ioData(0), 0);
  io_uring_sqe_set_data64(s, kNoHandler);
}

void Acceptor::closeSocket() {
  if (fd_ >= 0) close(fd_);
}

void Acceptor::onCompletion(io_uring_cqe& cqe, uint32_t) {
  const bool more = cqe.flags & IORING_CQE_F_MORE;
  if (!more) armed_ = false;
  onAccepted(cqe.res, more);
}

}  // namespace lbc::rt

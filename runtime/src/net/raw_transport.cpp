#include "raw_transport.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>

namespace lbc::rt {
namespace {
void setNoDelay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}
}  // namespace

bool Transport::peerAddr(sockaddr_storage& out) const {
  socklen_t len = sizeof out;
  return getpeername(fd_, reinterpret_cast<sockaddr*>(&out), &len) == 0;
}

bool Transport::localAddr(sockaddr_storage& out) const {
  socklen_t len = sizeof out;
  return getsockname(fd_, reinterpret_cast<sockaddr*>(&out), &len) == 0;
}

io_uring_sqe* RawTransport::submit(uint32_t op) {
  io_uring_sqe* q = loop_->sqe();
  io_uring_sqe_set_data64(q, ioData(op));
  ++pending_;
  return q;
}

void RawTransport::adopt(int fd, bool nodelay) {
  fd_ = fd;
  if (nodelay) setNoDelay(fd);
}

bool RawTransport::connect(const sockaddr* addr, socklen_t len, uint64_t timeout_ms, bool nodelay) {
  fd_ = socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return false;
  if (nodelay && addr->sa_family != AF_UNIX) setNoDelay(fd_);
  io_uring_sqe* q = submit(kConnect);
  io_uring_prep_connect(q, fd_, addr, len);
  if (timeout_ms) {
    q->flags |= IOSQE_IO_LINK;
    connect_ts_.tv_sec = int64_t(timeout_ms / 1000);
    connect_ts_.tv_nsec = int64_t(timeout_ms % 1000) * 1000000;
    io_uring_prep_link_timeout(submit(kAux), &connect_ts_, 0);
  }
  return true;
}

void RawTransport::recvMultishot() {
  io_uring_sqe* q = submit(kRecv);
  io_uring_prep_recv_multishot(q, fd_, nullptr, 0, 0);
  q->flags |= IOSQE_BUFFER_SELECT;
  q->buf_group = Loop::kBufGroup;
}

void RawTransport::recvInto(void* buf, size_t len) {
  io_uring_prep_recv(submit(kRecv), fd_, buf, len, 0);
}

bool RawTransport::recvBuffered() {
  io_uring_sqe* q = submit(kRecv);
  io_uring_prep_recv(q, fd_, nullptr, 0, 0);  // length 0: the whole provided buffer
  q->flags |= IOSQE_BUFFER_SELECT;
  q->buf_group = Loop::kBufGroup;
  return true;
}

void RawTransport::stopRecv() {
  io_uring_prep_cancel64(submit(kAux), ioData(kRecv), 0);
}

void RawTransport::cancelPending() {
  if (fd_ >= 0) io_uring_prep_cancel_fd(submit(kAux), fd_, IORING_ASYNC_CANCEL_ALL);
}

void RawTransport::send(const void* buf, size_t len) {
  if (!prefix_.empty()) {  // the prefix first; the caller's bytes wait behind it
    held_buf_ = buf;
    held_len_ = len;
    held_ = true;
    if (!prefix_inflight_) sendPrefix();
    return;
  }
  io_uring_prep_send(submit(kSend), fd_, buf, len, MSG_NOSIGNAL);
}

void RawTransport::setSendPrefix(std::string_view bytes) {
  prefix_ = bytes;
}

void RawTransport::sendPrefix() {
  ++prefix_inflight_;
  io_uring_prep_send(submit(kSend), fd_, prefix_.data(), prefix_.size(), MSG_NOSIGNAL);
}

void RawTransport::shutdownWrite() {
  // A plain syscall on purpose: IORING_OP_SHUTDOWN always runs in io-wq and looks its fd up
  // late, so once this connection's fds are closed and their numbers reused it would shut down
  // somebody else's socket.
  if (fd_ >= 0) shutdown(fd_, SHUT_WR);
}

void RawTransport::watchPeerClose() {
  // POLLERR/POLLHUP (a reset) are always reported; the kernel reports POLLRDHUP too.
  io_uring_prep_poll_add(submit(kPoll), fd_, POLLRDHUP);
}

void RawTransport::resetOnClose() {
  if (fd_ < 0) return;
  linger lg{1, 0};
  setsockopt(fd_, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
}

void RawTransport::close(bool reset) {
  if (fd_ < 0) return;
  if (reset) resetOnClose();
  io_uring_prep_cancel_fd(submit(kAux), fd_, IORING_ASYNC_CANCEL_ALL);
  io_uring_prep_close(submit(kAux), fd_);
  fd_ = -1;
  prefix_ = {};
  held_ = false;
}

void RawTransport::closeNow(bool reset) {
  if (fd_ < 0) return;
  if (reset) resetOnClose();
  ::close(fd_);
  fd_ = -1;
  prefix_ = {};
  held_ = false;
}

void RawTransport::waitReadable() {
  io_uring_prep_poll_add(submit(kPoll), fd_, POLLIN | POLLRDHUP);
}

ssize_t RawTransport::peek(void* buf, size_t len) {
  ssize_t n;
  do n = recv(fd_, buf, len, MSG_PEEK | MSG_DONTWAIT);
  while (n < 0 && errno == EINTR);
  return n;
}

ssize_t RawTransport::consume(void* buf, size_t len) {
  ssize_t n;
  do n = recv(fd_, buf, len, MSG_DONTWAIT);
  while (n < 0 && errno == EINTR);
  return n;
}

int RawTransport::detach() {
  int fd = fd_;
  fd_ = -1;
  return fd;
}

bool RawTransport::connectedNow() const {
  if (fd_ < 0) return false;
  pollfd p{fd_, POLLOUT, 0};
  return poll(&p, 1, 0) == 1 && (p.revents & POLLOUT) && !(p.revents & (POLLERR | POLLHUP));
}

void RawTransport::discardUnread() {
  char buf[4096];
  for (int i = 0; i < 64 && recv(fd_, buf, sizeof buf, MSG_DONTWAIT) > 0; ++i) {
  }
}

bool RawTransport::probeIdle(int fd) {
  char b;
  ssize_t n = recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

void RawTransport::closeDetached(int fd) {
  ::close(fd);
}

void RawTransport::onCompletion(io_uring_cqe& cqe, uint32_t op) {
  TransportEvent ev{TransportEvent::kDone, cqe.res};
  const bool more = cqe.flags & IORING_CQE_F_MORE;
  if (!more) --pending_;
  switch (op) {
    case kConnect:
      ev.kind = TransportEvent::kReady;
      // The prefix (a PROXY header) goes out at once, as HAProxy sends it before anything: a
      // server that speaks first waits for it.
      if (cqe.res == 0 && !prefix_.empty() && !prefix_inflight_) sendPrefix();
      break;
    case kRecv:
      ev.kind = TransportEvent::kRecv;
      ev.more = more;
      if (cqe.flags & IORING_CQE_F_BUFFER) {
        ev.buffered = true;
        ev.bid = uint16_t(cqe.flags >> IORING_CQE_BUFFER_SHIFT);
      }
      break;
    case kSend:
      if (prefix_inflight_) {  // a completion of the prefix
        --prefix_inflight_;
        if (prefix_.empty() && !held_) break;  // its connection was closed since: bookkeeping
        if (cqe.res > 0 && size_t(cqe.res) < prefix_.size()) {
          prefix_.remove_prefix(size_t(cqe.res));
          sendPrefix();
          return;
        }
        const bool ok = cqe.res > 0;
        prefix_ = {};
        if (!held_) break;  // sent at connect, nothing of the caller's behind it yet
        held_ = false;
        if (ok) {
          io_uring_prep_send(submit(kSend), fd_, held_buf_, held_len_, MSG_NOSIGNAL);
          return;
        }
      }
      ev.kind = TransportEvent::kSent;
      break;
    case kPoll:
      ev.kind = TransportEvent::kPeerClosed;
      break;
    default:
      break;
  }
  if (user_) user_->onTransport(*this, ev);
}

}  // namespace lbc::rt

// The parts of TlsTransport that run without the ring: the idle pool's parking of an SSL with
#include <cstdio>
// its socket, probes, close_notify sent without waiting, and what the handshake chose.
#include <openssl/err.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>
#include <vector>

#include "tls_transport.h"

namespace lbc::rt {
namespace {

// The SSLs of idle pooled connections of this thread, indexed by their fd (detach()), with the
// socket's inode: an fd closed behind the table's back and reused by another socket is not
// mistaken for the parked one (its stale SSL is freed when met).
struct Parked {
  SSL* ssl = nullptr;
  ino_t ino = 0;
};
thread_local std::vector<Parked> t_parked;

ino_t inodeOf(int fd) {
  struct stat st;
  return fstat(fd, &st) == 0 ? st.st_ino : 0;
}

// The SSL parked for this very socket (left in the table); null when none.
SSL* parkedFor(int fd) {
  if (fd < 0 || size_t(fd) >= t_parked.size() || !t_parked[fd].ssl) return nullptr;
  if (t_parked[fd].ino == inodeOf(fd)) return t_parked[fd].ssl;
  SSL_free(t_parked[fd].ssl);
  t_parked[fd] = {};
  return nullptr;
}

}  // namespace

bool TlsTransport::peekIdle(int fd) {
  char b;
  ssize_t n = recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

// An idle TLS connection may have bytes waiting that are not application data (a TLS 1.3
// server's session tickets, sent after its Finished): OpenSSL takes them now, without waiting.
// Still usable when they held no application byte and no close.
bool TlsTransport::absorbIdle(int fd, SSL* ssl) {
  BIO* rbio = SSL_get_rbio(ssl);
  char buf[4096];
  for (int i = 0; i < 16; ++i) {  // bounded: a peer sending more while idle is not idle
    ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) {
      BIO_write(rbio, buf, int(n));
      continue;
    }
    if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) return false;
    break;
  }
  if (SSL_pending(ssl) == 0 && BIO_ctrl_pending(rbio) == 0) return true;
  ERR_clear_error();
  char b;
  int r = SSL_read(ssl, &b, 1);
  bool idle = r <= 0 && SSL_get_error(ssl, r) == SSL_ERROR_WANT_READ;
  ERR_clear_error();
  return idle;
}

// close_notify (or an alert) straight to the socket without waiting: a connection going away
// owes its peer this much, and it is a few bytes a non-blocking send takes at once.
void TlsTransport::sendNow(int fd, SSL* ssl) {
  BIO* w = SSL_get_wbio(ssl);
  char buf[512];
  int n = BIO_read(w, buf, sizeof buf);
  if (n > 0) (void)::send(fd, buf, size_t(n), MSG_DONTWAIT | MSG_NOSIGNAL);
}

// A connection we close sends close_notify when it can (nothing else on its way out) and is
// marked shut either way: OpenSSL drops from its cache the session of an SSL freed unshut, as
// it would a broken one, and HAProxy's sessions stay resumable after any close it makes.
void TlsTransport::closeNotifyNow(int fd, SSL* ssl, bool can_send) {
  if (!SSL_is_init_finished(ssl) || (SSL_get_shutdown(ssl) & SSL_SENT_SHUTDOWN)) return;
  ERR_clear_error();
  if (!can_send) SSL_set_quiet_shutdown(ssl, 1);
  SSL_shutdown(ssl);
  if (can_send) sendNow(fd, ssl);
  ERR_clear_error();
}

bool TlsTransport::connectedNow() const {
  if (fd_ < 0) return false;
  pollfd p{fd_, POLLOUT, 0};
  return poll(&p, 1, 0) == 1 && (p.revents & POLLOUT) && !(p.revents & (POLLERR | POLLHUP));
}

bool TlsTransport::idleAlive() const {
  if (fd_ < 0) return false;
  if (!ssl_ || phase_ != Phase::kOpen || recv_armed_) return peekIdle(fd_);
  return absorbIdle(fd_, ssl_);
}

void TlsTransport::discardUnread() {
  char buf[4096];
  for (int i = 0; i < 64 && recv(fd_, buf, sizeof buf, MSG_DONTWAIT) > 0; ++i) {
  }
}

int TlsTransport::detach() {
  if (fd_ < 0) return -1;
  if (phase_ != Phase::kOpen || pending_ || sending_ || writing_) {
    // Not idle: nothing to keep (the precondition of the pool was not met).
    close(false);
    return -1;
  }
  int fd = fd_;
  if (t_parked.size() <= size_t(fd)) t_parked.resize(size_t(fd) + 1);
  if (t_parked[fd].ssl) SSL_free(t_parked[fd].ssl);  // its fd was closed behind our back
  t_parked[fd] = {ssl_, inodeOf(fd)};
  ssl_ = nullptr;
  rbio_ = wbio_ = nullptr;
  fd_ = -1;
  closed_ = true;
  reset();
  own_in_.reset();
  own_out_.reset();
  return fd;
}

void TlsTransport::adoptParked(int fd) {
  freeSsl();
  reset();
  fd_ = fd;
  closed_ = false;
  if (SSL* s = parkedFor(fd)) {
    ssl_ = s;
    t_parked[fd] = {};
    rbio_ = SSL_get_rbio(ssl_);
    wbio_ = SSL_get_wbio(ssl_);
    phase_ = Phase::kOpen;
  } else {
    error_ = "no parked TLS session for this socket";
    phase_ = Phase::kFailed;
  }
}

bool TlsTransport::probeIdle(int fd) {
  SSL* s = parkedFor(fd);
  return s ? absorbIdle(fd, s) : peekIdle(fd);
}

void TlsTransport::closeDetached(int fd) {
  if (SSL* s = parkedFor(fd)) {
    closeNotifyNow(fd, s, true);
    SSL_free(s);
    t_parked[fd] = {};
  }
  ::close(fd);
}

size_t TlsTransport::parkedCount() {
  return size_t(
      std::count_if(t_parked.begin(), t_parked.end(), [](const Parked& p) { return p.ssl != nullptr; }));
}

std::string_view TlsTransport::alpn() const {
  const unsigned char* p = nullptr;
  unsigned n = 0;
  if (ssl_) SSL_get0_alpn_selected(ssl_, &p, &n);
  return p ? std::string_view(reinterpret_cast<const char*>(p), n) : std::string_view();
}

std::string_view TlsTransport::serverName() const {
  const char* s = ssl_ ? SSL_get_servername(ssl_, TLSEXT_NAMETYPE_host_name) : nullptr;
  return s ? std::string_view(s) : std::string_view();
}

std::string_view TlsTransport::version() const {
  return ssl_ ? SSL_get_version(ssl_) : "";
}

std::string_view TlsTransport::cipher() const {
  const char* c = ssl_ ? SSL_get_cipher_name(ssl_) : nullptr;
  return c ? std::string_view(c) : std::string_view();
}

}  // namespace lbc::rt

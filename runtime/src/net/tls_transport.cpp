#include "tls_transport.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <vector>

#include "tls_hello.h"

namespace lbc::rt {
namespace {

// Room left in a buffer for one record's header, MAC/tag and padding, so that one chunk of the
// caller's bytes becomes one record that fits one send.
constexpr size_t kRecordMargin = 512;
constexpr size_t kMaxPlain = 16384;

void setNoDelay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

}  // namespace

TlsTransport::~TlsTransport() {
  freeSsl();
}

io_uring_sqe* TlsTransport::submit(uint32_t op) {
  io_uring_sqe* q = loop_->sqe();
  io_uring_sqe_set_data64(q, ioData(op));
  ++pending_;
  return q;
}

void TlsTransport::freeSsl() {
  if (ssl_) SSL_free(ssl_);
  ssl_ = nullptr;
  rbio_ = wbio_ = nullptr;
}

// Per-connection state back to empty; what describes operations still in flight (recv_armed_,
// sending_, the out buffer, wake_armed_) stays until their completions come back.
void TlsTransport::reset() {
  phase_ = Phase::kNone;
  read_ = ReadMode::kNone;
  into_buf_ = nullptr;
  into_len_ = 0;
  net_eof_ = false;
  net_err_ = 0;
  prefix_ = {};
  wbuf_ = nullptr;
  wlen_ = woff_ = 0;
  writing_ = false;
  send_err_ = 0;
  shut_pending_ = fin_after_flush_ = false;
  hello_wait_ = false;
  d_ready_ = d_recv_ = d_sent_ = {};
  error_.clear();
}

bool TlsTransport::makeSsl(SSL_CTX* ctx) {
  freeSsl();
  std::string_view prefix = prefix_;  // setSendPrefix may come before or after the role
  reset();
  prefix_ = prefix;
  ERR_clear_error();
  ssl_ = SSL_new(ctx);
  rbio_ = BIO_new(BIO_s_mem());
  wbio_ = BIO_new(BIO_s_mem());
  if (!ssl_ || !rbio_ || !wbio_) {
    error_ = "SSL_new: " + sslErrors();
    if (rbio_) BIO_free(rbio_);
    if (wbio_) BIO_free(wbio_);
    rbio_ = wbio_ = nullptr;
    freeSsl();
    return false;
  }
  BIO_set_mem_eof_return(rbio_, -1);  // empty is "want more" until the socket ends
  SSL_set_bio(ssl_, rbio_, wbio_);
  return true;
}

bool TlsTransport::setServer(const TlsServerContext& ctx) {
  if (!makeSsl(ctx.initial())) return false;
  SSL_set_accept_state(ssl_);
  hello_wait_ = true;
  return true;
}

bool TlsTransport::setClient(const TlsClientContext& ctx, std::string_view sni) {
  if (!makeSsl(ctx.ctx())) return false;
  SSL_set_connect_state(ssl_);
  if (!sni.empty()) {
    std::string name(sni);
    SSL_set_tlsext_host_name(ssl_, name.c_str());
    if (ctx.verifies()) SSL_set1_host(ssl_, name.c_str());
  }
  if (ctx.reuses()) {
    // Only a session made under the same SNI is offered (as HAProxy does): a resumed session
    // skips the certificate check the new name would need.
    if (SSL_SESSION* s = ctx.takeSession(sni)) {
      SSL_set_session(ssl_, s);
      SSL_SESSION_free(s);
    }
  }
  return true;
}

void TlsTransport::adopt(int fd, bool nodelay) {
  fd_ = fd;
  closed_ = false;
  if (nodelay) setNoDelay(fd);
}

bool TlsTransport::connect(const sockaddr* addr, socklen_t len, uint64_t timeout_ms, bool nodelay) {
  fd_ = socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return false;
  closed_ = false;
  phase_ = Phase::kConnecting;
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

bool TlsTransport::handshake() {
  if (phase_ == Phase::kOpen) return true;  // a parked connection taken back
  if (!ssl_) {
    error_ = "no TLS role set before the handshake";
    phase_ = Phase::kFailed;
    d_ready_ = {true, -EPROTO};
    kick();
    return false;
  }
  if (phase_ == Phase::kNone) {
    // The first step: a client's ClientHello goes out, a server waits for one.
    phase_ = Phase::kHandshake;
    TransportEvent ev{};
    if (advance(ev)) {
      d_ready_ = {true, ev.res};
      kick();
    }
  }
  return false;
}

void TlsTransport::kick() {
  if (wake_armed_) return;
  wake_armed_ = true;
  io_uring_prep_nop(submit(kWake));
}

bool TlsTransport::bufferedInput() const {
  return SSL_pending(ssl_) > 0 || BIO_ctrl_pending(rbio_) > 0 || net_eof_ || net_err_;
}

void TlsTransport::armRecv() {
  if (recv_armed_ || net_eof_ || net_err_ || fd_ < 0) return;
  recv_armed_ = true;
  io_uring_sqe* q = submit(kRecv);
  if (use_own_in_) {
    if (!own_in_) own_in_ = std::make_unique_for_overwrite<uint8_t[]>(loop_->bufSize());
    io_uring_prep_recv(q, fd_, own_in_.get(), loop_->bufSize(), 0);
    return;
  }
  io_uring_prep_recv(q, fd_, nullptr, loop_->bufSize(), 0);
  q->flags |= IOSQE_BUFFER_SELECT;
  q->buf_group = Loop::kBufGroup;
}

void TlsTransport::recvInto(void* buf, size_t len) {
  read_ = ReadMode::kInto;
  into_buf_ = buf;
  into_len_ = std::min<size_t>(len, INT_MAX);
  if (phase_ == Phase::kFailed) {
    read_ = ReadMode::kNone;
    d_recv_ = {true, -EPROTO};
    kick();
  } else if (phase_ == Phase::kOpen) {
    if (bufferedInput())
      kick();
    else
      armRecv();
  }
}

void TlsTransport::recvMultishot() {
  read_ = ReadMode::kMulti;
  if (phase_ == Phase::kFailed) {
    read_ = ReadMode::kNone;
    d_recv_ = {true, -EPROTO};
    kick();
  } else if (phase_ == Phase::kOpen) {
    if (bufferedInput())
      kick();
    else
      armRecv();
  }
}

void TlsTransport::stopRecv() {
  if (read_ == ReadMode::kNone) return;
  // The socket's recv (if armed) stays: its bytes wait in the BIO, bounded by one read.
  read_ = ReadMode::kNone;
  d_recv_ = {true, -ECANCELED};
  kick();
}

void TlsTransport::cancelPending() {
  if (fd_ < 0) return;
  io_uring_prep_cancel_fd(submit(kAux), fd_, IORING_ASYNC_CANCEL_ALL);
  if (phase_ == Phase::kConnecting || phase_ == Phase::kHandshake) {
    d_ready_ = {true, -ECANCELED};
    phase_ = Phase::kFailed;
  }
  if (read_ != ReadMode::kNone) d_recv_ = {true, -ECANCELED};
  read_ = ReadMode::kNone;
  if (writing_) d_sent_ = {true, -ECANCELED};
  writing_ = false;
  kick();
}

void TlsTransport::send(const void* buf, size_t len) {
  wbuf_ = static_cast<const uint8_t*>(buf);
  wlen_ = std::min<size_t>(len, INT_MAX);
  woff_ = 0;
  writing_ = true;
  if (phase_ == Phase::kFailed || send_err_ || net_err_ || len == 0) {
    writing_ = false;
    d_sent_ = {true, len == 0 ? 0 : (send_err_ ? send_err_ : net_err_ ? net_err_ : -EPROTO)};
    kick();
    return;
  }
  // Before the handshake ended the bytes wait; it starts them.
  if (phase_ == Phase::kOpen && !sending_ && encryptMore()) flushOut();
}

// One chunk of the caller's bytes into one record, once the previous records are out.
bool TlsTransport::encryptMore() {
  if (woff_ >= wlen_) return true;
  size_t chunk = std::min({wlen_ - woff_, size_t(loop_->bufSize()) - kRecordMargin, kMaxPlain});
  ERR_clear_error();
  int r = SSL_write(ssl_, wbuf_ + woff_, int(chunk));
  if (r > 0) {
    woff_ += size_t(r);
    return true;
  }
  failTls("SSL write");
  send_err_ = -EPROTO;
  return false;
}

// Starts sending what waits (the prefix, then ciphertext); false when nothing does.
bool TlsTransport::flushOut() {
  if (sending_) return true;
  size_t waiting = prefix_.size() + (wbio_ ? BIO_ctrl_pending(wbio_) : 0);
  if (!waiting || fd_ < 0 || net_err_) return false;
  const size_t cap = loop_->bufSize();
  uint16_t bid;
  if (loop_->bufs().takeFree(bid)) {
    out_ = loop_->bufBase() + size_t(bid) * cap;
    out_bid_ = bid;
  } else {
    if (!own_out_) own_out_ = std::make_unique_for_overwrite<uint8_t[]>(cap);
    out_ = own_out_.get();
  }
  size_t n = std::min(prefix_.size(), cap);
  std::copy_n(prefix_.data(), n, out_);
  prefix_.remove_prefix(n);
  if (n < cap && wbio_) {
    int r = BIO_read(wbio_, out_ + n, int(cap - n));
    if (r > 0) n += size_t(r);
  }
  out_len_ = n;
  out_off_ = 0;
  sendOut();
  return true;
}

void TlsTransport::sendOut() {
  sending_ = true;
  io_uring_prep_send(submit(kSend), fd_, out_ + out_off_, out_len_ - out_off_, MSG_NOSIGNAL);
}

void TlsTransport::releaseOut() {
  if (out_bid_ >= 0) loop_->bufs().put(uint16_t(out_bid_));
  out_bid_ = -1;
  out_ = nullptr;
  out_len_ = out_off_ = 0;
}

void TlsTransport::shutdownWrite() {
  if (fd_ < 0) return;
  if (phase_ != Phase::kOpen) {  // no TLS session to close: the FIN alone
    ::shutdown(fd_, SHUT_WR);
    return;
  }
  if (writing_ || sending_) {  // after the caller's bytes
    shut_pending_ = true;
    return;
  }
  ERR_clear_error();
  SSL_shutdown(ssl_);
  fin_after_flush_ = true;
  if (!flushOut()) finishShutdown();
}

void TlsTransport::finishShutdown() {
  fin_after_flush_ = false;
  // A plain syscall, as RawTransport does (IORING_OP_SHUTDOWN looks its fd up late).
  if (fd_ >= 0) ::shutdown(fd_, SHUT_WR);
}

void TlsTransport::watchPeerClose() {
  io_uring_prep_poll_add(submit(kPoll), fd_, POLLRDHUP);
}

void TlsTransport::resetOnClose() {
  if (fd_ < 0) return;
  linger lg{1, 0};
  setsockopt(fd_, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
}

void TlsTransport::close(bool reset_conn) {
  if (fd_ < 0) return;
  if (reset_conn) resetOnClose();
  if (ssl_ && phase_ == Phase::kOpen) closeNotifyNow(fd_, ssl_, !reset_conn && !sending_);
  io_uring_prep_cancel_fd(submit(kAux), fd_, IORING_ASYNC_CANCEL_ALL);
  io_uring_prep_close(submit(kAux), fd_);
  fd_ = -1;
  closed_ = true;
  freeSsl();
  reset();
}

void TlsTransport::closeNow(bool reset_conn) {
  if (fd_ < 0) return;
  if (reset_conn) resetOnClose();
  if (ssl_ && phase_ == Phase::kOpen) closeNotifyNow(fd_, ssl_, !reset_conn && !sending_);
  ::close(fd_);
  fd_ = -1;
  closed_ = true;
  freeSsl();
  reset();
  if (!pending_) {
    releaseOut();
    own_in_.reset();
    own_out_.reset();
  }
}

void TlsTransport::failTls(const char* what) {
  error_ = std::string(what) + ": " + sslErrors();
  phase_ = Phase::kFailed;
  flushOut();  // the alert OpenSSL queued for the peer
}

// A server's handshake starts once the client's first record is whole: until then OpenSSL has
// not set up its handshake and record buffers (some 40 KiB), so a client that connects and
// stalls costs its SSL and the bytes it sent, nothing more.
bool TlsTransport::helloComplete() const {
  char* p = nullptr;
  long n = BIO_get_mem_data(rbio_, &p);
  TlsHello h;
  return parseTlsHello(std::string_view(p, size_t(n > 0 ? n : 0)), h) != TlsHelloResult::kNeedMore;
}

TlsTransport::Step TlsTransport::stepHandshake(TransportEvent& ev) {
  if (hello_wait_) {
    const bool whole = helloComplete();
    if (!whole && !net_eof_ && !net_err_) return Step::kWantNet;
    if (!whole) {  // closed or reset before a whole ClientHello (HAProxy's CO_ER_SSL_EMPTY / _ABORT)
      error_ = net_err_ ? "connection error during the handshake" : "connection closed during the handshake";
      phase_ = Phase::kFailed;
      ev = {TransportEvent::kReady, net_err_ ? net_err_ : -ECONNRESET};
      return Step::kEvent;
    }
    hello_wait_ = false;  // a whole record, or not a hello at all: OpenSSL says which
  }
  ERR_clear_error();
  int r = SSL_do_handshake(ssl_);
  if (r == 1) {
    phase_ = Phase::kOpen;
    if (writing_ && !sending_ && encryptMore()) flushOut();
    flushOut();  // the server's tickets
    if (read_ != ReadMode::kNone && bufferedInput())
      kick();  // bytes behind the Finished
    else if (read_ != ReadMode::kNone)
      armRecv();
    ev = {TransportEvent::kReady, 0};
    return Step::kEvent;
  }
  int e = SSL_get_error(ssl_, r);
  if (e == SSL_ERROR_WANT_READ && !net_eof_ && !net_err_) {
    flushOut();
    return Step::kWantNet;
  }
  if (e == SSL_ERROR_WANT_READ) {
    error_ = net_err_ ? "connection error during the handshake" : "connection closed during the handshake";
    phase_ = Phase::kFailed;
    ev = {TransportEvent::kReady, net_err_ ? net_err_ : -ECONNRESET};
    return Step::kEvent;
  }
  const bool eof = e == SSL_ERROR_SYSCALL || (e == SSL_ERROR_SSL && ERR_GET_REASON(ERR_peek_error()) ==
                                                                        SSL_R_UNEXPECTED_EOF_WHILE_READING);
  if (eof && SSL_get_state(ssl_) == TLS_ST_BEFORE) {
    // Closed or reset before any handshake message (HAProxy's CO_ER_SSL_EMPTY / _ABORT).
    error_ = net_err_ ? "connection error during the handshake" : "connection closed during the handshake";
    phase_ = Phase::kFailed;
    ERR_clear_error();
    ev = {TransportEvent::kReady, net_err_ ? net_err_ : -ECONNRESET};
    return Step::kEvent;
  }
  failTls("SSL handshake failure");
  ev = {TransportEvent::kReady, -EPROTO};
  return Step::kEvent;
}

TlsTransport::Step TlsTransport::stepRead(TransportEvent& ev) {
  const bool multi = read_ == ReadMode::kMulti;
  if (multi && !bufferedInput()) return Step::kWantNet;
  uint16_t bid = 0;
  void* dst = into_buf_;
  int cap = int(into_len_);
  if (multi) {
    if (!loop_->bufs().takeFree(bid)) {
      read_ = ReadMode::kNone;
      ev = {TransportEvent::kRecv, -ENOBUFS};
      return Step::kEvent;
    }
    dst = loop_->bufBase() + size_t(bid) * loop_->bufSize();
    cap = int(loop_->bufSize());
  }
  ERR_clear_error();
  int r = SSL_read(ssl_, dst, cap);
  flushOut();  // a read may have to answer (a key update)
  if (r > 0) {
    ev = {TransportEvent::kRecv, r};
    if (!multi) {
      read_ = ReadMode::kNone;
      return Step::kEvent;
    }
    ev.more = true;
    ev.buffered = true;
    ev.bid = bid;
    if (bufferedInput())  // the next record before the socket
      kick();
    else
      armRecv();
    return Step::kEvent;
  }
  if (multi) loop_->bufs().put(bid);
  int e = SSL_get_error(ssl_, r);
  if (e == SSL_ERROR_WANT_READ && !net_eof_ && !net_err_) return Step::kWantNet;
  read_ = ReadMode::kNone;
  if (e == SSL_ERROR_WANT_READ) {
    ev = {TransportEvent::kRecv, net_err_ ? net_err_ : 0};
  } else if (e == SSL_ERROR_ZERO_RETURN) {
    ev = {TransportEvent::kRecv, 0};  // close_notify, or the end with IGNORE_UNEXPECTED_EOF
  } else {
    failTls("SSL read");
    ev = {TransportEvent::kRecv, -EPROTO};
  }
  return Step::kEvent;
}

// What the bytes OpenSSL now holds make possible: the handshake's next step, or application
// bytes for a waiting read. At most one event.
bool TlsTransport::advance(TransportEvent& ev) {
  Step s = Step::kNothing;
  if (phase_ == Phase::kHandshake)
    s = stepHandshake(ev);
  else if (phase_ == Phase::kOpen && read_ != ReadMode::kNone)
    s = stepRead(ev);
  if (s == Step::kWantNet) armRecv();
  return s == Step::kEvent;
}

void TlsTransport::onConnected(int res, TransportEvent& ev, bool& has) {
  if (phase_ != Phase::kConnecting) return;  // cancelled meanwhile: reported already
  if (res < 0) {
    phase_ = Phase::kFailed;
    ev = {TransportEvent::kReady, res};
    has = true;
    return;
  }
  if (!ssl_) {
    error_ = "no TLS role set before connect";
    phase_ = Phase::kFailed;
    ev = {TransportEvent::kReady, -EPROTO};
    has = true;
    return;
  }
  phase_ = Phase::kHandshake;
  has = advance(ev);  // the ClientHello (behind the prefix)
}

void TlsTransport::onNetRecv(io_uring_cqe& cqe) {
  recv_armed_ = false;
  const uint8_t* data = own_in_.get();
  int bid = -1;
  if (cqe.flags & IORING_CQE_F_BUFFER) {
    bid = int(cqe.flags >> IORING_CQE_BUFFER_SHIFT);
    data = loop_->bufBase() + size_t(bid) * loop_->bufSize();
  } else {
    use_own_in_ = false;  // the next read tries the loop's buffers again
  }
  if (!closed_ && ssl_) {
    if (cqe.res > 0) {
      BIO_write(rbio_, data, cqe.res);
    } else if (cqe.res == 0) {
      net_eof_ = true;
      BIO_set_mem_eof_return(rbio_, 0);
    } else if (cqe.res == -ENOBUFS) {
      loop_->bufs().starved();
      use_own_in_ = true;  // advance() re-arms into our own buffer
    } else {
      net_err_ = cqe.res;
    }
  }
  if (bid >= 0) loop_->bufs().put(uint16_t(bid));
}

void TlsTransport::onNetSent(int res, TransportEvent& ev, bool& has) {
  sending_ = false;
  if (closed_) {
    releaseOut();
    return;
  }
  if (res <= 0) {
    releaseOut();
    net_err_ = send_err_ = res < 0 ? res : -EPIPE;
    if (writing_) {
      writing_ = false;
      ev = {TransportEvent::kSent, send_err_};
      has = true;
    }
    return;
  }
  out_off_ += size_t(res);
  if (out_off_ < out_len_) {
    sendOut();
    return;
  }
  releaseOut();
  if (flushOut()) return;                          // more records already made
  if (writing_ && phase_ != Phase::kOpen) return;  // the handshake's end starts the caller's bytes
  if (writing_ && woff_ < wlen_) {
    if (encryptMore() && flushOut()) return;
    writing_ = false;
    ev = {TransportEvent::kSent, send_err_ ? send_err_ : -EPROTO};
    has = true;
    return;
  }
  if (writing_) {
    writing_ = false;
    ev = {TransportEvent::kSent, int(wlen_)};
    has = true;
  }
  if (shut_pending_ && phase_ == Phase::kOpen) {
    shut_pending_ = false;
    ERR_clear_error();
    SSL_shutdown(ssl_);
    fin_after_flush_ = true;
    if (flushOut()) return;
  }
  if (fin_after_flush_) finishShutdown();
}

bool TlsTransport::onWake(TransportEvent& ev) {
  Deferred* ds[] = {&d_ready_, &d_recv_, &d_sent_};
  TransportEvent::Kind kinds[] = {TransportEvent::kReady, TransportEvent::kRecv, TransportEvent::kSent};
  for (int i = 0; i < 3; ++i) {
    if (!ds[i]->on) continue;
    ds[i]->on = false;
    ev = {kinds[i], ds[i]->res};
    if (d_ready_.on || d_recv_.on || d_sent_.on) kick();
    return true;
  }
  return ssl_ && advance(ev);
}

void TlsTransport::onCompletion(io_uring_cqe& cqe, uint32_t op) {
  --pending_;
  TransportEvent ev{TransportEvent::kDone, cqe.res};
  bool has = false;
  switch (op) {
    case kConnect:
      if (!closed_) onConnected(cqe.res, ev, has);
      break;
    case kRecv:
      onNetRecv(cqe);
      if (!closed_ && ssl_) has = advance(ev);
      break;
    case kSend:
      onNetSent(cqe.res, ev, has);
      break;
    case kPoll:
      if (!closed_) {
        ev.kind = TransportEvent::kPeerClosed;
        has = true;
      }
      break;
    case kWake:
      wake_armed_ = false;
      if (!closed_) has = onWake(ev);
      break;
    default:
      break;
  }
  if (!has && (op == kAux || closed_)) {
    ev = {TransportEvent::kDone, cqe.res};
    has = true;
  }
  if (closed_ && !pending_) {
    own_in_.reset();
    own_out_.reset();
  }
  // The last action: the user may close or free this transport from here on.
  if (has && user_) user_->onTransport(*this, ev);
}

}  // namespace lbc::rt

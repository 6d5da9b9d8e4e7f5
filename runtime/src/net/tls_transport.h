// TLS over the loop's io_uring: OpenSSL runs on two memory BIOs, the socket is read and written
// with the same ring operations as RawTransport. No thread, no blocking call: ciphertext comes
// in through one recv at a time (into a provided buffer, so an idle or handshaking connection
// holds no buffer of its own), goes out through one send at a time, and OpenSSL only sees it
// when it asks for it (WANT_READ), so what a peer can make it hold is one read plus one record.
//
// The contract of transport.h, as this transport keeps it:
// - Server side: setServer(ctx) then adopt(fd); handshake() is false and kReady (0, or -EPROTO
//   with error() set, or the socket's -errno) follows. Client side: setClient(ctx, sni) then
//   connect(); kReady comes once TCP and TLS are both done. The connect timeout bounds the TCP
//   connect only; the handshake is bounded by the session's own timer (timeout client/server),
//   as every other wait of a session is.
// - kRecv carries application bytes only (decrypted into the caller's memory for recvInto, into
//   a provided buffer taken from the loop for recvMultishot), 0 at the peer's close_notify or
//   end of stream (a missing close_notify is an ordinary end, as HAProxy treats it), -EPROTO on
//   a bad record, -ENOBUFS (multishot ends) when the loop has no free buffer.
// - send() encrypts the caller's bytes one record-sized chunk at a time; kSent (the caller's
//   whole length) comes once every record made from them has been handed to the kernel.
// - shutdownWrite() sends close_notify, then the FIN once it is out.
// - Each completion reports at most one event, as its last action: a follow-up (more decrypted
//   records, a deferred report) goes through a NOP on the ring, so the user may close or free
//   the transport from any event once busy() is 0.
//
// Idle pooling (detach): the SSL is the connection's state, so detach() parks it in a table of
// this thread indexed by the fd it returns (and checked against the socket's inode); adoptParked(fd) takes it
// back (ready at once), closeDetached(fd) sends close_notify (best effort) and frees it, probeIdle(fd) also
// says no when decrypted bytes wait. The idle pool keeps fds as it does today and calls this class's statics
// for TLS ones. detach() needs nothing pending (an idle connection has nothing).
#pragma once
#include <linux/time_types.h>
#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <string_view>

#include "core/loop.h"
#include "tls_context.h"
#include "transport.h"

namespace lbc::rt {

class TlsTransport final : public Transport {
 public:
  TlsTransport() = default;
  explicit TlsTransport(Loop* loop) : loop_(loop) {}
  TlsTransport(const TlsTransport&) = delete;
  TlsTransport& operator=(const TlsTransport&) = delete;
  ~TlsTransport();
  void setLoop(Loop* loop) { loop_ = loop; }

  // The role, chosen before adopt() (server) or connect() (client). False (error() set) when
  // OpenSSL cannot make the SSL.
  bool setServer(const TlsServerContext& ctx);
  bool setClient(const TlsClientContext& ctx, std::string_view sni);

  void adopt(int fd, bool nodelay) override;
  bool connect(const sockaddr* addr, socklen_t len, uint64_t timeout_ms, bool nodelay) override;
  bool handshake() override;
  void recvMultishot() override;
  void recvInto(void* buf, size_t len) override;
  void stopRecv() override;
  void cancelPending() override;
  void send(const void* buf, size_t len) override;
  void setSendPrefix(std::string_view bytes) override { prefix_ = bytes; }
  void shutdownWrite() override;
  void watchPeerClose() override;
  void close(bool reset) override;
  void closeNow(bool reset) override;
  void resetOnClose() override;
  bool connectedNow() const override;
  bool idleAlive() const override;
  void discardUnread() override;
  int detach() override;

  void onCompletion(io_uring_cqe& cqe, uint32_t op) override;

  // The pooled side of detach().
  void adoptParked(int fd);
  static bool probeIdle(int fd);
  static void closeDetached(int fd);
  static size_t parkedCount();  // this thread's parked SSLs (tests)

  // What the handshake chose (after kReady), for fetches and logs.
  SSL* ssl() const { return ssl_; }
  std::string_view alpn() const;
  std::string_view serverName() const;  // the SNI the client sent (server side)
  std::string_view version() const;
  std::string_view cipher() const;
  bool sessionReused() const { return ssl_ && SSL_session_reused(ssl_); }
  bool handshakeDone() const { return phase_ == Phase::kOpen; }
  const std::string& error() const { return error_; }  // why the last -EPROTO

 private:
  enum Op : uint32_t { kConnect = 1, kRecv, kSend, kPoll, kWake, kAux };
  enum class Phase : uint8_t { kNone, kConnecting, kHandshake, kOpen, kFailed };
  enum class ReadMode : uint8_t { kNone, kInto, kMulti };
  enum class Step : uint8_t { kEvent, kWantNet, kNothing };

  static bool peekIdle(int fd);
  static bool absorbIdle(int fd, SSL* ssl);
  static void sendNow(int fd, SSL* ssl);
  static void closeNotifyNow(int fd, SSL* ssl, bool can_send);

  io_uring_sqe* submit(uint32_t op);
  bool makeSsl(SSL_CTX* ctx);
  void freeSsl();
  void reset();
  void kick();
  void armRecv();
  bool flushOut();
  bool encryptMore();
  void sendOut();
  void releaseOut();
  void finishShutdown();
  bool bufferedInput() const;
  bool helloComplete() const;
  void failTls(const char* what);

  Step stepHandshake(TransportEvent& ev);
  Step stepRead(TransportEvent& ev);
  bool advance(TransportEvent& ev);
  bool onWake(TransportEvent& ev);
  void onConnected(int res, TransportEvent& ev, bool& has);
  void onNetRecv(io_uring_cqe& cqe);
  void onNetSent(int res, TransportEvent& ev, bool& has);

  // A report owed without a completion of its own (a failure known at the call, a cancel, the
  // end of a stopped read): it goes out on the next NOP.
  struct Deferred {
    bool on = false;
    int res = 0;
  };

  Loop* loop_ = nullptr;
  SSL* ssl_ = nullptr;
  BIO* rbio_ = nullptr;  // owned by ssl_
  BIO* wbio_ = nullptr;
  Phase phase_ = Phase::kNone;
  ReadMode read_ = ReadMode::kNone;
  void* into_buf_ = nullptr;
  size_t into_len_ = 0;

  // Network side.
  __kernel_timespec connect_ts_{};
  bool recv_armed_ = false;
  bool net_eof_ = false;
  int net_err_ = 0;  // -errno of the socket, once failed
  bool use_own_in_ = false;
  std::unique_ptr<uint8_t[]> own_in_;  // when the loop had no free buffer
  std::unique_ptr<uint8_t[]> own_out_;
  uint8_t* out_ = nullptr;  // ciphertext being sent: a provided buffer or own_out_
  int out_bid_ = -1;
  size_t out_len_ = 0, out_off_ = 0;
  bool sending_ = false;
  std::string_view prefix_;

  // The caller's send.
  const uint8_t* wbuf_ = nullptr;
  size_t wlen_ = 0, woff_ = 0;
  bool writing_ = false;
  int send_err_ = 0;

  bool shut_pending_ = false;  // close_notify then FIN once the caller's bytes are out
  bool fin_after_flush_ = false;
  bool wake_armed_ = false;
  bool hello_wait_ = false;  // server: the first record is not whole yet
  Deferred d_ready_, d_recv_, d_sent_;
  bool closed_ = true;  // close() ran: completions only report kDone
  std::string error_;
};

}  // namespace lbc::rt

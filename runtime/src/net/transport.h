// The Transport: how a session (or a health check) moves bytes over one socket. Every recv,
// send, connect, shutdown and close goes through it; the session never touches the socket or the
// ring. One implementation today (RawTransport: the socket over io_uring); a TLS transport
// (OpenSSL over memory BIOs) is a second one, and the contract below is written for it:
//
// - Handshake: after adopt(), handshake() says whether the transport is ready at once (raw) or
//   reports kReady later (TLS: ClientHello...Finished run inside the transport). connect()
//   reports kReady once the connection AND the handshake are done.
// - Reads that yield no application bytes (a TLS record split, a session ticket, a
//   renegotiation) are the transport's business: a kRecv event carries application bytes, the
//   end of the stream (res 0) or an error, never "nothing". `more` says a multishot read goes on.
//   Bytes arrive in the loop's provided buffers (recvMultishot: buffer `bid`, the session owns it
//   until it gives it back) or in the caller's memory (recvInto); a TLS transport decrypts into
//   such a buffer, so a session cannot tell the difference.
// - Writes that must be retried (a TLS write wanting a read first, a partial record, a prefix
//   still going out): send() owns the caller's bytes until its kSent, which counts only the
//   caller's bytes consumed. The caller's memory stays valid until then.
// - A shutdown that sends bytes: shutdownWrite() may queue a close_notify before the FIN; the
//   session only learns that its side is shut.
// - A prefix: setSendPrefix() queues bytes that go out before the caller's first send (the PROXY
//   protocol header of `send-proxy`), without the session seeing them in its counts.
//
// Operations still pending are counted (busy()): the object that embeds a transport is not
// reused before every completion of it has come back.
#pragma once
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/io_handler.h"

namespace lbc::rt {

class Transport;

struct TransportEvent {
  enum Kind : uint8_t {
    kReady,       // connect (and handshake) ended: res 0, or -errno (-ECANCELED: its timeout)
    kRecv,        // res > 0 application bytes, 0 the peer's end of stream, < 0 -errno
    kSent,        // res bytes of the caller's send consumed, or -errno
    kPeerClosed,  // watchPeerClose fired: poll revents (POLLRDHUP, POLLERR, POLLHUP), or -errno
    kDone,        // a bookkeeping operation ended (a cancel, a close, a connect's timer)
  };
  Kind kind;
  int res;
  bool more = false;      // kRecv: the multishot read goes on
  bool buffered = false;  // kRecv with res > 0 from recvMultishot: the bytes are in buffer `bid`
  uint16_t bid = 0;
};

// The object a transport reports to: a session, a health check.
class TransportUser {
 public:
  virtual void onTransport(Transport& t, const TransportEvent& ev) = 0;

 protected:
  ~TransportUser() = default;
};

class Transport : public IoHandler {
 public:
  void setUser(TransportUser* u) { user_ = u; }

  // The socket: an accepted one, or a new one connected to `addr` within `timeout_ms` (0: no
  // bound). False when no socket could be made (errno set); nothing is pending then.
  virtual void adopt(int fd, bool nodelay) = 0;
  virtual bool connect(const sockaddr* addr, socklen_t len, uint64_t timeout_ms, bool nodelay) = 0;
  // True: ready now; false: kReady follows (TLS handshake).
  virtual bool handshake() = 0;

  // Reads into the loop's provided buffers until stopped (or the peer ends), or once into
  // [buf, buf+len).
  virtual void recvMultishot() = 0;
  virtual void recvInto(void* buf, size_t len) = 0;
  // Reads once into one of the loop's provided buffers (kRecv `buffered`, or -ENOBUFS when none
  // is free): a reader that holds no memory of its own while it waits. False when this transport
  // does not offer it (the caller reads into its own memory).
  virtual bool recvBuffered() { return false; }
  virtual void stopRecv() = 0;       // the multishot read ends (its last kRecv says so)
  virtual void cancelPending() = 0;  // every pending operation ends (-ECANCELED)
  virtual void send(const void* buf, size_t len) = 0;
  virtual void setSendPrefix(std::string_view bytes) = 0;  // before the first send's bytes
  virtual void shutdownWrite() = 0;
  // One report when the peer shuts or resets, consuming nothing (option abortonclose).
  virtual void watchPeerClose() = 0;
  // Everything pending is cancelled and the socket closed; `reset` sends an RST (SO_LINGER 0)
  // as an abort is forwarded. close() goes through the ring (completions follow); closeNow()
  // closes at once (nothing may be pending).
  virtual void close(bool reset) = 0;
  virtual void closeNow(bool reset) = 0;
  // The next close sends a reset.
  virtual void resetOnClose() = 0;

  // Questions answered without waiting.
  virtual bool connectedNow() const = 0;  // an outgoing connect already succeeded
  virtual bool idleAlive() const = 0;     // the peer neither closed nor sent anything
  virtual void discardUnread() = 0;       // what the peer sent and nobody read (bounded)
  bool peerAddr(sockaddr_storage& out) const;
  bool localAddr(sockaddr_storage& out) const;

  // An idle connection leaves its session (a pool of idle server connections keeps it): the
  // socket is handed out and the transport is empty.
  virtual int detach() = 0;

  bool open() const { return fd_ >= 0; }
  uint32_t busy() const { return pending_; }

 protected:
  Transport() = default;
  ~Transport() = default;

  TransportUser* user_ = nullptr;
  int fd_ = -1;
  uint32_t pending_ = 0;  // operations whose last completion has not come back
};

}  // namespace lbc::rt

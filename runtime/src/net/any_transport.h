// A transport slot that is either a RawTransport or a TlsTransport: what a connection embeds for
// its client socket and a stream for its server socket. The raw transport is in place; the TLS
// one (three times its size) is allocated the first time the slot carries TLS and kept for the
// slot's later TLS connections, so a raw connection pays one pointer for TLS, not its size
// (e2e_memory's idle TCP connections). Calls are forwarded with one predictable branch on the
// kind to the final classes, so the raw path makes the same direct calls it made before TLS
// existed (no virtual call on the relay's hot path). `get()` gives the Transport for code that
// takes the interface.
//
// The kind changes only between connections (nothing pending, socket closed); the loop and the
// user it reports to are kept across the change.
#pragma once
#include <memory>
#include <utility>

#include "raw_transport.h"
#include "tls_transport.h"

namespace lbc::rt {

class AnyTransport {
 public:
  AnyTransport() = default;
  AnyTransport(const AnyTransport&) = delete;
  AnyTransport& operator=(const AnyTransport&) = delete;

  bool isTls() const { return tls_on_; }
  Transport& get() { return tls_on_ ? static_cast<Transport&>(*tls_) : raw_; }
  const Transport& get() const { return tls_on_ ? static_cast<const Transport&>(*tls_) : raw_; }
  TlsTransport* tls() { return tls_on_ ? tls_.get() : nullptr; }
  RawTransport& raw() { return raw_; }  // the raw kind's own operations (the PROXY header)
  const TlsTransport* tls() const { return tls_on_ ? tls_.get() : nullptr; }

  // The kind for the next socket (no-op when it already is). Nothing may be pending.
  TlsTransport& useTls() {
    if (!tls_on_) {
      if (!tls_) tls_ = std::make_unique<TlsTransport>(loop_);
      tls_on_ = true;
      tls_->setUser(user_);
    }
    return *tls_;
  }
  void useRaw() {
    if (tls_on_) {
      // A fresh TLS state for the slot's next TLS connection; its OpenSSL objects go now.
      std::destroy_at(tls_.get());
      std::construct_at(tls_.get(), loop_);
      tls_on_ = false;
      raw_.setUser(user_);
    }
  }

  void setLoop(Loop* loop) {
    loop_ = loop;
    raw_.setLoop(loop);
    if (tls_) tls_->setLoop(loop);
  }
  void setUser(TransportUser* u) {
    user_ = u;
    raw_.setUser(u);
    if (tls_) tls_->setUser(u);
  }

#define LBC_ANY(call) return tls_on_ ? tls_->call : raw_.call
  void adopt(int fd, bool nodelay) {
    LBC_ANY(adopt(fd, nodelay));
  }
  bool connect(const sockaddr* addr, socklen_t len, uint64_t timeout_ms, bool nodelay) {
    LBC_ANY(connect(addr, len, timeout_ms, nodelay));
  }
  bool handshake() {
    LBC_ANY(handshake());
  }
  void recvMultishot() {
    LBC_ANY(recvMultishot());
  }
  void recvInto(void* buf, size_t len) {
    LBC_ANY(recvInto(buf, len));
  }
  bool recvBuffered() {
    LBC_ANY(recvBuffered());
  }
  void stopRecv() {
    LBC_ANY(stopRecv());
  }
  void cancelPending() {
    LBC_ANY(cancelPending());
  }
  void send(const void* buf, size_t len) {
    LBC_ANY(send(buf, len));
  }
  void setSendPrefix(std::string_view bytes) {
    LBC_ANY(setSendPrefix(bytes));
  }
  void shutdownWrite() {
    LBC_ANY(shutdownWrite());
  }
  void watchPeerClose() {
    LBC_ANY(watchPeerClose());
  }
  void close(bool reset) {
    LBC_ANY(close(reset));
  }
  void closeNow(bool reset) {
    LBC_ANY(closeNow(reset));
  }
  void resetOnClose() {
    LBC_ANY(resetOnClose());
  }
  bool connectedNow() const {
    LBC_ANY(connectedNow());
  }
  bool idleAlive() const {
    LBC_ANY(idleAlive());
  }
  void discardUnread() {
    LBC_ANY(discardUnread());
  }
  int detach() {
    LBC_ANY(detach());
  }
  bool peerAddr(sockaddr_storage& out) const {
    LBC_ANY(peerAddr(out));
  }
  bool localAddr(sockaddr_storage& out) const {
    LBC_ANY(localAddr(out));
  }
  bool open() const {
    LBC_ANY(open());
  }
  uint32_t busy() const {
    LBC_ANY(busy());
  }
#undef LBC_ANY

 private:
  RawTransport raw_;
  std::unique_ptr<TlsTransport> tls_;  // allocated at the slot's first TLS connection
  bool tls_on_ = false;
  Loop* loop_ = nullptr;
  TransportUser* user_ = nullptr;
};

}  // namespace lbc::rt

#include "upstream/idle_pool.h"

#include "net/tls_transport.h"

namespace lbc::rt {

// TlsTransport's statics serve raw descriptors too (a parked SSL is found by its fd).
bool IdlePool::alive(int fd) {
  return TlsTransport::probeIdle(fd);
}

void IdlePool::close(int fd) {
  TlsTransport::closeDetached(fd);
}

void IdlePool::park(IdleServerConn e, uint64_t now, bool stopping) {
  if (stopping || e.expire <= now || !alive(e.fd)) {
    close(e.fd);
    return;
  }
  if (conns_.size() >= kMax) {  // the oldest makes room
    close(conns_.front().fd);
    conns_.erase(conns_.begin());
  }
  conns_.push_back(e);
}

int IdlePool::take(const ServerState* s, uint64_t now) {
  for (size_t i = conns_.size(); i-- > 0;) {
    IdleServerConn e = conns_[i];
    if (e.srv != s) continue;
    conns_.erase(conns_.begin() + ptrdiff_t(i));
    if (e.expire > now && alive(e.fd)) return e.fd;
    close(e.fd);
  }
  return -1;
}

void IdlePool::sweep(uint64_t now, bool all) {
  if (conns_.empty() || (!all && now < next_sweep_)) return;
  next_sweep_ = now + 250;
  size_t k = 0;
  for (const IdleServerConn& e : conns_) {
    if (all || e.expire <= now || !alive(e.fd))
      close(e.fd);
    else
      conns_[k++] = e;
  }
  conns_.resize(k);
}

}  // namespace lbc::rt

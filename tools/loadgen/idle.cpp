// Scenario `idle`: open K connections (at most --connect-concurrency connecting at once), complete one
// echo exchange on each so the proxy has really connected it to the backend, print a JSON line
// ("phase":"established"), then hold them until stdin reaches EOF (or --hold S seconds). A connection
// closed by the other side while held counts as dropped. Finally every held connection does a second
// exchange and a last JSON line ("phase":"verified") says how many were still alive.
// Single-threaded: establishing is not what is measured, the proxy's memory while holding is.
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "common.h"

namespace lbc::loadgen {
namespace {

enum class State { kQueued, kConnecting, kExchanging, kHeld, kClosed };

struct Idle {
  int fd = -1;
  State state = State::kQueued;
  size_t sent = 0;
  size_t got = 0;
  uint64_t start = 0;
};

class IdleRunner {
 public:
  IdleRunner(const Options& o, int count) : o_(o), conns_(size_t(count)), message_(o.messageSize, 'i') {
    buf_.resize(o.messageSize + 1);
  }
  int run();

 private:
  void begin(Idle& c, uint64_t now);
  void exchange(Idle& c, uint64_t now);
  void onEvent(Idle& c, uint32_t events);
  void fail(Idle& c, const char* kind, int err);
  void watch(Idle& c, uint32_t events, int op);
  bool pumpExchanges(bool verifying);
  bool waitHold();

  const Options& o_;
  std::vector<Idle> conns_;
  std::string message_;
  std::vector<char> buf_;
  int ep_ = -1;
  int busy_ = 0;  // connections connecting or exchanging
  uint64_t held_ = 0;
  uint64_t dropped_ = 0;
  Errors errors_;
};

void IdleRunner::watch(Idle& c, uint32_t events, int op) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = &c;
  epoll_ctl(ep_, op, c.fd, &ev);
}

void IdleRunner::fail(Idle& c, const char* kind, int err) {
  errors_.add(kind, err ? std::strerror(err) : "unexpected data or end of stream");
  if (c.fd >= 0) close(c.fd);
  if (c.state == State::kConnecting || c.state == State::kExchanging) --busy_;
  c.fd = -1;
  c.state = State::kClosed;
}

void IdleRunner::begin(Idle& c, uint64_t now) {
  bool connected = false;
  c.start = now;
  c.fd = startConnect(o_, &connected);
  if (c.fd < 0) {
    errors_.add("connect", std::strerror(errno));
    c.state = State::kClosed;
    return;
  }
  ++busy_;
  c.state = State::kConnecting;
  watch(c, EPOLLOUT, EPOLL_CTL_ADD);
}

// Sends the message (the socket buffer of a fresh connection always has room for it) and waits for
// the echo.
void IdleRunner::exchange(Idle& c, uint64_t now) {
  c.sent = 0;
  c.got = 0;
  c.start = now;
  c.state = State::kExchanging;
  ssize_t n = send(c.fd, message_.data(), message_.size(), MSG_NOSIGNAL);
  if (n != ssize_t(message_.size())) {
    fail(c, "send", n < 0 ? errno : 0);
    return;
  }
  watch(c, EPOLLIN | EPOLLRDHUP, EPOLL_CTL_MOD);
}

void IdleRunner::onEvent(Idle& c, uint32_t events) {
  switch (c.state) {
    case State::kConnecting: {
      int err = socketError(c.fd);
      if (err) {
        fail(c, err == ECONNREFUSED ? "refused" : "connect", err);
        return;
      }
      exchange(c, nowNs());
      return;
    }
    case State::kExchanging: {
      ssize_t n = recv(c.fd, buf_.data(), buf_.size(), 0);
      if (n < 0) {
        if (errno == EAGAIN || errno == EINTR) return;
        fail(c, errno == ECONNRESET ? "reset" : "recv", errno);
        return;
      }
      if (n == 0 || c.got + size_t(n) > message_.size() ||
          std::memcmp(buf_.data(), message_.data() + c.got, size_t(n))) {
        fail(c, n == 0 ? "eof" : "mismatch", 0);
        return;
      }
      c.got += size_t(n);
      if (c.got < message_.size()) return;
      --busy_;
      c.state = State::kHeld;
      watch(c, EPOLLRDHUP, EPOLL_CTL_MOD);  // only a close or reset wakes a held connection
      return;
    }
    case State::kHeld:
      (void)events;
      ++dropped_;
      close(c.fd);
      c.fd = -1;
      c.state = State::kClosed;
      return;
    case State::kQueued:
    case State::kClosed:
      return;
  }
}

// Runs until no connection is connecting or exchanging; while establishing, starts queued connections
// as slots free up. Returns false if epoll fails.
bool IdleRunner::pumpExchanges(bool verifying) {
  size_t next = 0;
  const uint64_t timeoutNs = uint64_t(o_.timeout * 1e9);
  epoll_event events[256];
  for (;;) {
    uint64_t now = nowNs();
    while (!verifying && busy_ < o_.connectConcurrency && next < conns_.size()) begin(conns_[next++], now);
    if (busy_ == 0 && (verifying || next == conns_.size())) return true;
    int n = epoll_wait(ep_, events, 256, 100);
    if (n < 0 && errno != EINTR) return false;
    for (int i = 0; i < n; ++i) onEvent(*static_cast<Idle*>(events[i].data.ptr), events[i].events);
    now = nowNs();
    for (Idle& c : conns_) {
      if ((c.state == State::kConnecting || c.state == State::kExchanging) && now - c.start > timeoutNs) {
        fail(c, "timeout", ETIMEDOUT);
      }
    }
  }
}

// Holds until stdin reaches EOF (the driver closes it once it has measured) or --hold seconds pass;
// connections closed meanwhile by the other side are counted as dropped.
bool IdleRunner::waitHold() {
  bool useStdin = o_.hold < 0;
  if (useStdin) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = nullptr;
    if (epoll_ctl(ep_, EPOLL_CTL_ADD, 0, &ev) < 0) {
      std::fprintf(stderr, "lbc_loadgen: cannot wait on stdin (%s); use --hold S\n", std::strerror(errno));
      return false;
    }
  }
  uint64_t until = useStdin ? UINT64_MAX : nowNs() + uint64_t(o_.hold * 1e9);
  epoll_event events[256];
  for (;;) {
    uint64_t now = nowNs();
    if (now >= until) return true;
    int wait = useStdin ? 1000 : int(std::min<uint64_t>((until - now) / 1000000 + 1, 1000));
    int n = epoll_wait(ep_, events, 256, wait);
    if (n < 0 && errno != EINTR) return false;
    for (int i = 0; i < n; ++i) {
      if (events[i].data.ptr == nullptr) {
        char tmp[256];
        ssize_t r = read(0, tmp, sizeof tmp);
        if (r <= 0 && !(r < 0 && errno == EINTR)) {
          epoll_ctl(ep_, EPOLL_CTL_DEL, 0, nullptr);
          return true;
        }
        continue;
      }
      onEvent(*static_cast<Idle*>(events[i].data.ptr), events[i].events);
    }
  }
}

int IdleRunner::run() {
  ep_ = epoll_create1(EPOLL_CLOEXEC);
  uint64_t start = nowNs();
  if (!pumpExchanges(false)) return 1;
  double establishSeconds = double(nowNs() - start) / 1e9;
  for (const Idle& c : conns_) held_ += c.state == State::kHeld ? 1 : 0;
  Json first;
  first.str("scenario", "idle")
      .str("phase", "established")
      .str("target", o_.target)
      .num("requested", uint64_t(conns_.size()))
      .num("connections", held_)
      .num("establish_s", establishSeconds)
      .num("errors", errors_.total)
      .raw("error_kinds", errorsJson(errors_));
  std::printf("%s\n", first.done().c_str());
  std::fflush(stdout);

  if (!waitHold()) return 1;

  uint64_t now = nowNs();
  for (Idle& c : conns_) {
    if (c.state != State::kHeld) continue;
    ++busy_;
    exchange(c, now);
  }
  if (!pumpExchanges(true)) return 1;
  uint64_t alive = 0;
  for (Idle& c : conns_) {
    if (c.state == State::kHeld) ++alive;
    if (c.fd >= 0) close(c.fd);
  }
  close(ep_);
  Json last;
  last.str("scenario", "idle")
      .str("phase", "verified")
      .num("connections", held_)
      .num("alive", alive)
      .num("dropped", dropped_)
      .num("errors", errors_.total)
      .raw("error_kinds", errorsJson(errors_));
  std::printf("%s\n", last.done().c_str());
  std::fflush(stdout);
  if (!errors_.first.empty()) std::fprintf(stderr, "lbc_loadgen: first error: %s\n", errors_.first.c_str());
  return errors_.total == 0 && dropped_ == 0 && alive == conns_.size() ? 0 : 1;
}

}  // namespace

int runIdle(const Options& o) {
  int count = o.connections < 0 ? 10000 : o.connections;
  if (count <= 0 || o.connectConcurrency <= 0) {
    std::fprintf(stderr, "lbc_loadgen: idle needs --connections > 0 and --connect-concurrency > 0\n");
    return 2;
  }
  IdleRunner r(o, count);
  return r.run();
}

}  // namespace lbc::loadgen

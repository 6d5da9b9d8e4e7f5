// Scenario `conn`: N workers, each in a loop: connect, send a small message, read its echo, close.
// Measures completed connections per second and the latency of the whole cycle (connect to echo).
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <thread>

#include "common.h"

namespace lbc::loadgen {
namespace {

struct Slot {
  int fd = -1;
  uint64_t start = 0;  // when connect() was called
  size_t sent = 0;
  size_t got = 0;
  bool connecting = false;
  uint64_t retryAt = 0;  // after an error, when to start again
};

struct ConnResult {
  uint64_t completed = 0;
  uint64_t inWindow = 0;  // completed before the deadline
  std::vector<uint32_t> latencyUs;
  Errors errors;
};

class ConnWorker {
 public:
  ConnWorker(const Options& o, int slots, uint64_t start, uint64_t deadline)
      : o_(o), slots_(size_t(slots)), start_(start), deadline_(deadline), message_(o.messageSize, 0) {
    for (size_t i = 0; i < message_.size(); ++i) message_[i] = char('a' + i % 26);
    buf_.resize(o.messageSize + 1);
    res_.latencyUs.reserve(1 << 16);
  }

  void run();
  ConnResult& result() { return res_; }

 private:
  void begin(Slot& s, uint64_t now);
  void fail(Slot& s, const char* kind, int err, uint64_t now);
  void onEvent(Slot& s, uint32_t events);
  void sendMessage(Slot& s);
  void finish(Slot& s, uint64_t now);
  void watch(Slot& s, uint32_t events, int op);

  const Options& o_;
  std::vector<Slot> slots_;
  uint64_t start_, deadline_;
  std::string message_;
  std::vector<char> buf_;
  int ep_ = -1;
  int inFlight_ = 0;
  ConnResult res_;
};

void ConnWorker::watch(Slot& s, uint32_t events, int op) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = &s;
  epoll_ctl(ep_, op, s.fd, &ev);
}

void ConnWorker::begin(Slot& s, uint64_t now) {
  s.start = now;
  s.sent = 0;
  s.got = 0;
  s.retryAt = 0;
  bool connected = false;
  s.fd = startConnect(o_, &connected);
  if (s.fd < 0) {
    fail(s, "connect", errno, now);
    return;
  }
  ++inFlight_;
  s.connecting = !connected;
  if (connected) {
    watch(s, EPOLLIN, EPOLL_CTL_ADD);
    sendMessage(s);
  } else {
    watch(s, EPOLLOUT, EPOLL_CTL_ADD);
  }
}

void ConnWorker::fail(Slot& s, const char* kind, int err, uint64_t now) {
  res_.errors.add(kind, err ? std::strerror(err) : "unexpected data or end of stream");
  if (s.fd >= 0) {
    close(s.fd);
    s.fd = -1;
    --inFlight_;
  }
  // Back off a little so a refusing target does not turn the run into a busy loop of errors.
  s.retryAt = now + 1000000;
}

void ConnWorker::sendMessage(Slot& s) {
  while (s.sent < message_.size()) {
    ssize_t n = send(s.fd, message_.data() + s.sent, message_.size() - s.sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        watch(s, EPOLLOUT, EPOLL_CTL_MOD);
        return;
      }
      fail(s, "send", errno, nowNs());
      return;
    }
    s.sent += size_t(n);
  }
}

void ConnWorker::finish(Slot& s, uint64_t now) {
  close(s.fd);
  s.fd = -1;
  --inFlight_;
  ++res_.completed;
  if (now <= deadline_) ++res_.inWindow;
  res_.latencyUs.push_back(uint32_t(std::min<uint64_t>((now - s.start) / 1000, UINT32_MAX)));
  if (now < deadline_) begin(s, now);
}

void ConnWorker::onEvent(Slot& s, uint32_t events) {
  if (s.fd < 0) return;
  if (s.connecting) {
    int err = socketError(s.fd);
    if (err) {
      fail(s, err == ECONNREFUSED ? "refused" : "connect", err, nowNs());
      return;
    }
    s.connecting = false;
    watch(s, EPOLLIN, EPOLL_CTL_MOD);
    sendMessage(s);
    return;
  }
  if (s.sent < message_.size() && (events & EPOLLOUT)) {
    watch(s, EPOLLIN, EPOLL_CTL_MOD);
    sendMessage(s);
    return;
  }
  ssize_t n = recv(s.fd, buf_.data(), buf_.size(), 0);
  if (n < 0) {
    if (errno == EAGAIN || errno == EINTR) return;
    fail(s, errno == ECONNRESET ? "reset" : "recv", errno, nowNs());
    return;
  }
  if (n == 0) {
    fail(s, "eof", 0, nowNs());
    return;
  }
  if (s.got + size_t(n) > message_.size() || std::memcmp(buf_.data(), message_.data() + s.got, size_t(n))) {
    fail(s, "mismatch", 0, nowNs());
    return;
  }
  s.got += size_t(n);
  if (s.got == message_.size()) finish(s, nowNs());
}

void ConnWorker::run() {
  ep_ = epoll_create1(EPOLL_CLOEXEC);
  uint64_t now = nowNs();
  for (Slot& s : slots_) begin(s, now);
  const uint64_t timeoutNs = uint64_t(o_.timeout * 1e9);
  uint64_t lastSweep = now;
  epoll_event events[256];
  for (;;) {
    now = nowNs();
    if (now >= deadline_ && inFlight_ == 0) break;
    int n = epoll_wait(ep_, events, 256, 10);
    for (int i = 0; i < n; ++i) onEvent(*static_cast<Slot*>(events[i].data.ptr), events[i].events);
    now = nowNs();
    if (now - lastSweep < 10000000) continue;
    lastSweep = now;
    for (Slot& s : slots_) {
      if (s.fd >= 0 && now - s.start > timeoutNs) fail(s, "timeout", ETIMEDOUT, now);
      if (s.fd < 0 && s.retryAt && now >= s.retryAt && now < deadline_) begin(s, now);
    }
  }
  close(ep_);
}

}  // namespace

int runConn(const Options& o) {
  if (o.concurrency < o.threads) {
    std::fprintf(stderr, "lbc_loadgen: --concurrency must be at least --threads\n");
    return 2;
  }
  uint64_t start = nowNs();
  uint64_t deadline = start + uint64_t(o.duration * 1e9);
  std::vector<std::unique_ptr<ConnWorker>> workers;
  for (int t = 0; t < o.threads; ++t) {
    int slots = o.concurrency / o.threads + (t < o.concurrency % o.threads ? 1 : 0);
    workers.push_back(std::make_unique<ConnWorker>(o, slots, start, deadline));
  }
  std::vector<std::thread> threads;
  for (auto& w : workers) threads.emplace_back([&w] { w->run(); });
  for (auto& t : threads) t.join();
  uint64_t end = nowNs();

  ConnResult total;
  for (auto& w : workers) {
    ConnResult& r = w->result();
    total.completed += r.completed;
    total.inWindow += r.inWindow;
    total.latencyUs.insert(total.latencyUs.end(), r.latencyUs.begin(), r.latencyUs.end());
    total.errors.merge(r.errors);
  }
  double window = double(deadline - start) / 1e9;
  Json j;
  j.str("scenario", "conn")
      .str("target", o.target)
      .num("threads", uint64_t(o.threads))
      .num("concurrency", uint64_t(o.concurrency))
      .num("message_size", uint64_t(o.messageSize))
      .num("duration_s", window)
      .num("elapsed_s", double(end - start) / 1e9)
      .num("connections", total.completed)
      .num("connections_in_window", total.inWindow)
      .num("conn_per_s", double(total.inWindow) / window)
      .num("latency_p50_us", uint64_t(percentile(total.latencyUs, 50)))
      .num("latency_p99_us", uint64_t(percentile(total.latencyUs, 99)))
      .num("latency_max_us", uint64_t(percentile(total.latencyUs, 100)))
      .num("errors", total.errors.total)
      .raw("error_kinds", errorsJson(total.errors));
  std::printf("%s\n", j.done().c_str());
  std::fflush(stdout);
  if (!total.errors.first.empty())
    std::fprintf(stderr, "lbc_loadgen: first error: %s\n", total.errors.first.c_str());
  return total.errors.total == 0 && total.completed > 0 ? 0 : 1;
}

}  // namespace lbc::loadgen

// Scenario `stream`: C connections moving bulk data for D seconds, every byte count verified.
//   up:   each connection sends for D seconds, shuts its write side, and reads the count the sink
//         (`lbc_testsrv sink`) writes back at EOF; the count must equal what was sent.
//   down: each connection reads from `lbc_testsrv source N` until EOF and must receive exactly N bytes
//         (--bytes N); connections are reopened until D seconds have passed.
// Throughput counts verified bytes only, over the time until the last transfer was verified.
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

enum class Phase { kConnecting, kSending, kWaitCount, kReceiving, kDone };

struct Xfer {
  int fd = -1;
  Phase phase = Phase::kDone;
  uint64_t bytes = 0;
  uint64_t lastProgress = 0;
  std::string line;  // up: the sink's count
};

struct StreamResult {
  uint64_t verified = 0;
  uint64_t transfers = 0;
  uint64_t lastDone = 0;
  Errors errors;
};

class StreamWorker {
 public:
  StreamWorker(const Options& o, int conns, uint64_t deadline)
      : o_(o), up_(o.direction == "up"), xfers_(size_t(conns)), deadline_(deadline), buf_(o.chunk, 'x') {}

  void run();
  StreamResult& result() { return res_; }

 private:
  void begin(Xfer& x, uint64_t now);
  void fail(Xfer& x, const char* kind, int err);
  void onEvent(Xfer& x);
  void pump(Xfer& x, uint64_t now);
  void readCount(Xfer& x, uint64_t now);
  void readBulk(Xfer& x, uint64_t now);
  void watch(Xfer& x, uint32_t events, int op);
  void done(Xfer& x, uint64_t now);

  const Options& o_;
  bool up_;
  std::vector<Xfer> xfers_;
  uint64_t deadline_;
  std::vector<char> buf_;
  int ep_ = -1;
  int active_ = 0;
  StreamResult res_;
};

void StreamWorker::watch(Xfer& x, uint32_t events, int op) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = &x;
  epoll_ctl(ep_, op, x.fd, &ev);
}

void StreamWorker::begin(Xfer& x, uint64_t now) {
  x.bytes = 0;
  x.line.clear();
  x.lastProgress = now;
  bool connected = false;
  x.fd = startConnect(o_, &connected);
  if (x.fd < 0) {
    res_.errors.add("connect", std::strerror(errno));
    x.phase = Phase::kDone;
    return;
  }
  ++active_;
  x.phase = Phase::kConnecting;
  watch(x, EPOLLOUT, EPOLL_CTL_ADD);
}

void StreamWorker::fail(Xfer& x, const char* kind, int err) {
  res_.errors.add(kind, err ? std::strerror(err) : "byte count or end of stream not as expected");
  close(x.fd);
  x.fd = -1;
  x.phase = Phase::kDone;
  --active_;
}

void StreamWorker::done(Xfer& x, uint64_t now) {
  res_.verified += x.bytes;
  ++res_.transfers;
  res_.lastDone = now;
  close(x.fd);
  x.fd = -1;
  x.phase = Phase::kDone;
  --active_;
  if (!up_ && now < deadline_) begin(x, now);
}

void StreamWorker::pump(Xfer& x, uint64_t now) {
  if (now >= deadline_) {
    shutdown(x.fd, SHUT_WR);
    x.phase = Phase::kWaitCount;
    x.lastProgress = now;
    watch(x, EPOLLIN, EPOLL_CTL_MOD);
    return;
  }
  // A consumer as fast as this loop would never return EAGAIN: look at the clock every few sends.
  for (int i = 1;; ++i) {
    ssize_t n = send(x.fd, buf_.data(), buf_.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) return;
      fail(x, errno == ECONNRESET || errno == EPIPE ? "reset" : "send", errno);
      return;
    }
    x.bytes += uint64_t(n);
    x.lastProgress = now;
    if (i % 16 == 0) {
      now = nowNs();
      if (now >= deadline_) return;  // the sweep in run() shuts the write side
    }
  }
}

void StreamWorker::readCount(Xfer& x, uint64_t now) {
  char tmp[64];
  ssize_t n = recv(x.fd, tmp, sizeof tmp, 0);
  if (n < 0) {
    if (errno == EAGAIN || errno == EINTR) return;
    fail(x, errno == ECONNRESET ? "reset" : "recv", errno);
    return;
  }
  if (n > 0) {
    x.line.append(tmp, size_t(n));
    if (x.line.size() > 32) fail(x, "mismatch", 0);
    return;
  }
  std::string expect = std::to_string(x.bytes) + "\n";
  if (x.line != expect) {
    res_.errors.add("mismatch", "sent " + std::to_string(x.bytes) + " bytes, the sink counted '" +
                                    x.line.substr(0, x.line.find('\n')) + "'");
    close(x.fd);
    x.fd = -1;
    x.phase = Phase::kDone;
    --active_;
    return;
  }
  done(x, now);
}

void StreamWorker::readBulk(Xfer& x, uint64_t now) {
  for (;;) {
    // MSG_TRUNC on TCP discards the bytes without copying them: the generator's own cost stays small.
    ssize_t n = recv(x.fd, nullptr, 1 << 30, MSG_TRUNC);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) return;
      fail(x, errno == ECONNRESET ? "reset" : "recv", errno);
      return;
    }
    if (n == 0) break;
    x.bytes += uint64_t(n);
    x.lastProgress = now;
  }
  if (x.bytes != o_.bytes) {
    res_.errors.add("mismatch",
                    "received " + std::to_string(x.bytes) + " bytes, expected " + std::to_string(o_.bytes));
    close(x.fd);
    x.fd = -1;
    x.phase = Phase::kDone;
    --active_;
    return;
  }
  done(x, now);
}

void StreamWorker::onEvent(Xfer& x) {
  uint64_t now = nowNs();
  switch (x.phase) {
    case Phase::kConnecting: {
      int err = socketError(x.fd);
      if (err) {
        fail(x, err == ECONNREFUSED ? "refused" : "connect", err);
        return;
      }
      if (up_) {
        x.phase = Phase::kSending;
        pump(x, now);
      } else {
        x.phase = Phase::kReceiving;
        watch(x, EPOLLIN, EPOLL_CTL_MOD);
      }
      return;
    }
    case Phase::kSending:
      pump(x, now);
      return;
    case Phase::kWaitCount:
      readCount(x, now);
      return;
    case Phase::kReceiving:
      readBulk(x, now);
      return;
    case Phase::kDone:
      return;
  }
}

void StreamWorker::run() {
  ep_ = epoll_create1(EPOLL_CLOEXEC);
  uint64_t now = nowNs();
  for (Xfer& x : xfers_) begin(x, now);
  const uint64_t timeoutNs = uint64_t(o_.timeout * 1e9);
  epoll_event events[64];
  while (active_ > 0) {
    int n = epoll_wait(ep_, events, 64, 10);
    for (int i = 0; i < n; ++i) onEvent(*static_cast<Xfer*>(events[i].data.ptr));
    now = nowNs();
    for (Xfer& x : xfers_) {
      if (x.phase == Phase::kDone) continue;
      if (x.phase == Phase::kSending && now >= deadline_) pump(x, now);  // stop even if the socket is full
      if (x.phase != Phase::kDone && now - x.lastProgress > timeoutNs) fail(x, "timeout", ETIMEDOUT);
    }
  }
  close(ep_);
}

}  // namespace

int runStream(const Options& o) {
  if (o.direction != "up" && o.direction != "down") {
    std::fprintf(stderr, "lbc_loadgen: --direction must be up or down\n");
    return 2;
  }
  if (o.direction == "down" && o.bytes == 0) {
    std::fprintf(stderr, "lbc_loadgen: stream --direction down needs --bytes N (the source's N)\n");
    return 2;
  }
  int conns = o.connections < 0 ? 4 : o.connections;
  if (conns < o.threads) {
    std::fprintf(stderr, "lbc_loadgen: --connections must be at least --threads\n");
    return 2;
  }
  uint64_t start = nowNs();
  uint64_t deadline = start + uint64_t(o.duration * 1e9);
  std::vector<std::unique_ptr<StreamWorker>> workers;
  for (int t = 0; t < o.threads; ++t) {
    int n = conns / o.threads + (t < conns % o.threads ? 1 : 0);
    workers.push_back(std::make_unique<StreamWorker>(o, n, deadline));
  }
  std::vector<std::thread> threads;
  for (auto& w : workers) threads.emplace_back([&w] { w->run(); });
  for (auto& t : threads) t.join();
  uint64_t end = nowNs();

  StreamResult total;
  for (auto& w : workers) {
    StreamResult& r = w->result();
    total.verified += r.verified;
    total.transfers += r.transfers;
    total.lastDone = std::max(total.lastDone, r.lastDone);
    total.errors.merge(r.errors);
  }
  double elapsed = total.lastDone > start ? double(total.lastDone - start) / 1e9 : 0;
  double gbps = elapsed > 0 ? double(total.verified) * 8 / elapsed / 1e9 : 0;
  Json j;
  j.str("scenario", "stream")
      .str("target", o.target)
      .str("direction", o.direction)
      .num("threads", uint64_t(o.threads))
      .num("connections", uint64_t(conns))
      .num("duration_s", o.duration)
      .num("elapsed_s", elapsed)
      .num("wall_s", double(end - start) / 1e9)
      .num("bytes", total.verified)
      .num("transfers", total.transfers)
      .num("gbit_per_s", gbps)
      .num("errors", total.errors.total)
      .raw("error_kinds", errorsJson(total.errors));
  std::printf("%s\n", j.done().c_str());
  std::fflush(stdout);
  if (!total.errors.first.empty())
    std::fprintf(stderr, "lbc_loadgen: first error: %s\n", total.errors.first.c_str());
  return total.errors.total == 0 && total.verified > 0 ? 0 : 1;
}

}  // namespace lbc::loadgen

// lbc_testsrv: a small epoll test backend for benchmarks and end-to-end tests.
// One Worker per thread, each with its own SO_REUSEPORT listener and epoll set, so threads share nothing.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace lbc::testsrv {

enum class Mode { kEcho, kIdentity, kSink, kSource, kHold, kHttp };

struct Options {
  Mode mode = Mode::kEcho;
  std::string modeName = "echo";
  std::vector<std::string> hosts;  // listen addresses (default 127.0.0.1), all on the same port
  int port = 0;
  int threads = 1;
  int backlog = 4096;
  std::string name = "testsrv";  // identity line, X-Backend header
  uint64_t sourceBytes = 0;      // source: bytes written on each connection
  long bodySize = -1;            // http: body length; -1 means the body is NAME + "\n"
};

// Written only by the owning worker thread; read by the main thread for reports, hence relaxed atomics
// updated with load+store (single writer: no locked read-modify-write on the hot path).
struct Counters {
  std::atomic<uint64_t> accepted{0};
  std::atomic<uint64_t> closed{0};
  std::atomic<uint64_t> bytesIn{0};
  std::atomic<uint64_t> bytesOut{0};
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> errors{0};

  static void add(std::atomic<uint64_t>& c, uint64_t n) {
    c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
};

struct Conn;

class Worker {
 public:
  Worker(const Options& opts, std::vector<int> listenFds, int stopFd);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  void run();
  const Counters& counters() const { return counters_; }

 private:
  void onAccept(int listenFd);
  void pauseAccept();
  void resumeAccept();
  void onEvent(Conn& c, uint32_t events);
  bool onReadable(Conn& c);
  bool onWritable(Conn& c);
  bool readEcho(Conn& c);
  bool readSink(Conn& c);
  bool readHttp(Conn& c);
  bool readDiscard(Conn& c);
  bool writeSource(Conn& c);
  bool queue(Conn& c, const char* data, size_t len);
  bool flush(Conn& c);
  void finish(Conn& c);
  void setInterest(Conn& c, uint32_t events);
  void updateInterest(Conn& c);
  void close(Conn& c);
  Conn* allocConn(int fd);

  const Options& opts_;
  std::vector<int> listenFds_;
  int stopFd_;
  int epollFd_ = -1;
  bool acceptPaused_ = false;
  std::vector<char> scratch_;
  std::vector<Conn*> free_;
  Counters counters_;
  std::string identityLine_;
  std::string reply_;
  std::string httpReplies_[8];  // indexed by keep-alive | HTTP/1.0 << 1 | HEAD << 2
};

}  // namespace lbc::testsrv

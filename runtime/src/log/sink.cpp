#include "log/sink.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <mutex>
#include <string>

#include "log/frame.h"

namespace lbc::rt::log {
namespace {

std::atomic<uint64_t> g_dropped{0};

// One socket per address family for every target, as HAProxy shares its log sockets.
struct Sockets {
  int unix_fd = -1, v4 = -1, v6 = -1;
  std::string machine;
};

int openDgram(int family) {
  int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int zero = 0;  // nothing is ever read from it
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &zero, sizeof zero);
  return fd;
}

const Sockets& sockets() {
  static const Sockets s = [] {
    Sockets o;
    o.unix_fd = openDgram(AF_UNIX);
    o.v4 = openDgram(AF_INET);
    o.v6 = openDgram(AF_INET6);
    char host[256] = "";
    if (gethostname(host, sizeof host - 1) == 0) o.machine = host;
    return o;
  }();
  return s;
}

// stdout/stderr become non-blocking once (a terminal stays as it is, as HAProxy leaves it).
void makeNonBlocking(int fd) {
  static std::atomic<uint64_t> done{0};
  if (fd < 0 || fd >= 64) return;
  const uint64_t bit = uint64_t(1) << fd;
  if (done.fetch_or(bit, std::memory_order_relaxed) & bit) return;
  if (isatty(fd)) return;
  int fl = fcntl(fd, F_GETFL);
  if (fl >= 0) fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

// Whether this message is one the target's `sample` keeps.
bool sampled(const LogTargetSpec& t) {
  if (!t.sample_size) return true;
  const uint32_t rank = t.sample_next->fetch_add(1, std::memory_order_relaxed) % t.sample_size + 1;
  for (const LogSampleRange& r : t.sample)
    if (rank >= r.lo && rank <= r.hi) return true;
  return false;
}

ssize_t sendTo(const Sockets& s, const LogTargetSpec& t, const std::string& line) {
  switch (t.kind) {
    case LogSinkKind::Fd:
      return write(t.fd, line.data(), line.size());
    case LogSinkKind::Unix: {
      sockaddr_un a{};
      a.sun_family = AF_UNIX;
      if (t.path.size() >= sizeof a.sun_path) {
        errno = ENAMETOOLONG;
        return -1;
      }
      std::memcpy(a.sun_path, t.path.data(), t.path.size());
      return sendto(s.unix_fd, line.data(), line.size(), MSG_DONTWAIT | MSG_NOSIGNAL,
                    reinterpret_cast<const sockaddr*>(&a), sizeof a);
    }
    case LogSinkKind::Udp4: {
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(t.port);
      std::memcpy(&a.sin_addr, t.ip, 4);
      return sendto(s.v4, line.data(), line.size(), MSG_DONTWAIT | MSG_NOSIGNAL,
                    reinterpret_cast<const sockaddr*>(&a), sizeof a);
    }
    case LogSinkKind::Udp6: {
      sockaddr_in6 a{};
      a.sin6_family = AF_INET6;
      a.sin6_port = htons(t.port);
      std::memcpy(&a.sin6_addr, t.ip, 16);
      return sendto(s.v6, line.data(), line.size(), MSG_DONTWAIT | MSG_NOSIGNAL,
                    reinterpret_cast<const sockaddr*>(&a), sizeof a);
    }
  }
  errno = EINVAL;
  return -1;
}

// HAProxy alerts once about a sink that fails for another reason than being full.
void alertOnce(int err) {
  static std::atomic<bool> said{false};
  if (said.exchange(true)) return;
  std::string m = "[ALERT]    (" + std::to_string(getpid()) +
                  ") : sendmsg()/writev() failed in logger: " + std::strerror(err) +
                  " (errno=" + std::to_string(err) + ")\n";
  ssize_t w = write(2, m.data(), m.size());
  (void)w;
}

}  // namespace

void openSinks(const std::vector<LogTargetSpec>& targets) {
  sockets();
  for (const LogTargetSpec& t : targets)
    if (t.kind == LogSinkKind::Fd) makeNonBlocking(t.fd);
}

void emit(const std::vector<LogTargetSpec>& targets, int level, int facility, std::string_view message) {
  if (targets.empty()) return;
  const Sockets& s = sockets();
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  const Stamp now{int64_t(ts.tv_sec), int32_t(ts.tv_nsec / 1000)};
  const Origin from{int(getpid()), s.machine};
  thread_local std::string line;
  for (const LogTargetSpec& t : targets) {
    if (level > t.max_level || !sampled(t)) continue;
    const int l = level < t.min_level ? t.min_level : level;
    if (t.kind == LogSinkKind::Fd) makeNonBlocking(t.fd);
    line.clear();
    frameLine(line, t, l, facility, message, now, from);
    if (sendTo(s, t, line) >= 0) continue;
    g_dropped.fetch_add(1, std::memory_order_relaxed);
    if (errno != EAGAIN && errno != EWOULDBLOCK) alertOnce(errno);
  }
}

uint64_t droppedLines() {
  return g_dropped.load(std::memory_order_relaxed);
}

}  // namespace lbc::rt::log

#include "health.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace lbc::rt {
namespace {
uint64_t monoMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000 + uint64_t(ts.tv_nsec) / 1000000;
}
}  // namespace

HealthChecker::HealthChecker(Shared& shared) : shared_(shared) {
  uint64_t now = monoMs();
  for (auto& be : shared.backends) {
    if (!be) continue;
    uint32_t n = 0;
    for (auto& s : be->servers()) {
      if (!s->spec->check.enabled || s->spec->disabled) continue;
      Check c;
      c.srv = s.get();
      // As HAProxy: a checked server starts up with health = rise, so its first failure
      // takes it down. First checks are spread over the interval.
      c.health = s->spec->check.rise;
      c.next_at = now + (s->spec->check.inter_ms * n++) / std::max<size_t>(1, be->servers().size());
      checks_.push_back(c);
    }
  }
}

HealthChecker::~HealthChecker() {
  stop();
}

void HealthChecker::start() {
  if (checks_.empty()) return;
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  thread_ = std::thread([this] { loop(); });
}

void HealthChecker::stop() {
  if (!thread_.joinable()) return;
  stop_.store(true);
  uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof one);
  thread_.join();
  close(wake_fd_);
  for (auto& c : checks_)
    if (c.fd >= 0) close(c.fd), c.fd = -1;
}

uint64_t HealthChecker::interval(const Check& c) const {
  const CheckSpec& k = c.srv->spec->check;
  bool up = c.srv->up.load();
  bool transitional = up ? c.health < k.rise + k.fall - 1 : c.health > 0;
  if (!up && !transitional && k.downinter_ms) return k.downinter_ms;
  if (transitional && k.fastinter_ms) return k.fastinter_ms;
  return k.inter_ms;
}

uint64_t HealthChecker::timeout(const Check& c) const {
  // HAProxy: with `timeout check`, the connect part is bounded by min(timeout connect, inter);
  // without it, inter bounds the whole check.
  const TimeoutSpec& t = c.srv->be->spec().timeouts;
  uint64_t inter = c.srv->spec->check.inter_ms;
  if (t.check) return t.connect ? std::min(t.connect, inter) : inter;
  return inter;
}

void HealthChecker::launch(Check& c, uint64_t now) {
  c.deadline = now + timeout(c);
  const sockaddr_storage& a = c.srv->check_addr;
  c.fd = socket(a.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c.fd < 0) {
    complete(c, false, now);
    return;
  }
  int r = connect(c.fd, reinterpret_cast<const sockaddr*>(&a), c.srv->check_addrlen);
  if (r == 0)
    complete(c, true, now);
  else if (errno != EINPROGRESS)
    complete(c, false, now);
}

void HealthChecker::complete(Check& c, bool ok, uint64_t now) {
  if (c.fd >= 0) {
    linger lg{1, 0};  // HAProxy closes checks with a reset so the server keeps no TIME_WAIT
    setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(c.fd);
    c.fd = -1;
  }
  const CheckSpec& k = c.srv->spec->check;
  bool up = c.srv->up.load();
  if (ok) {
    if (up) {
      c.health = std::min(c.health + 1, k.rise + k.fall - 1);
    } else if (++c.health >= k.rise) {
      c.health = k.rise + k.fall - 1;
      c.srv->be->setServerUp(c.srv, true);
    }
  } else {
    if (up && c.health > k.rise) {
      --c.health;
    } else if (up) {
      c.health = 0;
      c.srv->be->setServerUp(c.srv, false);
    } else if (c.health > 0) {
      --c.health;
    }
  }
  c.next_at = now + interval(c);
}

void HealthChecker::loop() {
  std::vector<pollfd> pfds;
  std::vector<Check*> owners;
  while (!stop_.load()) {
    uint64_t now = monoMs();
    uint64_t wake = now + 1000;
    pfds.clear();
    owners.clear();
    pfds.push_back({wake_fd_, POLLIN, 0});
    owners.push_back(nullptr);
    for (auto& c : checks_) {
      if (c.fd < 0 && c.next_at <= now) launch(c, now);
      if (c.fd >= 0) {
        if (c.deadline <= now) {
          complete(c, false, now);
        } else {
          pfds.push_back({c.fd, POLLOUT, 0});
          owners.push_back(&c);
          wake = std::min(wake, c.deadline);
        }
      }
      if (c.fd < 0) wake = std::min(wake, c.next_at);
    }
    int ms = wake > now ? int(wake - now) : 0;
    int n = poll(pfds.data(), pfds.size(), ms);
    if (n <= 0) continue;
    now = monoMs();
    for (size_t i = 1; i < pfds.size(); ++i) {
      if (!pfds[i].revents) continue;
      int err = 0;
      socklen_t l = sizeof err;
      getsockopt(pfds[i].fd, SOL_SOCKET, SO_ERROR, &err, &l);
      complete(*owners[i], err == 0 && !(pfds[i].revents & (POLLERR | POLLHUP)), now);
    }
  }
}

}  // namespace lbc::rt

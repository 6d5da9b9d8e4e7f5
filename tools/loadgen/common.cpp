#include "common.h"

#include <fcntl.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <ctime>

namespace lbc::loadgen {

uint64_t nowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
}

int startConnect(const Options& o, bool* connected) {
  *connected = false;
  int fd = socket(o.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (o.sources > 1) {
    // The port is still chosen by connect() (IP_BIND_ADDRESS_NO_PORT), per full 4-tuple.
    thread_local uint32_t next = 0;
    sockaddr_in src{};
    src.sin_family = AF_INET;
    src.sin_addr.s_addr = htonl(0x7f000001u + next++ % uint32_t(o.sources));
    setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    if (bind(fd, reinterpret_cast<const sockaddr*>(&src), sizeof src) < 0) {
      int saved = errno;
      close(fd);
      errno = saved;
      return -1;
    }
  }
  if (connect(fd, reinterpret_cast<const sockaddr*>(&o.addr), o.addrLen) == 0) {
    *connected = true;
    return fd;
  }
  if (errno == EINPROGRESS) return fd;
  int saved = errno;
  close(fd);
  errno = saved;
  return -1;
}

int socketError(int fd) {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) return errno;
  return err;
}

void Errors::add(const std::string& kind, const std::string& detail) {
  ++kinds[kind];
  ++total;
  if (first.empty()) first = kind + ": " + detail;
}

void Errors::merge(const Errors& other) {
  for (const auto& [k, n] : other.kinds) kinds[k] += n;
  total += other.total;
  if (first.empty()) first = other.first;
}

void Json::key(const char* k) {
  if (!body_.empty()) body_ += ',';
  body_ += '"';
  body_ += k;
  body_ += "\":";
}

Json& Json::num(const char* k, double v) {
  key(k);
  char buf[64];
  if (std::isfinite(v)) {
    std::snprintf(buf, sizeof buf, "%.6g", v);
  } else {
    std::snprintf(buf, sizeof buf, "null");
  }
  body_ += buf;
  return *this;
}

Json& Json::num(const char* k, uint64_t v) {
  key(k);
  body_ += std::to_string(v);
  return *this;
}

Json& Json::str(const char* k, const std::string& v) {
  key(k);
  body_ += '"';
  for (char c : v) {
    if (c == '"' || c == '\\') {
      body_ += '\\';
      body_ += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      body_ += buf;
    } else {
      body_ += c;
    }
  }
  body_ += '"';
  return *this;
}

Json& Json::raw(const char* k, const std::string& v) {
  key(k);
  body_ += v;
  return *this;
}

std::string errorsJson(const Errors& e) {
  Json j;
  for (const auto& [k, n] : e.kinds) j.num(k.c_str(), n);
  return j.done();
}

uint32_t percentile(std::vector<uint32_t>& v, double p) {
  if (v.empty()) return 0;
  size_t rank = size_t(std::ceil(p / 100.0 * double(v.size())));
  if (rank == 0) rank = 1;
  if (rank > v.size()) rank = v.size();
  std::nth_element(v.begin(), v.begin() + long(rank - 1), v.end());
  return v[rank - 1];
}

}  // namespace lbc::loadgen

#include "server.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <utility>

#include "http.h"

namespace lbc::testsrv {

struct Conn {
  int fd = -1;
  uint32_t events = 0;  // current epoll interest
  std::string out;      // bytes not yet written (from outOff)
  size_t outOff = 0;
  uint64_t count = 0;      // sink: bytes received; source: bytes still to write
  bool finishing = false;  // write side shut: discard input until EOF, then close
  bool finishAfterDrain = false;
  std::unique_ptr<HttpParser> http;
};

namespace {

constexpr size_t kScratch = 256 * 1024;
constexpr uint32_t kReadEvents = EPOLLIN | EPOLLRDHUP;

std::string httpResponse(const Options& o, bool keepAlive, bool http10, bool head) {
  std::string body = o.bodySize < 0 ? o.name + "\n" : std::string(size_t(o.bodySize), 'x');
  std::string r =
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\nX-Backend: " + o.name + "\r\n";
  if (!keepAlive) r += "Connection: close\r\n";
  if (keepAlive && http10) r += "Connection: keep-alive\r\n";
  r += "\r\n";
  if (!head) r += body;
  return r;
}

std::string errorResponse(int status, const char* reason) {
  std::string body = std::to_string(status) + " " + reason + "\n";
  return "HTTP/1.1 " + std::to_string(status) + " " + reason +
         "\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

}  // namespace

Worker::Worker(const Options& opts, std::vector<int> listenFds, int stopFd)
    : opts_(opts), listenFds_(std::move(listenFds)), stopFd_(stopFd), scratch_(kScratch, 'x') {
  identityLine_ = opts_.name + "\n";
  for (int k = 0; k < 8; ++k) httpReplies_[k] = httpResponse(opts_, k & 1, k & 2, k & 4);
}

Worker::~Worker() {
  for (Conn* c : free_) delete c;
  if (epollFd_ >= 0) ::close(epollFd_);
}

Conn* Worker::allocConn(int fd) {
  Conn* c;
  if (free_.empty()) {
    c = new Conn;
  } else {
    c = free_.back();
    free_.pop_back();
  }
  c->fd = fd;
  c->events = 0;
  c->out.clear();
  c->outOff = 0;
  c->count = 0;
  c->finishing = false;
  c->finishAfterDrain = false;
  c->http.reset();
  return c;
}

void Worker::run() {
  epollFd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epollFd_ < 0) {
    std::perror("testsrv: epoll_create1");
    return;
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  for (int& fd : listenFds_) {
    ev.data.ptr = &fd;  // listeners are told apart from connections by their address in listenFds_
    epoll_ctl(epollFd_, EPOLL_CTL_ADD, fd, &ev);
  }
  ev.data.ptr = &stopFd_;
  epoll_ctl(epollFd_, EPOLL_CTL_ADD, stopFd_, &ev);

  epoll_event events[256];
  for (;;) {
    int n = epoll_wait(epollFd_, events, 256, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::perror("testsrv: epoll_wait");
      return;
    }
    for (int i = 0; i < n; ++i) {
      void* p = events[i].data.ptr;
      if (p == &stopFd_) return;
      if (p >= listenFds_.data() && p < listenFds_.data() + listenFds_.size()) {
        onAccept(*static_cast<int*>(p));
      } else {
        onEvent(*static_cast<Conn*>(p), events[i].events);
      }
    }
  }
}

void Worker::onAccept(int listenFd) {
  for (;;) {
    int fd = accept4(listenFd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        // EMFILE and friends: the pending connection stays queued and the level-triggered listener
        // would wake us again at once, forever. Stop listening until one of our connections closes.
        Counters::add(counters_.errors, 1);
        pauseAccept();
      }
      return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    Counters::add(counters_.accepted, 1);
    Conn* c = allocConn(fd);
    bool ok = true;
    switch (opts_.mode) {
      case Mode::kIdentity:
        ok = queue(*c, identityLine_.data(), identityLine_.size());
        break;
      case Mode::kSource:
        c->count = opts_.sourceBytes;
        ok = writeSource(*c);
        break;
      case Mode::kHttp:
        c->http = std::make_unique<HttpParser>();
        break;
      default:
        break;
    }
    if (!ok) {
      close(*c);
      continue;
    }
    updateInterest(*c);
  }
}

void Worker::setInterest(Conn& c, uint32_t events) {
  if (events == c.events) return;
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = &c;
  epoll_ctl(epollFd_, c.events == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, c.fd, &ev);
  c.events = events;
}

// Reading stops while output is pending, so a client that does not read cannot make the server buffer
// without bound (the echo leaves the unread bytes in the kernel and TCP flow control pushes back).
void Worker::updateInterest(Conn& c) {
  bool pending = c.outOff < c.out.size();
  if (opts_.mode == Mode::kSource && !c.finishing) {
    setInterest(c, EPOLLOUT);
  } else if (pending) {
    setInterest(c, EPOLLOUT);
  } else if (opts_.mode == Mode::kHold && !c.finishing) {
    setInterest(c, EPOLLRDHUP);
  } else {
    setInterest(c, kReadEvents);
  }
}

void Worker::pauseAccept() {
  if (acceptPaused_) return;
  for (int fd : listenFds_) epoll_ctl(epollFd_, EPOLL_CTL_DEL, fd, nullptr);
  acceptPaused_ = true;
}

void Worker::resumeAccept() {
  if (!acceptPaused_) return;
  for (int& fd : listenFds_) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = &fd;
    epoll_ctl(epollFd_, EPOLL_CTL_ADD, fd, &ev);
  }
  acceptPaused_ = false;
}

void Worker::close(Conn& c) {
  ::close(c.fd);   // also removes it from the epoll set
  resumeAccept();  // a descriptor is free again
  Counters::add(counters_.closed, 1);
  c.fd = -1;
  c.out.clear();
  c.out.shrink_to_fit();
  c.http.reset();
  free_.push_back(&c);
}

void Worker::onEvent(Conn& c, uint32_t events) {
  bool ok = true;
  if (opts_.mode == Mode::kHold && !c.finishing) {
    ok = false;  // any event on a held connection is the peer closing or resetting
  } else if (events & EPOLLOUT) {
    ok = onWritable(c);
  } else if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
    ok = onReadable(c);
  }
  if (!ok) {
    close(c);
    return;
  }
  updateInterest(c);
}

bool Worker::onWritable(Conn& c) {
  if (c.outOff < c.out.size()) {
    if (!flush(c)) return false;
    if (c.outOff < c.out.size()) return true;
    if (c.finishAfterDrain) finish(c);
    return true;
  }
  if (opts_.mode == Mode::kSource && !c.finishing) return writeSource(c);
  return true;
}

bool Worker::onReadable(Conn& c) {
  if (c.finishing) return readDiscard(c);
  switch (opts_.mode) {
    case Mode::kEcho:
    case Mode::kIdentity:
      return readEcho(c);
    case Mode::kSink:
      return readSink(c);
    case Mode::kHttp:
      return readHttp(c);
    case Mode::kSource:
    case Mode::kHold:
      return readDiscard(c);
  }
  return false;
}

// Appends to the pending output and tries to write it now.
bool Worker::queue(Conn& c, const char* data, size_t len) {
  if (c.outOff == c.out.size()) {
    c.out.clear();
    c.outOff = 0;
  }
  c.out.append(data, len);
  return flush(c);
}

bool Worker::flush(Conn& c) {
  while (c.outOff < c.out.size()) {
    ssize_t n = send(c.fd, c.out.data() + c.outOff, c.out.size() - c.outOff, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
      return false;
    }
    Counters::add(counters_.bytesOut, uint64_t(n));
    c.outOff += size_t(n);
  }
  c.out.clear();
  c.outOff = 0;
  return true;
}

// Shuts our write side, then reads until the peer's EOF before closing, so that a close never turns
// into a reset that destroys data the peer has not read yet.
void Worker::finish(Conn& c) {
  c.finishAfterDrain = false;
  c.finishing = true;
  shutdown(c.fd, SHUT_WR);
}

bool Worker::readEcho(Conn& c) {
  ssize_t n = recv(c.fd, scratch_.data(), scratch_.size(), 0);
  if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
  if (n == 0) return false;  // everything received was echoed already (reads stop while output is pending)
  Counters::add(counters_.bytesIn, uint64_t(n));
  if (c.outOff < c.out.size()) return queue(c, scratch_.data(), size_t(n));  // keep the byte order
  ssize_t w = send(c.fd, scratch_.data(), size_t(n), MSG_NOSIGNAL);
  if (w < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return false;
    w = 0;
  }
  Counters::add(counters_.bytesOut, uint64_t(w));
  if (w < n) return queue(c, scratch_.data() + w, size_t(n - w));
  return true;
}

bool Worker::readSink(Conn& c) {
  for (;;) {
    // MSG_TRUNC on TCP discards the bytes without copying them out.
    ssize_t n = recv(c.fd, nullptr, 1 << 30, MSG_TRUNC);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno == EAGAIN || errno == EWOULDBLOCK;
    }
    if (n == 0) {
      // The peer has sent everything: report the count it can check, then close.
      std::string line = std::to_string(c.count) + "\n";
      c.finishAfterDrain = true;
      if (!queue(c, line.data(), line.size())) return false;
      if (c.outOff == c.out.size()) finish(c);
      return true;
    }
    c.count += uint64_t(n);
    Counters::add(counters_.bytesIn, uint64_t(n));
    if (size_t(n) < (1u << 30)) return true;
  }
}

bool Worker::readDiscard(Conn& c) {
  ssize_t n = recv(c.fd, nullptr, 1 << 30, MSG_TRUNC);
  if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
  if (n == 0) return false;
  Counters::add(counters_.bytesIn, uint64_t(n));
  return true;
}

bool Worker::writeSource(Conn& c) {
  while (c.count > 0) {
    size_t len = c.count < scratch_.size() ? size_t(c.count) : scratch_.size();
    ssize_t n = send(c.fd, scratch_.data(), len, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno == EAGAIN || errno == EWOULDBLOCK;
    }
    c.count -= uint64_t(n);
    Counters::add(counters_.bytesOut, uint64_t(n));
  }
  finish(c);
  return true;
}

bool Worker::readHttp(Conn& c) {
  ssize_t n = recv(c.fd, scratch_.data(), scratch_.size(), 0);
  if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
  if (n == 0) return false;
  Counters::add(counters_.bytesIn, uint64_t(n));
  const char* p = scratch_.data();
  size_t left = size_t(n);
  std::string& reply = reply_;  // reused: no allocation per read
  reply.clear();
  bool stop = false;
  while (left > 0 && !stop) {
    size_t used = 0;
    HttpParser::Result r = c.http->feed(p, left, &used);
    p += used;
    left -= used;
    switch (r) {
      case HttpParser::Result::kNeedMore:
        stop = true;
        break;
      case HttpParser::Result::kRequest:
        Counters::add(counters_.requests, 1);
        reply += httpReplies_[(c.http->keepAlive() ? 1 : 0) | (c.http->http10() ? 2 : 0) |
                              (c.http->isHead() ? 4 : 0)];
        if (!c.http->keepAlive()) {
          c.finishAfterDrain = true;
          stop = true;
        }
        break;
      case HttpParser::Result::kBad:
        reply += errorResponse(400, "Bad Request");
        c.finishAfterDrain = true;
        stop = true;
        break;
      case HttpParser::Result::kTooLarge:
        reply += errorResponse(431, "Request Header Fields Too Large");
        c.finishAfterDrain = true;
        stop = true;
        break;
      case HttpParser::Result::kUnsupported:
        reply += errorResponse(501, "Not Implemented");
        c.finishAfterDrain = true;
        stop = true;
        break;
    }
  }
  if (!reply.empty() && !queue(c, reply.data(), reply.size())) return false;
  if (c.finishAfterDrain && c.outOff == c.out.size()) finish(c);
  return true;
}

}  // namespace lbc::testsrv

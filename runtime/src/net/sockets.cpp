#include "sockets.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace lbc::rt {

bool resolveEndpoint(const Endpoint& e, uint16_t port, sockaddr_storage& out, socklen_t& len,
                     std::string& err) {
  std::memset(&out, 0, sizeof out);
  uint16_t p = port ? port : e.port_lo;
  switch (e.kind) {
    case Endpoint::Kind::Ipv4: {
      auto* a = reinterpret_cast<sockaddr_in*>(&out);
      a->sin_family = AF_INET;
      std::memcpy(&a->sin_addr, e.ip, 4);
      a->sin_port = htons(p);
      len = sizeof *a;
      return true;
    }
    case Endpoint::Kind::Ipv6: {
      auto* a = reinterpret_cast<sockaddr_in6*>(&out);
      a->sin6_family = AF_INET6;
      std::memcpy(&a->sin6_addr, e.ip, 16);
      a->sin6_port = htons(p);
      len = sizeof *a;
      return true;
    }
    case Endpoint::Kind::Unix:
    case Endpoint::Kind::Abns: {
      auto* a = reinterpret_cast<sockaddr_un*>(&out);
      a->sun_family = AF_UNIX;
      size_t off = e.kind == Endpoint::Kind::Abns ? 1 : 0;
      if (e.host.size() + off >= sizeof a->sun_path) {
        err = "socket path too long: '" + e.host + "'";
        return false;
      }
      std::memcpy(a->sun_path + off, e.host.data(), e.host.size());
      len = socklen_t(offsetof(sockaddr_un, sun_path) + off + e.host.size() + (off ? 0 : 1));
      return true;
    }
    case Endpoint::Kind::Host: {
      addrinfo hints{};
      hints.ai_socktype = SOCK_STREAM;
      addrinfo* res = nullptr;
      int r = getaddrinfo(e.host.c_str(), nullptr, &hints, &res);
      if (r != 0 || !res) {
        err = "could not resolve address '" + e.host + "': " + gai_strerror(r);
        return false;
      }
      // HAProxy prefers IPv4 at start-up (resolve-prefer ipv6 is for resolvers sections).
      addrinfo* pick = res;
      for (addrinfo* i = res; i; i = i->ai_next)
        if (i->ai_family == AF_INET) {
          pick = i;
          break;
        }
      std::memcpy(&out, pick->ai_addr, pick->ai_addrlen);
      len = pick->ai_addrlen;
      freeaddrinfo(res);
      if (out.ss_family == AF_INET)
        reinterpret_cast<sockaddr_in*>(&out)->sin_port = htons(p);
      else
        reinterpret_cast<sockaddr_in6*>(&out)->sin6_port = htons(p);
      return true;
    }
    case Endpoint::Kind::Fd:
      err = "an fd@ address cannot be connected to";
      return false;
  }
  return false;
}

bool sharedListener(const BindSpec& b) {
  return b.addr.kind == Endpoint::Kind::Unix || b.addr.kind == Endpoint::Kind::Abns ||
         b.addr.kind == Endpoint::Kind::Fd;
}

namespace {
std::string addrText(const BindSpec& b, uint16_t port) {
  const Endpoint& e = b.addr;
  if (e.kind == Endpoint::Kind::Unix || e.kind == Endpoint::Kind::Abns || e.kind == Endpoint::Kind::Fd)
    return e.text;
  char buf[INET6_ADDRSTRLEN] = "";
  if (e.kind == Endpoint::Kind::Ipv6) {
    inet_ntop(AF_INET6, e.ip, buf, sizeof buf);
    return "[" + std::string(buf) + "]:" + std::to_string(port);
  }
  inet_ntop(AF_INET, e.ip, buf, sizeof buf);
  return std::string(buf) + ":" + std::to_string(port);
}
std::string fail(const BindSpec& b, uint16_t port, const char* what, int e) {
  return std::string(what) + " (" + strerror(e) + ") [" + addrText(b, port) + "]";
}
}  // namespace

int openListener(const BindSpec& b, uint16_t port, uint32_t backlog, bool reuseport, std::string& err) {
  const Endpoint& e = b.addr;
  if (e.kind == Endpoint::Kind::Fd) {
    int acc = 0;
    socklen_t l = sizeof acc;
    if (getsockopt(e.fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &l) != 0 || !acc) {
      err = "inherited fd@" + std::to_string(e.fd) + " is not a listening socket";
      return -1;
    }
    return e.fd;
  }
  sockaddr_storage sa;
  socklen_t len = 0;
  if (!resolveEndpoint(e, port, sa, len, err)) return -1;
  int fd = socket(sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    err = fail(b, port, "cannot create listening socket", errno);
    return -1;
  }
  int one = 1;
  if (sa.ss_family != AF_UNIX) {
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (reuseport) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  }
  if (sa.ss_family == AF_INET6 && (b.v4v6 || b.v6only)) {
    int v6only = b.v6only ? 1 : 0;
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only);
  }
  if (e.kind == Endpoint::Kind::Unix) {
    // A stale socket file from a previous run is replaced, as HAProxy does; anything else is
    // left alone and bind() reports it.
    struct stat st;
    if (lstat(e.host.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) unlink(e.host.c_str());
  }
  if (bind(fd, reinterpret_cast<sockaddr*>(&sa), len) != 0) {
    err = fail(b, port, "cannot bind socket", errno);
    close(fd);
    return -1;
  }
  if (listen(fd, int(backlog)) != 0) {
    err = fail(b, port, "cannot listen to socket", errno);
    close(fd);
    return -1;
  }
  return fd;
}

void addrParts(const sockaddr_storage& ss, uint8_t ip[16], bool& v6, uint16_t& port) {
  std::memset(ip, 0, 16);
  v6 = false;
  port = 0;
  if (ss.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    std::memcpy(ip, &a->sin_addr, 4);
    port = ntohs(a->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    std::memcpy(ip, &a->sin6_addr, 16);
    v6 = true;
    port = ntohs(a->sin6_port);
  }
}

}  // namespace lbc::rt

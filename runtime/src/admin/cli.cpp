// The stats socket's I/O: each connection has one operation in flight, a recv (linked to the
// `stats timeout`) or a send of the answers so far. Commands are cheap and rare, so the answer is
// built whole in memory before it is sent.
#include "admin/cli.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "admin/command.h"
#include "net/sockets.h"
#include "upstream/live.h"

namespace lbc::rt {

bool openStatsSockets(const GlobalSpec& g, std::vector<int>& fds, std::string& where, std::string& err) {
  for (const StatsSocketSpec& s : g.stats_sockets) {
    BindSpec b;
    b.where = s.where;
    b.addr = s.addr;
    int fd = openListener(b, s.addr.port_lo, 16, false, err);
    if (fd < 0) {
      where = s.where;
      err = "Starting proxy GLOBAL: " + err;
      return false;
    }
    if (s.addr.kind == Endpoint::Kind::Unix) {
      const char* path = s.addr.host.c_str();
      if ((s.mode && chmod(path, s.mode) != 0) ||
          ((s.uid >= 0 || s.gid >= 0) && chown(path, s.uid, s.gid) != 0)) {
        where = s.where;
        err = std::string("cannot change UNIX socket ownership/mode (") + strerror(errno) + ") [" +
              s.addr.text + "]";
        close(fd);
        return false;
      }
    }
    fds.push_back(fd);
  }
  return true;
}

struct CliServer::Conn final : IoHandler {
  enum Op : uint32_t { kRecv = 1, kSend = 2 };
  CliServer* server = nullptr;
  int fd = -1;
  CliContext ctx;
  std::string in;
  std::string out;
  size_t sent = 0;
  bool closing = false;  // after the send in flight, close
  bool busy = false;     // an operation is in flight
  __kernel_timespec ts{};
  std::array<char, 4096> buf{};

  void recv() {
    Loop& loop = server->loop_;
    io_uring_sqe* s = loop.sqe();
    io_uring_prep_recv(s, fd, buf.data(), buf.size(), 0);
    io_uring_sqe_set_data64(s, ioData(kRecv));
    uint64_t t = server->global_.stats_timeout_ms;
    if (t) {
      s->flags |= IOSQE_IO_LINK;
      ts.tv_sec = int64_t(t / 1000);
      ts.tv_nsec = int64_t(t % 1000) * 1000000;
      io_uring_sqe* l = loop.sqe();
      io_uring_prep_link_timeout(l, &ts, 0);
      io_uring_sqe_set_data64(l, kNoHandler);
    }
    busy = true;
  }

  void send() {
    io_uring_sqe* s = server->loop_.sqe();
    io_uring_prep_send(s, fd, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
    io_uring_sqe_set_data64(s, ioData(kSend));
    busy = true;
  }

  // Runs every complete line received; a one-shot connection ends once they are answered.
  void process() {
    size_t nl;
    while (!ctx.quit && (nl = in.find('\n')) != std::string::npos) {
      std::string line = in.substr(0, nl);
      in.erase(0, nl + 1);
      ctx.gen = server->gen_();
      ctx.now_ms = server->loop_.now();
      ctx.out.clear();
      runLine(ctx, line);
      out += ctx.out;
    }
    if (ctx.quit || (!ctx.prompt && in.find('\n') == std::string::npos && !out.empty())) closing = true;
  }

  void onCompletion(io_uring_cqe& cqe, uint32_t op) override {
    busy = false;
    if (server->stopped_) return server->finished(this);
    if (op == kRecv) {
      if (cqe.res <= 0) return server->finished(this);  // closed, reset or timed out
      in.append(buf.data(), size_t(cqe.res));
      if (in.size() > 64 * 1024) return server->finished(this);  // no line ends: not a CLI client
      process();
    } else {
      if (cqe.res < 0) return server->finished(this);
      sent += size_t(cqe.res);
    }
    if (sent < out.size()) return send();
    out.clear();
    sent = 0;
    if (closing) return server->finished(this);
    recv();
  }
};

CliServer::CliServer(Loop& loop, LiveState& state, const GlobalSpec& global,
                     std::function<const Generation*()> gen, std::vector<int> fds)
    : loop_(loop), state_(state), global_(global), gen_(std::move(gen)) {
  for (size_t i = 0; i < fds.size() && i < global.stats_sockets.size(); ++i)
    socks_.push_back(std::make_unique<Sock>(this, fds[i], global.stats_sockets[i].level));
  start_wall_s_ = uint64_t(time(nullptr));
}

CliServer::~CliServer() {
  for (auto& c : conns_) ::close(c->fd);
  for (auto& s : socks_) s->closeSocket();
}

void CliServer::start() {
  for (auto& s : socks_) s->arm(loop_);
}

void CliServer::stop() {
  stopped_ = true;
  for (auto& s : socks_) s->cancel(loop_);
  // A pending recv ends at once: its completion frees the connection.
  for (auto& c : conns_) ::shutdown(c->fd, SHUT_RDWR);
}

void CliServer::Sock::onAccepted(int res, bool more) {
  if (res >= 0) server->accepted(*this, res);
  if (!more && !server->stopped_ && res != -ECANCELED && res != -EBADF && res != -EINVAL) arm(server->loop_);
}

void CliServer::accepted(Sock& s, int fd) {
  if (stopped_ || conns_.size() >= std::max<uint32_t>(1, global_.stats_maxconn)) {
    ::close(fd);
    return;
  }
  auto c = std::make_unique<Conn>();
  c->server = this;
  c->fd = fd;
  c->ctx.state = &state_;
  c->ctx.global = &global_;
  c->ctx.level = s.level;
  c->ctx.start_wall_s = start_wall_s_;
  c->recv();
  conns_.push_back(std::move(c));
}

void CliServer::finished(Conn* c) {
  ::close(c->fd);
  for (size_t i = 0; i < conns_.size(); ++i)
    if (conns_[i].get() == c) {
      conns_[i] = std::move(conns_.back());
      conns_.pop_back();
      break;
    }
}

}  // namespace lbc::rt

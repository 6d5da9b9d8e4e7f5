// Two generations in one process: the runtime starts on generation A (a frontend answering "A"),
// a keep-alive connection is opened, generation B (answering "B") is installed; a new connection
// gets B while the old one still gets A for its next request, and A is freed when that
// connection closes. Real sockets on loopback; every wait is on a readiness signal.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include "config/generation.h"
#include "driver/pipeline.h"
#include "jit/jit.h"
#include "lbc/rt/run.h"
#include "upstream/live.h"

namespace {

using lbc::rt::Generation;

std::string config(int listen_fd, const std::string& body) {
  std::ostringstream o;
  o << R"(global
    nbthread 2

defaults
    mode http
    timeout client 10s
    timeout connect 5s
    timeout server 10s

frontend fe
    bind fd@)"
    << listen_fd << R"(
    http-request return status 200 content-type text/plain string )"
    << body << "\n";
  return o.str();
}

lbc::jit::ProgramRef compile(const std::string& text) {
  lbc::driver::Options opts;
  opts.goal = lbc::driver::Goal::Compile;
  opts.sema.resolve_hosts = false;
  lbc::driver::Product p =
      lbc::driver::buildText("swap.cfg", text, opts, [](std::string_view) { return std::nullopt; });
  if (!p.ok() || !p.module) {
    std::ostringstream os;
    p.c->diags->render(os, lbc::front::DiagFormat::Text);
    ADD_FAILURE() << os.str();
    return nullptr;
  }
  lbc::jit::LoadResult r = lbc::jit::load(std::move(p.module));
  EXPECT_TRUE(r.program) << r.error;
  return r.program;
}

int listenLoopback(uint16_t& port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(fd, 64) != 0) return -1;
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  port = ntohs(a.sin_port);
  return fd;
}

// A blocking client; the receive timeout only turns a hang into a failure.
int connectTo(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return -1;
  return fd;
}

// Sends one keep-alive GET and returns the response body (empty on a failure).
std::string get(int fd) {
  const std::string req = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  if (send(fd, req.data(), req.size(), MSG_NOSIGNAL) != ssize_t(req.size())) return "";
  std::string in;
  char buf[4096];
  size_t head_end = std::string::npos, want = 0;
  while (head_end == std::string::npos || in.size() < head_end + 4 + want) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return "";
    in.append(buf, size_t(n));
    if (head_end == std::string::npos && (head_end = in.find("\r\n\r\n")) != std::string::npos) {
      size_t cl = in.find("content-length:");
      if (cl == std::string::npos || cl > head_end) return "";
      want = std::stoul(in.substr(cl + 15));
    }
  }
  return in.substr(head_end + 4, want);
}

void waitAlive(uint32_t want) {
  const std::atomic<uint32_t>& alive = Generation::alive();
  for (uint32_t n = alive.load(); n != want; n = alive.load()) alive.wait(n);
}

TEST(GenerationSwap, OldConnectionFinishesOnOldGeneration) {
  uint16_t port = 0;
  int lfd = listenLoopback(port);
  ASSERT_GE(lfd, 0);
  lbc::jit::ProgramRef a = compile(config(lfd, "A"));
  lbc::jit::ProgramRef b = compile(config(lfd, "B"));
  ASSERT_TRUE(a && b);
  std::weak_ptr<const lbc::jit::CompiledProgram> a_code = a;

  std::promise<lbc::rt::Runtime*> ready;
  std::atomic<int> code{-1};
  lbc::rt::RunFlags flags;
  flags.quiet = true;
  lbc::rt::ServeOptions opts;
  const lbc_program* a_prog = a->program();
  opts.keep = std::move(a);  // generation A alone owns its code
  opts.ready = [&](lbc::rt::Runtime& rt) { ready.set_value(&rt); };
  std::thread server([&] { code = lbc::rt::serve(a_prog, flags, std::move(opts)); });
  lbc::rt::Runtime* rt = ready.get_future().get();
  EXPECT_EQ(Generation::alive().load(), 1u);

  int old_conn = connectTo(port);
  ASSERT_GE(old_conn, 0);
  EXPECT_EQ(get(old_conn), "A");

  std::string err;
  const lbc_program* b_prog = b->program();
  ASSERT_TRUE(lbc::rt::install(*rt, b_prog, std::move(b), err)) << err;
  EXPECT_EQ(Generation::alive().load(), 2u);  // A lives on: a connection holds it

  int new_conn = connectTo(port);
  ASSERT_GE(new_conn, 0);
  EXPECT_EQ(get(new_conn), "B");
  EXPECT_EQ(get(old_conn), "A");  // its next request: still on A
  EXPECT_EQ(get(new_conn), "B");
  EXPECT_EQ(Generation::alive().load(), 2u);
  EXPECT_FALSE(a_code.expired());

  close(old_conn);  // its last connection gone, A is freed, code included
  waitAlive(1);
  EXPECT_TRUE(a_code.expired());
  EXPECT_EQ(get(new_conn), "B");
  close(new_conn);

  lbc::rt::stop(*rt);
  server.join();
  EXPECT_EQ(code.load(), 0);
  EXPECT_EQ(Generation::alive().load(), 0u);
}

// Live state is found by name when a second generation is bound: the same backend (servers,
// queues), stick table and frontend limit, each seen at that generation's own proxy index.
TEST(GenerationSwap, LiveStateIsKeyedByName) {
  const std::string common = R"(defaults
    mode tcp
    timeout client 10s
    timeout connect 5s
    timeout server 10s

frontend fe
    bind 127.0.0.1:1
    maxconn 7
    default_backend be

backend be
    stick-table type ip size 1k
    stick on src
    server s1 127.0.0.1:9
)";
  lbc::jit::ProgramRef a = compile(common);
  lbc::jit::ProgramRef b = compile(common + "\nbackend extra\n    server s2 127.0.0.1:10\n");
  lbc::jit::ProgramRef moved = compile("backend first\n    server s3 127.0.0.1:11\n\n" + common);
  ASSERT_TRUE(a && b && moved);
  lbc::rt::LiveState state;
  std::string where, err;
  auto ga = Generation::create(a->program(), a, where, err);
  auto gb = Generation::create(b->program(), b, where, err);
  auto gm = Generation::create(moved->program(), moved, where, err);
  ASSERT_TRUE(ga && gb && gm) << err;
  ASSERT_TRUE(state.bind(*ga, where, err)) << err;
  ASSERT_TRUE(state.bind(*gb, where, err)) << err;
  const lbc::rt::GenerationView& va = lbc::rt::viewOf(*ga);
  const lbc::rt::GenerationView& vb = lbc::rt::viewOf(*gb);
  auto index = [](const Generation& g, const std::string& name) {
    for (const auto& p : g.topo.proxies)
      if (p.name == name) return p.index;
    return lbc::rt::kNoIndex;
  };
  const uint32_t fe = index(*ga, "fe"), be = index(*ga, "be");
  ASSERT_EQ(index(*gb, "be"), be);
  EXPECT_NE(va.backends[be], nullptr);
  EXPECT_EQ(va.backends[be], vb.backends[be]);
  EXPECT_NE(va.tables[be], nullptr);
  EXPECT_EQ(va.tables[be], vb.tables[be]);
  EXPECT_EQ(&va.frontends[fe]->limit, &vb.frontends[index(*gb, "fe")]->limit);
  EXPECT_EQ(va.frontends[fe]->limit.max, 7u);
  EXPECT_EQ(vb.frontends[index(*gb, "fe")]->backend, va.backends[be]);
  EXPECT_NE(vb.backends[index(*gb, "extra")], nullptr);
  EXPECT_EQ(state.backends().size(), 2u);
  // A backend whose place changed cannot be carried over until the reload re-points it.
  EXPECT_FALSE(state.bind(*gm, where, err));
  EXPECT_NE(err.find("backend 'be'"), std::string::npos) << err;
  EXPECT_EQ(state.backends().size(), 2u);  // 'first', created before the refusal, is gone
}

}  // namespace

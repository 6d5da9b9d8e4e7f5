// Helpers of the TLS transport tests: certificates made at test time with the openssl tool,
// child processes (openssl s_client / s_server), a loopback listener, and a recorder of what a
// transport reports (the session's view).
#pragma once
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <openssl/x509.h>

#include "core/loop.h"
#include "net/tls_transport.h"

extern char** environ;

namespace lbc::rt::tlstest {

inline std::string readFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

inline void writeFile(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::binary) << data;
}

inline int sh(const std::string& cmd) {
  return std::system(cmd.c_str());
}

// A shell command run in the background; killed (if still running) when destroyed.
class Child {
 public:
  explicit Child(const std::string& cmd) {
    const char* argv[] = {"/bin/sh", "-c", cmd.c_str(), nullptr};
    if (posix_spawn(&pid_, "/bin/sh", nullptr, nullptr, const_cast<char**>(argv), environ) != 0) pid_ = -1;
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  // The exit status, or -1 if it did not end within `ms`.
  int wait(int ms) {
    for (int i = 0; i < ms / 10 && pid_ > 0; ++i) {
      int st = 0;
      if (waitpid(pid_, &st, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
      }
      usleep(10000);
    }
    return -1;
  }

 private:
  pid_t pid_ = -1;
};

// A listening socket on 127.0.0.1, an ephemeral port.
struct Listener {
  Listener() {
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    listen(fd, 64);
    socklen_t len = sizeof a;
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ~Listener() { ::close(fd); }
  int accept(int ms = 10000) const {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, ms) != 1) return -1;
    return accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
  }
  int fd = -1;
  uint16_t port = 0;
};

inline int connectTo(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// What a session would see, and the application bytes it got (provided buffers given back).
struct Recorder : TransportUser {
  void onTransport(Transport&, const TransportEvent& ev) override {
    events.push_back(ev);
    if (ev.kind == TransportEvent::kRecv && ev.res > 0) {
      if (ev.buffered) {
        data.append(reinterpret_cast<const char*>(loop->bufBase()) + size_t(ev.bid) * loop->bufSize(),
                    size_t(ev.res));
        loop->bufs().put(ev.bid);
      } else {
        data.append(into, size_t(ev.res));
      }
    }
    if (ev.kind == TransportEvent::kRecv && ev.res == 0) eof = true;
    if (ev.kind == TransportEvent::kRecv && ev.res < 0) recv_err = ev.res;
    if (ev.kind == TransportEvent::kReady) {
      ready = true;
      ready_res = ev.res;
    }
    if (ev.kind == TransportEvent::kSent) sent.push_back(ev.res);
  }
  int count(TransportEvent::Kind k) const {
    int n = 0;
    for (auto& e : events) n += e.kind == k;
    return n;
  }
  Loop* loop = nullptr;
  char into[8192];  // recvInto's destination
  std::vector<TransportEvent> events;
  std::string data;
  std::vector<int> sent;
  bool ready = false, eof = false;
  int ready_res = 1, recv_err = 0;
};

// Turns the loop until `done` or `ms` of wall time.
template <class F>
bool runUntil(Loop& loop, F done, int ms = 10000) {
  auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (!done()) {
    if (std::chrono::steady_clock::now() > end) return false;
    loop.bufs().refill(loop.now());
    loop.waitAndDispatch(10);
  }
  return true;
}

// Certificates for the tests, made once in a temporary directory.
struct Certs {
  std::string dir;
  std::string path(const std::string& name) const { return dir + "/" + name; }

  // A certificate signed by the test CA; `key` is an openssl req -newkey argument; `sans` a
  // subjectAltName value ("DNS:a,DNS:b"). The PEM holds the certificate, the CA (chain), the key.
  bool leaf(const std::string& name, const std::string& cn, const std::string& sans, const std::string& key) {
    std::string d = dir + "/";
    std::string cmd = "openssl req -x509 -CA " + d + "ca.pem -CAkey " + d + "ca.key -newkey " + key +
                      " -nodes -keyout " + d + name + ".key -out " + d + name +
                      ".crt -days 2 -subj '/CN=" + cn + "'" +
                      (sans.empty() ? "" : " -addext subjectAltName=" + sans) + " 2>/dev/null && cat " + d +
                      name + ".crt " + d + "ca.pem " + d + name + ".key > " + d + name + ".pem";
    return sh(cmd) == 0;
  }

  bool make() {
    char tmpl[] = "/tmp/lbc-tls-XXXXXX";
    if (!mkdtemp(tmpl)) return false;
    dir = tmpl;
    if (sh("openssl req -x509 -newkey rsa:2048 -nodes -keyout " + dir + "/ca.key -out " + dir +
           "/ca.pem -days 2 -subj /CN=lbc-test-ca 2>/dev/null") != 0)
      return false;
    const std::string rsa = "rsa:2048", ec = "ec -pkeyopt ec_paramgen_curve:P-256";
    return leaf("default", "default.test", "DNS:default.test", rsa) &&
           leaf("www", "www.example.test", "DNS:www.example.test", ec) &&
           leaf("wild", "*.wild.test", "DNS:*.wild.test", ec) &&
           leaf("dual_rsa", "dual.test", "DNS:dual.test", rsa) &&
           leaf("dual_ec", "dual.test", "DNS:dual.test", ec) &&
           leaf("server", "server.test", "DNS:server.test", ec);
  }
  void remove() const {
    if (!dir.empty()) std::filesystem::remove_all(dir);
  }
};

inline std::string leafCn(const TlsTransport& t) {
  X509* x = SSL_get_certificate(t.ssl());
  char cn[256] = "";
  if (x) X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof cn);
  return cn;
}

inline int leafKeyType(const TlsTransport& t) {
  X509* x = SSL_get_certificate(t.ssl());
  return x ? EVP_PKEY_get_base_id(X509_get0_pubkey(x)) : 0;
}

// A loop and the certificates, for every TLS test.
class TlsLoopTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { certs_ok_ = certs_.make(); }
  static void TearDownTestSuite() { certs_.remove(); }

  void SetUp() override {
    ASSERT_TRUE(certs_ok_) << "could not make test certificates with the openssl tool";
    std::string err;
    LoopOptions o;
    o.sq_entries = 64;
    o.cq_entries = 256;
    o.buf_count = 64;
    if (!loop.init(o, err)) GTEST_SKIP() << "no io_uring here: " << err;
  }

  void prepare(TlsTransport& t, Recorder& r) {
    t.setLoop(&loop);
    r.loop = &loop;
    t.setUser(&r);
  }

  template <class F>
  bool run(F done, int ms = 10000) {
    return runUntil(loop, done, ms);
  }

  // recvInto until `n` bytes, the end or an error.
  void readInto(TlsTransport& t, Recorder& r, size_t n) {
    while (r.data.size() < n && !r.eof && !r.recv_err) {
      int before = r.count(TransportEvent::kRecv);
      t.recvInto(r.into, sizeof r.into);
      if (!run([&] { return r.count(TransportEvent::kRecv) > before; })) break;
    }
  }

  void closeAndDrain(TlsTransport& t) {
    t.close(false);
    run([&] { return !t.busy(); });
    EXPECT_EQ(t.busy(), 0u);
  }

  TlsServerContext& serverCtx(TlsServerSettings s) {
    auto& c = server_ctxs_.emplace_back(std::make_unique<TlsServerContext>());
    std::string err;
    EXPECT_TRUE(c->build(s, err)) << err;
    return *c;
  }

  // One handshake of `s_client <args>` (stdin empty) against the server side.
  struct Shake {
    int res = 1;
    std::string cn, alpn, sni, error;
    int key_type = 0;
    bool reused = false;
  };
  Shake shake(TlsServerContext& ctx, const std::string& args) {
    Listener l;
    Child c("openssl s_client -connect 127.0.0.1:" + std::to_string(l.port) + " " + args +
            " -nocommands </dev/null >" + certs_.path("s_client.log") + " 2>&1");
    Shake out;
    int fd = l.accept();
    EXPECT_GE(fd, 0);
    if (fd < 0) return out;
    TlsTransport t;
    Recorder r;
    prepare(t, r);
    EXPECT_TRUE(t.setServer(ctx));
    t.adopt(fd, true);
    EXPECT_FALSE(t.handshake());
    run([&] { return r.ready; });
    out.res = r.ready_res;
    out.cn = leafCn(t);
    out.alpn = t.alpn();
    out.sni = t.serverName();
    out.error = t.error();
    out.key_type = leafKeyType(t);
    out.reused = t.sessionReused();
    closeAndDrain(t);
    c.wait(5000);
    return out;
  }

  static inline Certs certs_;
  static inline bool certs_ok_ = false;
  Loop loop;
  std::vector<std::unique_ptr<TlsServerContext>> server_ctxs_;
};

}  // namespace lbc::rt::tlstest

// The client side of the TLS transport against openssl s_server (verify, SNI, ALPN, session
// reuse), and both sides of lbc's transport on one socket pair: bulk data through both read
// modes, close_notify, an idle connection parked and taken back, a bad record mid-stream.
#include <gtest/gtest.h>

#include <cstring>
#include <regex>
#include <thread>

#include "tls_test_util.h"

namespace lbc::rt {
namespace {

using tlstest::Child;
using tlstest::Recorder;

class TlsClientTest : public tlstest::TlsLoopTest {
 protected:
  // The port s_server printed ("ACCEPT 127.0.0.1:PORT"), 0 if none within 5 s.
  uint16_t serverPort(const std::string& out) {
    std::regex re("ACCEPT 127\\.0\\.0\\.1:([0-9]+)");
    for (int i = 0; i < 500; ++i) {
      std::smatch m;
      std::string s = tlstest::readFile(out);
      if (std::regex_search(s, m, re)) return uint16_t(std::stoi(m[1]));
      usleep(10000);
    }
    return 0;
  }

  bool clientCtx(TlsClientContext& cc, TlsVerify v) {
    TlsClientSettings s;
    s.alpn = {"http/1.1"};
    s.verify = v;
    s.ca_file = certs_.path("ca.pem");
    std::string err;
    bool ok = cc.build(s, err);
    EXPECT_TRUE(ok) << err;
    return ok;
  }

  // A connection through the transport's own connect(); false when the handshake failed.
  bool open(TlsTransport& t, Recorder& r, TlsClientContext& cc, uint16_t port, std::string_view sni) {
    prepare(t, r);
    EXPECT_TRUE(t.setClient(cc, sni));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    EXPECT_TRUE(t.connect(reinterpret_cast<sockaddr*>(&a), sizeof a, 5000, true));
    EXPECT_TRUE(run([&] { return r.ready; }));
    return r.ready_res == 0;
  }
};

TEST_F(TlsClientTest, ConnectsToSServerVerifiesItAndReusesTheSession) {
  const std::string out = certs_.path("s_server.out");
  Child srv("openssl s_server -accept 127.0.0.1:0 -cert " + certs_.path("server.pem") +
            " -alpn h2,http/1.1 -www -naccept 3 >" + out + " 2>&1");
  uint16_t port = serverPort(out);
  ASSERT_NE(port, 0);
  TlsClientContext cc;
  ASSERT_TRUE(clientCtx(cc, TlsVerify::kRequired));
  const std::string req = "GET / HTTP/1.0\r\n\r\n";
  for (int i = 0; i < 2; ++i) {
    TlsTransport t;
    Recorder r;
    ASSERT_TRUE(open(t, r, cc, port, "server.test")) << t.error();
    EXPECT_EQ(t.alpn(), "http/1.1");
    EXPECT_EQ(t.sessionReused(), i == 1);  // the ticket of the first connection
    t.send(req.data(), req.size());
    ASSERT_TRUE(run([&] { return !r.sent.empty(); }));
    EXPECT_EQ(r.sent[0], int(req.size()));
    readInto(t, r, ~size_t(0));
    EXPECT_TRUE(r.eof);
    EXPECT_NE(r.data.find("HTTP/1.0 200 ok"), std::string::npos) << r.data.substr(0, 200);
    closeAndDrain(t);
  }
  // The name does not match the certificate: verification fails the handshake.
  TlsTransport t;
  Recorder r;
  EXPECT_FALSE(open(t, r, cc, port, "other.test"));
  EXPECT_EQ(r.ready_res, -EPROTO);
  EXPECT_NE(t.error().find("certificate verify failed"), std::string::npos) << t.error();
  closeAndDrain(t);
}

// A client certificate (`server ... ssl crt`) for an s_server that requires one.
TEST_F(TlsClientTest, PresentsItsCertificateToAServerThatRequiresOne) {
  const std::string out = certs_.path("s_server_verify.out");
  Child srv("openssl s_server -accept 127.0.0.1:0 -cert " + certs_.path("server.pem") +
            " -Verify 1 -CAfile " + certs_.path("ca.pem") + " -www -naccept 1 >" + out + " 2>&1");
  uint16_t port = serverPort(out);
  ASSERT_NE(port, 0);
  TlsClientSettings s;
  s.verify = TlsVerify::kRequired;
  s.ca_file = certs_.path("ca.pem");
  s.crt = certs_.path("www.pem");
  TlsClientContext cc;
  std::string err;
  ASSERT_TRUE(cc.build(s, err)) << err;
  TlsTransport t;
  Recorder r;
  ASSERT_TRUE(open(t, r, cc, port, "server.test")) << t.error();
  const std::string req = "GET / HTTP/1.0\r\n\r\n";
  t.send(req.data(), req.size());
  readInto(t, r, ~size_t(0));
  EXPECT_NE(r.data.find("HTTP/1.0 200 ok"), std::string::npos) << r.data.substr(0, 200);
  EXPECT_NE(r.data.find("www.example.test"), std::string::npos);  // s_server shows the client's certificate
  closeAndDrain(t);
}

TEST_F(TlsClientTest, AFailedConnectIsReportedAsTheSocketsError) {
  tlstest::Listener l;
  uint16_t port = l.port;
  ::close(l.fd);
  l.fd = -1;
  TlsClientContext cc;
  ASSERT_TRUE(clientCtx(cc, TlsVerify::kNone));
  TlsTransport t;
  Recorder r;
  EXPECT_FALSE(open(t, r, cc, port, ""));
  EXPECT_EQ(r.ready_res, -ECONNREFUSED);
  closeAndDrain(t);
}

// A send before the handshake ended waits for it, behind a prefix (a PROXY header) that goes
// out in clear before the ClientHello; neither is counted in kSent but the caller's bytes.
TEST_F(TlsClientTest, APrefixGoesFirstAndAnEarlySendWaitsForTheHandshake) {
  TlsServerSettings ss;
  ss.crt = {certs_.path("default.pem")};
  TlsServerContext& sctx = serverCtx(ss);
  TlsClientContext cctx;
  ASSERT_TRUE(clientCtx(cctx, TlsVerify::kNone));
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
  TlsTransport srv, cli;
  Recorder rs, rc;
  prepare(srv, rs);
  prepare(cli, rc);
  const std::string prefix = "PROXY TCP4 192.0.2.1 192.0.2.2 1234 443\r\n", msg = "early bytes";
  cli.setSendPrefix(prefix);
  ASSERT_TRUE(cli.setClient(cctx, "default.test"));
  cli.adopt(fds[1], false);
  EXPECT_FALSE(cli.handshake());
  cli.send(msg.data(), msg.size());
  // The server side reads the prefix in clear before its TLS starts (accept-proxy's place).
  std::string got(prefix.size(), '\0');
  ASSERT_TRUE(run([&] {
    pollfd p{fds[0], POLLIN, 0};
    return poll(&p, 1, 0) == 1;
  }));
  ASSERT_EQ(::recv(fds[0], got.data(), got.size(), MSG_WAITALL), ssize_t(prefix.size()));
  EXPECT_EQ(got, prefix);
  ASSERT_TRUE(srv.setServer(sctx));
  srv.adopt(fds[0], false);
  srv.handshake();
  ASSERT_TRUE(run([&] { return rs.ready && rc.ready && !rc.sent.empty(); }));
  EXPECT_EQ(rc.ready_res, 0) << cli.error();
  EXPECT_EQ(rc.sent, std::vector<int>{int(msg.size())});
  readInto(srv, rs, msg.size());
  EXPECT_EQ(rs.data, msg);
  closeAndDrain(cli);
  closeAndDrain(srv);
}

// Both sides of lbc's transport on one socket pair.
class TlsPairTest : public tlstest::TlsLoopTest {
 protected:
  void SetUp() override {
    TlsLoopTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    TlsServerSettings ss;
    ss.crt = {certs_.path("default.pem")};
    ss.alpn = {"http/1.1"};
    std::string err;
    ASSERT_TRUE(sctx.build(ss, err)) << err;
    TlsClientSettings cs;
    cs.verify = TlsVerify::kNone;
    cs.alpn = {"http/1.1"};
    ASSERT_TRUE(cctx.build(cs, err)) << err;
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    prepare(srv, rs);
    prepare(cli, rc);
    ASSERT_TRUE(srv.setServer(sctx));
    ASSERT_TRUE(cli.setClient(cctx, "default.test"));
    srv.adopt(fds[0], false);
    cli.adopt(fds[1], false);
    EXPECT_FALSE(srv.handshake());
    EXPECT_FALSE(cli.handshake());
    ASSERT_TRUE(run([&] { return rs.ready && rc.ready; }));
    ASSERT_EQ(rs.ready_res, 0) << srv.error();
    ASSERT_EQ(rc.ready_res, 0) << cli.error();
  }
  void TearDown() override {
    if (srv.open()) closeAndDrain(srv);
    if (cli.open()) closeAndDrain(cli);
  }

  TlsServerContext sctx;
  TlsClientContext cctx;
  int fds[2] = {-1, -1};
  TlsTransport srv, cli;
  Recorder rs, rc;
};

TEST_F(TlsPairTest, BulkDataThroughProvidedBuffersAndCallerMemoryThenCloseNotify) {
  EXPECT_EQ(srv.alpn(), "http/1.1");
  EXPECT_EQ(cli.alpn(), "http/1.1");
  const std::string up(300000, 'u'), down(200000, 'd');
  srv.recvMultishot();
  cli.send(up.data(), up.size());
  ASSERT_TRUE(run([&] { return rs.data.size() >= up.size() && !rc.sent.empty(); }));
  EXPECT_TRUE(rs.data == up);
  EXPECT_EQ(rc.sent, std::vector<int>{int(up.size())});
  for (auto& e : rs.events) {
    if (e.kind == TransportEvent::kRecv) {
      EXPECT_TRUE(e.buffered && e.more);
    }
  }
  srv.stopRecv();
  ASSERT_TRUE(run([&] { return rs.events.back().kind == TransportEvent::kRecv && !rs.events.back().more; }));

  srv.send(down.data(), down.size());
  readInto(cli, rc, down.size());
  EXPECT_TRUE(rc.data == down);
  ASSERT_TRUE(run([&] { return !rs.sent.empty(); }));
  EXPECT_EQ(rs.sent, std::vector<int>{int(down.size())});

  cli.shutdownWrite();  // close_notify, then FIN
  rs.data.clear();
  srv.recvMultishot();
  ASSERT_TRUE(run([&] { return rs.eof; }));
  EXPECT_TRUE(SSL_get_shutdown(srv.ssl()) & SSL_RECEIVED_SHUTDOWN);
  // Half-closed: the server still writes, the client still reads.
  const std::string last = "after the client's close_notify";
  srv.send(last.data(), last.size());
  rc.data.clear();
  readInto(cli, rc, last.size());
  EXPECT_EQ(rc.data, last);
}

TEST_F(TlsPairTest, AnIdleConnectionIsParkedWithItsSessionAndTakenBack) {
  const std::string a = "first request", b = "second request on the reused connection";
  srv.recvMultishot();
  cli.send(a.data(), a.size());
  ASSERT_TRUE(run([&] { return rs.data == a && !rc.sent.empty(); }));
  EXPECT_TRUE(cli.idleAlive());
  size_t before = TlsTransport::parkedCount();
  int fd = cli.detach();
  ASSERT_EQ(fd, fds[1]);
  EXPECT_FALSE(cli.open());
  EXPECT_EQ(TlsTransport::parkedCount(), before + 1);
  EXPECT_TRUE(TlsTransport::probeIdle(fd));

  TlsTransport again;
  Recorder ra;
  prepare(again, ra);
  again.adoptParked(fd);
  EXPECT_TRUE(again.handshake());  // ready at once: the session went with the socket
  EXPECT_EQ(TlsTransport::parkedCount(), before);
  again.send(b.data(), b.size());
  ASSERT_TRUE(run([&] { return rs.data == a + b; }));

  // Parked again and closed while parked: close_notify goes out, the SSL is freed.
  ASSERT_TRUE(run([&] { return !ra.sent.empty(); }));
  fd = again.detach();
  ASSERT_GE(fd, 0);
  TlsTransport::closeDetached(fd);
  EXPECT_EQ(TlsTransport::parkedCount(), before);
  ASSERT_TRUE(run([&] { return rs.eof; }));
  EXPECT_TRUE(SSL_get_shutdown(srv.ssl()) & SSL_RECEIVED_SHUTDOWN);
}

// A parked fd closed behind the table's back, its number taken by another socket: that socket
// is not given the old SSL.
TEST_F(TlsPairTest, AParkedFdsSuccessorIsNotTakenForIt) {
  size_t before = TlsTransport::parkedCount();
  int fd = cli.detach();
  ASSERT_GE(fd, 0);
  ::close(fd);  // as RawTransport::closeDetached would
  int p[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p), 0);
  if (p[0] != fd && p[1] != fd) GTEST_SKIP() << "the fd number was not reused";
  int other = p[0] == fd ? p[0] : p[1];
  EXPECT_EQ(TlsTransport::parkedCount(), before + 1);  // stale until met
  EXPECT_TRUE(TlsTransport::probeIdle(other));         // a plain idle socket
  EXPECT_EQ(TlsTransport::parkedCount(), before);      // the stale SSL is freed
  TlsTransport t;
  Recorder r;
  prepare(t, r);
  t.adoptParked(other);
  EXPECT_FALSE(t.handshakeDone());
  EXPECT_FALSE(t.error().empty());
  t.closeNow(false);
  ::close(p[0] == fd ? p[1] : p[0]);
}

TEST_F(TlsPairTest, ABadRecordMidStreamIsAnErrorNotData) {
  // Bytes written around the client's TLS: an application-data record whose tag cannot match.
  std::string junk("\x17\x03\x03\x00\x20", 5);
  junk += std::string(32, 'x');
  ASSERT_EQ(::write(fds[1], junk.data(), junk.size()), ssize_t(junk.size()));
  readInto(srv, rs, 1);
  EXPECT_EQ(rs.recv_err, -EPROTO);
  EXPECT_TRUE(rs.data.empty());
  EXPECT_FALSE(srv.error().empty());
  // Later calls report the failure instead of touching the broken session.
  const std::string x = "x";
  srv.send(x.data(), x.size());
  ASSERT_TRUE(run([&] { return !rs.sent.empty(); }));
  EXPECT_LT(rs.sent[0], 0);
}

TEST_F(TlsPairTest, CancelPendingEndsEachWaitingReport) {
  srv.recvInto(rs.into, sizeof rs.into);
  srv.cancelPending();
  ASSERT_TRUE(run([&] { return rs.recv_err != 0; }));
  EXPECT_EQ(rs.recv_err, -ECANCELED);
  run([&] { return !srv.busy(); }, 1000);
  EXPECT_EQ(srv.busy(), 0u);
}

}  // namespace
}  // namespace lbc::rt

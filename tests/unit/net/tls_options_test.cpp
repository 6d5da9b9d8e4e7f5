// Bind options beyond the handshake basics, seen by openssl s_client: OCSP stapling from a
// `<crt>.ocsp` file, a CRL, verification errors let through (ca-ignore-err / crt-ignore-err),
// the record size (tune.ssl.maxrecord), the session cache turned off.
#include <gtest/gtest.h>

#include "tls_test_util.h"

namespace lbc::rt {
namespace {

class TlsOptionsTest : public tlstest::TlsLoopTest {
 protected:
  std::string log() { return tlstest::readFile(certs_.path("s_client.log")); }
  std::string serial(const std::string& crt) {
    std::string out = certs_.path("serial.txt");
    tlstest::sh("openssl x509 -in " + certs_.path(crt) + " -noout -serial | cut -d= -f2 > " + out);
    std::string s = tlstest::readFile(out);
    while (!s.empty() && s.back() == '\n') s.pop_back();
    return s;
  }
};

TEST_F(TlsOptionsTest, AnOcspResponseBesideTheCertificateIsStapled) {
  const std::string d = certs_.dir + "/";
  // The CA answers "good" for www's certificate; the response goes beside a copy of its PEM.
  tlstest::writeFile(d + "ocsp_index.txt",
                     "V\t301231000000Z\t\t" + serial("www.crt") + "\tunknown\t/CN=www.example.test\n");
  ASSERT_EQ(tlstest::sh("cp " + d + "www.pem " + d + "stapled.pem && openssl ocsp -issuer " + d +
                        "ca.pem -cert " + d + "www.crt -reqout " + d +
                        "ocsp_req.der -no_nonce >/dev/null 2>&1 && openssl ocsp -index " + d +
                        "ocsp_index.txt -rsigner " + d + "ca.pem -rkey " + d + "ca.key -CA " + d +
                        "ca.pem -reqin " + d + "ocsp_req.der -respout " + d +
                        "stapled.pem.ocsp -ndays 1 >/dev/null 2>&1"),
            0);
  TlsServerSettings s;
  s.crt = {certs_.path("default.pem"), certs_.path("stapled.pem")};
  TlsServerContext& ctx = serverCtx(s);
  EXPECT_EQ(shake(ctx, "-status -servername www.example.test").res, 0);
  EXPECT_NE(log().find("OCSP Response Status: successful"), std::string::npos) << log();
  EXPECT_NE(log().find("Cert Status: good"), std::string::npos);
  EXPECT_EQ(shake(ctx, "-status -servername default.test").res, 0);
  EXPECT_NE(log().find("OCSP response: no response sent"), std::string::npos) << log();

  tlstest::writeFile(d + "bad.pem.ocsp", "not DER");
  ASSERT_EQ(tlstest::sh("cp " + d + "www.pem " + d + "bad.pem"), 0);
  s.crt = {certs_.path("bad.pem")};
  TlsServerContext c;
  std::string err;
  EXPECT_FALSE(c.build(s, err));
  EXPECT_NE(err.find("bad.pem.ocsp"), std::string::npos) << err;
}

TEST_F(TlsOptionsTest, ARevokedClientCertificateIsRefused) {
  const std::string d = certs_.dir + "/";
  tlstest::writeFile(d + "crl_index.txt", "R\t301231000000Z\t251201000000Z\t" + serial("www.crt") +
                                              "\tunknown\t/CN=www.example.test\n");
  tlstest::writeFile(d + "crlnumber", "01\n");
  tlstest::writeFile(d + "ca.cnf", "[ca]\ndefault_ca=d\n[d]\ndatabase=" + d + "crl_index.txt\ncrlnumber=" +
                                       d + "crlnumber\ndefault_md=sha256\ndefault_crl_days=2\n");
  ASSERT_EQ(tlstest::sh("openssl ca -config " + d + "ca.cnf -keyfile " + d + "ca.key -cert " + d +
                        "ca.pem -gencrl -out " + d + "crl.pem >/dev/null 2>&1"),
            0);
  TlsServerSettings s;
  s.crt = {certs_.path("default.pem")};
  s.verify = TlsVerify::kRequired;
  s.ca_file = certs_.path("ca.pem");
  s.crl_file = certs_.path("crl.pem");
  TlsServerContext& ctx = serverCtx(s);
  Shake revoked = shake(ctx, "-cert " + certs_.path("www.pem"));
  EXPECT_EQ(revoked.res, -EPROTO);
  EXPECT_NE(revoked.error.find("SSL handshake failure"), std::string::npos) << revoked.error;
  EXPECT_EQ(shake(ctx, "-cert " + certs_.path("server.pem")).res, 0);
}

TEST_F(TlsOptionsTest, IgnoredVerificationErrorsLetTheClientIn) {
  const std::string d = certs_.dir + "/";
  ASSERT_EQ(tlstest::sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout " + d +
                        "self.key -out " + d + "self.crt -days 2 -subj /CN=self 2>/dev/null && cat " + d +
                        "self.crt " + d + "self.key > " + d + "self.pem"),
            0);
  TlsServerSettings s;
  s.crt = {certs_.path("default.pem")};
  s.verify = TlsVerify::kRequired;
  s.ca_file = certs_.path("ca.pem");
  const std::string self = "-cert " + certs_.path("self.pem");
  EXPECT_EQ(shake(serverCtx(s), self).res, -EPROTO);
  s.crt_ignore_err.codes = {X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT};
  EXPECT_EQ(shake(serverCtx(s), self).res, 0);
  s.crt_ignore_err = {};
  s.ca_ignore_err.all = true;  // depth 0 errors are crt-ignore-err's, not ca-ignore-err's
  EXPECT_EQ(shake(serverCtx(s), self).res, -EPROTO);
  s.crt_ignore_err.all = true;
  EXPECT_EQ(shake(serverCtx(s), self).res, 0);
}

TEST_F(TlsOptionsTest, MaxRecordBoundsTheRecordsSent) {
  TlsServerSettings s;
  s.crt = {certs_.path("default.pem")};
  s.max_record = 1024;
  TlsServerContext& ctx = serverCtx(s);
  tlstest::Listener l;
  tlstest::Child c("openssl s_client -connect 127.0.0.1:" + std::to_string(l.port) +
                   " -tls1_2 -ign_eof -msg -nocommands" + " </dev/null >" + certs_.path("s_client.log") +
                   " 2>&1");
  int fd = l.accept();
  ASSERT_GE(fd, 0);
  TlsTransport t;
  tlstest::Recorder r;
  prepare(t, r);
  ASSERT_TRUE(t.setServer(ctx));
  t.adopt(fd, true);
  t.handshake();
  ASSERT_TRUE(run([&] { return r.ready; }));
  ASSERT_EQ(r.ready_res, 0) << t.error();
  const std::string data(5000, 'm');
  t.send(data.data(), data.size());
  ASSERT_TRUE(run([&] { return !r.sent.empty(); }));
  EXPECT_EQ(r.sent[0], int(data.size()));
  t.shutdownWrite();  // close_notify: s_client ends (and flushes what it printed)
  EXPECT_TRUE(run([&] { return c.wait(10) >= 0; }, 5000));
  closeAndDrain(t);
  // s_client -msg shows each record's header: application data records of 1024 plaintext bytes
  // (1048 with AES-GCM's nonce and tag), never one of 5000.
  const std::string out = log();
  EXPECT_NE(out.find("17 03 03 04 18"), std::string::npos) << out.substr(0, 400);
  EXPECT_EQ(out.find("17 03 03 13 a0"), std::string::npos);
}

// tls-ticket-keys: contexts given the same keys resume each other's tickets; after a rotation
// (a key appended) an old ticket still resumes, after two it does not.
TEST_F(TlsOptionsTest, TicketKeysFromAFileAreSharedAndRotate) {
  const std::string d = certs_.dir + "/";
  ASSERT_EQ(tlstest::sh("for i in 1 2 3 4 5; do openssl rand -base64 48 > " + d + "key$i; done"), 0);
  auto keys = [&](int first) {
    std::string path = d + "keys" + std::to_string(first);
    std::string all;
    for (int i = 1; i < first + 3; ++i) all += tlstest::readFile(d + "key" + std::to_string(i));
    tlstest::writeFile(path, all);
    return path;
  };
  TlsServerSettings s;
  s.crt = {certs_.path("default.pem")};
  s.ticket_keys_file = keys(1);  // keys 1..3: 2 encrypts
  TlsServerContext& a = serverCtx(s);
  TlsServerContext& b = serverCtx(s);
  const std::string sess = certs_.path("tickets.sess");
  for (const char* ver : {"-tls1_3 ", "-tls1_2 "}) {
    EXPECT_EQ(shake(a, ver + ("-ign_eof -sess_out " + sess)).res, 0);
    EXPECT_TRUE(shake(b, ver + ("-ign_eof -sess_in " + sess)).reused) << ver;
  }
  // The session file holds the TLS 1.2 session, sealed with key 2.
  s.ticket_keys_file = keys(2);  // keys 1..4: the last three (2..4) decrypt
  EXPECT_TRUE(shake(serverCtx(s), "-tls1_2 -ign_eof -sess_in " + sess).reused);
  s.ticket_keys_file = keys(3);  // 3..5: key 2 is gone
  EXPECT_FALSE(shake(serverCtx(s), "-tls1_2 -ign_eof -sess_in " + sess).reused);
  s.ticket_keys_file.clear();  // keys of its own
  EXPECT_FALSE(shake(serverCtx(s), "-tls1_2 -ign_eof -sess_in " + sess).reused);

  tlstest::writeFile(d + "short_keys", tlstest::readFile(d + "key1"));
  s.ticket_keys_file = d + "short_keys";
  TlsServerContext c;
  std::string err;
  EXPECT_FALSE(c.build(s, err));
  EXPECT_NE(err.find("at least 3 keys"), std::string::npos) << err;
}

// TLS 1.2 without tickets resumes through the server's session cache, and not once it is off;
// the client side keeps the session it was given (lbc to lbc on socket pairs).
TEST_F(TlsOptionsTest, TheSessionCacheResumesTls12AndCanBeTurnedOff) {
  for (long cache : {-1L, 0L}) {
    TlsServerSettings s;
    s.crt = {certs_.path("default.pem")};
    s.no_tickets = true;
    s.cache_size = cache;
    TlsServerContext& sctx = serverCtx(s);
    TlsClientSettings cs;
    cs.verify = TlsVerify::kNone;
    cs.versions.max = TLS1_2_VERSION;
    TlsClientContext cctx;
    std::string err;
    ASSERT_TRUE(cctx.build(cs, err)) << err;
    for (int i = 0; i < 2; ++i) {
      int fds[2];
      ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
      TlsTransport srv, cli;
      tlstest::Recorder rs, rc;
      prepare(srv, rs);
      prepare(cli, rc);
      ASSERT_TRUE(srv.setServer(sctx));
      ASSERT_TRUE(cli.setClient(cctx, "default.test"));
      srv.adopt(fds[0], false);
      cli.adopt(fds[1], false);
      srv.handshake();
      cli.handshake();
      ASSERT_TRUE(run([&] { return rs.ready && rc.ready; }));
      ASSERT_EQ(rs.ready_res, 0) << srv.error();
      ASSERT_EQ(rc.ready_res, 0) << cli.error();
      EXPECT_EQ(cli.version(), "TLSv1.2");
      EXPECT_EQ(srv.sessionReused(), i == 1 && cache != 0) << "cache " << cache << " connection " << i;
      EXPECT_EQ(cli.sessionReused(), srv.sessionReused());
      cli.shutdownWrite();
      srv.recvInto(rs.into, sizeof rs.into);
      run([&] { return rs.eof; });
      closeAndDrain(cli);
      closeAndDrain(srv);
    }
  }
}

}  // namespace
}  // namespace lbc::rt

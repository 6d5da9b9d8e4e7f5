// The protocol checks' custom expects (upstream/tcp_check.cpp) on every prefix of valid and invalid
// answers: they wait while the answer may still complete, judge it once no more bytes come, and never
// read past what was received.
#include <gtest/gtest.h>

#include <string>

#include "upstream/tcp_check.h"

using namespace lbc::rt;
using tcpcheck::CustomResult;
using tcpcheck::Verdict;

namespace {

TcpCheckStep step(TcpCheckCustom c) {
  TcpCheckStep s;
  s.kind = TcpCheckStepKind::Expect;
  s.custom = c;
  return s;
}

Verdict judge(TcpCheckCustom c, const std::string& d, bool final, CustomResult* out = nullptr) {
  CustomResult r;
  // A copy of exactly the received bytes: a read past them is caught by the sanitizers.
  std::string copy(d);
  Verdict v = tcpcheck::custom(step(c), copy, final, r);
  if (out) *out = r;
  return v;
}

std::string mysqlPacket(char seq, const std::string& payload) {
  std::string p{char(payload.size()), char(payload.size() >> 8), char(payload.size() >> 16), seq};
  return p + payload;
}

}  // namespace

TEST(TcpCheckCustom, MysqlPacketsWaitThenJudge) {
  const std::string hs = mysqlPacket(0, std::string("\x0a"
                                                    "5.7.42\0",
                                                    8) +
                                            std::string(20, 'x'));
  const std::string err = mysqlPacket(2, std::string("\xff\x15\x04#28000denied", 15));
  for (size_t n = 1; n < hs.size(); ++n) {
    EXPECT_EQ(judge(TcpCheckCustom::MysqlHandshake, hs.substr(0, n), false), Verdict::Wait) << n;
    CustomResult r;
    EXPECT_EQ(judge(TcpCheckCustom::MysqlHandshake, hs.substr(0, n), true, &r), Verdict::Fail) << n;
    EXPECT_FALSE(r.l7sts);
  }
  EXPECT_EQ(judge(TcpCheckCustom::MysqlHandshake, hs, false), Verdict::Pass);
  CustomResult r;
  EXPECT_EQ(judge(TcpCheckCustom::MysqlOk, hs + err, false, &r), Verdict::Fail);
  EXPECT_TRUE(r.l7sts);
  EXPECT_EQ(r.code, 1045);
  EXPECT_EQ(r.info, "#28000denied");
  EXPECT_EQ(judge(TcpCheckCustom::MysqlOk, hs + mysqlPacket(2, std::string(7, '\0')), false), Verdict::Pass);
  // A zero-length packet: its first byte is not there.
  EXPECT_EQ(judge(TcpCheckCustom::MysqlHandshake, std::string("\0\0\0\0", 4), true), Verdict::Pass);
}

TEST(TcpCheckCustom, LdapBindResponse) {
  const std::string ok("\x30\x0c\x02\x01\x01\x61\x07\x0a\x01\x00\x04\x00\x04\x00", 14);
  EXPECT_EQ(judge(TcpCheckCustom::LdapBind, ok, false), Verdict::Pass);
  std::string bad = ok;
  bad[9] = 49;
  CustomResult r;
  EXPECT_EQ(judge(TcpCheckCustom::LdapBind, bad, false, &r), Verdict::Fail);
  EXPECT_EQ(r.code, 49);
  for (size_t n = 1; n < ok.size(); ++n)
    judge(TcpCheckCustom::LdapBind, ok.substr(0, n), true);         // no over-read
  std::string len("\x30\x84\x00\x00\x00\x0c\x02\x01\x01\x61", 10);  // a long-form length: not LDAPv3 here
  EXPECT_EQ(judge(TcpCheckCustom::LdapBind, len, true, &r), Verdict::Fail);
  EXPECT_EQ(r.info, "Not LDAPv3 protocol");
}

TEST(TcpCheckCustom, SpopAgentHello) {
  std::string body("\x65\x00\x00\x00\x01\x00\x00", 7);
  body += std::string(
      "\x07version\x08\x03"
      "2.0",
      13);
  body += std::string("\x0emax-frame-size\x03\xfc\xf0\x06", 19);
  body += std::string(
      "\x0c"
      "capabilities\x08\x00",
      15);
  const std::string frame = std::string{0, 0, 0, char(body.size())} + body;
  EXPECT_EQ(judge(TcpCheckCustom::SpopHello, frame, false), Verdict::Pass);
  for (size_t n = 4; n < frame.size(); ++n) {
    EXPECT_EQ(judge(TcpCheckCustom::SpopHello, frame.substr(0, n), false), Verdict::Wait) << n;
    judge(TcpCheckCustom::SpopHello, frame.substr(0, n), true);  // no over-read
  }
  std::string v1 = frame;
  v1[4 + 7 + 11] = '1';  // "1.0"
  CustomResult r;
  EXPECT_EQ(judge(TcpCheckCustom::SpopHello, v1, false, &r), Verdict::Fail);
  EXPECT_EQ(r.info, "unsupported version");
}

#include "dns/message.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

namespace dns = lbc::rt::dns;
using namespace std::string_literals;

namespace {

std::string name(const std::string& n) {
  std::string out;
  size_t start = 0;
  while (start < n.size()) {
    size_t dot = n.find('.', start);
    if (dot == std::string::npos) dot = n.size();
    out.push_back(char(dot - start));
    out += n.substr(start, dot - start);
    start = dot + 1;
  }
  out.push_back('\0');
  return out;
}

std::string u16(uint16_t v) {
  return std::string{char(v >> 8), char(v & 0xff)};
}

std::string header(uint16_t id, uint16_t flags, uint16_t qd, uint16_t an, uint16_t ns = 0, uint16_t ar = 0) {
  return u16(id) + u16(flags) + u16(qd) + u16(an) + u16(ns) + u16(ar);
}

std::string question(const std::string& n, uint16_t type) {
  return name(n) + u16(type) + u16(1);
}

std::string rr(const std::string& owner, uint16_t type, const std::string& rdata, uint32_t ttl = 30) {
  return owner + u16(type) + u16(1) + u16(uint16_t(ttl >> 16)) + u16(uint16_t(ttl)) +
         u16(uint16_t(rdata.size())) + rdata;
}

const std::string kPtr("\xc0\x0c", 2);  // the question's name

}  // namespace

TEST(DnsMessage, QueryWireForm) {
  std::string q;
  ASSERT_TRUE(dns::buildQuery(0xabcd, "Www.Example.com.", dns::kTypeA, 512, q));
  EXPECT_EQ(q, header(0xabcd, 0x0100, 1, 0) + question("Www.Example.com", 1));
  ASSERT_TRUE(dns::buildQuery(1, "a.b", dns::kTypeAaaa, 1232, q));
  // EDNS0: an OPT record in the additional section announcing the payload size
  EXPECT_EQ(q, header(1, 0x0100, 1, 0, 0, 1) + question("a.b", 28) + std::string(1, '\0') + u16(41) +
                   u16(1232) + u16(0) + u16(0) + u16(0));
  EXPECT_FALSE(dns::buildQuery(1, "a..b", dns::kTypeA, 512, q));
  EXPECT_FALSE(dns::buildQuery(1, std::string(64, 'x') + ".com", dns::kTypeA, 512, q));
  EXPECT_FALSE(dns::buildQuery(1, "", dns::kTypeA, 512, q));
}

TEST(DnsMessage, AnswerWithAddresses) {
  std::string m = header(7, 0x8180, 1, 2) + question("www.example.com", 1) +
                  rr(kPtr, 1, "\x7f\x00\x00\x02"s) + rr(kPtr, 1, "\x0a\x00\x00\x09"s);
  dns::Answer a;
  ASSERT_EQ(dns::parseAnswer(m, 7, "WWW.example.com.", dns::kTypeA, a), dns::Verdict::kOk);
  ASSERT_EQ(a.answers.size(), 2u);
  EXPECT_EQ(a.answers[0].name, "www.example.com");
  EXPECT_EQ(a.answers[0].ttl, 30u);
  EXPECT_EQ(std::memcmp(a.answers[1].addr, "\x0a\x00\x00\x09", 4), 0);
}

TEST(DnsMessage, ValidatesIdQuestionAndFlags) {
  std::string body = question("www.example.com", 1) + rr(kPtr, 1, "\x7f\x00\x00\x02"s);
  dns::Answer a;
  EXPECT_EQ(dns::parseAnswer(header(8, 0x8180, 1, 1) + body, 7, "www.example.com", 1, a),
            dns::Verdict::kWrongId);
  EXPECT_EQ(dns::parseAnswer(header(7, 0x8180, 1, 1) + body, 7, "other.example.com", 1, a),
            dns::Verdict::kInvalid);
  EXPECT_EQ(dns::parseAnswer(header(7, 0x8180, 1, 1) + body, 7, "www.example.com", 28, a),
            dns::Verdict::kInvalid);
  EXPECT_EQ(dns::parseAnswer(header(7, 0x0180, 1, 1) + body, 7, "www.example.com", 1, a),
            dns::Verdict::kInvalid);
  EXPECT_EQ(dns::parseAnswer(header(7, 0x8180, 2, 1) + body, 7, "www.example.com", 1, a),
            dns::Verdict::kInvalid);
  EXPECT_EQ(dns::parseAnswer(header(7, 0x8380, 1, 1) + body, 7, "www.example.com", 1, a),
            dns::Verdict::kTruncated);
  EXPECT_EQ(
      dns::parseAnswer(header(7, 0x8183, 1, 0) + question("www.example.com", 1), 7, "www.example.com", 1, a),
      dns::Verdict::kNxDomain);
  EXPECT_EQ(
      dns::parseAnswer(header(7, 0x8185, 1, 0) + question("www.example.com", 1), 7, "www.example.com", 1, a),
      dns::Verdict::kRefused);
  EXPECT_EQ(
      dns::parseAnswer(header(7, 0x8182, 1, 0) + question("www.example.com", 1), 7, "www.example.com", 1, a),
      dns::Verdict::kError);
  EXPECT_EQ(dns::parseAnswer(std::string("\x00\x07\x81", 3), 7, "www.example.com", 1, a),
            dns::Verdict::kInvalid);
}

TEST(DnsMessage, RejectsBadLengthsAndPointers) {
  std::string q = question("www.example.com", 1);
  dns::Answer a;
  // More records announced than present; an rdlength past the end; an A of 5 bytes.
  EXPECT_EQ(dns::parseAnswer(header(7, 0x8180, 1, 2) + q + rr(kPtr, 1, "\x01\x02\x03\x04"), 7,
                             "www.example.com", 1, a),
            dns::Verdict::kInvalid);
  std::string cut = header(7, 0x8180, 1, 1) + q + rr(kPtr, 1, "\x01\x02\x03\x04");
  cut.resize(cut.size() - 2);
  EXPECT_EQ(dns::parseAnswer(cut, 7, "www.example.com", 1, a), dns::Verdict::kInvalid);
  EXPECT_EQ(dns::parseAnswer(header(7, 0x8180, 1, 1) + q + rr(kPtr, 1, "\x01\x02\x03\x04\x05"), 7,
                             "www.example.com", 1, a),
            dns::Verdict::kInvalid);
  // A pointer to itself, and two pointers to each other (offsets 33 and 35): loops.
  std::string self = header(7, 0x8180, 1, 1) + q;
  self += std::string("\xc0", 1) + char(self.size()) + u16(1) + u16(1) + u16(0) + u16(1) + u16(4) + "abcd";
  EXPECT_EQ(dns::parseAnswer(self, 7, "www.example.com", 1, a), dns::Verdict::kInvalid);
  std::string pair = header(7, 0x8180, 1, 1) + q;
  pair += std::string("\xc0\x23\xc0\x21", 4) + u16(1) + u16(1) + u16(0) + u16(1) + u16(4) + "abcd";
  EXPECT_EQ(dns::parseAnswer(pair, 7, "www.example.com", 1, a), dns::Verdict::kInvalid);
  // A name of more than 255 bytes.
  std::string longname;
  for (int i = 0; i < 5; ++i) longname += std::string(60, 'a' + i) + ".";
  longname += "com";
  EXPECT_EQ(dns::parseAnswer(header(7, 0x8180, 1, 1) + q + rr(name(longname), 1, "abcd"), 7,
                             "www.example.com", 1, a),
            dns::Verdict::kInvalid);
}

TEST(DnsMessage, SrvCnameAndAdditional) {
  std::string m = header(9, 0x8580, 1, 2, 0, 2) + question("_http._tcp.svc", 33) +
                  rr(kPtr, 33, u16(0) + u16(10) + u16(8080) + name("s1.svc")) +
                  rr(kPtr, 33, u16(1) + u16(20) + u16(8081) + std::string("\x02s2\xc0\x17", 5)) +
                  rr(name("s1.svc"), 1, "\x7f\x00\x00\x05"s) + rr(name("s2.svc"), 28, std::string(16, '\1'));
  dns::Answer a;
  ASSERT_EQ(dns::parseAnswer(m, 9, "_http._tcp.svc", dns::kTypeSrv, a), dns::Verdict::kOk);
  ASSERT_EQ(a.answers.size(), 2u);
  EXPECT_EQ(a.answers[0].target, "s1.svc");
  EXPECT_EQ(a.answers[0].port, 8080);
  EXPECT_EQ(a.answers[1].target, "s2.svc");
  EXPECT_EQ(a.answers[1].weight, 20);
  EXPECT_EQ(a.answers[1].priority, 1);
  ASSERT_EQ(a.additional.size(), 2u);
  EXPECT_TRUE(a.additional[1].v6);

  std::string c = header(3, 0x8180, 1, 2) + question("www.example.com", 1) +
                  rr(kPtr, 5, name("b.example.net")) + rr(std::string("\xc0\x2d", 2), 1, "\x0a\x00\x00\x01"s);
  ASSERT_EQ(dns::parseAnswer(c, 3, "www.example.com", 1, a), dns::Verdict::kOk);
  ASSERT_EQ(a.answers.size(), 2u);
  EXPECT_EQ(a.answers[0].type, dns::kTypeCname);
  EXPECT_EQ(a.answers[0].target, "b.example.net");
  EXPECT_EQ(a.answers[1].name, "b.example.net");
}

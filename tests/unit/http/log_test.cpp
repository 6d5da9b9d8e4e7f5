// httplog / tcplog lines: each line haproxy 2.6 wrote (data/httplog.txt, data/logs_other.txt) is
// taken apart into its fields, formatted again by lbc and compared byte for byte; halog reads
// lbc's lines.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <regex>
#include <sstream>

#include "lbc/rt/http.h"
#include "util.h"

using namespace lbc::rt::http;

namespace {

const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

int64_t parseDate(const std::smatch& m, int i) {  // dd Mon yyyy HH MM SS mmm from group i
  struct tm tm {};
  tm.tm_mday = std::stoi(m[i]);
  for (int k = 0; k < 12; ++k)
    if (m[i + 1] == kMonths[k]) tm.tm_mon = k;
  tm.tm_year = std::stoi(m[i + 2]) - 1900;
  tm.tm_hour = std::stoi(m[i + 3]);
  tm.tm_min = std::stoi(m[i + 4]);
  tm.tm_sec = std::stoi(m[i + 5]);
  tm.tm_isdst = -1;
  return static_cast<int64_t>(mktime(&tm)) * 1000 + std::stoi(m[i + 6]);
}

struct Owned {  // the strings LogFields views point to
  std::string ip, fe, be, srv, cc, cs, req;
};

const std::regex kHttp(
    R"re(^(\S+):(\d+) \[(\d+)/(\w+)/(\d+):(\d+):(\d+):(\d+)\.(\d+)\] (\S+) (\S+)/(\S+) (-?\d+)/(-?\d+)/(-?\d+)/(-?\d+)/(-?\d+) (-?\d+) (\d+) (\S+) (\S+) (\S{4}) (\d+)/(\d+)/(\d+)/(\d+)/(\+?)(\d+) (\d+)/(\d+) "(.*)"$)re");

LogFields fromHttp(const std::string& line, Owned& o) {
  std::smatch m;
  EXPECT_TRUE(std::regex_match(line, m, kHttp)) << line;
  LogFields f;
  if (m.empty()) return f;
  o = {m[1], m[10], m[11], m[12], m[20], m[21], m[31]};
  f.clientIp = o.ip;
  f.clientPort = static_cast<uint16_t>(std::stoi(m[2]));
  f.dateMs = parseDate(m, 3);
  f.frontend = o.fe;
  f.backend = o.be;
  if (o.srv != "<NOSRV>") f.server = o.srv;
  f.TR = std::stoll(m[13]), f.Tw = std::stoll(m[14]), f.Tc = std::stoll(m[15]), f.Tr = std::stoll(m[16]);
  f.Ta = std::stoll(m[17]);
  f.status = std::stoi(m[18]);
  f.bytesOut = std::stoull(m[19]);
  if (o.cc != "-") f.cookieReq = o.cc;
  if (o.cs != "-") f.cookieRes = o.cs;
  std::string term = m[22];
  for (int i = 0; i < 4; ++i) f.term[i] = term[i];
  f.ac = std::stoi(m[23]), f.fc = std::stoi(m[24]), f.bc = std::stoi(m[25]), f.sc = std::stoi(m[26]);
  f.redispatched = m[27] == "+";
  f.rc = std::stoi(m[28]);
  f.sq = std::stoi(m[29]), f.bq = std::stoi(m[30]);
  if (o.req == "<BADREQ>")
    f.badRequest = true;
  else
    f.requestLine = o.req;
  return f;
}

std::vector<std::pair<std::string, std::string>> lines(const std::string& file) {
  std::vector<std::pair<std::string, std::string>> out;
  std::istringstream in(readData(file));
  std::string l;
  while (std::getline(in, l)) {
    size_t tab = l.find('\t');
    if (tab != std::string::npos) out.emplace_back(l.substr(0, tab), l.substr(tab + 1));
  }
  return out;
}

TEST(HttpLog, EveryHaproxyLineRoundTrips) {
  int n = 0;
  for (auto& [tag, line] : lines("httplog.txt")) {
    if (tag.rfind("keepalive_", 0) == 0 || tag == "dontlognull") continue;
    Owned o;
    LogFields f = fromHttp(line, o);
    EXPECT_EQ(formatHttpLog(f), line) << tag;
    ++n;
  }
  EXPECT_GT(n, 40);
}

TEST(HttpLog, CapturesAndEncoding) {
  LogFields f;
  f.clientIp = "10.0.0.1";
  f.clientPort = 1234;
  f.frontend = "fe";
  f.ssl = true;
  f.backend = "be";
  f.server = "s1";
  f.status = 200;
  f.redispatched = true;
  f.rc = 1;
  f.reqCaptures = {"a.example", "x\"y"};
  f.requestLine = "GET /a\"#\x01 HTTP/1.1";
  std::string s = formatHttpLog(f);
  EXPECT_NE(s.find(" fe~ be/s1 "), std::string::npos) << s;
  EXPECT_NE(s.find("0/0/0/0/+1 0/0 {a.example|x#22y} \"GET /a#22#23#01 HTTP/1.1\""), std::string::npos) << s;
}

TEST(TcpLog, HaproxyLineRoundTrips) {
  std::string line;
  for (auto& [tag, l] : lines("logs_other.txt"))
    if (tag == "tcplog") line = l;
  std::regex re(
      R"re(^(\S+):(\d+) \[(\d+)/(\w+)/(\d+):(\d+):(\d+):(\d+)\.(\d+)\] (\S+) (\S+)/(\S+) (-?\d+)/(-?\d+)/(-?\d+) (\d+) (\S\S) (\d+)/(\d+)/(\d+)/(\d+)/(\d+) (\d+)/(\d+)$)re");
  std::smatch m;
  ASSERT_TRUE(std::regex_match(line, m, re)) << line;
  std::string ip = m[1], fe = m[10], be = m[11], srv = m[12];
  LogFields f;
  f.clientIp = ip;
  f.clientPort = static_cast<uint16_t>(std::stoi(m[2]));
  f.dateMs = parseDate(m, 3);
  f.frontend = fe, f.backend = be, f.server = srv;
  f.Tw = std::stoll(m[13]), f.Tc = std::stoll(m[14]), f.Tt = std::stoll(m[15]);
  f.bytesOut = std::stoull(m[16]);
  f.term[0] = m[17].str()[0], f.term[1] = m[17].str()[1];
  f.ac = std::stoi(m[18]), f.fc = std::stoi(m[19]), f.bc = std::stoi(m[20]), f.sc = std::stoi(m[21]);
  f.rc = std::stoi(m[22]), f.sq = std::stoi(m[23]), f.bq = std::stoi(m[24]);
  EXPECT_EQ(formatTcpLog(f), line);
}

TEST(LogFrame, ShortRawRfc3164MatchHaproxy) {
  std::string shortLine, rfcLine;
  for (auto& [tag, l] : lines("logs_other.txt")) {
    if (tag == "short") shortLine = l;
    if (tag == "rfc3164") rfcLine = l;
  }
  ASSERT_EQ(shortLine.rfind("<6>", 0), 0u);
  std::string msg = shortLine.substr(3);
  LogFrame fr;
  fr.format = LogFormat::kShort;
  EXPECT_EQ(frameLog(fr, msg), shortLine + "\n");
  fr.format = LogFormat::kRaw;
  EXPECT_EQ(frameLog(fr, msg), msg + "\n");
  // <134>Nov 21 03:37:46 haproxy[20805]: MSG
  std::smatch m;
  std::regex re(R"re(^<134>(\w+) ([ \d]\d) (\d\d):(\d\d):(\d\d) haproxy\[(\d+)\]: (.*)$)re");
  ASSERT_TRUE(std::regex_match(rfcLine, m, re)) << rfcLine;
  time_t now = time(nullptr);
  struct tm tm {};
  localtime_r(&now, &tm);
  for (int k = 0; k < 12; ++k)
    if (m[1] == kMonths[k]) tm.tm_mon = k;
  tm.tm_mday = std::stoi(m[2]);
  tm.tm_hour = std::stoi(m[3]), tm.tm_min = std::stoi(m[4]), tm.tm_sec = std::stoi(m[5]);
  tm.tm_isdst = -1;
  fr.format = LogFormat::kRfc3164;
  fr.tag = "haproxy";
  fr.pid = std::stoi(m[6]);
  fr.nowMs = static_cast<int64_t>(mktime(&tm)) * 1000;
  EXPECT_EQ(frameLog(fr, m[7].str()), rfcLine + "\n");
  fr.maxLen = 10;
  fr.format = LogFormat::kRaw;
  // haproxy 2.6 `log stdout len 80`: 79 characters and the newline
  EXPECT_EQ(frameLog(fr, msg), msg.substr(0, 9) + "\n");
}

TEST(DontLogNull, OnlyEmptyConnectionsAreSkipped) {
  EXPECT_FALSE(shouldLog(true, 0));
  EXPECT_TRUE(shouldLog(true, 1));
  EXPECT_TRUE(shouldLog(false, 0));
}

// Debian ships halog with haproxy. It reads syslog files (a syslog daemon's "Mmm dd hh:mm:ss host
// prog[pid]: " prefix; neither haproxy's raw nor its rfc3164 stdout lines parse, checked by hand),
// so both haproxy's lines and lbc's get that prefix; halog must count them all and say the same.
std::string runHalog(const std::string& args, const std::string& input) {
  char path[] = "/tmp/lbc_halog_XXXXXX";
  int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(write(fd, input.data(), input.size()), static_cast<ssize_t>(input.size()));
  close(fd);
  std::string cmd = "/usr/bin/halog " + args + " < " + path + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[512];
  while (p && fgets(buf, sizeof buf, p)) out += buf;
  if (p) pclose(p);
  unlink(path);
  return out;
}

TEST(Halog, ReadsLbcLinesAsHaproxys) {
  if (access("/usr/bin/halog", X_OK) != 0) GTEST_SKIP() << "halog not installed";
  const std::string prefix = "Nov 21 03:37:46 localhost haproxy[123]: ";
  std::string theirs, ours;
  int n = 0;
  for (auto& [tag, line] : lines("httplog.txt")) {
    if (tag.rfind("keepalive_", 0) == 0 || tag == "dontlognull") continue;
    Owned o;
    LogFields f = fromHttp(line, o);
    theirs += prefix + line + "\n";
    LogFrame fr;
    fr.format = LogFormat::kRaw;
    ours += prefix + frameLog(fr, formatHttpLog(f));
    ++n;
  }
  for (const char* args : {"-st", "-srv", "-tc", "-u"}) {
    std::string a = runHalog(args, theirs), b = runHalog(args, ours);
    EXPECT_EQ(a, b) << args;
    EXPECT_NE(a.find(" 0 parsing errors"), std::string::npos) << a;
  }
  int total = 0;
  std::istringstream in(runHalog("-st", ours));
  std::string l;
  while (std::getline(in, l)) {
    int code = 0, count = 0;
    if (sscanf(l.c_str(), "%d %d", &code, &count) == 2) total += count;
  }
  EXPECT_EQ(total, n);
}

}  // namespace

// log/frame: each format's header as haproxy 2.6 writes it (the e2e test compares whole lines
// with haproxy's), and how `len` bounds a datagram and a file descriptor line.
#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>

#include "log/frame.h"

namespace lbc::rt::log {
namespace {

// 2026-12-07 18:15:59.966798 UTC; the tests run with TZ=UTC.
constexpr Stamp kNow{1796667359, 966798};

std::string line(LogFormatKind f, LogSinkKind k = LogSinkKind::Udp4, uint32_t len = 1024,
                 std::string_view msg = "hello", bool host = false, std::string name = "") {
  setenv("TZ", "UTC", 1);
  tzset();
  LogTargetSpec t;
  t.kind = k;
  t.format = f;
  t.facility = 19;  // local3
  t.len = len;
  t.send_hostname = host;
  t.hostname = name;
  std::string out;
  frameLine(out, t, 6, -1, msg, kNow, Origin{1234, "vm"});
  return out;
}

TEST(LogFrame, EachFormatsHeader) {
  EXPECT_EQ(line(LogFormatKind::Unspec), "<158>Dec  7 18:15:59 haproxy[1234]: hello\n");
  EXPECT_EQ(line(LogFormatKind::Rfc3164), "<158>Dec  7 18:15:59 localhost haproxy[1234]: hello\n");
  EXPECT_EQ(line(LogFormatKind::Local), "<158>Dec  7 18:15:59 haproxy[1234]: hello\n");
  EXPECT_EQ(line(LogFormatKind::Rfc5424),
            "<158>1 2026-12-07T18:15:59.966798+00:00 - haproxy 1234 - - hello\n");
  EXPECT_EQ(line(LogFormatKind::Short), "<6>hello\n");
  EXPECT_EQ(line(LogFormatKind::Priority), "<158>hello\n");
  EXPECT_EQ(line(LogFormatKind::Timed), "<6>2026-12-07T18:15:59.966798+00:00 hello\n");
  EXPECT_EQ(line(LogFormatKind::Iso), "2026-12-07T18:15:59.966798+00:00 hello\n");
  EXPECT_EQ(line(LogFormatKind::Raw), "hello\n");
}

TEST(LogFrame, HostName) {
  using K = LogSinkKind;
  EXPECT_EQ(line(LogFormatKind::Unspec, K::Unix, 1024, "m", true),
            "<158>Dec  7 18:15:59 vm haproxy[1234]: m\n");
  EXPECT_EQ(line(LogFormatKind::Rfc3164, K::Unix, 1024, "m", true, "h1"),
            "<158>Dec  7 18:15:59 h1 haproxy[1234]: m\n");
  EXPECT_EQ(line(LogFormatKind::Local, K::Unix, 1024, "m", true, "h1"),
            "<158>Dec  7 18:15:59 haproxy[1234]: m\n");
  EXPECT_EQ(line(LogFormatKind::Rfc5424, K::Unix, 1024, "m", true),
            "<158>1 2026-12-07T18:15:59.966798+00:00 vm haproxy 1234 - - m\n");
}

TEST(LogFrame, LenBoundsDatagramsAndFdLinesDifferently) {
  const std::string msg(200, 'x');
  // A datagram: `len` bytes, then the newline.
  std::string d = line(LogFormatKind::Rfc3164, LogSinkKind::Udp4, 100, msg);
  EXPECT_EQ(d.size(), 101u);
  EXPECT_EQ(d.back(), '\n');
  // A file descriptor: `len` bytes with the newline.
  std::string f = line(LogFormatKind::Raw, LogSinkKind::Fd, 100, msg);
  EXPECT_EQ(f, std::string(99, 'x') + "\n");
  // A header longer than `len` is cut too.
  EXPECT_EQ(line(LogFormatKind::Rfc5424, LogSinkKind::Udp6, 80, msg).size(), 81u);
}

TEST(LogFrame, TheMessageIsBoundByTheLargestLenFirst) {
  // haproxy builds a message in a buffer of the configuration's largest `len`: with only
  // `len 100`, a raw datagram holds 99 bytes of message and the newline.
  LogTargetSpec t;
  t.format = LogFormatKind::Raw;
  t.len = t.message_max = 100;
  std::string out;
  frameLine(out, t, 6, -1, std::string(300, 'x'), kNow, Origin{1, "vm"});
  EXPECT_EQ(out, std::string(99, 'x') + "\n");
}

TEST(LogFrame, TrailingNewlinesOfTheMessageAreNotSent) {
  EXPECT_EQ(line(LogFormatKind::Raw, LogSinkKind::Fd, 1024, std::string_view("a\n\0", 3)), "a\n");
}

TEST(LogFrame, FacilityOverride) {
  LogTargetSpec t;
  t.format = LogFormatKind::Priority;
  std::string out;
  frameLine(out, t, 3, 0, "m", kNow, Origin{1, "vm"});
  EXPECT_EQ(out, "<3>m\n");
}

}  // namespace
}  // namespace lbc::rt::log

// The state-change texts, against lines haproxy 2.6 printed (checks on loopback: a closed port,
// a 500, a reason phrase with quotes and control bytes, a backup server).
#include "../../../runtime/src/upstream/server_events.h"

#include <gtest/gtest.h>

namespace lbc::rt {
namespace {

TEST(ServerEvents, DownWithErrnoInfoAndBackupLeft) {
  ServerTransition t;
  t.act = 0, t.bck = 1;
  CheckResult r{CheckStatus::L4Con, 0, "Connection refused", 0};
  EXPECT_EQ(
      formatServerState("tclosed", "s1", false, false, r, t),
      "Server tclosed/s1 is DOWN, reason: Layer4 connection problem, info: \"Connection refused\", check "
      "duration: 0ms. 0 active and 1 backup servers left. Running on backup. 0 sessions active, 0 requeued, "
      "0 remaining in queue");
}

TEST(ServerEvents, UpShowsTheCodeButNoInfo) {
  ServerTransition t;
  t.act = 1, t.bck = 1;
  EXPECT_EQ(
      formatServerState("tclosed", "s1", false, true, {CheckStatus::L4Ok, 0, "", 0}, t),
      "Server tclosed/s1 is UP, reason: Layer4 check passed, check duration: 0ms. 1 active and 1 backup "
      "servers online. 0 sessions requeued, 0 total in queue");
  t.bck = 0;
  EXPECT_EQ(
      formatServerState("hnot", "s1", false, true, {CheckStatus::L7Ok, 404, "", 3}, t),
      "Server hnot/s1 is UP, reason: Layer7 check passed, code: 404, check duration: 3ms. 1 active and 0 "
      "backup servers online. 0 sessions requeued, 0 total in queue");
}

TEST(ServerEvents, InfoIsAsciiEncodedAndInvalidResponsesHaveNoCode) {
  ServerTransition t;
  EXPECT_EQ(formatServerState("a", "s1", false, false,
                              {CheckStatus::L7Sts, 500,
                               "a<b>c\\d\te\x80"
                               "f'g\"h~",
                               0},
                              t),
            "Server a/s1 is DOWN, reason: Layer7 wrong status, code: 500, info: "
            "\"a<3C>b<3E>c\\d<09>e<80>f'g<22>h~\", "
            "check duration: 0ms. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 "
            "remaining in "
            "queue");
  EXPECT_EQ(
      formatServerState("hgarb", "s1", true, false, {CheckStatus::L7Rsp, 0, "", 2}, t),
      "Backup Server hgarb/s1 is DOWN, reason: Layer7 invalid response, check duration: 2ms. 0 active and 0 "
      "backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue");
}

TEST(ServerEvents, StderrLabelsArePaddedAsHaproxy) {
  EXPECT_EQ(stderrLine("WARNING", 25672, "x"), "[WARNING]  (25672) : x\n");
  EXPECT_EQ(stderrLine("ALERT", 25672, "x"), "[ALERT]    (25672) : x\n");
}

}  // namespace
}  // namespace lbc::rt

#include "front/diag.h"

#include <gtest/gtest.h>

#include <sstream>

using namespace lbc::front;

TEST(Diag, TextHasLocationSourceLineAndCaret) {
  SourceManager sm;
  uint32_t id = sm.add("x.cfg", "frontend fe\n\tdefualt_backend b\n");
  DiagEngine d(sm);
  d.error({id, 2, 2, 15}, "unknown keyword");
  std::ostringstream o;
  d.render(o, DiagFormat::Text);
  EXPECT_EQ(o.str(), std::string("x.cfg:2:2: error: unknown keyword\n 2 | \tdefualt_backend b\n   | \t^") +
                         std::string(14, '~') + "\n");
}

TEST(Diag, ErrorsAreCappedWithACount) {
  SourceManager sm;
  uint32_t id = sm.add("x.cfg", "a\n");
  DiagEngine d(sm);
  for (int i = 0; i < 25; ++i) d.error({id, 1, 1, 1}, "e" + std::to_string(i));
  std::ostringstream o;
  d.render(o, DiagFormat::Text, 20);
  EXPECT_NE(o.str().find("5 more errors not shown (25 in all)"), std::string::npos);
  EXPECT_EQ(o.str().find("e24"), std::string::npos);
}

TEST(Diag, JsonEscapes) {
  SourceManager sm;
  uint32_t id = sm.add("x.cfg", "a\n");
  DiagEngine d(sm);
  d.warning({id, 1, 1, 1}, "quote \" and \\ and \n");
  std::ostringstream o;
  d.render(o, DiagFormat::Json);
  EXPECT_NE(o.str().find("\"message\":\"quote \\\" and \\\\ and \\n\""), std::string::npos);
  EXPECT_NE(o.str().find("\"warnings\":1"), std::string::npos);
}

TEST(Diag, DidYouMean) {
  EXPECT_EQ(closestMatch("defualt_backend", {"default_backend", "use_backend"}), "default_backend");
  EXPECT_EQ(closestMatch("roundrobn", {"roundrobin", "leastconn"}), "roundrobin");
  EXPECT_EQ(closestMatch("zzzzzz", {"roundrobin", "leastconn"}), "");
}

#include "front/preproc.h"

#include <gtest/gtest.h>

#include "front/parse.h"

using namespace lbc::front;

namespace {
struct Result {
  std::vector<std::string> heads;
  size_t errors;
  size_t warnings;
};

Result run(const std::string& text) {
  SourceManager sm;
  DiagEngine d(sm);
  uint32_t id = sm.add("t.cfg", text);
  EnvLookup env = [](std::string_view n) -> std::optional<std::string> {
    if (n == "SET") return std::string("yes");
    return std::nullopt;
  };
  File f = parseConfig(sm, id, d, env);
  preprocess(f, d, env);
  Result r{{}, d.errorCount(), d.warningCount()};
  for (const auto& l : f.lines) r.heads.push_back(l.words[0].text);
  return r;
}
}  // namespace

TEST(Preproc, IfElseChoosesOneBranch) {
  auto r = run(".if defined(SET)\na\n.else\nb\n.endif\n");
  EXPECT_EQ(r.heads, std::vector<std::string>{"a"});
  r = run(".if defined(UNSET)\na\n.elif streq(x,x)\nb\n.else\nc\n.endif\n");
  EXPECT_EQ(r.heads, std::vector<std::string>{"b"});
}

TEST(Preproc, NestedBlocksInsideFalseBranchStayOff) {
  auto r = run(".if 0\n.if 1\na\n.endif\nb\n.endif\nc\n");
  EXPECT_EQ(r.heads, std::vector<std::string>{"c"});
}

TEST(Preproc, Operators) {
  EXPECT_EQ(run(".if defined(SET) && !defined(UNSET)\na\n.endif\n").heads, std::vector<std::string>{"a"});
  EXPECT_EQ(run(".if (0 || 1) && 1\na\n.endif\n").heads, std::vector<std::string>{"a"});
  EXPECT_TRUE(run(".if 0 || 0\na\n.endif\n").heads.empty());
}

TEST(Preproc, Versions) {
  EXPECT_EQ(run(".if version_atleast(2.6)\na\n.endif\n").heads.size(), 1u);
  EXPECT_EQ(run(".if version_before(2.10)\na\n.endif\n").heads.size(), 1u);  // 2.6 < 2.10 numerically
  EXPECT_EQ(run(".if version_atleast(3.0)\na\n.endif\n").heads.size(), 0u);
  EXPECT_EQ(run(".if feature(OPENSSL)\na\n.endif\n").heads.size(), 1u);
}

TEST(Preproc, Messages) {
  EXPECT_EQ(run(".alert \"stop\"\n").errors, 1u);
  EXPECT_EQ(run(".warning \"careful\"\n").warnings, 1u);
  EXPECT_EQ(run(".if 0\n.alert \"skipped\"\n.endif\n").errors, 0u);
  EXPECT_EQ(run(".notice two words\n").errors, 1u);
}

TEST(Preproc, Unbalanced) {
  EXPECT_EQ(run(".if 1\na\n").errors, 1u);
  EXPECT_EQ(run(".endif\n").errors, 1u);
  EXPECT_EQ(run(".else\n").errors, 1u);
  EXPECT_EQ(run(".if 1\n.else\n.else\n.endif\n").errors, 1u);
  EXPECT_EQ(run(".if bogus(1)\n.endif\n").errors, 1u);
  EXPECT_EQ(run(".if word\n.endif\n").errors, 1u);
}

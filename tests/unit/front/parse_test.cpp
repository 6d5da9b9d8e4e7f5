#include "front/parse.h"

#include <gtest/gtest.h>

using namespace lbc::front;

namespace {
File parse(const std::string& text, size_t* errors = nullptr) {
  static SourceManager sm;  // outlives the returned words' locations
  DiagEngine d(sm);
  uint32_t id = sm.add("t.cfg", text);
  File f = parseConfig(sm, id, d, processEnv());
  if (errors) *errors = d.errorCount();
  return f;
}
}  // namespace

TEST(Parse, SectionsAndDirectives) {
  File f = parse("frontend fe\n  bind :80 # comment\n\n  default_backend be\n");
  ASSERT_EQ(f.lines.size(), 3u);
  EXPECT_EQ(f.lines[0].kind, LineKind::Section);
  EXPECT_EQ(f.lines[0].words[1].text, "fe");
  EXPECT_EQ(f.lines[1].words.size(), 2u);
  EXPECT_EQ(f.lines[1].words[1].text, ":80");
  EXPECT_EQ(f.lines[1].loc.line, 2u);
  EXPECT_EQ(f.lines[1].loc.col, 3u);
}

TEST(Parse, HashInsideQuotesIsNotAComment) {
  File f = parse("frontend fe\n http-request set-header X \"a#b\"\n");
  ASSERT_EQ(f.lines[1].words.size(), 4u);
  EXPECT_EQ(f.lines[1].words[3].text, "a#b");
}

TEST(Parse, Conditions) {
  File f = parse("frontend fe\n use_backend b if a !b || { path_beg /x } or !{ ssl_fc }\n");
  const auto& c = *f.lines[1].cond;
  EXPECT_FALSE(c.unless);
  ASSERT_EQ(c.alternatives.size(), 3u);
  ASSERT_EQ(c.alternatives[0].size(), 2u);
  EXPECT_TRUE(c.alternatives[0][1].negated);
  EXPECT_TRUE(c.alternatives[1][0].anonymous);
  EXPECT_EQ(c.alternatives[1][0].acl.size(), 2u);
  EXPECT_TRUE(c.alternatives[2][0].negated);
  EXPECT_TRUE(c.alternatives[2][0].anonymous);
}

TEST(Parse, BangGluedToAWordOutsideConditions) {
  File f = parse("frontend fe\n acl x hdr(a) !abc\n");
  ASSERT_EQ(f.lines[1].words.size(), 4u);
  EXPECT_EQ(f.lines[1].words[3].text, "!abc");
}

TEST(Parse, SyntaxErrors) {
  size_t e = 0;
  parse("frontend fe\n use_backend b if { path_beg /x\n", &e);
  EXPECT_EQ(e, 1u);
  parse("frontend fe\n bind \"unterminated\n", &e);
  EXPECT_GE(e, 1u);
}

TEST(Parse, SampleExpressions) {
  SourceManager sm;
  DiagEngine d(sm);
  Word w{"req.hdr(host,1),lower,regsub(^www\\.,)", {1, 1, 1, 0}, false};
  auto s = parseSample(w, d);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->fetch.name.text, "req.hdr");
  ASSERT_EQ(s->fetch.args.size(), 2u);
  EXPECT_EQ(s->fetch.args[1].text, "1");
  ASSERT_EQ(s->convs.size(), 2u);
  EXPECT_EQ(s->convs[1].args[0].text, "^www\\.");
  EXPECT_EQ(s->convs[1].args[1].text, "");
  EXPECT_FALSE(parseSample(Word{"hdr(host", {1, 1, 1, 0}, false}, d));
}

TEST(Parse, LogFormat) {
  SourceManager sm;
  DiagEngine d(sm);
  auto lf = parseLogFormat(Word{"id=%[src] %ci:%{+Q}[path] end", {1, 1, 1, 0}, false}, d);
  ASSERT_TRUE(lf);
  ASSERT_EQ(lf->items.size(), 7u);
  EXPECT_EQ(lf->items[1].kind, LogFormatItem::Kind::Sample);
  EXPECT_EQ(lf->items[3].kind, LogFormatItem::Kind::Alias);
  EXPECT_EQ(lf->items[5].flags, "+Q");
  EXPECT_FALSE(parseLogFormat(Word{"%[src", {1, 1, 1, 0}, false}, d));
}

TEST(Parse, SyntaxErrorsQuoteUtf8WordsAsWritten) {
  SourceManager sm;
  DiagEngine d(sm);
  uint32_t id = sm.add("u.cfg", ".if defined(A) \xc3\xa9\n.endif\n");
  parseConfig(sm, id, d, processEnv());
  ASSERT_GE(d.errorCount(), 1u);
  EXPECT_EQ(d.all()[0].message, "unexpected '\xc3\xa9'");  // the word as written, not transcoded
}

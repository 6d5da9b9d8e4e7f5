// Golden comparisons against bytes captured from haproxy 2.6 (tests/unit/http/capture.sh writes
// tests/unit/http/data): error pages, replies, connection headers, forwardfor.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <memory>
#include <sstream>

#include "lbc/rt/http.h"
#include "util.h"

using namespace lbc::rt;
using namespace lbc::rt::http;

namespace {

const int kErrCodes[] = {200, 400, 401, 403, 404, 405, 407, 408, 410, 413,
                         421, 422, 425, 429, 500, 501, 502, 503, 504};

RequestState req11() {
  RequestState r;
  r.http11 = true;
  return r;
}

TEST(ErrorPages, DenyStatusPagesMatchHaproxy) {
  for (int c : kErrCodes) {
    ASSERT_TRUE(hasBuiltinPage(c)) << c;
    Rendered r = renderPage(builtinPage(c), req11(), HttpMode::kKeepAlive);
    EXPECT_EQ(r.bytes, readData("err_" + std::to_string(c) + ".http")) << c;
    EXPECT_EQ(r.status, c);
    // 400 and 408 pages say close; the others keep the connection (haproxy kept=1 after deny).
    EXPECT_EQ(r.close, c == 400 || c == 408) << c;
  }
  EXPECT_FALSE(hasBuiltinPage(414));
  EXPECT_FALSE(hasBuiltinPage(431));
  EXPECT_FALSE(hasBuiltinPage(302));
}

TEST(ErrorPages, StreamErrorsMatchHaproxy) {
  // 502 (bad response), 503 (no server / refused), 504 (server timeout), 500 (failed rewrite, on the
  // request and on the response side alike) go through the normal response path.
  const std::pair<int, const char*> cases[] = {
      {502, "native_502.http"}, {503, "native_503_noserver.http"}, {503, "native_503_refused.http"},
      {504, "native_504.http"}, {500, "native_500_rw_req.http"},   {500, "native_502_rw_res.http"}};
  ErrorPages pages;
  for (auto [c, file] : cases)
    EXPECT_EQ(renderPage(pages.page(c), req11(), HttpMode::kKeepAlive).bytes, readData(file)) << file;
}

TEST(ErrorPages, NativeErrorsAreTheRawPage) {
  ErrorPages pages;
  EXPECT_EQ(nativeError(pages, 400), readData("native_400.http"));
  EXPECT_EQ(nativeError(pages, 408), readData("native_408.http"));
  EXPECT_EQ(nativeError(pages, 422), readData("native_422.http"));
}

TEST(ErrorPages, ErrorfileOverridesAndIsReformatted) {
  ErrorPages pages;
  pages.set(403,
            "HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nX-From: errorfile\r\n\r\nfile says no\n");
  Txn t;
  t.verdict = LBC_HOOK_DENY;
  t.reply.status = 403;
  Rendered r = renderReply(t, pages, req11(), HttpMode::kKeepAlive);
  EXPECT_EQ(r.bytes, readData("reply_errorfile.http"));
  EXPECT_TRUE(r.close);  // no length: the body ends with the connection
  EXPECT_EQ(pages.page(404), builtinPage(404));
}

TEST(Reasons, MatchHaproxyTable) {
  std::istringstream in(readData("reasons.txt"));
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    int code = std::stoi(line.substr(0, 3));
    EXPECT_EQ(reasonPhrase(code), line.substr(4)) << code;
    ++n;
  }
  EXPECT_GT(n, 50);
}

// ---- deny / return / redirect ------------------------------------------------------------------

std::vector<std::pair<std::string, std::unique_ptr<Txn>>> cases;
Txn& add(const std::string& name, int verdict, int status) {
  cases.emplace_back(name, std::make_unique<Txn>());
  Txn& t = *cases.back().second;
  t.verdict = verdict;
  t.reply.status = status;
  return t;
}

TEST(Replies, MatchHaproxy) {
  ErrorPages pages;
  add("deny", LBC_HOOK_DENY, 403);
  add("deny429", LBC_HOOK_DENY, 429);
  {
    Txn& t = add("deny_string", LBC_HOOK_DENY, 403);
    t.reply.content_type = "text/plain";
    t.reply.body_kind = LBC_BODY_TEXT;
    t.reply.body = "nope";
    t.reply.headers.push_back({"X-A", "b"});
  }
  add("return_plain", LBC_HOOK_RETURN, 200);
  add("return_204", LBC_HOOK_RETURN, 204);
  {
    Txn& t = add("return_string", LBC_HOOK_RETURN, 200);
    t.reply.content_type = "text/plain";
    t.reply.body_kind = LBC_BODY_TEXT;
    t.reply.body = "hello";
    t.reply.headers = {{"X-A", "b"}, {"X-B", "c d"}};
  }
  {
    Txn& t = add("return_lf", LBC_HOOK_RETURN, 503);
    t.reply.content_type = "application/json";
    t.reply.body_kind = LBC_BODY_TEXT;
    t.reply.body = "{\"p\":\"/return_lf\"}";
  }
  for (int code : {301, 302, 303, 307, 308}) {
    Txn& t = add("redir_" + std::to_string(code), LBC_HOOK_REDIRECT, code);
    t.reply.headers.push_back({"Location", "/new"});
  }
  {
    Txn& t = add("redir_prefix", LBC_HOOK_REDIRECT, 302);
    t.reply.headers.push_back({"Location", "https://x.example/redir_prefix/a/b?q=1"});
  }
  {
    Txn& t = add("redir_scheme", LBC_HOOK_REDIRECT, 302);
    t.reply.headers.push_back({"Location", "https://h.example/redir_scheme"});
  }
  {
    Txn& t = add("redir_cookie", LBC_HOOK_REDIRECT, 302);
    t.reply.headers = {{"Location", "/c"}, {"Set-Cookie", "SESS=1; path=/;"}};
  }
  {
    Txn& t = add("redir_clear", LBC_HOOK_REDIRECT, 302);
    t.reply.headers = {{"Location", "/c"}, {"Set-Cookie", "SESS=; path=/; Max-Age=0;"}};
  }
  for (auto& [name, t] : cases) {
    Rendered r = renderReply(*t, pages, req11(), HttpMode::kKeepAlive);
    EXPECT_EQ(r.bytes, readData("reply_" + name + ".http")) << name;
    EXPECT_FALSE(r.close) << name;  // haproxy answered a second request after each (kept=1)
  }
}

TEST(Replies, ConnectionFollowsTheClient) {
  ErrorPages pages;
  Txn t;
  t.verdict = LBC_HOOK_RETURN;
  t.reply.status = 200;
  RequestState q10;  // HTTP/1.0 without keep-alive
  q10.clientClose = true;
  Rendered r = renderReply(t, pages, q10, HttpMode::kKeepAlive);
  EXPECT_EQ(r.bytes, "HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
  EXPECT_TRUE(r.close);
  RequestState q10ka;
  r = renderReply(t, pages, q10ka, HttpMode::kKeepAlive);
  EXPECT_EQ(r.bytes, "HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: keep-alive\r\n\r\n");
  EXPECT_FALSE(r.close);
  r = renderReply(t, pages, req11(), HttpMode::kClose);
  EXPECT_EQ(r.bytes, "HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
  EXPECT_TRUE(r.close);
}

TEST(Replies, HeadGetsNoBody) {
  ErrorPages pages;
  Txn t;
  t.verdict = LBC_HOOK_RETURN;
  t.reply.status = 200;
  t.reply.content_type = "text/plain";
  t.reply.body_kind = LBC_BODY_TEXT;
  t.reply.body = "hello";
  RequestState q = req11();
  q.head = true;
  EXPECT_EQ(renderReply(t, pages, q, HttpMode::kKeepAlive).bytes,
            "HTTP/1.1 200 OK\r\ncontent-length: 5\r\ncontent-type: text/plain\r\n\r\n");
}

TEST(Replies, UnparsableErrorfileIsSentRawAndCloses) {
  ErrorPages pages;
  pages.set(503, "not http at all");
  Txn t;
  t.verdict = LBC_HOOK_DENY;
  t.reply.status = 503;
  Rendered r = renderReply(t, pages, req11(), HttpMode::kKeepAlive);
  EXPECT_EQ(r.bytes, "not http at all");
  EXPECT_TRUE(r.close);
}

}  // namespace

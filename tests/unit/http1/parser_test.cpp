// The head parser: each rule, with the status haproxy 2.6 gives (see tests/http1_haproxy).
#include <gtest/gtest.h>

#include "test_util.h"

namespace lbc::rt::http1::test {
namespace {

constexpr uint16_t kFwd = 0;  // the head is accepted

uint16_t verdict(const std::string& raw, Kind kind = Kind::kRequest) {
  Parsed p = parseWhole(raw, kind);
  if (p.result.outcome == Outcome::kDone) return kFwd;
  if (p.result.outcome == Outcome::kError) return p.result.status;
  return 1;  // need more
}

std::string req(const std::string& headers, const std::string& line = "GET / HTTP/1.1") {
  return line + "\r\nHost: a\r\n" + headers + "\r\n";
}

struct Case {
  const char* name;
  std::string raw;
  uint16_t expect;
};

class RequestRules : public ::testing::TestWithParam<Case> {};
TEST_P(RequestRules, Status) {
  EXPECT_EQ(verdict(GetParam().raw), GetParam().expect) << GetParam().name;
}

INSTANTIATE_TEST_SUITE_P(
    Http1, RequestRules,
    ::testing::Values(
        Case{"simple", req(""), kFwd}, Case{"http10", "GET / HTTP/1.0\r\n\r\n", kFwd},
        Case{"http09", "GET /\r\n\r\n", 400}, Case{"version_lower", req("", "GET / http/1.1"), 400},
        Case{"version_junk", req("", "GET / HTTP/1.x"), 400},
        Case{"version_12", req("", "GET / HTTP/1.2"), kFwd},
        Case{"version_trailing_space", req("", "GET / HTTP/1.1 "), 400},
        Case{"double_space", req("", "GET  /  HTTP/1.1"), kFwd},
        Case{"tab_sep", req("", "GET\t/ HTTP/1.1"), kFwd},
        Case{"leading_empty_lines", "\r\n\n" + req(""), kFwd}, Case{"leading_space", " " + req(""), 400},
        Case{"method_badchar", req("", "GE(T / HTTP/1.1"), 400},
        Case{"method_custom", req("", "PURGE / HTTP/1.1"), kFwd},
        Case{"uri_hash", req("", "GET /a#b HTTP/1.1"), 400},
        Case{"uri_del", req("", "GET /\x7f HTTP/1.1"), 400},
        Case{"uri_utf8", req("", "GET /\xc3\xa9 HTTP/1.1"), 400},
        Case{"uri_nul", req("", std::string("GET /\0 HTTP/1.1", 16)), 400},
        Case{"uri_relative", req("", "GET x HTTP/1.1"), 400},
        Case{"absolute", req("", "GET http://a/x HTTP/1.1"), kFwd},
        Case{"absolute_host_mismatch", req("", "GET http://b/x HTTP/1.1"), 400},
        Case{"absolute_default_port", req("", "GET http://a:80/ HTTP/1.1"), kFwd},
        Case{"absolute_userinfo", req("", "GET http://u@a/ HTTP/1.1"), kFwd},
        Case{"absolute_case", req("", "GET http://A/ HTTP/1.1"), kFwd},
        Case{"asterisk", req("", "OPTIONS * HTTP/1.1"), kFwd},
        Case{"connect", "CONNECT a:443 HTTP/1.1\r\n\r\n", kFwd},
        Case{"connect_origin", req("", "CONNECT /x HTTP/1.1"), 400},
        Case{"connect_host_mismatch", "CONNECT a:443 HTTP/1.1\r\nHost: b:443\r\n\r\n", 400},
        // Host against the target as HAProxy 2.6 checks it (default and empty ports).
        Case{"connect_no_port", "CONNECT a HTTP/1.1\r\n\r\n", 400},
        Case{"connect_empty_port", "CONNECT a: HTTP/1.1\r\n\r\n", 400},
        Case{"connect_host_default_port", req("", "CONNECT a:443 HTTP/1.1"), kFwd},
        Case{"connect_host_other_port", req("", "CONNECT a:8443 HTTP/1.1"), 400},
        Case{"connect_host_empty_port", "CONNECT a:443 HTTP/1.1\r\nHost: a:\r\n\r\n", kFwd},
        Case{"absolute_empty_port", req("", "GET http://a:/ HTTP/1.1"), kFwd},
        Case{"absolute_host_empty_port", "GET http://a/ HTTP/1.1\r\nHost: a:\r\n\r\n", kFwd},
        Case{"absolute_query_in_authority", req("", "GET http://a?x HTTP/1.1"), 400},
        Case{"absolute_other_scheme_port", req("", "GET ftp://a:21/ HTTP/1.1"), 400},
        Case{"absolute_host_not_default", "GET http://a/ HTTP/1.1\r\nHost: a:443\r\n\r\n", 400},
        Case{"bare_lf", "GET / HTTP/1.1\nHost: a\n\n", kFwd},
        Case{"bare_cr", "GET / HTTP/1.1\rHost: a\r\n\r\n", 400}, Case{"cr_in_value", req("X: a\rb\r\n"), 400},
        Case{"nul_in_value", req(std::string("X: a\0b\r\n", 8)), 400},
        Case{"nul_in_name", req(std::string("X\0: b\r\n", 7)), 400},
        Case{"ctl_in_value", req("X: a\x01\x7f\r\n"), kFwd},
        Case{"space_before_colon", req("X : b\r\n"), 400}, Case{"tab_before_colon", req("X\t: b\r\n"), 400},
        Case{"empty_name", req(": b\r\n"), 400}, Case{"no_colon", req("Foo\r\n"), 400},
        Case{"fold_first", "GET / HTTP/1.1\r\n x\r\nHost: a\r\n\r\n", 400},
        Case{"fold", req("X: a\r\n b\r\n"), kFwd},
        Case{"cl", req("Content-Length: 3\r\n", "POST / HTTP/1.1"), kFwd},
        Case{"cl_dup_same", req("Content-Length: 3\r\nContent-Length: 3\r\n"), kFwd},
        Case{"cl_dup_diff", req("Content-Length: 3\r\nContent-Length: 4\r\n"), 400},
        Case{"cl_list_same", req("Content-Length: 3, 3\r\n"), kFwd},
        Case{"cl_list_diff", req("Content-Length: 3,4\r\n"), 400},
        Case{"cl_list_empty", req("Content-Length: 3,\r\n"), 400},
        Case{"cl_empty", req("Content-Length:\r\n"), 400},
        Case{"cl_plus", req("Content-Length: +3\r\n"), 400},
        Case{"cl_neg", req("Content-Length: -1\r\n"), 400},
        Case{"cl_hex", req("Content-Length: 0x3\r\n"), 400},
        Case{"cl_inner_space", req("Content-Length: 1 2\r\n"), 400},
        Case{"cl_max", req("Content-Length: 9223372036854775807\r\n"), kFwd},
        Case{"cl_overflow", req("Content-Length: 9223372036854775808\r\n"), 400},
        Case{"cl_huge", req("Content-Length: 99999999999999999999999\r\n"), 400},
        Case{"te", req("Transfer-Encoding: chunked\r\n"), kFwd},
        Case{"te_upper", req("Transfer-Encoding: CHUNKED\r\n"), kFwd},
        Case{"te_spaces", req("Transfer-Encoding:  \t chunked \t\r\n"), kFwd},
        Case{"te_space_in_name", req("Transfer-Encoding : chunked\r\n"), 400},
        Case{"te_identity", req("Transfer-Encoding: identity\r\n"), 400},
        Case{"te_gzip", req("Transfer-Encoding: gzip\r\n"), 400},
        Case{"te_gzip_chunked", req("Transfer-Encoding: gzip, chunked\r\n"), 422},
        Case{"te_chunked_gzip", req("Transfer-Encoding: chunked, gzip\r\n"), 400},
        Case{"te_chunked_twice", req("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"), 400},
        Case{"te_comma_chunked", req("Transfer-Encoding: ,chunked\r\n"), 422},
        Case{"te_chunked_comma", req("Transfer-Encoding: chunked,\r\n"), kFwd},
        Case{"te_then_empty", req("Transfer-Encoding: chunked\r\nTransfer-Encoding:\r\n"), kFwd},
        Case{"te_empty", req("Transfer-Encoding:\r\n"), 400},
        Case{"te_vt",
             req("Transfer-Encoding: \x0b"
                 "chunked\r\n"),
             400},
        Case{"te_param", req("Transfer-Encoding: chunked;q=1\r\n"), 400},
        Case{"te_fold", req("Transfer-Encoding:\r\n chunked\r\n"), kFwd},
        Case{"te_http10", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", kFwd},
        Case{"host_dup_same", req("Host: A\r\n"), kFwd}, Case{"host_dup_diff", req("Host: b\r\n"), 400},
        Case{"no_host_11", "GET / HTTP/1.1\r\n\r\n", kFwd},
        Case{"ws_no_key", req("Connection: Upgrade\r\nUpgrade: websocket\r\n"), 400},
        Case{"ws_short_key", req("Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: x\r\n"),
             400},
        Case{"ws_key",
             req("Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: "
                 "dGhlIHNhbXBsZSBub25jZQ==\r\n"),
             kFwd},
        Case{"ws_without_connection", req("Upgrade: websocket\r\n"), kFwd},
        Case{"upgrade_h2c", req("Connection: Upgrade\r\nUpgrade: h2c\r\n"), kFwd}));

TEST(Http1Parser, RequestFields) {
  Parsed p = parseWhole(
      "POST http://u@Example.com:8080/p?q HTTP/1.1\r\nHost: example.com:8080\r\nConnection: keep-alive, "
      "Upgrade\r\n"
      "Upgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nExpect: 100-Continue\r\n"
      "Content-Length: 5\r\n\r\nhello");
  ASSERT_EQ(p.result.outcome, Outcome::kDone);
  EXPECT_EQ(p.result.length, p.buf.size() - 5);
  const Message& m = p.msg;
  EXPECT_EQ(m.method.in(p.buf.data()), "POST");
  EXPECT_EQ(m.uri.in(p.buf.data()), "http://u@Example.com:8080/p?q");
  EXPECT_EQ(m.authority.in(p.buf.data()), "Example.com:8080");
  EXPECT_EQ(m.uriForm, UriForm::kAbsolute);
  EXPECT_EQ(m.versionMajor, 1);
  EXPECT_EQ(m.versionMinor, 1);
  EXPECT_TRUE(m.has(kHttp11) && m.has(kConnKeepAlive) && m.has(kConnUpgrade) && m.has(kUpgradeWebSocket));
  EXPECT_TRUE(m.has(kExpect100) && m.has(kHasHost));
  EXPECT_EQ(m.body, Body::kContentLength);
  EXPECT_EQ(m.contentLength, 5u);
  EXPECT_EQ(m.headerCount, 6u);
  EXPECT_EQ(p.headers[0].id, HeaderId::kHost);
  EXPECT_EQ(p.headers[5].id, HeaderId::kContentLength);
  EXPECT_TRUE(m.keepAlive());
}

TEST(Http1Parser, KeepAliveDefaults) {
  EXPECT_FALSE(parseWhole("GET / HTTP/1.0\r\n\r\n").msg.keepAlive());
  EXPECT_TRUE(parseWhole("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").msg.keepAlive());
  EXPECT_TRUE(parseWhole("GET / HTTP/1.1\r\n\r\n").msg.keepAlive());
  EXPECT_FALSE(parseWhole("GET / HTTP/1.1\r\nConnection: foo, close\r\n\r\n").msg.keepAlive());
}

TEST(Http1Parser, UriForms) {
  EXPECT_EQ(parseWhole(req("")).msg.uriForm, UriForm::kOrigin);
  EXPECT_EQ(parseWhole(req("", "OPTIONS * HTTP/1.1")).msg.uriForm, UriForm::kAsterisk);
  Parsed c = parseWhole("CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n");
  EXPECT_EQ(c.msg.uriForm, UriForm::kAuthority);
  EXPECT_TRUE(c.msg.isConnect);
  EXPECT_EQ(c.msg.authority.in(c.buf.data()), "a:443");
  EXPECT_TRUE(parseWhole(req("", "HEAD / HTTP/1.1")).msg.isHead);
}

TEST(Http1Parser, ObsFoldBecomesSpaces) {
  Parsed p = parseWhole(req("X: a\r\n b\r\n\tc \r\nY: z\r\n"));
  ASSERT_EQ(p.result.outcome, Outcome::kDone);
  EXPECT_EQ(p.header("x"), "a   b  \tc");
  EXPECT_EQ(p.header("y"), "z");
  Parsed cl = parseWhole(req("Content-Length:\r\n 7\r\n"));
  EXPECT_EQ(cl.msg.contentLength, 7u);
}

TEST(Http1Parser, ValueTrimmed) {
  Parsed p = parseWhole(req("X: \t b c \t\r\nE:\r\n"));
  EXPECT_EQ(p.header("x"), "b c");
  EXPECT_EQ(p.header("e"), "");
}

TEST(Http1Parser, ContentLengthWithTransferEncodingIsDroppedAndCloses) {
  Parsed p = parseWhole(req("Content-Length: 3\r\nTransfer-Encoding: chunked\r\n", "POST / HTTP/1.1"));
  ASSERT_EQ(p.result.outcome, Outcome::kDone);
  EXPECT_EQ(p.msg.body, Body::kChunked);
  EXPECT_TRUE(p.headers[1].drop);
  EXPECT_FALSE(p.headers[2].drop);
  EXPECT_TRUE(p.msg.has(kForceClose));
  EXPECT_FALSE(p.msg.keepAlive());
  Parsed dup = parseWhole(req("Content-Length: 3\r\nContent-Length: 3\r\n"));
  EXPECT_FALSE(dup.headers[1].drop);
  EXPECT_TRUE(dup.headers[2].drop);
  EXPECT_FALSE(dup.msg.has(kForceClose));
}

TEST(Http1Parser, Limits) {
  // At most maxhdr - 1 headers.
  std::string h;
  for (int i = 0; i < 99; ++i) h += "X: y\r\n";
  EXPECT_EQ(verdict(req(h)), kFwd);
  EXPECT_EQ(verdict(req(h + "X: y\r\n")), 400);
  EXPECT_EQ(parseWhole(req(h + "X: y\r\n")).result.reason, Reason::kTooManyHeaders);
  // The HTX footprint: exactly 15241 value bytes fit after "GET / HTTP/1.1" and "Host: a".
  EXPECT_EQ(verdict(req("X: " + std::string(15241, 'v') + "\r\n")), kFwd);
  EXPECT_EQ(verdict(req("X: " + std::string(15242, 'v') + "\r\n")), 400);
  EXPECT_EQ(verdict("GET /" + std::string(15263, 'a') + " HTTP/1.1\r\n\r\n"), kFwd);
  EXPECT_EQ(verdict("GET /" + std::string(15264, 'a') + " HTTP/1.1\r\n\r\n"), 400);
  // Leading whitespace in a value costs nothing in HTX, but the raw head must fit in bufsize.
  EXPECT_EQ(verdict(req("X: " + std::string(16287, ' ') + "v\r\n")), kFwd);
  Parsed raw = parseWhole(req("X: " + std::string(16400, ' ') + "v\r\n"));
  EXPECT_EQ(raw.result.status, 400);
  EXPECT_EQ(raw.result.reason, Reason::kHeadersTooLarge);
  Parsed uri = parseWhole("GET /" + std::string(20000, 'a') + " HTTP/1.1\r\n\r\n");
  EXPECT_EQ(uri.result.status, 400);  // haproxy 2.6 answers 400, not 414
  EXPECT_EQ(uri.result.reason, Reason::kUriTooLong);
  // Names up to 255 bytes.
  EXPECT_EQ(verdict(req(std::string(255, 'n') + ": y\r\n")), kFwd);
  EXPECT_EQ(verdict(req(std::string(256, 'n') + ": y\r\n")), 400);
  // Configured limits apply.
  Limits small{1024, 128, 5};
  EXPECT_EQ(parseWhole(req("A: 1\r\nB: 2\r\nC: 3\r\n"), Kind::kRequest, small).result.outcome,
            Outcome::kDone);
  EXPECT_EQ(parseWhole(req("A: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n"), Kind::kRequest, small).result.status, 400);
  EXPECT_EQ(parseWhole(req("A: " + std::string(900, 'x') + "\r\n"), Kind::kRequest, small).result.status,
            400);
}

TEST(Http1Parser, IncompleteNeedsMore) {
  EXPECT_EQ(parseWhole("GET / HTTP/1.1\r\nHost: a\r\n").result.outcome, Outcome::kNeedMore);
  EXPECT_EQ(parseWhole("GET / HTTP/1.1\r\nHost: a\r\n\r").result.outcome, Outcome::kNeedMore);
  EXPECT_EQ(parseWhole("").result.outcome, Outcome::kNeedMore);
}

TEST(Http1Parser, PipelinedResetParsesNext) {
  std::string two = req("") + req("", "HEAD /b HTTP/1.1");
  std::vector<Header> hs(101);
  Parser p(Kind::kRequest, hs.data());
  Result r = p.feed(two.data(), two.size());
  ASSERT_EQ(r.outcome, Outcome::kDone);
  EXPECT_EQ(p.feed(two.data(), two.size()), r);  // stays done
  p.reset();
  Result r2 = p.feed(two.data() + r.length, two.size() - r.length);
  ASSERT_EQ(r2.outcome, Outcome::kDone);
  EXPECT_TRUE(p.message().isHead);
  EXPECT_EQ(r.length + r2.length, two.size());
}

class ResponseRules : public ::testing::TestWithParam<Case> {};
TEST_P(ResponseRules, Status) {
  EXPECT_EQ(verdict(GetParam().raw, Kind::kResponse), GetParam().expect) << GetParam().name;
}
INSTANTIATE_TEST_SUITE_P(
    Http1, ResponseRules,
    ::testing::Values(
        Case{"ok", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n", kFwd},
        Case{"no_reason", "HTTP/1.1 200\r\n\r\n", kFwd}, Case{"v20", "HTTP/2.0 200 OK\r\n\r\n", kFwd},
        Case{"status_alpha", "HTTP/1.1 2x0 OK\r\n\r\n", 502},
        Case{"status_2digit", "HTTP/1.1 20 OK\r\n\r\n", 502},
        Case{"status_4digit", "HTTP/1.1 2000 OK\r\n\r\n", 502}, Case{"http09", "ok\r\n\r\n", 502},
        Case{"bad_version", "HTTP/1.x 200 OK\r\n\r\n", 502},
        Case{"cl_diff", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n", 502},
        Case{"cl_bad", "HTTP/1.1 200 OK\r\nContent-Length: 2x\r\n\r\n", 502},
        Case{"te_gzip", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", 502},
        Case{"te_gzip_chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 502},
        Case{"te_chunked_gzip", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 502},
        Case{"space_before_colon", "HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\n", 502},
        Case{"nul", std::string("HTTP/1.1 200 OK\r\nX: \0\r\n\r\n", 25), 502},
        Case{"bare_lf", "HTTP/1.1 200 OK\nContent-Length: 0\n\n", kFwd},
        Case{"fold", "HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n", kFwd}));

TEST(Http1Parser, ResponseBodyFraming) {
  auto body = [](const std::string& raw, bool head = false) {
    return parseWhole(raw, Kind::kResponse, {}, head).msg.body;
  };
  EXPECT_EQ(body("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n"), Body::kContentLength);
  EXPECT_EQ(body("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"), Body::kChunked);
  EXPECT_EQ(body("HTTP/1.1 200 OK\r\n\r\n"), Body::kUntilClose);
  EXPECT_EQ(body("HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n"), Body::kNone);
  EXPECT_EQ(body("HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n"), Body::kNone);
  EXPECT_EQ(body("HTTP/1.1 100 Continue\r\n\r\n"), Body::kNone);
  EXPECT_EQ(body("HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n"),
            Body::kTunnel);
  EXPECT_EQ(body("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", true), Body::kNone);
  std::vector<Header> hs(101);
  Parser p(Kind::kResponse, hs.data());
  p.setRequestMethod(false, true);
  std::string ok = "HTTP/1.1 200 Connection established\r\n\r\n";
  ASSERT_EQ(p.feed(ok.data(), ok.size()).outcome, Outcome::kDone);
  EXPECT_EQ(p.message().body, Body::kTunnel);
  Parsed r = parseWhole("HTTP/1.1 404 Not Found\r\n\r\n", Kind::kResponse);
  EXPECT_EQ(r.msg.status, 404);
  EXPECT_EQ(r.msg.reasonPhrase.in(r.buf.data()), "Not Found");
  // Responses may list codings after chunked (only the last one matters; then it is unknown: 502).
  Parsed big = parseWhole("HTTP/1.1 200 OK\r\nX: " + std::string(16300, 'v') + "\r\n\r\n", Kind::kResponse);
  EXPECT_EQ(big.result.status, 502);
}

}  // namespace
}  // namespace lbc::rt::http1::test

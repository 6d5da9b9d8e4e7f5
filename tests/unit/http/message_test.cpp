// Views and head writing: the connection-mode matrix and forwardfor captured from haproxy 2.6
// (data/conn.txt, data/xff.txt), Connection cleaning, limits.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <map>
#include <sstream>

#include "lbc/rt/http.h"
#include "util.h"

using namespace lbc::rt;
using namespace lbc::rt::http;
using lbc::rt::http1::Kind;

namespace {

// What capture.py sent (REQS, REQ_BODY, RESPONSES there).
const std::map<std::string, std::string> kReqs = {
    {"q11", "HTTP/1.1\r\nHost: a\r\n"},
    {"q11close", "HTTP/1.1\r\nHost: a\r\nConnection: close\r\n"},
    {"q10", "HTTP/1.0\r\n"},
    {"q10ka", "HTTP/1.0\r\nConnection: keep-alive\r\n"},
    {"q11kaother", "HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, X-Foo\r\nX-Foo: 1\r\n"},
    {"q11post", "HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n"},
    {"q11chunked", "HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"},
};
const std::map<std::string, std::string> kResps = {
    {"r11", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n"},
    {"r11close", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n"},
    {"r10", "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n"},
    {"r10ka", "HTTP/1.0 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\n"},
    {"r11chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"},
    {"r10eof", "HTTP/1.0 200 OK\r\n\r\n"},
    {"r11eof", "HTTP/1.1 200 OK\r\n\r\n"},
};

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream in(s);
  while (std::getline(in, cur, sep)) out.push_back(cur);
  return out;
}

void setLoopback(Txn& t) {
  inet_pton(AF_INET, "127.0.0.1", t.src);
  t.src_v6 = false;
}

TEST(ConnModes, MatrixMatchesHaproxy) {
  std::istringstream in(readData("conn.txt"));
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto cols = split(line, '\t');
    ASSERT_EQ(cols.size(), 3u) << line;
    auto key = split(cols[0], ' ');  // MODE REQ RESP kept=N
    const std::string &mode = key[0], &q = key[1], &r = key[2];
    bool kept = key[3] == "kept=1";
    HttpMode fe = HttpMode::kKeepAlive, be = HttpMode::kKeepAlive;
    if (mode == "sc") fe = HttpMode::kServerClose;
    if (mode == "close") fe = HttpMode::kClose;
    if (mode == "besc") be = HttpMode::kServerClose;
    if (mode == "beclose") be = HttpMode::kClose;
    std::string path = "/c/" + mode + "/" + q + "/" + r;
    Parsed req(Kind::kRequest, "GET " + path + " " + kReqs.at(q) + "\r\n");
    ASSERT_EQ(req.result.outcome, http1::Outcome::kDone) << line;
    Txn t;
    RequestState rs = fillRequest(t, req.buf.data(), req.msg(), req.hs);
    char out[4096];
    size_t len = writeRequestHead(t, rs, fe, be, {}, out, sizeof out);
    EXPECT_EQ(std::string(out, len), unescape(cols[1])) << line;

    Parsed res(Kind::kResponse, kResps.at(r));
    ASSERT_EQ(res.result.outcome, http1::Outcome::kDone) << line;
    ResponseState ps = fillResponse(t, res.buf.data(), res.msg(), res.hs, rs, fe, be);
    len = writeResponseHead(t, rs, ps, {}, out, sizeof out);
    EXPECT_EQ(std::string(out, len), unescape(cols[2])) << line;
    EXPECT_EQ(ps.clientKeepAlive, kept) << line;
    ++n;
  }
  EXPECT_EQ(n, 6 * 7 * 7);
}

TEST(ConnModes, ServerSideDecision) {
  auto run = [](const std::string& reqText, const std::string& resText, HttpMode fe, HttpMode be) {
    Parsed req(Kind::kRequest, reqText);
    Txn t;
    RequestState rs = fillRequest(t, req.buf.data(), req.msg(), req.hs);
    char out[4096];
    EXPECT_GT(writeRequestHead(t, rs, fe, be, {}, out, sizeof out), 0u);
    Parsed res(Kind::kResponse, resText);
    return fillResponse(t, res.buf.data(), res.msg(), res.hs, rs, fe, be).serverKeepAlive;
  };
  const std::string q11 = "GET / HTTP/1.1\r\nHost: a\r\n\r\n", q10 = "GET / HTTP/1.0\r\n\r\n";
  const std::string r11 = kResps.at("r11");
  EXPECT_TRUE(run(q11, r11, HttpMode::kKeepAlive, HttpMode::kKeepAlive));
  EXPECT_TRUE(run(q10, r11, HttpMode::kKeepAlive, HttpMode::kKeepAlive));  // server side stays keep-alive
  EXPECT_FALSE(run(q11, r11, HttpMode::kServerClose, HttpMode::kKeepAlive));
  EXPECT_FALSE(run(q11, r11, HttpMode::kKeepAlive, HttpMode::kClose));
  EXPECT_FALSE(run(q11, kResps.at("r11close"), HttpMode::kKeepAlive, HttpMode::kKeepAlive));
  EXPECT_FALSE(run(q11, kResps.at("r10"), HttpMode::kKeepAlive, HttpMode::kKeepAlive));
  EXPECT_TRUE(run(q11, kResps.at("r10ka"), HttpMode::kKeepAlive, HttpMode::kKeepAlive));
  EXPECT_FALSE(run(q11, kResps.at("r11eof"), HttpMode::kKeepAlive, HttpMode::kKeepAlive));
}

TEST(Views, DroppedHeadersAndCleanedConnection) {
  Parsed req(Kind::kRequest,
             "POST /x?y HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n"
             "Connection: a, close, b\r\nConnection: keep-alive\r\nConnection: c,Keep-Alive,d\r\n\r\n");
  ASSERT_EQ(req.result.outcome, http1::Outcome::kDone);
  Txn t;
  RequestState rs = fillRequest(t, req.buf.data(), req.msg(), req.hs);
  EXPECT_TRUE(t.http);
  EXPECT_EQ(t.method, "POST");
  EXPECT_EQ(t.uri, "/x?y");
  EXPECT_EQ(t.version, "HTTP/1.1");
  ASSERT_EQ(t.req_headers.size(), 4u);
  EXPECT_EQ(t.req_headers[1].value, "3");
  EXPECT_EQ(t.req_headers[2].value, "a, b");
  EXPECT_EQ(t.req_headers[3].value, "c,d");
  EXPECT_TRUE(rs.clientClose);
  // Views point into the receive buffer: nothing was copied.
  EXPECT_GE(t.uri.data(), req.buf.data());
  EXPECT_LT(t.uri.data(), req.buf.data() + req.buf.size());
}

TEST(Views, RuleAddedConnectionCloseClosesTheServerSide) {
  Parsed req(Kind::kRequest, "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  Txn t;
  RequestState rs = fillRequest(t, req.buf.data(), req.msg(), req.hs);
  t.req_headers.push_back({"Connection", "close"});
  char out[256];
  size_t n = writeRequestHead(t, rs, HttpMode::kKeepAlive, HttpMode::kKeepAlive, {}, out, sizeof out);
  EXPECT_EQ(std::string(out, n), "GET / HTTP/1.1\r\nhost: a\r\nconnection: close\r\n\r\n");
  EXPECT_TRUE(rs.serverClose);
}

// What HAProxy 2.6's H1 multiplexer does to a request before any rule sees it, and its H1 output
// (each case was compared with /usr/sbin/haproxy by tests/http_diff).
// The views of `t` point into the parsed text, gone on return: only the written head is kept.
std::string head(const std::string& text, Txn& t, RequestState* state = nullptr) {
  Parsed req(Kind::kRequest, text);
  EXPECT_EQ(req.result.outcome, http1::Outcome::kDone) << text;
  RequestState rs = fillRequest(t, req.buf.data(), req.msg(), req.hs);
  char out[1024];
  size_t n = writeRequestHead(t, rs, HttpMode::kKeepAlive, HttpMode::kKeepAlive, {}, out, sizeof out);
  if (state) *state = rs;
  return std::string(out, n);
}
std::string head(const std::string& text) {
  Txn t;
  return head(text, t);
}

TEST(Normalise, VersionAbove10IsWrittenHttp11) {
  EXPECT_EQ(head("GET / HTTP/1.2\r\nHost: a\r\n\r\n"), "GET / HTTP/1.1\r\nhost: a\r\n\r\n");
  EXPECT_EQ(head("GET / HTTP/2.0\r\nHost: a\r\n\r\n"), "GET / HTTP/1.1\r\nhost: a\r\n\r\n");
  EXPECT_EQ(head("GET / HTTP/9.1\r\nHost: a\r\n\r\n"), "GET / HTTP/1.1\r\nhost: a\r\n\r\n");
  EXPECT_EQ(head("GET / HTTP/1.0\r\n\r\n"), "GET / HTTP/1.0\r\nconnection: keep-alive\r\n\r\n");
  Parsed req(Kind::kRequest, "GET / HTTP/1.2\r\nHost: a\r\n\r\n");
  Txn t;
  fillRequest(t, req.buf.data(), req.msg(), req.hs);
  EXPECT_EQ(t.version, "HTTP/1.2");  // the rules (req.ver) and the log see the client's version
}

TEST(Normalise, AbsoluteUriDefaultPort) {
  EXPECT_EQ(head("GET http://a:80/ HTTP/1.1\r\nHost: a:80\r\n\r\n"),
            "GET http://a/ HTTP/1.1\r\nhost: a\r\n\r\n");
  EXPECT_EQ(head("GET https://a:443/x HTTP/1.1\r\nHost: a:443\r\n\r\n"),
            "GET https://a/x HTTP/1.1\r\nhost: a\r\n\r\n");
  // Host takes the URI's host, whatever case it had.
  EXPECT_EQ(head("GET http://a:80/ HTTP/1.1\r\nHost: A\r\n\r\n"),
            "GET http://a/ HTTP/1.1\r\nhost: a\r\n\r\n");
  EXPECT_EQ(head("GET HTTP://A:80 HTTP/1.1\r\n\r\n"), "GET HTTP://A HTTP/1.1\r\n\r\n");
  EXPECT_EQ(head("GET https://a:/x HTTP/1.1\r\n\r\n"), "GET https://a/x HTTP/1.1\r\n\r\n");  // empty port
  EXPECT_EQ(head("GET http://u@a:80/ HTTP/1.1\r\n\r\n"), "GET http://u@a/ HTTP/1.1\r\n\r\n");
  EXPECT_EQ(head("GET http://[::1]:80/ HTTP/1.1\r\n\r\n"), "GET http://[::1]/ HTTP/1.1\r\n\r\n");
  EXPECT_EQ(head("GET http://a:80/p?q=http://b:80/ HTTP/1.1\r\n\r\n"),
            "GET http://a/p?q=http://b:80/ HTTP/1.1\r\n\r\n");
  // Not the scheme's default port, not http(s), or a '?' inside what HAProxy takes as the
  // authority: unchanged.
  EXPECT_EQ(head("GET https://a:80/ HTTP/1.1\r\nHost: a:80\r\n\r\n"),
            "GET https://a:80/ HTTP/1.1\r\nhost: a:80\r\n\r\n");
  EXPECT_EQ(head("GET ftp://a:80/ HTTP/1.1\r\n\r\n"), "GET ftp://a:80/ HTTP/1.1\r\n\r\n");
  EXPECT_EQ(head("GET ftp://a:/ HTTP/1.1\r\n\r\n"), "GET ftp://a/ HTTP/1.1\r\n\r\n");  // empty: any scheme
  EXPECT_EQ(head("GET http://a:80?x HTTP/1.1\r\n\r\n"), "GET http://a:80?x HTTP/1.1\r\n\r\n");
  EXPECT_EQ(head("GET http://a:8080/ HTTP/1.1\r\n\r\n"), "GET http://a:8080/ HTTP/1.1\r\n\r\n");
}

TEST(Normalise, ConnectHostLosesADefaultPort) {
  EXPECT_EQ(head("CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n"),
            "CONNECT a:443 HTTP/1.1\r\nhost: a\r\n\r\n");
  EXPECT_EQ(head("CONNECT a:80 HTTP/1.1\r\nHost: A:80\r\n\r\n"), "CONNECT a:80 HTTP/1.1\r\nhost: A\r\n\r\n");
  EXPECT_EQ(head("CONNECT a:8443 HTTP/1.1\r\nHost: a:8443\r\n\r\n"),
            "CONNECT a:8443 HTTP/1.1\r\nhost: a:8443\r\n\r\n");
}

TEST(Normalise, OneHostAndOneContentLength) {
  EXPECT_EQ(head("GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\nHost: A\r\n\r\n"),
            "GET / HTTP/1.1\r\nhost: a\r\nx: 1\r\n\r\n");
  EXPECT_EQ(head("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3\r\n\r\n"),
            "POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 3\r\n\r\n");
  EXPECT_EQ(head("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 03,3 \r\n\r\n"),
            "POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 3\r\n\r\n");
}

TEST(Normalise, ConnectionHeaderForUpgradeAndChunked10) {
  // An Upgrade token: HAProxy adds no connection header (the client's stays, cleaned).
  EXPECT_EQ(head("GET / HTTP/1.0\r\nConnection: keep-alive, Upgrade\r\n\r\n"),
            "GET / HTTP/1.0\r\nconnection: Upgrade\r\n\r\n");
  // Transfer-Encoding in HTTP/1.0: both sides close after it, and nothing is added.
  Txn t;
  RequestState rs;
  EXPECT_EQ(head("POST / HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n", t, &rs),
            "POST / HTTP/1.0\r\ntransfer-encoding: chunked\r\n\r\n");
  EXPECT_TRUE(rs.serverClose);
  EXPECT_TRUE(rs.clientClose);
  // A rule putting a Content-Length next to Transfer-Encoding closes the server side.
  Txn u;
  Parsed req(Kind::kRequest, "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n");
  RequestState q = fillRequest(u, req.buf.data(), req.msg(), req.hs);
  u.req_headers.push_back({"Content-Length", "3"});
  char out[256];
  size_t n = writeRequestHead(u, q, HttpMode::kKeepAlive, HttpMode::kKeepAlive, {}, out, sizeof out);
  EXPECT_EQ(std::string(out, n),
            "POST / HTTP/1.1\r\nhost: a\r\ntransfer-encoding: chunked\r\ncontent-length: 3\r\nconnection: "
            "close\r\n\r\n");
  EXPECT_TRUE(q.serverClose);
}

TEST(Limits, TooBigHeadFails) {
  Parsed req(Kind::kRequest, "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  Txn t;
  RequestState rs = fillRequest(t, req.buf.data(), req.msg(), req.hs);
  char out[64];
  EXPECT_EQ(writeRequestHead(t, rs, HttpMode::kKeepAlive, HttpMode::kKeepAlive, {}, out, 10), 0u);  // cap
  std::string big(20000, 'x');
  t.req_headers.push_back({"X-Big", big});
  std::vector<char> large(65536);
  EXPECT_EQ(
      writeRequestHead(t, rs, HttpMode::kKeepAlive, HttpMode::kKeepAlive, {}, large.data(), large.size()),
      0u);  // over tune.bufsize
  http1::Limits lim;
  lim.bufsize = 32768;
  EXPECT_GT(
      writeRequestHead(t, rs, HttpMode::kKeepAlive, HttpMode::kKeepAlive, lim, large.data(), large.size()),
      0u);
}

// ---- forwardfor ----------------------------------------------------------------------------------

Forwardfor xffFor(const std::string& opt) {
  Forwardfor f;
  f.enabled = true;
  if (opt == "except" || opt == "exceptother") {
    f.hasExcept = true;
    inet_pton(AF_INET, opt == "except" ? "127.0.0.0" : "10.0.0.0", f.except.addr);
    f.except.prefix = 8;
  }
  if (opt == "header" || opt == "headerifnone") f.header = "X-Client-IP";
  if (opt == "ifnone" || opt == "headerifnone") f.ifNone = true;
  return f;
}

TEST(Forwardfor, MatchesHaproxy) {
  const std::map<std::string, std::string> reqs = {
      {"none", "Host: a\r\n"},
      {"has", "Host: a\r\nX-Forwarded-For: 10.1.1.1\r\n"},
      {"hasclient", "Host: a\r\nX-Client-IP: 10.2.2.2\r\n"},
  };
  std::istringstream in(readData("xff.txt"));
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto cols = split(line, '\t');
    auto key = split(cols[0], ' ');
    Parsed req(Kind::kRequest,
               "GET /xff/" + key[0] + "/" + key[1] + " HTTP/1.1\r\n" + reqs.at(key[1]) + "\r\n");
    Txn t;
    setLoopback(t);
    RequestState rs = fillRequest(t, req.buf.data(), req.msg(), req.hs);
    ASSERT_GE(applyForwardfor(t, xffFor(key[0]), Forwardfor{}), 0);
    char out[1024];
    size_t len = writeRequestHead(t, rs, HttpMode::kKeepAlive, HttpMode::kKeepAlive, {}, out, sizeof out);
    EXPECT_EQ(std::string(out, len), unescape(cols[1])) << line;
    ++n;
  }
  EXPECT_EQ(n, 18);
}

TEST(Forwardfor, Ipv6AndBackendHeaderAndArenaLimit) {
  Txn t;
  t.src_v6 = true;
  inet_pton(AF_INET6, "2001:db8::1", t.src);
  Forwardfor fe = xffFor("plain"), be = xffFor("header");
  EXPECT_EQ(applyForwardfor(t, fe, be), 1);
  ASSERT_EQ(t.req_headers.size(), 1u);
  EXPECT_EQ(t.req_headers[0].name, "X-Client-IP");  // the backend's name wins
  EXPECT_EQ(t.req_headers[0].value, "2001:db8::1");
  Forwardfor ex = xffFor("plain");
  ex.hasExcept = true;
  ex.except.v6 = true;
  inet_pton(AF_INET6, "2001:db8::", ex.except.addr);
  ex.except.prefix = 32;
  EXPECT_EQ(applyForwardfor(t, ex, Forwardfor{}), 0);
  EXPECT_EQ(applyForwardfor(t, Forwardfor{}, Forwardfor{}), 0);
  Txn small;
  small.arena.~Arena();
  new (&small.arena) Arena(4);
  setLoopback(small);
  EXPECT_EQ(applyForwardfor(small, fe, Forwardfor{}), -1);
  EXPECT_TRUE(small.rewrite_failed);
}

}  // namespace

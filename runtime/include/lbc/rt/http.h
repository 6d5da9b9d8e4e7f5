// The HTTP/1 message layer between the parser (http1.h) and the sockets: fills a Txn's request and
// response views from parsed heads, writes the (rule-rewritten) heads back out with HAProxy 2.6's
// connection-mode header logic and `option forwardfor`, renders error pages and the replies of
// deny / return / redirect, and formats `option httplog` / `option tcplog` lines. Pure code: no
// sockets, no clocks (times come in as arguments), no allocation on the forwarding path except the
// Txn's own vectors and arena.
//
// Every byte layout here was captured from /usr/sbin/haproxy 2.6 by tests/unit/http/capture.sh and
// is compared byte for byte by tests/unit/http (lbc_http_tests).
#pragma once
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "lbc/rt/http1.h"
#include "lbc/rt/txn.h"

namespace lbc::rt::http {

// ---- connection modes ---------------------------------------------------------------------------

// `option http-keep-alive` (the default), `option http-server-close`, `option httpclose`; the last
// one written in a section wins, as in HAProxy.
enum class HttpMode : uint8_t { kKeepAlive, kServerClose, kClose };

// What the request side learned; keep it with the transaction until its response is sent.
struct RequestState {
  bool http11 = false;       // request version >= 1.1
  bool clientClose = false;  // the client connection closes after this transaction (HTTP/1.0
                             // without keep-alive, Connection: close, Content-Length with
                             // Transfer-Encoding, Transfer-Encoding in HTTP/1.0)
  bool head = false, connect = false;
  http1::Body body = http1::Body::kNone;  // request body framing, forwarded as received
  bool serverClose = false;               // set by writeRequestHead: the server connection closes after this
};

// Decisions for one response, from responseState().
struct ResponseState {
  bool http11 = false;
  bool clientKeepAlive = false;  // the client connection may carry another request
  bool serverKeepAlive = false;  // the server connection may go back to the idle pool
  bool tunnel = false;           // 101, or 2xx to CONNECT: bytes both ways from here on
  http1::Body body = http1::Body::kNone;
  std::string_view version = "HTTP/1.1";  // the response's (Txn::version is the request's)
};

// ---- filling the views ----------------------------------------------------------------------------

// Sets txn.http, method, uri, version and req_headers from a parsed request head. The views point
// into `buf`, which must stay unchanged until the request head has been written to the server
// (writeRequestHead). Headers the parser marked `drop` are left out. As HAProxy's H1 multiplexer
// does before any rule sees the request: Connection headers lose their `close` and `keep-alive`
// tokens (in place in `buf`, the result is never longer) and one left empty disappears; a second
// (identical) Host goes; a Content-Length list ("3, 3") becomes its last value; an absolute-form
// URI of http/https loses the scheme's default port, and Host becomes the URI's host (the new URI
// is in txn.arena); a CONNECT's Host loses a default port (80, 443). Never fails.
RequestState fillRequest(Txn& t, char* buf, const http1::Message& m, const http1::Header* headers);

// Same for a response: txn.has_response, status, reason, res_headers (Connection cleaned the same
// way); `req` is what fillRequest returned; `fe`/`be` the modes of the frontend and the backend.
ResponseState fillResponse(Txn& t, char* buf, const http1::Message& m, const http1::Header* headers,
                           const RequestState& req, HttpMode fe, HttpMode be);

// ---- forwardfor -----------------------------------------------------------------------------------

struct Network {
  uint8_t addr[16] = {};  // network order; IPv4 in the first 4 bytes
  bool v6 = false;
  uint8_t prefix = 0;
  bool contains(const uint8_t* ip, bool ipV6) const;
};

// `option forwardfor [except NET] [header NAME] [if-none]` of one proxy.
struct Forwardfor {
  bool enabled = false;
  std::string header;  // empty: X-Forwarded-For
  bool hasExcept = false;
  Network except;
  bool ifNone = false;
};

// Adds the client address header as HAProxy 2.6 does after the http-request rules and backend
// selection: enabled when the frontend or the backend has the option; the backend's header name
// wins when it set the option; skipped when both say if-none and the header is already there, or
// when the source is inside either proxy's `except` network. The header is appended after the
// others (a separate line even when one exists). Returns 1 added, 0 not applicable, -1 the arena is
// full (answer 500, as HAProxy's failed rewrite).
int applyForwardfor(Txn& t, const Forwardfor& fe, const Forwardfor& be);

// ---- writing heads --------------------------------------------------------------------------------

// Writes the request head for the server: "METHOD URI VERSION" (any version above 1.0 is written
// HTTP/1.1), every header of txn.req_headers in order with its name in lower case (HAProxy 2.6's
// H1 output), the connection header the server side needs (`connection: close` for 1.1 under
// http-server-close/httpclose or when a rule asked for close, `connection: keep-alive` for 1.0
// otherwise; none when Connection holds `upgrade`), then the empty line. Transfer-Encoding with
// HTTP/1.0 or with Content-Length closes the server side. The body framing
// headers are forwarded as they are (chunked stays chunked). Returns the bytes written, or 0 when
// the head does not fit in `cap` or its HTX form exceeds HAProxy's buffer (tune.bufsize): answer
// 500. Sets req.serverClose: the server connection must close after this exchange.
size_t writeRequestHead(const Txn& t, RequestState& req, HttpMode fe, HttpMode be, const http1::Limits& lim,
                        char* out, size_t cap);

// Writes the response head for the client ("VERSION STATUS REASON", lower-case headers, the
// connection header the client side needs). 0 when it does not fit: answer 500 (HAProxy 2.6 gives
// 500 for a failed response rewrite too).
size_t writeResponseHead(const Txn& t, const RequestState& req, const ResponseState& res,
                         const http1::Limits& lim, char* out, size_t cap);

// ---- error pages and replies ----------------------------------------------------------------------

// HAProxy 2.6's reason phrase for a status (data/reasons.txt), with its per-class fallback
// ("Success", "Redirection", "Client Error", "Server Error") for codes it does not list.
std::string_view reasonPhrase(int status);

// The statuses HAProxy has a built-in page for (and deny_status accepts).
bool hasBuiltinPage(int status);
// The raw built-in page (full HTTP/1.1 response), or empty.
std::string_view builtinPage(int status);

// A proxy's error pages: `errorfile CODE FILE` contents over the built-in ones. The topology has to
// carry, per proxy, the list of (status, content) pairs after `errorfiles`/`http-errors` and
// defaults inheritance are resolved (ir::Proxy::errorfiles).
class ErrorPages {
 public:
  void set(int status, std::string content) { files_[status] = std::move(content); }
  // The errorfile for `status`, else the built-in page, else empty.
  std::string_view page(int status) const;

 private:
  std::map<int, std::string> files_;
};

// Bytes HAProxy sends for an error it raises while the request head is still being received or
// was unparsable (400, 408, 422...): the page as stored, unchanged. The connection closes.
std::string nativeError(const ErrorPages& pages, int status);

// What a rendered reply is and what to do after it.
struct Rendered {
  std::string bytes;
  bool close = false;  // close the client connection after sending
  int status = 0;
};

// A page (built-in or errorfile) sent through the normal response path (deny, return
// default-errorfiles, 502/503/504 from the stream): reparsed and written with lower-case names and
// the client connection header, as HAProxy 2.6 does. A page that does not parse yields the raw
// bytes and close.
Rendered renderPage(std::string_view page, const RequestState& req, HttpMode fe);

// The response for the txn's verdict (LBC_HOOK_DENY / RETURN / REDIRECT) and txn.reply.
Rendered renderReply(const Txn& t, const ErrorPages& pages, const RequestState& req, HttpMode fe);

// A rendered reply as the transaction's response, for the http-after-response rules HAProxy runs
// on its own replies too (http_forward_proxy_resp). The client connection header(s) the reply was
// rendered with stay out of the rules' view and are written back last, as HAProxy's H1 output adds
// its own after every header.
struct ReplyHead {
  std::string_view version;
  std::vector<std::string_view> connection;
  size_t body = 0;  // where the body starts in the rendered bytes
};
// Loads the head of `bytes` (copied into t's arena) as t's status, reason and response headers.
// False when it does not parse or does not fit: the reply is then sent as it is.
bool loadReply(Txn& t, std::string_view bytes, ReplyHead& head);
// The reply again from t's status, reason and headers (after the rules), then the connection
// header(s) and the body of `bytes`.
std::string storeReply(const Txn& t, const ReplyHead& head, std::string_view bytes);

// ---- logs -----------------------------------------------------------------------------------------

struct LogFields {
  std::string_view clientIp;  // text
  uint16_t clientPort = 0;
  int64_t dateMs = 0;    // %tr (request date) / %t (accept date), Unix time in ms, local time zone
  int64_t acceptMs = 0;  // the connection's accept date (%ms), Unix time in ms
  std::string_view frontend;
  bool ssl = false;                  // %ft gets a '~'
  std::string_view backend, server;  // server empty: <NOSRV>
  // Timers in ms, -1 when the step did not happen.
  int64_t TR = -1, Tw = -1, Tc = -1, Tr = -1, Ta = 0, Tt = 0;
  int status = -1;
  uint64_t bytesOut = 0;
  std::string_view cookieReq, cookieRes;  // %CC %CS (empty: "-")
  char term[4] = {'-', '-', '-', '-'};    // %tsc (httplog: 4 chars; tcplog uses the first 2)
  uint32_t ac = 0, fc = 0, bc = 0, sc = 0, rc = 0;
  bool redispatched = false;  // %rc gets a '+'
  uint32_t sq = 0, bq = 0;
  std::vector<std::string_view> reqCaptures, resCaptures;  // %hr %hs, omitted when empty
  bool badRequest = false;                                 // %r = <BADREQ>
  std::string_view requestLine;                            // "METHOD URI VERSION"
};

// `option httplog` / `option tcplog` messages (no framing, no newline).
std::string formatHttpLog(const LogFields& f);
std::string formatTcpLog(const LogFields& f);
// `option httplog clf`: HAProxy 2.6's clf_http_log_format (%{+Q}o %{-Q}ci - - [%trg] %r %ST %B "" ""
// %cp %ms %ft %b %s %TR %Tw %Tc %Tr %Ta %tsc %ac %fc %bc %sc %rc %sq %bq %CC %CS %hrl %hsl).
std::string formatClfLog(const LogFields& f);
// A frontend logging without httplog/tcplog (HAProxy's legacy format): one line at accept,
// "Connect from SRC:PORT to DST:PORT (FRONTEND/HTTP|TCP)".
std::string formatConnectLog(std::string_view src, uint16_t src_port, std::string_view dst, uint16_t dst_port,
                             std::string_view frontend, bool http);
// A connection that died before its session (HAProxy's embryonic session): "%ci:%cp [%t]
// FRONTEND/LISTENER: REASON", the listener's `name` or its number in the frontend.
std::string formatConnError(const LogFields& f, std::string_view listener, std::string_view reason);

enum class LogFormat : uint8_t { kRfc3164, kRaw, kShort };
struct LogFrame {
  LogFormat format = LogFormat::kRfc3164;
  int facility = 16;  // local0
  int level = 6;      // info
  std::string_view tag = "lbc";
  int pid = 0;
  int64_t nowMs = 0;     // for the rfc3164 date
  size_t maxLen = 1024;  // `log ... len N`: the line with its newline is cut there
};
// The line written to stdout/stderr, with its trailing newline.
std::string frameLog(const LogFrame& frame, std::string_view message);

// HAProxy's strm_log: a stream is an error for `option dontlog-normal` (errors only) and `option
// log-separate-errors` (logged at level err) when it was redispatched, ended by anything but
// itself ('L') or nothing, was retried, or (HTTP) answered 5xx.
inline bool logIsError(const LogFields& f, bool http) {
  return f.redispatched || (f.term[0] != '-' && f.term[0] != 'L') || (f.term[0] == '-' && f.rc > 0) ||
         (http && f.status >= 500);
}

// `option dontlognull`: a connection that sent nothing is not logged.
inline bool shouldLog(bool dontlognull, uint64_t bytesIn) {
  return !dontlognull || bytesIn != 0;
}

}  // namespace lbc::rt::http

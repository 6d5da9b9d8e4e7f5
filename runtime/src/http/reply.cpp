// Error pages, reason phrases and the responses of deny / return / redirect, in the bytes HAProxy
// 2.6 sends (tests/unit/http/data: err_*.http, native_*.http, reply_*.http, reasons.txt).
#include <cstring>

#include "head.h"
#include "lbc/rt/http.h"

namespace lbc::rt::http {

using namespace detail;

namespace {

struct Reason {
  int status;
  const char* text;
};
// HAProxy 2.6's reason table, as `http-request return status N` shows it (reasons.txt).
constexpr Reason kReasons[] = {
    {200, "OK"},
    {201, "Created"},
    {202, "Accepted"},
    {203, "Non-Authoritative Information"},
    {204, "No Content"},
    {205, "Reset Content"},
    {206, "Partial Content"},
    {207, "Multi-Status"},
    {226, "IM Used"},
    {300, "Multiple Choices"},
    {301, "Moved Permanently"},
    {302, "Moved Temporarily"},
    {303, "See Other"},
    {304, "Not Modified"},
    {305, "Use Proxy"},
    {307, "Temporary Redirect"},
    {308, "Permanent Redirect"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {402, "Payment Required"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {406, "Not Acceptable"},
    {407, "Proxy Authentication Required"},
    {408, "Request Time-out"},
    {409, "Conflict"},
    {410, "Gone"},
    {411, "Length Required"},
    {412, "Precondition Failed"},
    {413, "Request Entity Too Large"},
    {414, "Request-URI Too Long"},
    {415, "Unsupported Media Type"},
    {416, "Requested range unsatisfiable"},
    {417, "Expectation failed"},
    {418, "I'm a teapot"},
    {421, "Misdirected Request"},
    {422, "Unprocessable Content"},
    {423, "Locked"},
    {424, "Method failure"},
    {425, "Too Early"},
    {426, "Upgrade Required"},
    {428, "Precondition Required"},
    {429, "Too Many Requests"},
    {431, "Request Header Fields Too Large"},
    {451, "Unavailable For Legal Reasons"},
    {499, "client has closed connection"},
    {500, "Internal Server Error"},
    {501, "Not Implemented"},
    {502, "Bad Gateway or Proxy Error"},
    {503, "Service Unavailable"},
    {504, "Gateway Time-out"},
    {505, "HTTP Version not supported"},
    {506, "Variant also negotiate"},
    {507, "Insufficient storage"},
    {508, "Loop detected"},
    {510, "Not extended"},
    {511, "Network authentication required"},
};

// The built-in pages: the reason in the page (not always the table's) and the sentence.
struct Page {
  int status;
  const char* reason;
  const char* text;
};
constexpr Page kPages[] = {
    {200, "OK", "Service ready."},
    {400, "Bad request", "Your browser sent an invalid request."},
    {401, "Unauthorized", "You need a valid user and password to access this content."},
    {403, "Forbidden", "Request forbidden by administrative rules."},
    {404, "Not Found", "The resource could not be found."},
    {405, "Method Not Allowed",
     "A request was made of a resource using a request method not supported by that resource"},
    {407, "Unauthorized", "You need a valid user and password to access this content."},
    {408, "Request Time-out", "Your browser didn't send a complete request in time."},
    {410, "Gone", "The resource is no longer available and will not be available again."},
    {413, "Payload Too Large", "The request entity exceeds the maximum allowed."},
    {421, "Misdirected Request", "Request sent to a non-authoritative server."},
    {422, "Unprocessable Content", "The server cannot process the contained instructions."},
    {425, "Too Early", "Your browser sent early data."},
    {429, "Too Many Requests", "You have sent too many requests in a given amount of time."},
    {500, "Internal Server Error", "An internal server error occurred."},
    {501, "Not Implemented",
     ".The server does not support the functionality required to fulfill the request."},
    {502, "Bad Gateway", "The server returned an invalid or incomplete response."},
    {503, "Service Unavailable", "No server is available to handle this request."},
    {504, "Gateway Time-out", "The server didn't respond in time."},
};
constexpr size_t kNumPages = sizeof kPages / sizeof kPages[0];

// Built once: the raw pages (400 and 408 carry Connection: close, as HAProxy's do).
struct PageSet {
  std::string raw[kNumPages];
  PageSet() {
    for (size_t i = 0; i < kNumPages; ++i) {
      const Page& p = kPages[i];
      std::string code = std::to_string(p.status);
      std::string body =
          "<html><body><h1>" + code + " " + p.reason + "</h1>\n" + p.text + "\n</body></html>\n";
      std::string& r = raw[i];
      r = "HTTP/1.1 " + code + " " + p.reason + "\r\nContent-length: " + std::to_string(body.size()) +
          "\r\nCache-Control: no-cache\r\n";
      if (p.status == 400 || p.status == 408) r += "Connection: close\r\n";
      r += "Content-Type: text/html\r\n\r\n" + body;
    }
  }
};
const PageSet& pageSet() {
  static const PageSet set;
  return set;
}

std::string statusLine(std::string_view version, int status, std::string_view reason) {
  std::string s(version);
  s += ' ';
  s += std::to_string(status);
  s += ' ';
  s += reason;
  s += "\r\n";
  return s;
}

void addHeader(std::string& s, std::string_view name, std::string_view value) {
  for (char c : name) s += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  s += ": ";
  s += value;
  s += "\r\n";
}

// Ends a generated head with the client connection header; `close` also when the client asked.
void finish(std::string& s, Rendered& r, const RequestState& req, HttpMode fe, bool forceClose) {
  bool keep = !req.clientClose && !forceClose && fe != HttpMode::kClose;
  std::string_view conn = clientConnValue(keep, req.http11, true);
  if (!conn.empty()) addHeader(s, "connection", conn);
  s += "\r\n";
  r.close = !keep;
}

std::string_view redirectReason(int code) {
  switch (code) {
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    default:
      return reasonPhrase(code);
  }
}

}  // namespace

std::string_view reasonPhrase(int status) {
  for (const Reason& r : kReasons)
    if (r.status == status) return r.text;
  // HAProxy's fallback by class (reasons.txt: 299, 399, 499, 599).
  switch (status / 100) {
    case 1:
      return "Continue";
    case 2:
      return "Success";
    case 3:
      return "Redirection";
    case 4:
      return "Client Error";
    default:
      return "Server Error";
  }
}

bool hasBuiltinPage(int status) {
  return !builtinPage(status).empty();
}

std::string_view builtinPage(int status) {
  for (size_t i = 0; i < kNumPages; ++i)
    if (kPages[i].status == status) return pageSet().raw[i];
  return {};
}

std::string_view ErrorPages::page(int status) const {
  auto it = files_.find(status);
  if (it != files_.end()) return it->second;
  return builtinPage(status);
}

std::string nativeError(const ErrorPages& pages, int status) {
  // HAProxy 2.6 answers these from its H1 multiplexer, before a stream (and its proxy's
  // errorfiles) exists: always the built-in page, even under `errorfile 400|408` (checked
  // against haproxy 2.6.12 by error_pages_and_errorfiles_match_haproxy in tests/e2e/http_errors_test.py).
  (void)pages;
  return std::string(builtinPage(status));
}

Rendered renderPage(std::string_view page, const RequestState& req, HttpMode fe) {
  Rendered r;
  std::string buf(page);
  http1::Header hs[101];
  http1::Parser p(http1::Kind::kResponse, hs);
  http1::Result res = p.feed(buf.data(), buf.size());
  if (res.outcome != http1::Outcome::kDone) {
    r.bytes.assign(page);
    r.close = true;
    return r;
  }
  const http1::Message& m = p.message();
  r.status = m.status;
  std::string s = statusLine(m.version.in(buf.data()), m.status, m.reasonPhrase.in(buf.data()));
  uint32_t found = 0;
  for (uint32_t i = 0; i < m.headerCount; ++i) {
    if (hs[i].drop) continue;
    std::string_view v = hs[i].value.in(buf.data());
    if (hs[i].id == http1::HeaderId::kConnection) {
      size_t n = cleanConnection(buf.data() + hs[i].value.off, hs[i].value.len, &found);
      if (n == 0) continue;
      v = v.substr(0, n);
    }
    addHeader(s, hs[i].name.in(buf.data()), v);
  }
  // A page without a length ends with the connection; a page saying close closes it too.
  bool close = (found & kTokClose) || m.body == http1::Body::kUntilClose;
  bool keep = !req.clientClose && !close && fe != HttpMode::kClose;
  std::string_view conn = clientConnValue(keep, req.http11, m.has(http1::kHttp11));
  if (!conn.empty()) addHeader(s, "connection", conn);
  s += "\r\n";
  s.append(buf, res.length, std::string::npos);
  r.bytes = std::move(s);
  r.close = !keep;
  return r;
}

Rendered renderReply(const Txn& t, const ErrorPages& pages, const RequestState& req, HttpMode fe) {
  const Reply& rep = t.reply;
  Rendered r;
  r.status = rep.status;
  if (t.verdict == LBC_HOOK_REDIRECT) {
    // content-length, Location, cache-control (not on permanent redirects), then the cookies.
    std::string s = statusLine("HTTP/1.1", rep.status, redirectReason(rep.status));
    addHeader(s, "content-length", "0");
    bool cc = rep.status != 301 && rep.status != 308;
    bool first = true;
    for (const Header& h : rep.headers) {
      addHeader(s, h.name, h.value);
      if (first && cc) addHeader(s, "cache-control", "no-cache");
      first = false;
    }
    finish(s, r, req, fe, false);
    r.bytes = std::move(s);
    return r;
  }
  if (rep.body_kind == LBC_BODY_ERRORFILE) return renderPage(rep.body, req, fe);
  if (rep.body_kind == LBC_BODY_NONE && t.verdict == LBC_HOOK_DENY && rep.headers.empty() &&
      rep.content_type.empty()) {
    std::string_view page = pages.page(rep.status);
    if (!page.empty()) return renderPage(page, req, fe);
  }
  // return / deny with a body (or none): the rule's headers, then the length and the type.
  std::string s = statusLine("HTTP/1.1", rep.status, reasonPhrase(rep.status));
  for (const Header& h : rep.headers) addHeader(s, h.name, h.value);
  bool bodiless = rep.status == 204 || rep.status == 304 || (rep.status >= 100 && rep.status < 200);
  if (!bodiless) addHeader(s, "content-length", std::to_string(rep.body.size()));
  if (!rep.content_type.empty()) addHeader(s, "content-type", rep.content_type);
  finish(s, r, req, fe, false);
  if (!bodiless && !req.head) s += rep.body;
  r.bytes = std::move(s);
  return r;
}

}  // namespace lbc::rt::http

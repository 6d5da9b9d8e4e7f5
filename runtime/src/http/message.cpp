// Request/response views and head writing, with HAProxy 2.6's connection-mode rules (its H1
// multiplexer decides per side: the client side from the request and the frontend's mode, the
// server side from the frontend's and the backend's modes; see tests/unit/http/data/conn.txt for
// the observed matrix).
#include <arpa/inet.h>

#include <cstring>

#include "head.h"
#include "lbc/rt/http.h"

namespace lbc::rt::http {

namespace {

using http1::Body;
using http1::HeaderId;

}  // namespace

namespace detail {

bool ieq(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// Removes the `close` and `keep-alive` tokens from a Connection value in place (HAProxy's
// CLEAN_CONN_HDR): the other tokens stay, joined by ", " (or "," where the input had no space).
// *found reports close, keep-alive and upgrade.
size_t cleanConnection(char* v, size_t n, uint32_t* found) {
  size_t w = 0, i = 0;
  while (i < n) {
    size_t b = i;
    while (b < n && (v[b] == ' ' || v[b] == '\t' || v[b] == ',')) ++b;
    size_t e = b;
    while (e < n && v[e] != ',') ++e;
    size_t te = e;
    while (te > b && (v[te - 1] == ' ' || v[te - 1] == '\t')) --te;
    std::string_view tok(v + b, te - b);
    size_t next = e < n ? e + 1 : e;
    if (ieq(tok, "close")) {
      *found |= kTokClose;
    } else if (ieq(tok, "keep-alive")) {
      *found |= kTokKeepAlive;
    } else if (!tok.empty()) {
      if (ieq(tok, "upgrade")) *found |= kTokUpgrade;
      if (w) {  // the token's own separator in the input is at least as long: never grows
        bool space = v[b - 1] == ' ' || v[b - 1] == '\t';
        v[w++] = ',';
        if (space) v[w++] = ' ';
      }
      std::memmove(v + w, v + b, te - b);
      w += te - b;
    }
    i = next;
  }
  return w;
}

}  // namespace detail

using namespace detail;

namespace {

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

// The last value of a Content-Length list ("3, 3" -> "3"), as written: the parser checked that
// every item is the same number, and HAProxy indexes the last one it read.
std::string_view lastContentLength(std::string_view v) {
  size_t e = v.size();
  while (e > 0 && !isDigit(v[e - 1])) --e;
  size_t b = e;
  while (b > 0 && isDigit(v[b - 1])) --b;
  return e > b ? v.substr(b, e - b) : v;
}

void fillHeaders(std::vector<Header>& out, char* buf, const http1::Message& m, const http1::Header* hs,
                 bool request) {
  out.clear();
  out.reserve(m.headerCount + 2);
  bool host = false;
  for (uint32_t i = 0; i < m.headerCount; ++i) {
    const http1::Header& h = hs[i];
    if (h.drop) continue;
    std::string_view value = h.value.in(buf);
    if (h.id == HeaderId::kConnection) {
      uint32_t found = 0;
      size_t n = cleanConnection(buf + h.value.off, h.value.len, &found);
      if (n == 0) continue;
      value = {buf + h.value.off, n};
    } else if (h.id == HeaderId::kContentLength) {
      value = lastContentLength(value);
    } else if (h.id == HeaderId::kHost && request) {
      // The parser refused a second Host with another value; HAProxy keeps only the first.
      if (host) continue;
      host = true;
    }
    out.push_back({h.name.in(buf), value});
  }
}

// The port of an authority: the digits after its last ':' (possibly none: "a:" has an empty port),
// or npos when there is no such ':' ("[::1]", "a").
size_t portColon(std::string_view a) {
  size_t i = a.size();
  while (i > 0 && isDigit(a[i - 1])) --i;
  return i > 0 && a[i - 1] == ':' ? i - 1 : std::string_view::npos;
}

// HAProxy 2.6's http_is_default_port(): an empty port is the default one; without a scheme (the
// authority-form of CONNECT) both 80 and 443 are.
bool isDefaultPort(std::string_view scheme, std::string_view port) {
  if (port.empty()) return true;
  if (scheme.empty()) return port == "80" || port == "443";
  return (port == "80" && ieq(scheme, "http://")) || (port == "443" && ieq(scheme, "https://"));
}

// Scheme-based normalisation (RFC 3986 6.3.2) that HAProxy's H1 multiplexer applies to a request
// before any rule sees it: an absolute-form URI with the scheme's default port (http 80, https 443)
// or an empty one (any scheme) loses it, and every Host header takes the URI's host; for CONNECT, a Host
// header carrying a default port loses it (the authority-form target itself is kept).
void normalizeAuthority(Txn& t, const http1::Message& m) {
  if (m.isConnect) {
    for (Header& h : t.req_headers) {
      if (!ieq(h.name, "host")) continue;
      size_t c = portColon(h.value);
      if (c != std::string_view::npos && c + 1 < h.value.size() && isDefaultPort({}, h.value.substr(c + 1)))
        h.value = h.value.substr(0, c);
    }
    return;
  }
  if (m.uriForm != http1::UriForm::kAbsolute) return;
  const std::string_view uri = t.uri;
  size_t s = uri.find("://");
  if (s == std::string_view::npos) return;
  const std::string_view scheme = uri.substr(0, s + 3);
  // HAProxy's authority ends at the first '/' (a '?' does not end it) and skips a userinfo.
  size_t a = s + 3, z = uri.find('/', a);
  if (z == std::string_view::npos) z = uri.size();
  size_t at = uri.substr(a, z - a).rfind('@');
  if (at != std::string_view::npos) a += at + 1;
  std::string_view auth = uri.substr(a, z - a);
  size_t c = portColon(auth);
  if (c == std::string_view::npos || !isDefaultPort(scheme, auth.substr(c + 1))) return;
  // The URI only shrinks; the new one goes to the arena so the received head stays as it came
  // (the log's %r reads it). A URI is bounded by tune.bufsize, far below the arena's limit.
  char* p = t.arena.alloc(uri.size() - (auth.size() - c));
  if (!p) return;
  std::memcpy(p, uri.data(), a + c);
  std::memcpy(p + a + c, uri.data() + z, uri.size() - z);
  t.uri = {p, uri.size() - (auth.size() - c)};
  const std::string_view host(p + a, c);
  for (Header& h : t.req_headers)
    if (ieq(h.name, "host")) h.value = host;
}

}  // namespace

RequestState fillRequest(Txn& t, char* buf, const http1::Message& m, const http1::Header* headers) {
  t.http = true;
  t.method = m.method.in(buf);
  t.uri = m.uri.in(buf);
  t.version = m.version.in(buf);
  fillHeaders(t.req_headers, buf, m, headers, true);
  normalizeAuthority(t, m);
  RequestState r;
  r.http11 = m.has(http1::kHttp11);
  // HAProxy also closes after a chunked HTTP/1.0 request, even one asking for keep-alive.
  r.clientClose = !m.keepAlive() || (m.body == Body::kChunked && !r.http11);
  r.head = m.isHead;
  r.connect = m.isConnect;
  r.body = m.body;
  return r;
}

ResponseState fillResponse(Txn& t, char* buf, const http1::Message& m, const http1::Header* headers,
                           const RequestState& req, HttpMode fe, HttpMode be) {
  (void)be;  // the backend's mode only acts on the server side, decided with the request
  t.has_response = true;
  t.status = m.status;
  t.reason = m.reasonPhrase.in(buf);
  fillHeaders(t.res_headers, buf, m, headers, false);
  ResponseState r;
  r.http11 = m.has(http1::kHttp11);
  r.version = m.version.in(buf);
  r.body = m.body;
  r.tunnel = m.status == 101 || (req.connect && m.status >= 200 && m.status < 300);
  // The server's own Connection tokens were cleaned on its side of HAProxy's stream, so only the
  // framing and httpclose decide for the client; the server side also honours the response's
  // close / HTTP/1.0-without-keep-alive.
  r.clientKeepAlive = !req.clientClose && !r.tunnel && m.body != Body::kUntilClose && fe != HttpMode::kClose;
  r.serverKeepAlive = !req.serverClose && !r.tunnel && m.body != Body::kUntilClose &&
                      !m.has(http1::kConnClose) && (r.http11 || m.has(http1::kConnKeepAlive));
  return r;
}

// ---- forwardfor -----------------------------------------------------------------------------------

bool Network::contains(const uint8_t* ip, bool ipV6) const {
  if (ipV6 != v6) return false;
  unsigned bits = prefix, bytes = bits / 8;
  if (std::memcmp(ip, addr, bytes) != 0) return false;
  if (bits % 8 == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xFF00u >> (bits % 8));
  return (ip[bytes] & mask) == (addr[bytes] & mask);
}

int applyForwardfor(Txn& t, const Forwardfor& fe, const Forwardfor& be) {
  if (!fe.enabled && !be.enabled) return 0;
  std::string_view name = be.enabled ? be.header : fe.header;
  if (name.empty()) name = "X-Forwarded-For";
  bool always = (fe.enabled && !fe.ifNone) || (be.enabled && !be.ifNone);
  if (!always)
    for (const Header& h : t.req_headers)
      if (ieq(h.name, name)) return 0;
  if ((fe.enabled && fe.hasExcept && fe.except.contains(t.src, t.src_v6)) ||
      (be.enabled && be.hasExcept && be.except.contains(t.src, t.src_v6)))
    return 0;
  char text[INET6_ADDRSTRLEN] = {};
  if (!inet_ntop(t.src_v6 ? AF_INET6 : AF_INET, t.src, text, sizeof text)) return 0;
  bool ok1 = false, ok2 = false;
  std::string_view n = t.arena.copy(name, &ok1), v = t.arena.copy(text, &ok2);
  if (!ok1 || !ok2) {
    t.rewrite_failed = true;
    return -1;
  }
  t.req_headers.push_back({n, v});
  return 1;
}

// ---- writing --------------------------------------------------------------------------------------

namespace detail {

bool HeadWriter::put(std::string_view s) {
  if (s.size() > cap_ - len_) return ok_ = false;
  if (s.empty()) return true;  // an empty sample's view may have no data pointer: memcpy(_, null, 0) is UB
  std::memcpy(out_ + len_, s.data(), s.size());
  len_ += s.size();
  return true;
}

bool HeadWriter::putLower(std::string_view s) {
  if (s.size() > cap_ - len_) return ok_ = false;
  for (char c : s) out_[len_++] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  return true;
}

// Writes the headers; Connection headers lose their close/keep-alive tokens (reported in *found)
// and disappear when empty, as HAProxy's H1 output does.
void HeadWriter::headers(const std::vector<Header>& hs, uint32_t* found, uint64_t* htx) {
  char tmp[1024];
  for (const Header& h : hs) {
    std::string_view v = h.value;
    std::string big;
    if (ieq(h.name, "connection")) {
      char* p = tmp;
      if (v.size() > sizeof tmp) {
        big.assign(v);
        p = big.data();
      } else if (!v.empty()) {
        std::memcpy(tmp, v.data(), v.size());
      }
      size_t n = cleanConnection(p, v.size(), found);
      if (n == 0) continue;
      v = {p, n};
    }
    *htx += 8 + h.name.size() + v.size();
    putLower(h.name);
    put(": ");
    put(v);
    put("\r\n");
  }
}

}  // namespace detail

size_t writeRequestHead(const Txn& t, RequestState& req, HttpMode fe, HttpMode be, const http1::Limits& lim,
                        char* out, size_t cap) {
  HeadWriter w(out, cap);
  w.put(t.method);
  w.put(" ");
  w.put(t.uri);
  w.put(" ");
  // HAProxy's H1 output writes "HTTP/1.1" for any version above 1.0 (1.2, 2.0, 9.1...); 1.0 stays.
  w.put(req.http11 ? std::string_view("HTTP/1.1") : t.version);
  w.put("\r\n");
  uint32_t found = 0;
  uint64_t htx = kHtxStartLine + t.method.size() + t.uri.size() + t.version.size();
  w.headers(t.req_headers, &found, &htx);
  bool te = false, cl = false;
  for (const Header& h : t.req_headers) {
    te = te || ieq(h.name, "transfer-encoding");
    cl = cl || ieq(h.name, "content-length");
  }
  // Server side: close when a rule asked for it, or under server-close/httpclose on either proxy
  // unless a rule asked for keep-alive; also for Transfer-Encoding with Content-Length (a rule put
  // one back) and for Transfer-Encoding in HTTP/1.0, which HAProxy never keeps alive.
  bool close = (found & kTokClose) ||
               (!(found & kTokKeepAlive) && (fe != HttpMode::kKeepAlive || be != HttpMode::kKeepAlive)) ||
               (te && (cl || !req.http11));
  req.serverClose = close;
  // With an Upgrade token the Connection header is left as it is (HAProxy adds nothing).
  if (!(found & kTokUpgrade) && !close && !req.http11) {
    w.put("connection: keep-alive\r\n");
    htx += 8 + 10 + 10;
  } else if (!(found & kTokUpgrade) && close && req.http11) {
    w.put("connection: close\r\n");
    htx += 8 + 10 + 5;
  }
  w.put("\r\n");
  htx += kHtxEoh;
  if (!w.ok() || htx > lim.bufsize) return 0;
  return w.size();
}

size_t writeResponseHead(const Txn& t, const RequestState& req, const ResponseState& res,
                         const http1::Limits& lim, char* out, size_t cap) {
  HeadWriter w(out, cap);
  char code[4] = {static_cast<char>('0' + t.status / 100 % 10), static_cast<char>('0' + t.status / 10 % 10),
                  static_cast<char>('0' + t.status % 10), 0};
  w.put(res.version);
  w.put(" ");
  w.put({code, 3});
  w.put(" ");
  const std::string_view reason = reasonOf(t);
  w.put(reason);
  w.put("\r\n");
  uint32_t found = 0;
  uint64_t htx = kHtxStartLine + res.version.size() + 3 + reason.size();
  w.headers(t.res_headers, &found, &htx);
  bool keep = res.clientKeepAlive && !(found & kTokClose);
  if (!res.tunnel) {
    std::string_view conn = clientConnValue(keep, req.http11, res.http11);
    if (!conn.empty()) {
      w.put("connection: ");
      w.put(conn);
      w.put("\r\n");
      htx += 8 + 10 + conn.size();
    }
  }
  w.put("\r\n");
  htx += kHtxEoh;
  if (!w.ok() || htx > lim.bufsize) return 0;
  return w.size();
}

}  // namespace lbc::rt::http

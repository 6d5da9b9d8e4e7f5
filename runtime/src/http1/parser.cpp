// The head parser. It works line by line: a line is looked at once, when its LF has arrived
// (memchr from where the previous call stopped), so partial input costs nothing to resume.
// A header line is only finished when the first byte of the next line is known, because that
// byte may make it an obs-fold continuation.
#include <algorithm>
#include <cctype>
#include <cstring>
#include <limits>

#include "chars.h"
#include "lbc/rt/http1.h"

namespace lbc::rt::http1 {
using namespace detail;

namespace {

// HAProxy 2.6 converts the head to HTX and rejects it when that does not fit in
// tune.bufsize - tune.maxrewrite: a 48-byte HTX header, 8 bytes per block, 20 bytes of start-line
// structure, 1 byte for the end-of-headers block, and the names and (trimmed) values. Measured
// against haproxy 2.6.12 by tests/http1_haproxy (bisection of one big header, a long URI and 50
// headers all give exactly this).
constexpr uint64_t kHtxHeader = 48;
constexpr uint64_t kHtxBlock = 8;
constexpr uint64_t kHtxStartLine = 20;
constexpr uint64_t kHtxEoh = 1;
constexpr uint32_t kMaxNameLen = 255;       // HTX stores a name length in 8 bits
constexpr uint32_t kMaxValueLen = 0xFFFFF;  // and a value length in 20 bits
constexpr int64_t kMaxContentLength = std::numeric_limits<int64_t>::max();

bool parseVersion(std::string_view v, uint8_t* major, uint8_t* minor) {
  if (v.size() != 8 || v.substr(0, 5) != "HTTP/" || v[6] != '.') return false;
  if (v[5] < '0' || v[5] > '9' || v[7] < '0' || v[7] > '9') return false;
  *major = uint8_t(v[5] - '0');
  *minor = uint8_t(v[7] - '0');
  return true;
}

HeaderId headerId(std::string_view n) {
  switch (n.size()) {
    case 4:
      if (ieq(n, "host")) return HeaderId::kHost;
      break;
    case 6:
      if (ieq(n, "expect")) return HeaderId::kExpect;
      break;
    case 7:
      if (ieq(n, "upgrade")) return HeaderId::kUpgrade;
      break;
    case 10:
      if (ieq(n, "connection")) return HeaderId::kConnection;
      break;
    case 14:
      if (ieq(n, "content-length")) return HeaderId::kContentLength;
      break;
    case 17:
      if (ieq(n, "transfer-encoding")) return HeaderId::kTransferEncoding;
      if (ieq(n, "sec-websocket-key")) return HeaderId::kSecWebSocketKey;
      break;
  }
  return HeaderId::kOther;
}

// Calls f(word) for each comma-separated element, trimmed; empty elements included.
template <typename F>
void forEachToken(std::string_view v, F&& f) {
  size_t i = 0;
  while (true) {
    size_t c = v.find(',', i);
    f(trim(v.substr(i, c == std::string_view::npos ? std::string_view::npos : c - i)));
    if (c == std::string_view::npos) return;
    i = c + 1;
  }
}

// Content-Length as HAProxy 2.6 reads it: a comma-separated list of digit strings, all equal.
bool parseContentLength(std::string_view v, uint64_t* out) {
  bool ok = true, first = true;
  uint64_t value = 0;
  forEachToken(v, [&](std::string_view w) {
    if (!ok) return;
    if (w.empty()) {
      ok = false;
      return;
    }
    uint64_t n = 0;
    for (char c : w) {
      if (c < '0' || c > '9' || n > (uint64_t(kMaxContentLength) - uint64_t(c - '0')) / 10) {
        ok = false;
        return;
      }
      n = n * 10 + uint64_t(c - '0');
    }
    if (!first && n != value) ok = false;
    value = n;
    first = false;
  });
  *out = value;
  return ok;
}

// The ':' before the port of a host[:port] (digits only, possibly none: "a:" has an empty port),
// or npos when there is none ("a", "[::1]").
size_t portColon(std::string_view a) {
  size_t i = a.size();
  while (i > 0 && a[i - 1] >= '0' && a[i - 1] <= '9') --i;
  return i > 0 && a[i - 1] == ':' ? i - 1 : std::string_view::npos;
}

// HAProxy 2.6's http_is_default_port(): an empty port is the default one; without a scheme (the
// authority-form of CONNECT) both 80 and 443 are.
bool isDefaultPort(std::string_view scheme, std::string_view port) {
  if (port.empty()) return true;
  if (scheme.empty()) return port == "80" || port == "443";
  return (port == "80" && ieq(scheme, "http://")) || (port == "443" && ieq(scheme, "https://"));
}

// HAProxy 2.6's checks of Host against the request target (h1_validate_connect_authority and
// h1_validate_mismatch_authority): true when they agree.
bool hostMatchesConnect(std::string_view auth, std::string_view host) {
  size_t uc = portColon(auth), hc = portColon(host);
  std::string_view uhost = auth.substr(0, uc), uport = auth.substr(uc + 1);
  std::string_view hhost = host.substr(0, hc),
                   hport = hc == std::string_view::npos ? "" : host.substr(hc + 1);
  if (!hport.empty()) return ieq(hhost, uhost) && hport == uport;
  return isDefaultPort({}, uport) && ieq(hhost, uhost);
}
bool hostMatchesAbsolute(std::string_view scheme, std::string_view auth, std::string_view host) {
  if (ieq(host, auth)) return true;
  size_t uc = portColon(auth), hc = portColon(host);
  if (uc == std::string_view::npos && hc == std::string_view::npos) return false;
  if (uc != std::string_view::npos && !isDefaultPort(scheme, auth.substr(uc + 1))) return false;
  if (hc != std::string_view::npos && !isDefaultPort(scheme, host.substr(hc + 1))) return false;
  return ieq(auth.substr(0, uc), host.substr(0, hc));
}

}  // namespace

std::string_view reasonName(Reason r) {
  switch (r) {
    case Reason::kNone:
      return "none";
    case Reason::kBadMethod:
      return "invalid method";
    case Reason::kBadUri:
      return "invalid request-target";
    case Reason::kBadVersion:
      return "invalid or missing HTTP version";
    case Reason::kBadRequestLine:
      return "invalid request line";
    case Reason::kBadStatusLine:
      return "invalid status line";
    case Reason::kBadHeaderName:
      return "invalid header name";
    case Reason::kBadHeaderValue:
      return "invalid character in header value";
    case Reason::kBadLineEnding:
      return "CR not followed by LF";
    case Reason::kFoldAtStart:
      return "continuation line before any header";
    case Reason::kBadContentLength:
      return "invalid Content-Length";
    case Reason::kBadTransferEncoding:
      return "invalid Transfer-Encoding";
    case Reason::kUnknownTransferCoding:
      return "unsupported transfer coding";
    case Reason::kHostMismatch:
      return "conflicting Host";
    case Reason::kBadWebSocketKey:
      return "websocket upgrade without a valid Sec-WebSocket-Key";
    case Reason::kTooManyHeaders:
      return "too many headers";
    case Reason::kHeaderNameTooLong:
      return "header name too long";
    case Reason::kUriTooLong:
      return "request line too long";
    case Reason::kHeadersTooLarge:
      return "header section too large";
    case Reason::kBadChunkSize:
      return "invalid chunk size";
    case Reason::kBadChunkExtension:
      return "invalid chunk extension";
    case Reason::kBadChunkEnd:
      return "missing CRLF after chunk data";
    case Reason::kBadTrailer:
      return "invalid trailer";
  }
  return "?";
}

Parser::Parser(Kind kind, Header* headers, const Limits& limits)
    : kind_(kind), headers_(headers), limits_(limits) {}

void Parser::reset() {
  *this = Parser(kind_, headers_, limits_);
}

Result Parser::fail(Reason r, uint16_t requestStatus) {
  result_ = {Outcome::kError, uint16_t(kind_ == Kind::kResponse ? 502 : requestStatus), r, 0};
  return result_;
}

bool Parser::addHtx(uint64_t n) {
  htx_ += n;
  uint64_t room = uint64_t(limits_.bufsize) > limits_.maxrewrite + kHtxHeader
                      ? limits_.bufsize - limits_.maxrewrite - kHtxHeader
                      : 0;
  return htx_ <= room;
}

Result Parser::feed(char* buf, size_t len) {
  if (result_.outcome != Outcome::kNeedMore) return result_;
  // Only the first tune.bufsize bytes can hold the head (HAProxy's input buffer).
  const uint32_t end = uint32_t(std::min<size_t>(len, limits_.bufsize));
  Reason why = Reason::kNone;
  while (scan_ < end) {
    const char* lf = static_cast<const char*>(std::memchr(buf + scan_, '\n', end - scan_));
    if (!lf) {
      // A request line that cannot become valid is refused now, as HAProxy's parser does byte by
      // byte, not after `timeout http-request` (a TLS ClientHello on a clear port, say).
      if (!sawStartLine_ && kind_ == Kind::kRequest && !requestLinePrefixOk(buf, lineStart_, end, &why))
        return fail(why);
      scan_ = end;
      break;
    }
    const uint32_t lfPos = uint32_t(lf - buf);
    const uint32_t b = lineStart_;
    uint32_t e = lfPos;
    if (e > b && buf[e - 1] == '\r') --e;  // bare LF is accepted as HAProxy does
    scan_ = lineStart_ = lfPos + 1;

    if (!sawStartLine_) {
      if (e == b) continue;  // empty lines before the start line are skipped (RFC 9112 2.2)
      if (!parseStartLine(buf, b, e, &why)) return fail(why);
      sawStartLine_ = true;
      continue;
    }
    if (e == b) {  // the empty line: end of the head
      if (pending_ && !finishHeader(buf, &why)) return fail(why);
      uint16_t status = 400;
      if (!finishHead(buf, &why, &status)) return fail(why, status);
      result_ = {Outcome::kDone, 0, Reason::kNone, lfPos + 1};
      return result_;
    }
    if (is(buf[b], kSpHt)) {
      // obs-fold: HAProxy 2.6 turns the CR LF (and keeps the indentation) into spaces.
      if (!pending_) return fail(Reason::kFoldAtStart);
      for (uint32_t i = b; i < e; ++i)
        if (buf[i] == '\0' || buf[i] == '\r') return fail(Reason::kBadHeaderValue);
      std::memset(buf + pendingEnd_, ' ', b - pendingEnd_);
      pendingEnd_ = e;
      continue;
    }
    if (pending_ && !finishHeader(buf, &why)) return fail(why);
    if (!parseHeaderLine(buf, b, e, &why)) return fail(why);
  }
  if (end >= limits_.bufsize) return fail(sawStartLine_ ? Reason::kHeadersTooLarge : Reason::kUriTooLong);
  return result_;
}

bool Parser::parseStartLine(char* buf, uint32_t b, uint32_t e, Reason* why) {
  return kind_ == Kind::kRequest ? parseRequestLine(buf, b, e, why) : parseStatusLine(buf, b, e, why);
}

// The start of a request line not ended yet: a method token, blanks, a target; what comes after
// (the version) is judged when the line is whole. A CR or LF (an empty line before the request,
// skipped) stops the check.
bool Parser::requestLinePrefixOk(const char* buf, uint32_t b, uint32_t e, Reason* why) const {
  uint32_t p = b;
  while (p < e && is(buf[p], kToken)) ++p;
  if (p == e || buf[p] == '\r' || buf[p] == '\n') return true;
  if (p == b || !is(buf[p], kSpHt)) {
    *why = Reason::kBadMethod;
    return false;
  }
  while (p < e && is(buf[p], kSpHt)) ++p;
  while (p < e && is(buf[p], kUri)) ++p;
  if (p == e || buf[p] == '\r' || is(buf[p], kSpHt)) return true;
  *why = Reason::kBadUri;
  return false;
}

bool Parser::parseRequestLine(char* buf, uint32_t b, uint32_t e, Reason* why) {
  uint32_t p = b;
  while (p < e && is(buf[p], kToken)) ++p;
  if (p == b || p == e || !is(buf[p], kSpHt)) {
    *why = p == e && p != b ? Reason::kBadVersion : Reason::kBadMethod;
    return false;
  }
  msg_.method = {b, p - b};
  while (p < e && is(buf[p], kSpHt)) ++p;  // HAProxy tolerates several SP/HT
  const uint32_t u = p;
  while (p < e && is(buf[p], kUri)) ++p;
  if (p < e && !is(buf[p], kSpHt)) {
    *why = Reason::kBadUri;
    return false;
  }
  if (p == u) {
    *why = Reason::kBadRequestLine;
    return false;
  }
  msg_.uri = {u, p - u};
  while (p < e && is(buf[p], kSpHt)) ++p;
  // No version is HTTP/0.9, which HAProxy 2.6 rejects; so does any other form than HTTP/d.d.
  msg_.version = {p, e - p};
  if (!parseVersion(msg_.version.in(buf), &msg_.versionMajor, &msg_.versionMinor)) {
    *why = Reason::kBadVersion;
    return false;
  }
  if (msg_.versionMajor > 1 || (msg_.versionMajor == 1 && msg_.versionMinor >= 1)) msg_.flags |= kHttp11;

  const std::string_view method = msg_.method.in(buf), uri = msg_.uri.in(buf);
  msg_.isHead = method == "HEAD";
  msg_.isConnect = method == "CONNECT";
  if (msg_.isConnect) {
    // CONNECT takes only the authority-form.
    if (uri == "*" || uri.find('/') != std::string_view::npos) {
      *why = Reason::kBadUri;
      return false;
    }
    msg_.uriForm = UriForm::kAuthority;
    msg_.authority = msg_.uri;
  } else if (uri[0] == '/') {
    msg_.uriForm = UriForm::kOrigin;
  } else if (uri == "*") {
    msg_.uriForm = UriForm::kAsterisk;
  } else {
    size_t s = uri.find("://");
    bool scheme = s != std::string_view::npos && s > 0 && is(uri[0], kToken) &&
                  std::isalpha(static_cast<unsigned char>(uri[0]));
    for (size_t i = 0; scheme && i < s; ++i) {
      char c = uri[i];
      scheme = std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
    }
    if (!scheme) {
      *why = Reason::kBadUri;
      return false;
    }
    // HAProxy's authority runs up to the first '/' (a '?' does not end it).
    size_t a = s + 3, z = uri.find('/', a);
    if (z == std::string_view::npos) z = uri.size();
    size_t at = uri.substr(a, z - a).rfind('@');
    if (at != std::string_view::npos) a += at + 1;
    msg_.uriForm = UriForm::kAbsolute;
    msg_.authority = {uint32_t(u + a), uint32_t(z - a)};
  }
  if (!addHtx(kHtxBlock + kHtxStartLine + msg_.method.len + msg_.uri.len + msg_.version.len)) {
    *why = Reason::kHeadersTooLarge;
    return false;
  }
  return true;
}

bool Parser::parseStatusLine(char* buf, uint32_t b, uint32_t e, Reason* why) {
  *why = Reason::kBadStatusLine;
  uint32_t p = b;
  while (p < e && !is(buf[p], kSpHt)) ++p;
  msg_.version = {b, p - b};
  if (!parseVersion(msg_.version.in(buf), &msg_.versionMajor, &msg_.versionMinor)) return false;
  if (msg_.versionMajor > 1 || (msg_.versionMajor == 1 && msg_.versionMinor >= 1)) msg_.flags |= kHttp11;
  while (p < e && is(buf[p], kSpHt)) ++p;
  if (e - p < 3) return false;
  uint16_t status = 0;
  for (int i = 0; i < 3; ++i) {
    char c = buf[p + i];
    if (c < '0' || c > '9') return false;
    status = uint16_t(status * 10 + (c - '0'));
  }
  p += 3;
  if (p < e && !is(buf[p], kSpHt)) return false;  // 4 digits or more
  while (p < e && is(buf[p], kSpHt)) ++p;
  for (uint32_t i = p; i < e; ++i)
    if (buf[i] == '\0' || buf[i] == '\r') return false;
  msg_.status = status;
  msg_.reasonPhrase = {p, e - p};
  if (!addHtx(kHtxBlock + kHtxStartLine + msg_.version.len + 3 + msg_.reasonPhrase.len)) {
    *why = Reason::kHeadersTooLarge;
    return false;
  }
  return true;
}

bool Parser::parseHeaderLine(char* buf, uint32_t b, uint32_t e, Reason* why) {
  if (msg_.headerCount + 1 >= limits_.maxhdr) {
    *why = Reason::kTooManyHeaders;
    return false;
  }
  uint32_t p = b;
  while (p < e && is(buf[p], kToken)) ++p;
  if (p == b || p == e || buf[p] != ':') {
    *why = Reason::kBadHeaderName;  // includes "Name : v" and a line without a colon
    return false;
  }
  if (p - b > kMaxNameLen) {
    *why = Reason::kHeaderNameTooLong;
    return false;
  }
  // RFC 9110 5.5: NUL and bare CR are never valid in a field value.
  for (uint32_t i = p + 1; i < e; ++i) {
    if (buf[i] == '\0' || buf[i] == '\r') {
      *why = Reason::kBadHeaderValue;
      return false;
    }
  }
  Header& h = headers_[msg_.headerCount];
  h = Header{};
  h.name = {b, p - b};
  h.value = {p + 1, 0};
  pending_ = true;
  pendingEnd_ = e;
  return true;
}

bool Parser::finishHeader(char* buf, Reason* why) {
  pending_ = false;
  Header& h = headers_[msg_.headerCount++];
  std::string_view raw(buf + h.value.off, pendingEnd_ - h.value.off);
  std::string_view v = trim(raw);
  h.value = {uint32_t(v.data() - buf), uint32_t(v.size())};
  const std::string_view name = h.name.in(buf);
  h.id = headerId(name);
  if (v.size() > kMaxValueLen || !addHtx(kHtxBlock + h.name.len + h.value.len)) {
    *why = Reason::kHeadersTooLarge;
    return false;
  }
  switch (h.id) {
    case HeaderId::kOther:
      break;
    case HeaderId::kHost:
      if (msg_.hostIndex < 0) {
        msg_.hostIndex = int32_t(msg_.headerCount - 1);
        msg_.flags |= kHasHost;
      } else if (!ieq(headers_[msg_.hostIndex].value.in(buf), v)) {
        *why = Reason::kHostMismatch;
        return false;
      }
      break;
    case HeaderId::kContentLength: {
      uint64_t n = 0;
      if (!parseContentLength(v, &n) || (msg_.has(kHasContentLength) && n != msg_.contentLength)) {
        *why = Reason::kBadContentLength;
        return false;
      }
      h.drop = msg_.has(kHasContentLength);  // HAProxy forwards a single Content-Length
      msg_.flags |= kHasContentLength;
      msg_.contentLength = n;
      break;
    }
    case HeaderId::kTransferEncoding: {
      // HAProxy 2.6's reading: `chunked` twice is an error; on a request nothing may follow
      // `chunked`; an empty element before it counts as an unknown coding; only the last
      // element decides whether the body is chunked.
      teSeen_ = true;
      size_t i = 0;
      while (i < v.size()) {
        if (is(v[i], kSpHt)) {
          ++i;
          continue;
        }
        size_t c = v.find(',', i);
        if (c == std::string_view::npos) c = v.size();
        std::string_view w = trim(v.substr(i, c - i));
        msg_.flags &= ~uint32_t(kChunked);
        if (ieq(w, "chunked")) {
          if (teChunkedSeen_) {
            *why = Reason::kBadTransferEncoding;
            return false;
          }
          teChunkedSeen_ = true;
          msg_.flags |= kChunked;
        } else {
          if (kind_ == Kind::kRequest && teChunkedSeen_) {
            *why = Reason::kBadTransferEncoding;
            return false;
          }
          teOther_ = true;
        }
        i = c + 1;
      }
      break;
    }
    case HeaderId::kConnection:
      forEachToken(v, [&](std::string_view w) {
        if (ieq(w, "close"))
          msg_.flags |= kConnClose;
        else if (ieq(w, "keep-alive"))
          msg_.flags |= kConnKeepAlive;
        else if (ieq(w, "upgrade"))
          msg_.flags |= kConnUpgrade;
      });
      break;
    case HeaderId::kUpgrade:
      forEachToken(v, [&](std::string_view w) {
        if (ieq(w, "websocket")) msg_.flags |= kUpgradeWebSocket;
      });
      break;
    case HeaderId::kExpect:
      if (ieq(v, "100-continue")) msg_.flags |= kExpect100;
      break;
    case HeaderId::kSecWebSocketKey:
      if (v.size() == 24) wsKey_ = true;  // HAProxy 2.6 checks only the length
      break;
  }
  return true;
}

bool Parser::finishHead(char* buf, Reason* why, uint16_t* status) {
  if (!addHtx(kHtxBlock + kHtxEoh)) {
    *why = Reason::kHeadersTooLarge;
    return false;
  }
  if (teSeen_) {
    if (!msg_.has(kChunked)) {
      *why = Reason::kBadTransferEncoding;
      return false;
    }
    if (teOther_) {
      *why = Reason::kUnknownTransferCoding;
      *status = 422;
      return false;
    }
    if (msg_.has(kHasContentLength)) {
      // Request smuggling defence: Transfer-Encoding wins, Content-Length goes, and the
      // connection closes after this message.
      for (uint32_t i = 0; i < msg_.headerCount; ++i)
        if (headers_[i].id == HeaderId::kContentLength) headers_[i].drop = true;
      msg_.flags &= ~uint32_t(kHasContentLength);
      msg_.contentLength = 0;
      msg_.flags |= kForceClose;
    }
  }
  if (kind_ == Kind::kRequest) {
    if (msg_.has(kConnUpgrade) && msg_.has(kUpgradeWebSocket) && !wsKey_) {
      *why = Reason::kBadWebSocketKey;
      return false;
    }
    const std::string_view auth = msg_.authority.in(buf);
    if (msg_.uriForm == UriForm::kAuthority) {
      // A CONNECT target needs a port.
      size_t c = portColon(auth);
      if (c == std::string_view::npos || c + 1 == auth.size()) {
        *why = Reason::kBadUri;
        return false;
      }
    }
    if (msg_.has(kHasHost) && (msg_.uriForm == UriForm::kAbsolute || msg_.uriForm == UriForm::kAuthority)) {
      std::string_view host = headers_[msg_.hostIndex].value.in(buf);
      bool ok =
          msg_.uriForm == UriForm::kAuthority
              ? hostMatchesConnect(auth, host)
              : hostMatchesAbsolute(msg_.uri.in(buf).substr(0, msg_.uri.in(buf).find("://") + 3), auth, host);
      if (!ok) {
        *why = Reason::kHostMismatch;
        return false;
      }
    }
    msg_.body = msg_.has(kChunked)            ? Body::kChunked
                : msg_.has(kHasContentLength) ? Body::kContentLength
                                              : Body::kNone;
    return true;
  }
  const uint16_t s = msg_.status;
  if (s == 101 || (reqConnect_ && s >= 200 && s < 300))
    msg_.body = Body::kTunnel;
  else if (s < 200 || s == 204 || s == 304 || reqHead_)
    msg_.body = Body::kNone;
  else if (msg_.has(kChunked))
    msg_.body = Body::kChunked;
  else if (msg_.has(kHasContentLength))
    msg_.body = Body::kContentLength;
  else
    msg_.body = Body::kUntilClose;
  return true;
}

}  // namespace lbc::rt::http1

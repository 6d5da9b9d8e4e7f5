// lbc's own HTTP/1.x message parser: request and response heads, and the body framing decoders
// (chunked, content-length). Strict where HAProxy 2.6 is strict, with HAProxy 2.6's statuses
// (checked against /usr/sbin/haproxy by tests/http1_haproxy); the few deliberate differences are
// listed in tests/http1_haproxy/README.md.
//
// Memory: nothing is allocated. The parser writes {offset,len} spans into the receive buffer and
// headers into a caller-provided array (HAProxy's tune.http.maxhdr entries). Incremental: call
// feed() again with the same buffer grown by the bytes received since; it resumes where it
// stopped (a line is parsed once, when its LF arrives), so feeding one byte at a time is linear.
// obs-fold is replaced in place by spaces (as HAProxy does), which is why the buffer is mutable.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace lbc::rt::http1 {

// A byte range of the receive buffer.
struct Span {
  uint32_t off = 0;
  uint32_t len = 0;
  std::string_view in(const char* base) const { return {base + off, len}; }
  bool operator==(const Span&) const = default;
};

// HAProxy's names: tune.bufsize, tune.maxrewrite, tune.http.maxhdr.
struct Limits {
  uint32_t bufsize = 16384;
  uint32_t maxrewrite = 1024;
  uint32_t maxhdr = 101;
};

enum class Outcome : uint8_t { kNeedMore, kDone, kError };

// Why a message was rejected; `status` is what goes to the client (a request) or 502 (a response).
enum class Reason : uint8_t {
  kNone,
  kBadMethod,
  kBadUri,
  kBadVersion,
  kBadRequestLine,
  kBadStatusLine,
  kBadHeaderName,     // empty, a non-token byte, or whitespace before ':'
  kBadHeaderValue,    // NUL, or a CR not followed by LF
  kBadLineEnding,     // a CR not followed by LF
  kFoldAtStart,       // a continuation line before any header
  kBadContentLength,  // not digits, different values, overflow
  kBadTransferEncoding,
  kUnknownTransferCoding,  // a coding other than chunked (HAProxy 2.6: 422 / 502)
  kHostMismatch,           // two different Host values, or Host != absolute-URI authority
  kBadWebSocketKey,        // websocket upgrade without a 24-char Sec-WebSocket-Key
  kTooManyHeaders,
  kHeaderNameTooLong,
  kUriTooLong,       // the request line does not fit in the buffer
  kHeadersTooLarge,  // the header section does not fit (bufsize, or bufsize - maxrewrite once parsed)
  kBadChunkSize,
  kBadChunkExtension,
  kBadChunkEnd,  // no CRLF after the chunk data
  kBadTrailer,
};
std::string_view reasonName(Reason r);

struct Result {
  Outcome outcome = Outcome::kNeedMore;
  uint16_t status = 0;  // kError: HTTP status for the client (400, 422, 502)
  Reason reason = Reason::kNone;
  uint32_t length = 0;  // kDone: bytes of the head (request/status line + headers + empty line)
  bool operator==(const Result&) const = default;
};

// Headers lbc itself looks at; the rest are kOther.
enum class HeaderId : uint8_t {
  kOther,
  kHost,
  kContentLength,
  kTransferEncoding,
  kConnection,
  kUpgrade,
  kExpect,
  kSecWebSocketKey
};

struct Header {
  Span name;
  Span value;  // without leading/trailing SP/HT; obs-fold already turned into spaces
  HeaderId id = HeaderId::kOther;
  bool drop = false;  // HAProxy removes it when forwarding: a duplicate Content-Length, or
                      // Content-Length next to Transfer-Encoding
  bool operator==(const Header&) const = default;
};

enum class UriForm : uint8_t { kOrigin, kAbsolute, kAuthority, kAsterisk };
enum class Body : uint8_t {
  kNone,           // no payload
  kContentLength,  // `contentLength` bytes (may be 0)
  kChunked,
  kUntilClose,  // a response without length: up to the server's close
  kTunnel,      // 101, or a 2xx to CONNECT: bytes both ways from here on
};

// Connection-level facts gathered from the headers.
enum MessageFlags : uint32_t {
  kConnClose = 1u << 0,      // Connection: close
  kConnKeepAlive = 1u << 1,  // Connection: keep-alive
  kConnUpgrade = 1u << 2,    // Connection: upgrade
  kUpgradeWebSocket = 1u << 3,
  kExpect100 = 1u << 4,  // Expect: 100-continue
  kHasHost = 1u << 5,
  kHasContentLength = 1u << 6,
  kChunked = 1u << 7,     // Transfer-Encoding ends with chunked
  kForceClose = 1u << 8,  // Content-Length with Transfer-Encoding: close after this one
  kHttp11 = 1u << 9,      // version >= 1.1 (keep-alive by default)
};

struct Message {
  // Request line (requests).
  Span method;
  Span uri;
  Span authority;  // absolute-form host[:port] (userinfo removed), or the authority-form target
  UriForm uriForm = UriForm::kOrigin;
  bool isHead = false;
  bool isConnect = false;
  // Status line (responses).
  uint16_t status = 0;
  Span reasonPhrase;
  // Both.
  Span version;  // "HTTP/x.y"
  uint8_t versionMajor = 0;
  uint8_t versionMinor = 0;
  uint32_t flags = 0;
  uint32_t headerCount = 0;
  Body body = Body::kNone;
  uint64_t contentLength = 0;
  int32_t hostIndex = -1;  // first Host header

  bool has(uint32_t f) const { return (flags & f) != 0; }
  // Whether the connection stays open after this message, from the version and Connection.
  bool keepAlive() const {
    if (has(kConnClose) || has(kForceClose)) return false;
    return has(kHttp11) || has(kConnKeepAlive);
  }
};

enum class Kind : uint8_t { kRequest, kResponse };

class Parser {
 public:
  // `headers` has room for `limits.maxhdr` entries; HAProxy keeps one for its end marker, so
  // at most maxhdr - 1 headers are accepted.
  Parser(Kind kind, Header* headers, const Limits& limits = {});

  // A response's framing depends on the request: call before parsing a response to HEAD/CONNECT.
  void setRequestMethod(bool head, bool connect) {
    reqHead_ = head;
    reqConnect_ = connect;
  }
  // `buf[0..len)` is everything received for this message so far (the same bytes as the previous
  // call plus new ones). Returns kNeedMore until the head is complete, then kDone (and keeps
  // returning it), or kError.
  Result feed(char* buf, size_t len);
  // Ready for the next message (pipelining): the caller moves its buffer past result.length.
  void reset();

  const Message& message() const { return msg_; }
  const Header* headers() const { return headers_; }
  // Where the next message's headers go (the caller takes the array only while a head waits).
  void setHeaders(Header* headers) { headers_ = headers; }

 private:
  Result fail(Reason r, uint16_t requestStatus = 400);
  bool parseStartLine(char* buf, uint32_t b, uint32_t e, Reason* why);
  bool parseRequestLine(char* buf, uint32_t b, uint32_t e, Reason* why);
  bool requestLinePrefixOk(const char* buf, uint32_t b, uint32_t e, Reason* why) const;
  bool parseStatusLine(char* buf, uint32_t b, uint32_t e, Reason* why);
  bool parseHeaderLine(char* buf, uint32_t b, uint32_t e, Reason* why);
  bool finishHeader(char* buf, Reason* why);
  bool finishHead(char* buf, Reason* why, uint16_t* status);
  bool addHtx(uint64_t n);

  Kind kind_;
  Header* headers_;
  Limits limits_;
  bool reqHead_ = false;
  bool reqConnect_ = false;

  Message msg_;
  Result result_;
  uint32_t lineStart_ = 0;  // first byte of the line being scanned
  uint32_t scan_ = 0;       // bytes already searched for LF
  bool sawStartLine_ = false;
  bool pending_ = false;  // headers_[headerCount] is complete up to `pendingEnd_` but may fold
  uint32_t pendingEnd_ = 0;
  uint64_t htx_ = 0;      // HAProxy's HTX footprint of the head parsed so far
  bool teSeen_ = false;   // a Transfer-Encoding header
  bool teOther_ = false;  // a coding other than chunked
  bool teChunkedSeen_ = false;
  bool wsKey_ = false;
};

// Decodes a chunked body in place for forwarding: each call consumes a prefix of the bytes
// given and says whether it was payload or framing (chunk-size lines, CRLFs, trailers), so the
// runtime can forward or drop it without copying. Framing is consumed byte by byte, so no
// partial line ever has to be kept by the caller.
class ChunkedDecoder {
 public:
  explicit ChunkedDecoder(const Limits& limits = {}, bool response = false)
      : limits_(limits), response_(response) {}
  enum class Kind : uint8_t { kData, kFraming, kDone, kNeedMore, kError };
  struct Step {
    Kind kind = Kind::kNeedMore;
    uint32_t length = 0;  // bytes consumed (kData: payload bytes at the start of the input)
    uint16_t status = 0;  // kError: 400 for a request, 502 for a response
    Reason reason = Reason::kNone;
    bool operator==(const Step&) const = default;
  };
  Step next(const char* p, size_t n);
  // Decodes `p[0..n)` and appends to `out` the chunked encoding HAProxy 2.6 forwards for it: the
  // payload of the call as one chunk ("<HEX>\r\n...\r\n"), extensions dropped, CRLF line ends,
  // the last chunk "0\r\n", trailers with lower-cased names and trimmed values, the final CRLF.
  // The payload is gathered in place at the start of `p` first (the bytes are consumed). Returns
  // kNeedMore or kDone with the bytes consumed (all of them, or up to the end of the body, or short
  // of a trailer value's whitespace run that the next bytes decide), or kError.
  Step recode(char* p, size_t n, std::string& out);
  bool done() const { return state_ == State::kDone; }
  uint64_t payloadBytes() const { return payload_; }
  uint32_t trailerCount() const { return trailers_; }
  void reset() { *this = ChunkedDecoder(limits_, response_); }

 private:
  enum class State : uint8_t {
    kSizeStart,
    kSize,
    kSizeWs,
    kExt,
    kSizeLf,
    kData,
    kDataCr,
    kDataLf,
    kTrailerStart,
    kTrailerName,
    kTrailerValue,
    kTrailerLf,
    kFinalLf,
    kDone,
    kError
  };
  Step error(Reason r, uint32_t consumed);
  Step step(const char* p, size_t n, std::string* out);

  Limits limits_;
  bool response_;
  State state_ = State::kSizeStart;
  uint64_t size_ = 0;       // of the current chunk
  uint64_t remaining_ = 0;  // payload bytes of the current chunk still to come
  uint64_t payload_ = 0;
  uint32_t trailers_ = 0;
  uint32_t trailerBytes_ = 0;
  uint32_t lineLen_ = 0;       // of the current chunk-size line or trailer name
  bool valueStarted_ = false;  // a trailer value's first non-blank byte was seen
};

// Counts a Content-Length body down.
class LengthCounter {
 public:
  explicit LengthCounter(uint64_t length = 0) : remaining_(length) {}
  // Payload bytes of `n` that belong to this body.
  uint64_t take(uint64_t n) {
    uint64_t k = n < remaining_ ? n : remaining_;
    remaining_ -= k;
    return k;
  }
  bool done() const { return remaining_ == 0; }
  uint64_t remaining() const { return remaining_; }

 private:
  uint64_t remaining_;
};

}  // namespace lbc::rt::http1

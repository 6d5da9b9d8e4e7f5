// Chunked transfer coding (RFC 9112 7.1) as a byte-wise state machine, so that framing split
// anywhere across reads needs no buffering by the caller.
#include <cstring>
#include <string>

#include "chars.h"
#include "lbc/rt/http1.h"

namespace lbc::rt::http1 {
using namespace detail;

namespace {
// A chunk size above this cannot be forwarded as an int64 total: reject it as HAProxy rejects
// an overflowing size.
constexpr uint64_t kMaxChunkSize = uint64_t(1) << 62;
constexpr uint32_t kMaxTrailerName = 255;
}  // namespace

ChunkedDecoder::Step ChunkedDecoder::error(Reason r, uint32_t consumed) {
  state_ = State::kError;
  return {Kind::kError, consumed, uint16_t(response_ ? 502 : 400), r};
}

ChunkedDecoder::Step ChunkedDecoder::next(const char* p, size_t n) {
  return step(p, n, nullptr);
}

// `out`, when given, receives the trailer section as HAProxy re-encodes it (names lower-cased,
// values trimmed, ": " and CRLF), from the trailer lines' bytes as they are consumed.
ChunkedDecoder::Step ChunkedDecoder::step(const char* p, size_t n, std::string* out) {
  if (state_ == State::kError) return error(Reason::kBadChunkSize, 0);
  if (state_ == State::kDone) return {Kind::kDone, 0};
  if (n == 0) return {Kind::kNeedMore, 0};
  if (state_ == State::kData) {
    uint64_t k = remaining_ < n ? remaining_ : n;
    remaining_ -= k;
    payload_ += k;
    if (remaining_ == 0) state_ = State::kDataCr;
    return {Kind::kData, uint32_t(k)};
  }
  // A chunk-size line, or a trailer line, may not exceed what HAProxy could buffer.
  const uint32_t lineMax = limits_.bufsize > limits_.maxrewrite ? limits_.bufsize - limits_.maxrewrite : 0;
  const uint32_t m = n > 0xFFFFFFFFu ? 0xFFFFFFFFu : uint32_t(n);
  for (uint32_t i = 0; i < m; ++i) {
    const char c = p[i];
    switch (state_) {
      case State::kSizeStart:
        if (!is(c, kHex)) return error(Reason::kBadChunkSize, i);
        size_ = uint64_t(hexValue(c));
        lineLen_ = 1;
        state_ = State::kSize;
        break;
      case State::kSize:
        if (is(c, kHex)) {
          if (size_ > (kMaxChunkSize >> 4)) return error(Reason::kBadChunkSize, i);
          size_ = (size_ << 4) | uint64_t(hexValue(c));
        } else if (is(c, kSpHt)) {
          state_ = State::kSizeWs;
        } else if (c == ';') {
          state_ = State::kExt;
        } else if (c == '\r') {
          state_ = State::kSizeLf;
        } else if (c == '\n') {
          goto size_done;
        } else {
          return error(Reason::kBadChunkSize, i);
        }
        break;
      case State::kSizeWs:
        if (c == ';')
          state_ = State::kExt;
        else if (c == '\r')
          state_ = State::kSizeLf;
        else if (c == '\n')
          goto size_done;
        else if (!is(c, kSpHt))
          return error(Reason::kBadChunkSize, i);
        break;
      case State::kExt:
        // Extensions are skipped (HAProxy does not interpret them) but stay one bounded line.
        if (c == '\r')
          state_ = State::kSizeLf;
        else if (c == '\n')
          goto size_done;
        else if (c == '\0')
          return error(Reason::kBadChunkExtension, i);
        break;
      case State::kSizeLf:
        if (c != '\n') return error(Reason::kBadChunkSize, i);
        goto size_done;
      case State::kDataCr:
        if (c == '\r')
          state_ = State::kDataLf;
        else if (c == '\n')
          state_ = State::kSizeStart;
        else
          return error(Reason::kBadChunkEnd, i);
        break;
      case State::kDataLf:
        if (c != '\n') return error(Reason::kBadChunkEnd, i);
        state_ = State::kSizeStart;
        break;
      case State::kTrailerStart:
        if (c == '\r') {
          state_ = State::kFinalLf;
        } else if (c == '\n') {
          state_ = State::kDone;
          if (out) *out += "\r\n";
          return {Kind::kDone, i + 1};
        } else if (is(c, kToken)) {
          if (++trailers_ >= limits_.maxhdr) return error(Reason::kBadTrailer, i);
          lineLen_ = 1;
          state_ = State::kTrailerName;
          if (out) *out += lower(c);
        } else {
          return error(Reason::kBadTrailer, i);  // obs-fold or garbage
        }
        break;
      case State::kTrailerName:
        if (c == ':') {
          state_ = State::kTrailerValue;
          valueStarted_ = false;
          if (out) *out += ": ";
        } else if (!is(c, kToken) || ++lineLen_ > kMaxTrailerName) {
          return error(Reason::kBadTrailer, i);
        } else if (out) {
          *out += lower(c);
        }
        break;
      case State::kTrailerValue:
        if (c == '\r') {
          state_ = State::kTrailerLf;
        } else if (c == '\n') {
          state_ = State::kTrailerStart;
          if (out) *out += "\r\n";
        } else if (c == '\0') {
          return error(Reason::kBadTrailer, i);
        } else if (!is(c, kSpHt)) {
          valueStarted_ = true;
          if (out) *out += c;
        } else if (valueStarted_ && out) {
          // Whitespace inside the value is kept, at its end dropped: what follows the run
          // decides, so a run cut by the end of the input is left for the next call (the line is
          // bounded by lineMax, well below the caller's buffer).
          uint32_t j = i;
          while (j < m && is(p[j], kSpHt)) ++j;
          const uint32_t room = lineMax - trailerBytes_;  // the byte-wise limit check, at once
          if (j - i > room) return error(Reason::kBadTrailer, i + room);
          if (j == m) return {Kind::kFraming, i};
          if (p[j] != '\r' && p[j] != '\n') out->append(p + i, j - i);
          trailerBytes_ += j - i - 1;  // the last one is counted below
          i = j - 1;
        }  // else leading whitespace: dropped
        break;
      case State::kTrailerLf:
        if (c != '\n') return error(Reason::kBadTrailer, i);
        state_ = State::kTrailerStart;
        if (out) *out += "\r\n";
        break;
      case State::kFinalLf:
        if (c != '\n') return error(Reason::kBadChunkEnd, i);
        state_ = State::kDone;
        if (out) *out += "\r\n";
        return {Kind::kDone, i + 1};
      case State::kData:
      case State::kDone:
      case State::kError:
        return error(Reason::kBadChunkSize, i);  // unreachable: handled above
    }
    if (state_ >= State::kTrailerStart) {
      if (++trailerBytes_ > lineMax) return error(Reason::kBadTrailer, i);
    } else if (state_ != State::kDataCr && state_ != State::kDataLf && ++lineLen_ > lineMax) {
      return error(Reason::kBadChunkExtension, i);
    }
    continue;
  size_done:
    // Returns after every chunk-size line, so that recode() can place the last chunk.
    if (size_ == 0) {
      state_ = State::kTrailerStart;
      trailerBytes_ = 0;
    } else {
      remaining_ = size_;
      state_ = State::kData;
    }
    return {Kind::kFraming, i + 1};
  }
  return {Kind::kFraming, m};
}

ChunkedDecoder::Step ChunkedDecoder::recode(char* p, size_t n, std::string& out) {
  size_t pos = 0, payload = 0;
  // The payload of this call, gathered in place at p[0..payload): never ahead of what was read.
  auto flush = [&] {
    if (!payload) return;
    char hex[17];
    int k = 16;
    hex[k] = '\0';
    for (uint64_t v = payload; v; v >>= 4) hex[--k] = "0123456789ABCDEF"[v & 15];
    out.append(hex + k, size_t(16 - k));
    out += "\r\n";
    out.append(p, payload);
    out += "\r\n";
    payload = 0;
  };
  Step s;
  while (pos < n) {
    const bool trailers = state_ >= State::kTrailerStart;
    s = step(p + pos, n - pos, trailers ? &out : nullptr);
    if (s.kind == Kind::kData) {
      if (payload != pos) std::memmove(p + payload, p + pos, s.length);
      payload += s.length;
    }
    pos += s.length;
    if (s.length == 0 && s.kind != Kind::kError && s.kind != Kind::kDone) break;  // needs more
    if (s.kind == Kind::kError) {
      s.length = uint32_t(pos);
      return s;
    }
    if (!trailers && state_ == State::kTrailerStart) {  // the last chunk's size line
      flush();
      out += "0\r\n";
    }
    if (s.kind == Kind::kDone) break;
  }
  flush();
  if (s.kind != Kind::kDone) s.kind = Kind::kNeedMore;
  s.length = uint32_t(pos);
  return s;
}

}  // namespace lbc::rt::http1

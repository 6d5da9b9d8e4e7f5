// Chunked transfer coding (RFC 9112 7.1) as a byte-wise state machine, so that framing split
// anywhere across reads needs no buffering by the caller.
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
          return {Kind::kDone, i + 1};
        } else if (is(c, kToken)) {
          if (++trailers_ >= limits_.maxhdr) return error(Reason::kBadTrailer, i);
          lineLen_ = 1;
          state_ = State::kTrailerName;
        } else {
          return error(Reason::kBadTrailer, i);  // obs-fold or garbage
        }
        break;
      case State::kTrailerName:
        if (c == ':')
          state_ = State::kTrailerValue;
        else if (!is(c, kToken) || ++lineLen_ > kMaxTrailerName)
          return error(Reason::kBadTrailer, i);
        break;
      case State::kTrailerValue:
        if (c == '\r')
          state_ = State::kTrailerLf;
        else if (c == '\n')
          state_ = State::kTrailerStart;
        else if (c == '\0')
          return error(Reason::kBadTrailer, i);
        break;
      case State::kTrailerLf:
        if (c != '\n') return error(Reason::kBadTrailer, i);
        state_ = State::kTrailerStart;
        break;
      case State::kFinalLf:
        if (c != '\n') return error(Reason::kBadChunkEnd, i);
        state_ = State::kDone;
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
    if (size_ == 0) {
      state_ = State::kTrailerStart;
      continue;
    }
    remaining_ = size_;
    state_ = State::kData;
    return {Kind::kFraming, i + 1};
  }
  return {Kind::kFraming, m};
}

}  // namespace lbc::rt::http1

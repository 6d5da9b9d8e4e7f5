// libFuzzer target for lbc's HTTP/1 parser (runtime/src/http1). The first input byte picks the
// mode (request / response / response to HEAD or CONNECT, and small limits); the next bytes give
// split points. The rest is the message: it is parsed whole and again in pieces in one growing
// buffer, and both must agree exactly (outcome, status, reason, length, every span and flag,
// the obs-fold rewrites). After a complete head, the body framing (chunked decoder or length
// counter) runs on the remainder, whole and in pieces, and must agree too; so must the chunked
// re-encoding the runtime forwards (recode), whose output must decode back. Any mismatch aborts.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "lbc/rt/http1.h"

using namespace lbc::rt::http1;

namespace {

[[noreturn]] void mismatch(const char* what) {
  std::fprintf(stderr, "lbc fuzz: incremental != one-shot: %s\n", what);
  std::abort();
}

struct Run {
  Result result;
  Message msg;
  std::vector<Header> headers;
  std::vector<char> buf;
};

Run parse(const std::string& data, const std::vector<size_t>& cuts, Kind kind, const Limits& limits,
          bool head, bool connect) {
  Run r;
  r.headers.resize(limits.maxhdr);
  // Exactly `len` bytes valid in a buffer of exactly data.size(): ASan catches any read past it.
  r.buf.assign(data.begin(), data.end());
  Parser p(kind, r.headers.data(), limits);
  p.setRequestMethod(head, connect);
  for (size_t cut : cuts) {
    r.result = p.feed(r.buf.data(), cut);
    if (r.result.outcome != Outcome::kNeedMore) break;
  }
  if (r.result.outcome == Outcome::kNeedMore) r.result = p.feed(r.buf.data(), r.buf.size());
  r.msg = p.message();
  if (r.result.outcome == Outcome::kDone && r.result.length > data.size()) mismatch("length past the input");
  return r;
}

struct Framed {
  uint64_t payload = 0;
  uint64_t consumed = 0;
  ChunkedDecoder::Kind last = ChunkedDecoder::Kind::kNeedMore;
  Reason reason = Reason::kNone;
};

Framed decodeChunked(const char* p, size_t n, size_t step, const Limits& limits, bool response) {
  Framed f;
  ChunkedDecoder d(limits, response);
  size_t avail = 0;
  while (true) {
    if (avail == f.consumed) {
      if (avail == n) break;
      avail = std::min(n, avail + step);
    }
    ChunkedDecoder::Step s = d.next(p + f.consumed, avail - f.consumed);
    if (s.length > avail - f.consumed) mismatch("chunked step past the input");
    if (s.kind == ChunkedDecoder::Kind::kData) f.payload += s.length;
    f.consumed += s.length;
    f.last = s.kind;
    f.reason = s.reason;
    if (s.kind == ChunkedDecoder::Kind::kDone || s.kind == ChunkedDecoder::Kind::kError) break;
    if (s.kind == ChunkedDecoder::Kind::kNeedMore && avail == n) break;
  }
  if (f.payload != d.payloadBytes()) mismatch("payload count");
  return f;
}

// recode() as the runtime drives it: bytes it leaves unconsumed stay at the front of a growing
// buffer. Its verdict must be next()'s, its output a valid chunked body with the same payload,
// within a bounded size.
void checkRecode(const char* p, size_t n, size_t step, const Limits& limits, bool response,
                 const Framed& ref) {
  ChunkedDecoder d(limits, response);
  std::string pending, out;
  size_t fed = 0, consumed = 0, calls = 0;
  ChunkedDecoder::Kind last = ChunkedDecoder::Kind::kNeedMore;
  while (fed < n) {
    const size_t k = std::min(step, n - fed);
    pending.append(p + fed, k);
    fed += k;
    ChunkedDecoder::Step s = d.recode(pending.data(), pending.size(), out);
    ++calls;
    if (s.length > pending.size()) mismatch("recode past the input");
    consumed += s.length;
    pending.erase(0, s.length);
    last = s.kind;
    if (s.kind != ChunkedDecoder::Kind::kNeedMore) break;
  }
  const bool ended = ref.last == ChunkedDecoder::Kind::kDone || ref.last == ChunkedDecoder::Kind::kError;
  if (last != (ended ? ref.last : ChunkedDecoder::Kind::kNeedMore)) mismatch("recode verdict");
  if (last == ChunkedDecoder::Kind::kNeedMore ? consumed > ref.consumed : consumed != ref.consumed)
    mismatch("recode consumed");
  if (out.size() > 2 * consumed + 24 * calls) mismatch("recode growth");
  if (last == ChunkedDecoder::Kind::kError) return;
  const Limits roomy{1u << 24, 0, 1u << 16};  // the output's lines may be longer than the input's
  Framed back = decodeChunked(out.data(), out.size(), out.size() ? out.size() : 1, roomy, response);
  if (last == ChunkedDecoder::Kind::kDone &&
      (back.last != ChunkedDecoder::Kind::kDone || back.consumed != out.size()))
    mismatch("recoded body does not end");
  if (back.last == ChunkedDecoder::Kind::kError || back.payload != d.payloadBytes())
    mismatch("recoded payload");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  const uint8_t mode = data[0];
  const uint8_t splitSeed = data[1];
  const std::string msg(reinterpret_cast<const char*>(data) + 2, size - 2);
  const Kind kind = (mode & 1) ? Kind::kResponse : Kind::kRequest;
  const bool head = (mode & 2) != 0, connect = (mode & 4) != 0;
  Limits limits;
  if (mode & 8) limits = Limits{512, 64, 8};  // small limits reach the limit paths quickly

  // Split points: a pseudo-random walk seeded from the input (deterministic per input).
  std::vector<size_t> cuts;
  uint32_t x = splitSeed * 2654435761u + 1;
  for (size_t pos = 0; pos < msg.size();) {
    x = x * 1103515245u + 12345u;
    size_t step = (splitSeed & 0x80) ? 1 : 1 + (x >> 16) % 17;
    pos = std::min(msg.size(), pos + step);
    cuts.push_back(pos);
  }
  Run whole = parse(msg, {msg.size()}, kind, limits, head, connect);
  Run split = parse(msg, cuts, kind, limits, head, connect);
  if (!(whole.result == split.result)) mismatch("result");
  if (whole.buf != split.buf) mismatch("buffer rewrites");
  if (whole.result.outcome == Outcome::kError && whole.result.status != 400 && whole.result.status != 422 &&
      whole.result.status != 502)
    mismatch("unexpected status");
  if (whole.result.outcome != Outcome::kDone) return 0;
  const Message &a = whole.msg, &b = split.msg;
  if (!(a.method == b.method && a.uri == b.uri && a.authority == b.authority && a.version == b.version &&
        a.flags == b.flags && a.body == b.body && a.contentLength == b.contentLength &&
        a.status == b.status && a.headerCount == b.headerCount && a.reasonPhrase == b.reasonPhrase))
    mismatch("message");
  if (a.headerCount >= limits.maxhdr) mismatch("header count over maxhdr - 1");
  for (uint32_t i = 0; i < a.headerCount; ++i) {
    if (!(whole.headers[i] == split.headers[i])) mismatch("header");
    const Header& h = whole.headers[i];
    if (h.name.off + h.name.len > whole.result.length || h.value.off + h.value.len > whole.result.length)
      mismatch("span outside the head");
  }

  const char* rest = whole.buf.data() + whole.result.length;
  const size_t restLen = whole.buf.size() - whole.result.length;
  if (a.body == Body::kChunked) {
    Framed f1 = decodeChunked(rest, restLen, restLen ? restLen : 1, limits, kind == Kind::kResponse);
    Framed f2 = decodeChunked(rest, restLen, 1 + splitSeed % 5, limits, kind == Kind::kResponse);
    if (f1.payload != f2.payload || f1.consumed != f2.consumed || f1.last != f2.last ||
        f1.reason != f2.reason)
      mismatch("chunked");
    checkRecode(rest, restLen, restLen ? restLen : 1, limits, kind == Kind::kResponse, f1);
    checkRecode(rest, restLen, 1 + splitSeed % 5, limits, kind == Kind::kResponse, f1);
  } else if (a.body == Body::kContentLength) {
    LengthCounter c(a.contentLength);
    if (c.take(restLen) > a.contentLength) mismatch("length counter");
  }
  return 0;
}

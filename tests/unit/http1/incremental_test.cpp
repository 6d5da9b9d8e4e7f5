// Feeding a message in pieces gives exactly what feeding it whole gives (outcome, status, reason,
// head length, every span and flag), over the differential corpus and with every split size;
// and the chunked decoder likewise. Also: resuming is linear, not quadratic.
#include <gtest/gtest.h>

#include <chrono>

#include "test_util.h"

namespace lbc::rt::http1::test {
namespace {

void expectSame(const Parsed& a, const Parsed& b, const std::string& what) {
  ASSERT_EQ(a.result, b.result) << what;
  ASSERT_EQ(a.buf, b.buf) << what;  // obs-fold rewrites included
  if (a.result.outcome != Outcome::kDone) return;
  const Message &x = a.msg, &y = b.msg;
  EXPECT_EQ(x.method, y.method) << what;
  EXPECT_EQ(x.uri, y.uri) << what;
  EXPECT_EQ(x.authority, y.authority) << what;
  EXPECT_EQ(x.version, y.version) << what;
  EXPECT_EQ(x.flags, y.flags) << what;
  EXPECT_EQ(x.body, y.body) << what;
  EXPECT_EQ(x.contentLength, y.contentLength) << what;
  ASSERT_EQ(x.headerCount, y.headerCount) << what;
  for (uint32_t i = 0; i < x.headerCount; ++i)
    EXPECT_EQ(a.headers[i], b.headers[i]) << what << " header " << i;
}

TEST(Http1Incremental, CorpusAnySplitEqualsWhole) {
  auto corpus = loadCorpus(LBC_SOURCE_DIR "/tests/http1_haproxy/corpus.txt");
  ASSERT_GE(corpus.size(), 100u);
  for (const auto& c : corpus) {
    Kind kind = c.kind == "resp" ? Kind::kResponse : Kind::kRequest;
    Parsed whole = parseWhole(c.data, kind);
    for (size_t step : {size_t(1), size_t(2), size_t(3), size_t(7), size_t(64), size_t(1000)})
      expectSame(whole, parseSplit(c.data, step, kind), c.name + " step " + std::to_string(step));
  }
}

TEST(Http1Incremental, ByteAtATimeIsLinear) {
  // 100 headers fed one byte at a time: a quadratic parser would rescan ~15k bytes per byte.
  std::string raw = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 99; ++i) raw += "X-Header-" + std::to_string(i) + ": " + std::string(100, 'v') + "\r\n";
  raw += "\r\n";
  std::vector<Header> hs(101);
  Parser p(Kind::kRequest, hs.data());
  uint64_t calls = 0;
  Result r;
  for (size_t len = 1; len <= raw.size(); ++len, ++calls) r = p.feed(raw.data(), len);
  ASSERT_EQ(r.outcome, Outcome::kDone);
  EXPECT_EQ(p.message().headerCount, 99u);
  EXPECT_EQ(calls, raw.size());
}

struct Decoded {
  std::string payload;
  std::string framing;
  ChunkedDecoder::Step last;
  uint32_t trailers = 0;
};

Decoded decode(const std::string& in, size_t step, bool response = false) {
  Decoded d;
  ChunkedDecoder dec({}, response);
  size_t pos = 0, avail = 0;
  while (true) {
    avail = std::min(in.size(), std::max(avail, pos) + (avail <= pos ? step : 0));
    ChunkedDecoder::Step s = dec.next(in.data() + pos, avail - pos);
    if (s.kind == ChunkedDecoder::Kind::kData)
      d.payload.append(in, pos, s.length);
    else
      d.framing.append(in, pos, s.length);
    pos += s.length;
    d.last = s;
    if (s.kind == ChunkedDecoder::Kind::kDone || s.kind == ChunkedDecoder::Kind::kError) break;
    if (pos == avail && avail == in.size()) break;
  }
  d.last.length = uint32_t(pos);  // compare total consumption, not the last piece
  d.trailers = dec.trailerCount();
  return d;
}

TEST(Http1Chunked, DecodesAndSplitsAnywhere) {
  const std::string body =
      "4\r\nWiki\r\n5;ext=1;q=\"x\"\r\npedia\r\nE \r\n in\r\n\r\nchunks.\r\n0\r\nT: v\r\nU: w\r\n\r\nNEXT";
  Decoded whole = decode(body, body.size());
  EXPECT_EQ(whole.last.kind, ChunkedDecoder::Kind::kDone);
  EXPECT_EQ(whole.payload, "Wikipedia in\r\n\r\nchunks.");
  EXPECT_EQ(whole.last.length, body.size() - 4);  // stops before the next message
  EXPECT_EQ(whole.trailers, 2u);
  for (size_t step = 1; step < 20; ++step) {
    Decoded d = decode(body, step);
    EXPECT_EQ(d.payload, whole.payload) << step;
    EXPECT_EQ(d.framing, whole.framing) << step;
    EXPECT_EQ(d.last.kind, whole.last.kind) << step;
    EXPECT_EQ(d.last.length, whole.last.length) << step;
  }
}

TEST(Http1Chunked, Errors) {
  auto kind = [](const std::string& s, bool response = false) { return decode(s, s.size(), response).last; };
  using K = ChunkedDecoder::Kind;
  EXPECT_EQ(kind("0\r\n\r\n").kind, K::kDone);
  EXPECT_EQ(kind("0\n\n").kind, K::kDone);  // bare LF accepted as in the head
  EXPECT_EQ(kind("x\r\n").kind, K::kError);
  EXPECT_EQ(kind("\r\n").kind, K::kError);
  EXPECT_EQ(kind("-1\r\n").kind, K::kError);
  EXPECT_EQ(kind("3\r\nabcX\r\n").reason, Reason::kBadChunkEnd);
  EXPECT_EQ(kind("3\r\nabc\r\n0\r\n\r\r").kind, K::kError);
  EXPECT_EQ(kind("3\rX").kind, K::kError);
  EXPECT_EQ(kind("FFFFFFFFFFFFFFFFF\r\n").reason, Reason::kBadChunkSize);  // overflow
  EXPECT_EQ(kind("3fffffffffffffff\r\n").kind, K::kFraming);               // 2^62-1: fine, needs data
  EXPECT_EQ(kind("1 x\r\n").kind, K::kError);
  EXPECT_EQ(kind(std::string("1;\0\r\n", 5)).reason, Reason::kBadChunkExtension);
  EXPECT_EQ(kind("1;" + std::string(16000, 'e') + "\r\n").reason, Reason::kBadChunkExtension);
  EXPECT_EQ(kind("0\r\nBad Name: v\r\n\r\n").reason, Reason::kBadTrailer);
  EXPECT_EQ(kind("0\r\n fold\r\n\r\n").reason, Reason::kBadTrailer);
  EXPECT_EQ(kind(std::string("0\r\nT: \0\r\n\r\n", 11)).reason, Reason::kBadTrailer);
  std::string many = "0\r\n";
  for (int i = 0; i < 101; ++i) many += "T: v\r\n";
  EXPECT_EQ(kind(many + "\r\n").reason, Reason::kBadTrailer);
  EXPECT_EQ(kind("x", false).status, 400);
  EXPECT_EQ(kind("x", true).status, 502);
  EXPECT_EQ(kind("5\r\nab").kind, K::kData);  // waits for the rest of the chunk
}

// Feeds `in` to recode() `step` bytes at a time as the runtime does: bytes not consumed stay at
// the front of the buffer and the next read is appended to them.
struct Recoded {
  std::string out;
  ChunkedDecoder::Kind kind = ChunkedDecoder::Kind::kNeedMore;
  size_t consumed = 0;
  Reason reason = Reason::kNone;
};

Recoded recode(const std::string& in, size_t step, bool response = false) {
  Recoded r;
  ChunkedDecoder dec({}, response);
  std::string buf;
  size_t next = 0;
  while (next < in.size()) {
    buf.append(in, next, step);
    next = std::min(in.size(), next + step);
    ChunkedDecoder::Step s = dec.recode(buf.data(), buf.size(), r.out);
    r.consumed += s.length;
    r.kind = s.kind;
    r.reason = s.reason;
    buf.erase(0, s.length);
    if (s.kind != ChunkedDecoder::Kind::kNeedMore) break;
  }
  return r;
}

TEST(Http1Chunked, RecodesAsHaproxy) {
  using K = ChunkedDecoder::Kind;
  // Extensions, whitespace and bare LFs go; the payload of one call becomes one chunk with an
  // upper-case size (haproxy 2.6 forwards "1D\r\n..." for "1a" + "3" received together).
  const std::string body =
      "4\r\nWiki\r\n5;ext=1;q=\"x\"\r\npedia\r\nE \r\n in\r\n\r\nchunks.\r\n0\r\nT: v\r\nU: w\r\n\r\nNEXT";
  Recoded whole = recode(body, body.size());
  EXPECT_EQ(whole.kind, K::kDone);
  EXPECT_EQ(whole.consumed, body.size() - 4);
  EXPECT_EQ(whole.out, "17\r\nWikipedia in\r\n\r\nchunks.\r\n0\r\nt: v\r\nu: w\r\n\r\n");
  EXPECT_EQ(recode("3\nabc\n0\n\n", 100).out, "3\r\nabc\r\n0\r\n\r\n");
  EXPECT_EQ(recode("1a\r\nabcdefghijklmnopqrstuvwxyz\r\n3\r\nabc\r\n0\r\n\r\n", 100).out,
            "1D\r\nabcdefghijklmnopqrstuvwxyzabc\r\n0\r\n\r\n");
  EXPECT_EQ(recode("1a\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\n\r\n", 14).out,
            "A\r\nabcdefghij\r\n"
            "E\r\nklmnopqrstuvwx\r\n"
            "2\r\nyz\r\n"
            "0\r\n\r\n");
  // Trailer values trimmed (inner whitespace kept, even when a read ends inside it), names
  // lower-cased, an empty value kept as "name: ".
  const std::string tr = "0\r\nX-T:\r\nX-U: \t a \t b \t\r\nX-V:c\nContent-Length: 5\r\n\r\n";
  for (size_t step = 1; step <= tr.size(); ++step) {
    Recoded r = recode(tr, step);
    EXPECT_EQ(r.kind, K::kDone) << step;
    EXPECT_EQ(r.consumed, tr.size()) << step;
    EXPECT_EQ(r.out, "0\r\nx-t: \r\nx-u: a \t b\r\nx-v: c\r\ncontent-length: 5\r\n\r\n") << step;
  }
  for (size_t step = 1; step < 20; ++step) {
    Recoded r = recode(body, step);
    EXPECT_EQ(r.kind, K::kDone) << step;
    EXPECT_EQ(r.consumed, whole.consumed) << step;
    // Chunk boundaries follow the reads; what they carry does not.
    EXPECT_EQ(decode(r.out, r.out.size()).payload, "Wikipedia in\r\n\r\nchunks.") << step;
    EXPECT_EQ(r.out.substr(r.out.size() - 17), "0\r\nt: v\r\nu: w\r\n\r\n") << step;
  }
  // haproxy answers 400 to each of these (tests/http_diff: smug_chunk_bad_size, chunk_lead_space,
  // chunk_neg, smug_chunk_overflow, chunk_data_long).
  for (const char* bad : {"zz\r\nabc\r\n0\r\n\r\n", " 3\r\nabc\r\n0\r\n\r\n", "-3\r\nabc\r\n0\r\n\r\n",
                          "ffffffffffffffffff\r\nabc\r\n0\r\n\r\n", "3\r\nabcd\r\n0\r\n\r\n"}) {
    for (size_t step : {size_t(1), size_t(3), size_t(100)}) {
      Recoded r = recode(bad, step);
      EXPECT_EQ(r.kind, K::kError) << bad << " " << step;
      EXPECT_EQ(decode(bad, step).last.kind, K::kError) << bad << " " << step;
    }
  }
  EXPECT_EQ(recode("3\r\nabcd\r\n", 100).reason, Reason::kBadChunkEnd);
}

TEST(Http1Chunked, LengthCounter) {
  LengthCounter c(10);
  EXPECT_EQ(c.take(4), 4u);
  EXPECT_FALSE(c.done());
  EXPECT_EQ(c.take(100), 6u);
  EXPECT_TRUE(c.done());
  EXPECT_EQ(c.take(5), 0u);
}

}  // namespace
}  // namespace lbc::rt::http1::test

// Microbenchmark of lbc's HTTP/1 head parser: a typical browser request and response, whole and
// in 1-byte / 64-byte pieces, and a chunked body. Reports ns per message and bytes/s.
//   ninja -C build lbc_bench_http1 && build/tools/bench/http1/lbc_bench_http1
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "lbc/rt/http1.h"

using namespace lbc::rt::http1;

namespace {

const std::string kBrowserRequest =
    "GET /static/app/main.3f2a1c.js?v=12 HTTP/1.1\r\n"
    "Host: www.example.com\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n"
    "Accept: */*\r\n"
    "Accept-Language: en-US,en;q=0.5\r\n"
    "Accept-Encoding: gzip, deflate, br, zstd\r\n"
    "Referer: https://www.example.com/articles/2024/the-long-read\r\n"
    "Connection: keep-alive\r\n"
    "Cookie: session=5f2b8c0e9d1a4b7c; theme=dark; _ga=GA1.2.1234567890.1700000000\r\n"
    "Sec-Fetch-Dest: script\r\n"
    "Sec-Fetch-Mode: no-cors\r\n"
    "Sec-Fetch-Site: same-origin\r\n"
    "If-None-Match: \"67ab43-1f2e\"\r\n"
    "\r\n";

const std::string kResponse =
    "HTTP/1.1 200 OK\r\nServer: nginx\r\nDate: Mon, 01 Jan 2024 00:00:00 GMT\r\n"
    "Content-Type: application/javascript\r\nContent-Length: 8123\r\nConnection: keep-alive\r\n"
    "Cache-Control: public, max-age=31536000\r\nETag: \"67ab43-1f2e\"\r\n\r\n";

void parseIn(benchmark::State& state, const std::string& msg, Kind kind, size_t step) {
  std::string buf = msg;
  std::vector<Header> headers(101);
  Parser p(kind, headers.data());
  for (auto _ : state) {
    p.reset();
    Result r;
    for (size_t len = std::min(step, buf.size());; len = std::min(buf.size(), len + step)) {
      r = p.feed(buf.data(), len);
      if (r.outcome != Outcome::kNeedMore || len == buf.size()) break;
    }
    benchmark::DoNotOptimize(r);
    if (r.outcome != Outcome::kDone) state.SkipWithError("not parsed");
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(buf.size()));
}

void BM_Request(benchmark::State& s) {
  parseIn(s, kBrowserRequest, Kind::kRequest, size_t(s.range(0)));
}
void BM_Response(benchmark::State& s) {
  parseIn(s, kResponse, Kind::kResponse, size_t(s.range(0)));
}
BENCHMARK(BM_Request)->Arg(1 << 20)->Arg(64)->Arg(1);
BENCHMARK(BM_Response)->Arg(1 << 20);

void BM_Chunked(benchmark::State& state) {
  std::string body;
  for (int i = 0; i < 64; ++i) body += "400\r\n" + std::string(1024, 'x') + "\r\n";
  body += "0\r\n\r\n";
  for (auto _ : state) {
    ChunkedDecoder d;
    size_t pos = 0;
    while (!d.done()) pos += d.next(body.data() + pos, body.size() - pos).length;
    benchmark::DoNotOptimize(pos);
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(body.size()));
}
BENCHMARK(BM_Chunked);

}  // namespace

BENCHMARK_MAIN();

// lbc_http1_probe [--response] [--verbose] < raw-message
// Prints what lbc does with the message head: `forward`, or the status it answers (400, 422,
// 502...), or `408` when the head is incomplete (a request waits for timeout http-request). A
// response whose head is incomplete when the server closes is a 502. With --verbose, the
// reason and the parsed fields follow on stderr.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "lbc/rt/http1.h"

using namespace lbc::rt::http1;

int main(int argc, char** argv) {
  bool response = false, verbose = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--response") == 0)
      response = true;
    else if (std::strcmp(argv[i], "--verbose") == 0)
      verbose = true;
    else {
      std::fprintf(stderr, "usage: lbc_http1_probe [--response] [--verbose] < message\n");
      return 2;
    }
  }
  std::string in;
  char tmp[65536];
  size_t n;
  while ((n = std::fread(tmp, 1, sizeof tmp, stdin)) > 0) in.append(tmp, n);
  Limits limits;
  std::vector<Header> headers(limits.maxhdr);
  Parser parser(response ? Kind::kResponse : Kind::kRequest, headers.data(), limits);
  Result r = parser.feed(in.data(), in.size());
  if (r.outcome == Outcome::kDone)
    std::puts("forward");
  else if (r.outcome == Outcome::kError)
    std::printf("%u\n", r.status);
  else
    std::puts(response ? "502" : "408");
  if (verbose) {
    const Message& m = parser.message();
    std::fprintf(stderr, "reason: %s\n", std::string(reasonName(r.reason)).c_str());
    if (r.outcome == Outcome::kDone) {
      std::fprintf(stderr, "head %u bytes, %u headers, body kind %d, length %llu, flags 0x%x\n", r.length,
                   m.headerCount, int(m.body), static_cast<unsigned long long>(m.contentLength), m.flags);
      for (uint32_t i = 0; i < m.headerCount; ++i)
        std::fprintf(stderr, "  [%s]: [%s]%s\n", std::string(headers[i].name.in(in.data())).c_str(),
                     std::string(headers[i].value.in(in.data())).c_str(),
                     headers[i].drop ? " (dropped)" : "");
    }
  }
  return 0;
}

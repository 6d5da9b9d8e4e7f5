// Helpers shared by the HTTP/1 parser tests and the corpus property test.
#pragma once
#include <string>
#include <vector>

#include "lbc/rt/http1.h"

namespace lbc::rt::http1::test {

struct Parsed {
  Result result;
  Message msg;
  std::vector<Header> headers;
  std::string buf;  // after in-place obs-fold rewriting
  std::string header(std::string_view name) const;
};

// Whole buffer at once.
Parsed parseWhole(std::string data, Kind kind = Kind::kRequest, const Limits& limits = {}, bool head = false);
// Fed in pieces of `step` bytes (1 = byte at a time) into one growing buffer.
Parsed parseSplit(std::string data, size_t step, Kind kind = Kind::kRequest, const Limits& limits = {},
                  bool head = false);

// tests/http1_haproxy/corpus.txt: kind ("req"/"resp"), name, bytes.
struct CorpusCase {
  std::string kind, name, data;
};
std::vector<CorpusCase> loadCorpus(const std::string& path);
std::string unescape(const std::string& s);

}  // namespace lbc::rt::http1::test

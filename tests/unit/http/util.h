// Test helpers: the captured data and a parsed request/response.
#pragma once
#include <fstream>
#include <sstream>
#include <string>

#include "lbc/rt/http1.h"

inline std::string readData(const std::string& name) {
  std::ifstream f(std::string(LBC_SOURCE_DIR) + "/tests/unit/http/data/" + name, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// Undoes capture.py's esc(): \r \n \t \\.
inline std::string unescape(const std::string& s) {
  std::string o;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      char n = s[++i];
      o += n == 'r' ? '\r' : n == 'n' ? '\n' : n == 't' ? '\t' : n;
    } else {
      o += s[i];
    }
  }
  return o;
}

// A parsed message whose buffer and headers live as long as it does.
struct Parsed {
  std::string buf;
  lbc::rt::http1::Header hs[101];
  lbc::rt::http1::Parser parser;
  lbc::rt::http1::Result result;
  Parsed(lbc::rt::http1::Kind kind, std::string text, bool reqHead = false)
      : buf(std::move(text)), parser(kind, hs) {
    parser.setRequestMethod(reqHead, false);
    result = parser.feed(buf.data(), buf.size());
  }
  const lbc::rt::http1::Message& msg() const { return parser.message(); }
};

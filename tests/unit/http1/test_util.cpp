#include "test_util.h"

#include <fstream>
#include <regex>
#include <stdexcept>

#include "../../../runtime/src/http1/chars.h"

namespace lbc::rt::http1::test {

std::string Parsed::header(std::string_view name) const {
  for (uint32_t i = 0; i < msg.headerCount; ++i)
    if (detail::ieq(headers[i].name.in(buf.data()), name))
      return std::string(headers[i].value.in(buf.data()));
  return "<none>";
}

namespace {
Parsed run(std::string data, size_t step, Kind kind, const Limits& limits, bool head) {
  Parsed p;
  p.headers.resize(limits.maxhdr);
  Parser parser(kind, p.headers.data(), limits);
  parser.setRequestMethod(head, false);
  // The buffer is allocated at full size up front: the parser must never read past `len`, which
  // ASan would not see inside one allocation, so the bytes past it are poisoned with garbage.
  p.buf.assign(data.size() + 1, '\0');
  size_t len = 0;
  do {
    size_t n = std::min(step, data.size() - len);
    std::copy(data.begin() + long(len), data.begin() + long(len + n), p.buf.begin() + long(len));
    len += n;
    std::fill(p.buf.begin() + long(len), p.buf.end(), '\n');
    p.result = parser.feed(p.buf.data(), len);
  } while (p.result.outcome == Outcome::kNeedMore && len < data.size());
  // Bytes the parser never saw (it stopped early) are copied in so buffers compare.
  std::copy(data.begin() + long(len), data.end(), p.buf.begin() + long(len));
  p.buf.resize(data.size());
  p.msg = parser.message();
  return p;
}
}  // namespace

Parsed parseWhole(std::string data, Kind kind, const Limits& limits, bool head) {
  return run(std::move(data), std::string::npos, kind, limits, head);
}
Parsed parseSplit(std::string data, size_t step, Kind kind, const Limits& limits, bool head) {
  return run(std::move(data), step, kind, limits, head);
}

std::string unescape(const std::string& in) {
  static const std::regex rep(R"(\{(\d+)\*([^{}]*)\})");
  std::string s;
  auto it = std::sregex_iterator(in.begin(), in.end(), rep);
  size_t last = 0;
  for (; it != std::sregex_iterator(); ++it) {
    s += in.substr(last, size_t(it->position()) - last);
    for (int i = 0; i < std::stoi((*it)[1]); ++i) s += (*it)[2];
    last = size_t(it->position() + it->length());
  }
  s += in.substr(last);
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 >= s.size()) {
      out += s[i];
      continue;
    }
    char n = s[++i];
    switch (n) {
      case 'r':
        out += '\r';
        break;
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case '0':
        out += '\0';
        break;
      case 's':
        out += ' ';
        break;
      case '\\':
        out += '\\';
        break;
      case 'x':
        out += char(std::stoi(s.substr(i + 1, 2), nullptr, 16));
        i += 2;
        break;
      default:
        out += '\\';
        out += n;
    }
  }
  return out;
}

std::vector<CorpusCase> loadCorpus(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot read " + path);
  std::vector<CorpusCase> out;
  std::string line;
  while (std::getline(f, line)) {
    if (line.empty() || line[0] == '#') continue;
    size_t a = line.find(' '), b = line.find(' ', a + 1);
    out.push_back({line.substr(0, a), line.substr(a + 1, b - a - 1), unescape(line.substr(b + 1))});
  }
  return out;
}

}  // namespace lbc::rt::http1::test

#include "http.h"

#include <algorithm>
#include <cstring>

namespace lbc::testsrv {
namespace {

constexpr size_t kMaxLine = 4096;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return (x | 0x20) == (y | 0x20); });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Calls fn for each comma-separated, trimmed token of a header value.
template <typename Fn>
void eachToken(std::string_view v, Fn fn) {
  while (!v.empty()) {
    size_t comma = v.find(',');
    fn(trim(v.substr(0, comma)));
    if (comma == std::string_view::npos) break;
    v.remove_prefix(comma + 1);
  }
}

}  // namespace

HttpParser::Result HttpParser::parseHead(std::string_view head) {
  size_t eol = head.find("\r\n");
  std::string_view line = head.substr(0, eol);
  size_t sp1 = line.find(' ');
  size_t sp2 = line.rfind(' ');
  if (sp1 == std::string_view::npos || sp2 == sp1) return Result::kBad;
  std::string_view method = line.substr(0, sp1);
  std::string_view version = line.substr(sp2 + 1);
  if (version.size() != 8 || version.substr(0, 7) != "HTTP/1.") return Result::kBad;
  http10_ = version[7] == '0';
  keepAlive_ = !http10_;
  isHead_ = method == "HEAD";
  chunked_ = false;
  left_ = 0;
  bool haveLength = false;

  std::string_view rest = eol == std::string_view::npos ? std::string_view() : head.substr(eol + 2);
  while (!rest.empty()) {
    size_t next = rest.find("\r\n");
    std::string_view h = rest.substr(0, next);
    rest = next == std::string_view::npos ? std::string_view() : rest.substr(next + 2);
    size_t colon = h.find(':');
    if (colon == std::string_view::npos || colon == 0) return Result::kBad;
    std::string_view name = h.substr(0, colon);
    std::string_view value = trim(h.substr(colon + 1));
    if (iequals(name, "content-length")) {
      if (value.empty() || value.size() > 18) return Result::kBad;
      uint64_t n = 0;
      for (char ch : value) {
        if (ch < '0' || ch > '9') return Result::kBad;
        n = n * 10 + uint64_t(ch - '0');
      }
      if (haveLength && n != left_) return Result::kBad;
      haveLength = true;
      left_ = n;
    } else if (iequals(name, "transfer-encoding")) {
      bool last = false;
      eachToken(value, [&](std::string_view t) { last = iequals(t, "chunked"); });
      if (!last) return Result::kUnsupported;
      chunked_ = true;
    } else if (iequals(name, "connection")) {
      eachToken(value, [&](std::string_view t) {
        if (iequals(t, "close")) keepAlive_ = false;
        if (iequals(t, "keep-alive")) keepAlive_ = true;
      });
    }
  }
  if (chunked_) left_ = 0;  // Transfer-Encoding overrides Content-Length (RFC 9112 6.3)
  return Result::kRequest;
}

// Collects one line (up to LF) into buf_, without its CRLF. *complete says whether the LF was seen.
HttpParser::Result HttpParser::feedLine(const char* data, size_t len, size_t* used, bool* complete) {
  const char* lf = static_cast<const char*>(std::memchr(data, '\n', len));
  size_t take = lf ? size_t(lf - data) + 1 : len;
  buf_.append(data, take);
  *used = take;
  *complete = lf != nullptr;
  if (buf_.size() > kMaxLine) return Result::kBad;
  if (*complete) {
    buf_.pop_back();
    if (!buf_.empty() && buf_.back() == '\r') buf_.pop_back();
  }
  return Result::kNeedMore;
}

HttpParser::Result HttpParser::feed(const char* data, size_t len, size_t* used) {
  size_t off = 0;
  auto done = [&](Result r) {
    *used = off;
    return r;
  };
  for (;;) {
    switch (state_) {
      case State::kHead: {
        if (off == len) return done(Result::kNeedMore);
        size_t old = buf_.size();
        size_t end;  // end of the head inside buf_ or data
        Result r;
        if (old == 0) {
          std::string_view view(data + off, len - off);
          size_t p = view.find("\r\n\r\n");
          if (p == std::string_view::npos) {
            buf_.assign(view);
            off = len;
            return done(buf_.size() > kMaxHead ? Result::kTooLarge : Result::kNeedMore);
          }
          if (p + 4 > kMaxHead) return done(Result::kTooLarge);  // a head may arrive whole in one read
          r = parseHead(view.substr(0, p));
          end = p + 4;
        } else {
          buf_.append(data + off, len - off);
          size_t p = buf_.find("\r\n\r\n", old >= 3 ? old - 3 : 0);
          if (p == std::string::npos) {
            off = len;
            return done(buf_.size() > kMaxHead ? Result::kTooLarge : Result::kNeedMore);
          }
          if (p + 4 > kMaxHead) return done(Result::kTooLarge);
          r = parseHead(std::string_view(buf_).substr(0, p));
          end = p + 4 - old;
          buf_.clear();
        }
        off += end;
        if (r != Result::kRequest) return done(r);
        if (chunked_) {
          state_ = State::kChunkSize;
        } else if (left_ > 0) {
          state_ = State::kBody;
        } else {
          return done(Result::kRequest);
        }
        break;
      }
      case State::kBody:
      case State::kChunkData: {
        uint64_t n = std::min<uint64_t>(left_, len - off);
        off += n;
        left_ -= n;
        if (left_ > 0) return done(Result::kNeedMore);
        if (state_ == State::kBody) {
          state_ = State::kHead;
          return done(Result::kRequest);
        }
        state_ = State::kChunkEnd;
        break;
      }
      case State::kChunkSize:
      case State::kChunkEnd:
      case State::kTrailer: {
        if (off == len) return done(Result::kNeedMore);
        size_t n;
        bool complete;
        if (feedLine(data + off, len - off, &n, &complete) == Result::kBad) return done(Result::kBad);
        off += n;
        if (!complete) break;
        std::string line;
        line.swap(buf_);
        if (state_ == State::kChunkEnd) {
          if (!line.empty()) return done(Result::kBad);
          state_ = State::kChunkSize;
        } else if (state_ == State::kTrailer) {
          if (line.empty()) {
            state_ = State::kHead;
            return done(Result::kRequest);
          }
        } else {
          uint64_t size = 0;
          size_t digits = 0;
          for (char ch : line) {
            int v = ch >= '0' && ch <= '9'   ? ch - '0'
                    : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
                    : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
                                             : -1;
            if (v < 0) break;  // chunk extensions (";...") are ignored
            if (++digits > 15) return done(Result::kBad);
            size = size * 16 + uint64_t(v);
          }
          if (digits == 0) return done(Result::kBad);
          left_ = size;
          state_ = size == 0 ? State::kTrailer : State::kChunkData;
        }
        break;
      }
    }
  }
}

}  // namespace lbc::testsrv

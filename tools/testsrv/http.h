// Incremental HTTP/1.x request framing for lbc_testsrv's `http` mode: enough to answer keep-alive
// requests with Content-Length or chunked bodies. It frames requests; it does not validate them fully.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace lbc::testsrv {

class HttpParser {
 public:
  enum class Result { kNeedMore, kRequest, kBad, kTooLarge, kUnsupported };
  static constexpr size_t kMaxHead = 64 * 1024;

  // Consumes a prefix of data; *used says how much. kRequest means one whole request (head and body)
  // ended inside that prefix; the caller answers it and feeds the rest again.
  Result feed(const char* data, size_t len, size_t* used);

  bool keepAlive() const { return keepAlive_; }
  bool isHead() const { return isHead_; }
  bool http10() const { return http10_; }

 private:
  enum class State { kHead, kBody, kChunkSize, kChunkData, kChunkEnd, kTrailer };

  Result parseHead(std::string_view head);
  Result startBody();
  Result feedLine(const char* data, size_t len, size_t* used, bool* complete);

  State state_ = State::kHead;
  std::string buf_;  // head or chunk line split across reads
  uint64_t left_ = 0;
  bool chunked_ = false;
  bool keepAlive_ = true;
  bool isHead_ = false;
  bool http10_ = false;
};

}  // namespace lbc::testsrv

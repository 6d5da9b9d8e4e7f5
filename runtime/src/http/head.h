// Internals shared by the files of runtime/src/http.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "lbc/rt/http.h"
#include "lbc/rt/txn.h"

namespace lbc::rt::http::detail {

inline constexpr uint32_t kTokClose = 1, kTokKeepAlive = 2, kTokUpgrade = 4;
// HAProxy's HTX accounting (tests/http1_haproxy/README.md): a 48-byte buffer header, 8 bytes per
// block, 20 bytes of start-line structure, 1 byte for the end-of-headers block.
inline constexpr uint64_t kHtxHeader = 48, kHtxStartLine = kHtxHeader + 8 + 20, kHtxEoh = 8 + 1;

bool ieq(std::string_view a, std::string_view b);

// The reason phrase a response head is written with: `set-status` without `reason` leaves a null
// view (a server's empty phrase points into its buffer), and HAProxy then writes the status's
// default phrase.
inline std::string_view reasonOf(const Txn& t) {
  return t.reason.data() ? t.reason : reasonPhrase(t.status);
}
size_t cleanConnection(char* v, size_t n, uint32_t* found);

// The value of the connection header HAProxy's H1 output adds on the client side ("" for none).
inline std::string_view clientConnValue(bool keepAlive, bool req11, bool res11) {
  if (keepAlive) return (!res11 || !req11) ? "keep-alive" : "";
  return res11 ? "close" : "";
}

class HeadWriter {
 public:
  HeadWriter(char* out, size_t cap) : out_(out), cap_(cap) {}
  bool put(std::string_view s);
  bool putLower(std::string_view s);
  void headers(const std::vector<Header>& hs, uint32_t* found, uint64_t* htx);
  bool ok() const { return ok_; }
  size_t size() const { return len_; }

 private:
  char* out_;
  size_t cap_, len_ = 0;
  bool ok_ = true;
};

}  // namespace lbc::rt::http::detail

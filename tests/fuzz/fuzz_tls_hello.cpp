// The first-record TLS parser (runtime/src/net/tls_hello.cpp, req.ssl_sni and friends) on
// arbitrary bytes: no crash, no UB, views inside the input, a bounded wait for more bytes, and
// the same answer from the record alone as from the record with whatever follows it.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "net/tls_hello.h"

namespace {

bool inside(std::string_view v, std::string_view in) {
  return v.empty() || (v.data() >= in.data() && v.data() + v.size() <= in.data() + in.size());
}

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using lbc::rt::TlsHelloResult;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  lbc::rt::TlsHello h;
  TlsHelloResult r = lbc::rt::parseTlsHello(in, h);
  check(inside(h.sni, in) && inside(h.alpn, in));
  // A record is at most 5 + 16384 + 2048 bytes: past that, waiting for more is wrong.
  check(r != TlsHelloResult::kNeedMore || size < 5 + 16384 + 2048);
  if (r != TlsHelloResult::kOk) return 0;
  check(h.record_len <= size && (h.hello_type == 1 || h.hello_type == 2));
  lbc::rt::TlsHello alone;
  std::string_view rec = in.substr(0, h.record_len);
  check(lbc::rt::parseTlsHello(rec, alone) == TlsHelloResult::kOk);
  check(alone.sni == h.sni && alone.alpn == h.alpn && alone.max_version == h.max_version);
  lbc::rt::TlsHello part;
  check(lbc::rt::parseTlsHello(rec.substr(0, rec.size() - 1), part) == TlsHelloResult::kNeedMore);
  return 0;
}

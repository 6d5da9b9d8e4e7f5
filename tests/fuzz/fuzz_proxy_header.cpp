// The PROXY protocol header parser (runtime/src/net/proxy_header.cpp, accept-proxy) on arbitrary
// bytes: no crash, no UB, a length inside the input, views inside it, the same answer with
// whatever follows the header, and a header rebuilt from what was read parses to the same
// addresses.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "net/proxy_header.h"

namespace {

bool inside(std::string_view v, std::string_view in) {
  return v.empty() || (v.data() >= in.data() && v.data() + v.size() <= in.data() + in.size());
}

void check(bool ok) {
  if (!ok) std::abort();
}

bool sameAddr(const sockaddr_storage& a, const sockaddr_storage& b) {
  return std::memcmp(&a, &b, sizeof a) == 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using lbc::rt::ProxyHdrResult;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  lbc::rt::ProxyHdr h;
  const ProxyHdrResult r = lbc::rt::parseProxyHeader(in, h);
  check(r == ProxyHdrResult::kOk || *lbc::rt::proxyHdrError(r));
  if (r != ProxyHdrResult::kOk) return 0;
  check(h.len > 0 && h.len <= size);
  check(inside(h.authority, in) && inside(h.unique_id, in));
  // The header alone says the same.
  lbc::rt::ProxyHdr alone;
  check(lbc::rt::parseProxyHeader(in.substr(0, h.len), alone) == ProxyHdrResult::kOk && alone.len == h.len);
  if (!h.has_addr) return 0;
  // Written back as v2 (and v1), it reads as the same addresses.
  lbc::rt::ProxyHdrSource src;
  src.src = &h.src;
  src.dst = &h.dst;
  std::string out;
  lbc::rt::buildProxyV2(out, lbc::rt::kPpV2 | lbc::rt::kPpV2Crc32c, src);
  lbc::rt::ProxyHdr back;
  check(lbc::rt::parseProxyHeader(out, back) == ProxyHdrResult::kOk && back.len == out.size());
  if (h.src.ss_family == h.dst.ss_family) check(sameAddr(back.src, h.src) && sameAddr(back.dst, h.dst));
  out.clear();
  lbc::rt::buildProxyV1(out, &h.src, &h.dst);
  check(lbc::rt::parseProxyHeader(out, back) == ProxyHdrResult::kOk && back.len == out.size());
  return 0;
}

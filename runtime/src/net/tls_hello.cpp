#include "tls_hello.h"

#include <algorithm>

namespace lbc::rt {
namespace {

constexpr uint8_t kHandshake = 22;
constexpr size_t kMaxRecord = 16384 + 2048;  // what HAProxy's fetches accept
constexpr uint16_t kExtSni = 0, kExtAlpn = 16, kExtSupportedVersions = 43;

// A bounds-checked reader: every take fails once past the end, and stays failed.
class Reader {
 public:
  explicit Reader(std::string_view b) : b_(b) {}
  bool ok() const { return ok_; }
  size_t left() const { return b_.size() - pos_; }
  uint32_t num(int bytes) {
    if (!ok_ || left() < size_t(bytes)) return fail();
    uint32_t v = 0;
    for (int i = 0; i < bytes; ++i) v = (v << 8) | uint8_t(b_[pos_++]);
    return v;
  }
  std::string_view take(size_t n) {
    if (!ok_ || left() < n) {
      fail();
      return {};
    }
    std::string_view v = b_.substr(pos_, n);
    pos_ += n;
    return v;
  }
  // A vector with a `bytes`-long length prefix.
  std::string_view vec(int bytes) { return take(num(bytes)); }

 private:
  uint32_t fail() {
    ok_ = false;
    return 0;
  }
  std::string_view b_;
  size_t pos_ = 0;
  bool ok_ = true;
};

void readSni(std::string_view ext, TlsHello& out) {
  Reader r(ext);
  Reader list(r.vec(2));
  while (list.ok() && list.left()) {
    uint32_t type = list.num(1);
    std::string_view name = list.vec(2);
    if (list.ok() && type == 0 && !name.empty()) {  // host_name
      out.sni = name;
      return;
    }
  }
}

void readSupportedVersions(std::string_view ext, TlsHello& out) {
  Reader r(ext);
  Reader list(r.vec(1));
  while (list.ok() && list.left() >= 2) {
    uint16_t v = uint16_t(list.num(2));
    if ((v & 0x0f0f) == 0x0a0a) continue;  // GREASE
    out.max_version = std::max(out.max_version, v);
  }
}

bool readClientHello(Reader& h, TlsHello& out) {
  out.hello_version = uint16_t(h.num(2));
  out.max_version = out.hello_version;
  h.take(32);  // random
  h.vec(1);    // session id
  h.vec(2);    // cipher suites
  h.vec(1);    // compression methods
  if (!h.ok()) return false;
  if (!h.left()) return true;  // no extensions
  Reader exts(h.vec(2));
  if (!h.ok()) return false;
  while (exts.ok() && exts.left()) {
    uint32_t type = exts.num(2);
    std::string_view body = exts.vec(2);
    if (!exts.ok()) return false;
    if (type == kExtSni && out.sni.empty())
      readSni(body, out);
    else if (type == kExtAlpn)
      out.alpn = Reader(body).vec(2);
    else if (type == kExtSupportedVersions)
      readSupportedVersions(body, out);
  }
  return true;
}

}  // namespace

TlsHelloResult parseTlsHello(std::string_view bytes, TlsHello& out) {
  out = {};
  if (bytes.empty()) return TlsHelloResult::kNeedMore;
  if (uint8_t(bytes[0]) != kHandshake) return TlsHelloResult::kNotHello;
  if (bytes.size() < 5) return TlsHelloResult::kNeedMore;
  Reader rec(bytes);
  rec.num(1);
  out.record_version = uint16_t(rec.num(2));
  size_t len = rec.num(2);
  if ((out.record_version >> 8) != 3 || len < 4 || len > kMaxRecord) return TlsHelloResult::kNotHello;
  if (rec.left() < len) return TlsHelloResult::kNeedMore;
  out.record_len = uint32_t(5 + len);
  Reader body(rec.take(len));
  out.hello_type = uint8_t(body.num(1));
  size_t hs_len = body.num(3);
  if (hs_len > body.left()) return TlsHelloResult::kNotHello;  // split across records
  Reader h(body.take(hs_len));
  if (out.hello_type == 2) {  // a ServerHello: its version is all a fetch asks
    out.hello_version = out.max_version = uint16_t(h.num(2));
    return h.ok() ? TlsHelloResult::kOk : TlsHelloResult::kNotHello;
  }
  if (out.hello_type != 1 || !readClientHello(h, out)) {
    TlsHello none;
    none.record_version = out.record_version;
    out = none;
    return TlsHelloResult::kNotHello;
  }
  return TlsHelloResult::kOk;
}

}  // namespace lbc::rt

// The first TLS record of a connection read without decrypting anything: what the fetches of
// pass-through TLS need (`req.ssl_sni`, `req.ssl_ver`, `req.ssl_hello_type`, `req.ssl_alpn`),
// so `use_backend %[req.ssl_sni,lower,map(...)]` routes a TLS connection it does not terminate.
// As HAProxy, only the first record is looked at (a hello split across records has no SNI), and
// an incomplete record asks for more bytes (inspect-delay). Views point into the caller's bytes.
#pragma once
#include <cstdint>
#include <string_view>

namespace lbc::rt {

struct TlsHello {
  uint8_t hello_type = 0;       // 1 ClientHello, 2 ServerHello (req.ssl_hello_type)
  uint16_t record_version = 0;  // 0x0301 for a TLS 1.0 record header
  uint16_t hello_version = 0;   // the hello's legacy version (0x0303 for TLS 1.2 and 1.3)
  uint16_t max_version = 0;     // the highest of supported_versions, else hello_version
  std::string_view sni;         // the first host_name, empty when none
  std::string_view alpn;        // the ALPN list in wire format (length-prefixed names)
  uint32_t record_len = 0;      // bytes of the first record, header included
};

enum class TlsHelloResult : uint8_t {
  kOk,        // a hello was found in the first record; `out` is filled
  kNeedMore,  // the first record is not complete yet
  kNotHello,  // not a TLS handshake record, or a malformed / fragmented hello
};

TlsHelloResult parseTlsHello(std::string_view bytes, TlsHello& out);

// req.ssl_ver's value: major * 65536 + minor (TLS 1.2 is 3.3 = 196611).
inline uint32_t tlsVersionNumber(uint16_t v) {
  return uint32_t(v >> 8) * 65536 + (v & 0xff);
}

}  // namespace lbc::rt

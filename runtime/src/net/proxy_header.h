// The PROXY protocol (v1 text line, v2 binary header) as HAProxy 2.6 reads and writes it.
//
// Reading (`accept-proxy`): HAProxy peeks once at what the client sent when its socket becomes
// readable and decides on those bytes alone: a header cut short is an error ("Truncated"), not a
// wait. parseProxyHeader() takes those bytes and answers with the header's length and what it
// carries; the caller then consumes exactly that many bytes and leaves the rest (a TLS
// ClientHello, a request) in the socket. Its leniencies are HAProxy's: a TCP4 address is read
// digit by digit (`1.2` is 1.2.0.0), ports are not range-checked (truncated to 16 bits), TLVs
// other than CRC32C, AUTHORITY and UNIQUE_ID are skipped, a v2 family other than TCP over IPv4/IPv6
// keeps the socket's addresses.
//
// Writing (`send-proxy`, `send-proxy-v2`, `proxy-v2-options`): buildProxyV1/V2 write what
// HAProxy's make_proxy_line writes, TLVs in its order.
#pragma once
#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "lbc/rt/topology.h"  // the kPp* bits

namespace lbc::rt {

enum class ProxyHdrResult : uint8_t { kOk, kTruncated, kNotHeader, kBadHeader, kBadProto };

struct ProxyHdr {
  size_t len = 0;         // bytes of the header
  int version = 0;        // 1 or 2
  bool has_addr = false;  // src and dst replace the socket's (TCP4/TCP6, v2 PROXY over TCP)
  sockaddr_storage src{}, dst{};
  std::string_view authority, unique_id;  // v2 TLVs, views into the input
};

// On a v2 header whose TLVs are wrong, `out` keeps the addresses already read (has_addr): HAProxy
// has replaced the connection's by then, and its failure log shows them.
ProxyHdrResult parseProxyHeader(std::string_view in, ProxyHdr& out);

// HAProxy's log text for a connection that failed on its PROXY header (conn_err_code_str).
inline constexpr const char* kPrxEmpty = "Connection closed while waiting for PROXY protocol header";
inline constexpr const char* kPrxAbort = "Connection error while waiting for PROXY protocol header";
inline constexpr const char* kPrxTimeout = "Timeout while waiting for PROXY protocol header";
const char* proxyHdrError(ProxyHdrResult r);

// What the header tells about the client's side. Null addresses (a health check): v1 UNKNOWN,
// v2 LOCAL.
struct ProxyHdrSource {
  const sockaddr_storage* src = nullptr;
  const sockaddr_storage* dst = nullptr;
  bool stream = false;  // a client's stream (not a health check): the unique-id TLV is sent, even empty
  std::string_view alpn, authority, unique_id;
  bool ssl = false;  // the client's connection is TLS
  std::string_view ssl_version, ssl_cn, ssl_cipher, ssl_sig_alg, ssl_key_alg;
  bool cert_conn = false, cert_sess = false;
  uint32_t verify = 0;
};

void buildProxyV1(std::string& out, const sockaddr_storage* src, const sockaddr_storage* dst);
void buildProxyV2(std::string& out, uint16_t opts, const ProxyHdrSource& s);
// v2 when kPpV2 is set (it wins over v1, as in HAProxy's make_proxy_line), else v1.
void buildProxyHeader(std::string& out, uint16_t opts, const ProxyHdrSource& s);

}  // namespace lbc::rt

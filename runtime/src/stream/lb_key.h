// The hash a backend's `balance` asks for, computed on the stream's side so the balancer never
// reads the request: the client's address (source), the uri, a url_param's value, a header's.
#pragma once
#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string_view>

#include "lbc/rt/topology.h"

namespace lbc::rt {

struct Txn;

// Absent when the algorithm hashes nothing (roundrobin, leastconn, ...) or the hashed part is
// missing (no transaction, no such parameter or header): the backend then falls back to round
// robin, as HAProxy does. `src` is read by balance source only, `txn` by uri/url_param/hdr only.
std::optional<uint32_t> lbKey(const ProxySpec& be, const sockaddr_storage* src, const Txn* txn);

// The parts, for the tests: the bytes balance uri / url_param / hdr hash, or absent.
std::optional<std::string_view> uriKey(const ProxySpec& be, std::string_view uri);
std::optional<std::string_view> urlParamKey(const ProxySpec& be, std::string_view uri);
std::optional<std::string_view> hdrKey(const ProxySpec& be, const Txn& txn);
// balance source's hash before the avalanche: the IPv4 address, or the IPv6 address's four
// words xor-ed; 0 for other families (unix sockets).
uint32_t sourceHash(const sockaddr_storage* src);

}  // namespace lbc::rt

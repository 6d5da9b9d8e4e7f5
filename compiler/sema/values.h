// Parsers for HAProxy's value syntaxes: durations, sizes, integers, addresses, networks.
// Each returns an error text (empty on success) so callers can point at the offending word.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "ir/ir.h"

namespace lbc::sema {

// `10s`, `500ms`, `1m`, `2h`, `1d`, `100us` (rounded up to 1 ms); a bare number uses `unit_ms`.
std::string parseDuration(std::string_view s, uint64_t& ms, uint64_t unit_ms = 1,
                          std::string* warning = nullptr);
// `16384`, `16k`, `1m`, `2g` (powers of 1024).
std::string parseSize(std::string_view s, uint64_t& bytes);
// A decimal integer within [lo, hi].
std::string parseInt(std::string_view s, int64_t& v, int64_t lo, int64_t hi);

enum class AddrUse { Bind, Server, Other };
// Parses every address form of bind and server lines. `resolve` looks host names up (servers
// and binds, as HAProxy does at check time).
std::string parseAddress(std::string_view s, AddrUse use, bool resolve, ir::Address& out);
// `10.0.0.0/8`, `192.168.1.1`, `2001:db8::/32`, `10.0.0.0/255.0.0.0`.
std::string parseNetwork(std::string_view s, uint8_t ip[16], uint8_t& prefix, bool& ipv6);

}  // namespace lbc::sema

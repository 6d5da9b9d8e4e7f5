// The hash functions of `hash-type` (HAProxy's hash.c) and the avalanche it may add. The stream
// hashes the request's part with them (stream/lb_key.h); the consistent-hash ring places its
// servers with fullHash.
#pragma once
#include <cstdint>
#include <string_view>

#include "lbc/rt/topology.h"

namespace lbc::rt {

// HAProxy 2.6's full_hash: Bob Jenkins' 32-bit integer avalanche, then a product with a large prime
// near 3/4 of 2^32 that spreads the values over the whole ring (it changes nothing modulo a power
// of two, so only consistent-hash rings and maps of other sizes show it).
uint32_t fullHash(uint32_t a);

uint32_t hashSdbm(std::string_view k);
uint32_t hashDjb2(std::string_view k);
uint32_t hashWt6(std::string_view k);
uint32_t hashCrc32(std::string_view k);

// `hash-type`'s function over `key`, then its avalanche when asked.
uint32_t hashKey(const ProxySpec& spec, std::string_view key);

}  // namespace lbc::rt

// HAProxy 2.6's hash functions (hash.c) and its full_hash avalanche: the one copy, used by the
// balancer's `hash-type` (runtime/src/upstream/hash.cpp) and by the hash converters
// (stdlib/src/rt/conv_hash.cpp). Over the bytes as unsigned, as hash.c does.
#pragma once
#include <cstdint>
#include <string_view>

namespace lbc::hash {

inline uint32_t rotl(uint32_t v, uint32_t n) {
  n &= 31;
  return n ? (v << n) | (v >> (32 - n)) : v;
}

// Bob Jenkins' 32-bit integer avalanche, then a product with a large prime near 3/4 of 2^32.
inline uint32_t fullHash(uint32_t a) {
  a = (a + 0x7ed55d16) + (a << 12);
  a = (a ^ 0xc761c23c) ^ (a >> 19);
  a = (a + 0x165667b1) + (a << 5);
  a = (a + 0xd3a2646c) ^ (a << 9);
  a = (a + 0xfd7046c5) + (a << 3);
  a = (a ^ 0xb55a4f09) ^ (a >> 16);
  return a * 3221225473u;
}

inline uint32_t sdbm(std::string_view k) {
  uint32_t h = 0;
  for (unsigned char c : k) h = c + (h << 6) + (h << 16) - h;
  return h;
}

inline uint32_t djb2(std::string_view k) {
  uint32_t h = 5381;
  for (unsigned char c : k) h = ((h << 5) + h) + c;
  return h;
}

inline uint32_t wt6(std::string_view k) {
  uint32_t h0 = 0xa53c965a, h1 = 0x5ca6953a, step0 = 6, step1 = 18;
  for (unsigned char c : k) {
    uint32_t t = c;
    h0 = ~(h0 ^ t);
    h1 = ~(h1 + t);
    t = rotl(h1, step0);
    h1 = rotl(h0, step1);
    h0 = t;
    t = ((h0 >> 16) ^ h1) & 0xffff;
    step0 = t & 0x1f;
    step1 = t >> 11;
  }
  return h0 ^ h1;
}

// Reflected CRC-32 with `poly`: 0xedb88320 (crc32, hash-type crc32) or 0x82f63b78 (crc32c).
inline uint32_t crc(std::string_view k, uint32_t poly) {
  uint32_t h = ~0u;
  for (unsigned char c : k) {
    h ^= c;
    for (int b = 0; b < 8; ++b) h = (h >> 1) ^ ((h & 1) ? poly : 0);
  }
  return ~h;
}

inline constexpr uint32_t kCrc32 = 0xedb88320u, kCrc32c = 0x82f63b78u;

}  // namespace lbc::hash

#include "hash.h"

namespace lbc::rt {
namespace {

uint32_t rotl(uint32_t v, uint32_t n) {
  n &= 31;
  return n ? (v << n) | (v >> (32 - n)) : v;
}

}  // namespace

uint32_t fullHash(uint32_t a) {
  a = (a + 0x7ed55d16) + (a << 12);
  a = (a ^ 0xc761c23c) ^ (a >> 19);
  a = (a + 0x165667b1) + (a << 5);
  a = (a + 0xd3a2646c) ^ (a << 9);
  a = (a + 0xfd7046c5) + (a << 3);
  a = (a ^ 0xb55a4f09) ^ (a >> 16);
  return a * 3221225473u;
}

// Over the bytes as unsigned, as hash.c does.
uint32_t hashSdbm(std::string_view k) {
  uint32_t h = 0;
  for (unsigned char c : k) h = c + (h << 6) + (h << 16) - h;
  return h;
}

uint32_t hashDjb2(std::string_view k) {
  uint32_t h = 5381;
  for (unsigned char c : k) h = ((h << 5) + h) + c;
  return h;
}

uint32_t hashWt6(std::string_view k) {
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

uint32_t hashCrc32(std::string_view k) {
  uint32_t h = ~0u;
  for (unsigned char c : k) {
    h ^= c;
    for (int b = 0; b < 8; ++b) h = (h >> 1) ^ ((h & 1) ? 0xedb88320u : 0);
  }
  return ~h;
}

uint32_t hashKey(const ProxySpec& spec, std::string_view key) {
  uint32_t hash = 0;
  switch (spec.hash_fn) {
    case HashFn::Sdbm:
      hash = hashSdbm(key);
      break;
    case HashFn::Djb2:
      hash = hashDjb2(key);
      break;
    case HashFn::Wt6:
      hash = hashWt6(key);
      break;
    case HashFn::Crc32:
      hash = hashCrc32(key);
      break;
  }
  return spec.hash_avalanche ? fullHash(hash) : hash;
}

}  // namespace lbc::rt

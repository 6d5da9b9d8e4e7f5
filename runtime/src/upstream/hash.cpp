#include "upstream/hash.h"

#include "lbc/hash.h"

namespace lbc::rt {

uint32_t fullHash(uint32_t a) {
  return hash::fullHash(a);
}
uint32_t hashSdbm(std::string_view k) {
  return hash::sdbm(k);
}
uint32_t hashDjb2(std::string_view k) {
  return hash::djb2(k);
}
uint32_t hashWt6(std::string_view k) {
  return hash::wt6(k);
}
uint32_t hashCrc32(std::string_view k) {
  return hash::crc(k, hash::kCrc32);
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

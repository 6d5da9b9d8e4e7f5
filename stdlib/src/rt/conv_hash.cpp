// Hash converters (HAProxy 2.6 hash.c): 32-bit hashes of the input bytes, returned as unsigned
// integers; a non-zero argument adds HAProxy's full_hash avalanche.
#include "internal.h"

using namespace lbc::rt;
using namespace lbc::rt::detail;

namespace {

uint32_t avalanche(uint32_t a) {
  a = (a + 0x7ed55d16) + (a << 12);
  a = (a ^ 0xc761c23c) ^ (a >> 19);
  a = (a + 0x165667b1) + (a << 5);
  a = (a + 0xd3a2646c) ^ (a << 9);
  a = (a + 0xfd7046c5) + (a << 3);
  a = (a ^ 0xb55a4f09) ^ (a >> 16);
  return a * 3221225473u;
}

uint32_t rotl(uint32_t v, uint32_t n) {
  n &= 31;
  return n ? (v << n) | (v >> (32 - n)) : v;
}

uint32_t sdbm(std::string_view k) {
  uint32_t h = 0;
  for (unsigned char c : k) h = c + (h << 6) + (h << 16) - h;
  return h;
}
uint32_t djb2(std::string_view k) {
  uint32_t h = 5381;
  for (unsigned char c : k) h = ((h << 5) + h) + c;
  return h;
}
uint32_t wt6(std::string_view k) {
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
uint32_t crc(std::string_view k, uint32_t poly) {
  uint32_t h = ~0u;
  for (unsigned char c : k) {
    h ^= c;
    for (int b = 0; b < 8; ++b) h = (h >> 1) ^ ((h & 1) ? poly : 0);
  }
  return ~h;
}

int32_t hashConv(lbc_txn* txn, const lbc_arg* args, uint32_t nargs, lbc_smp* s,
                 uint32_t (*fn)(std::string_view)) {
  if (lbc_rt_smp_cast(txn, s, LBC_SMP_BIN) != 1) return setNone(s), 0;
  uint32_t h = fn(view(*s));
  if (nargs > 0 && args[0].num) h = avalanche(h);
  setInt(s, static_cast<int64_t>(h));
  return 1;
}

}  // namespace

#define CONV(Id) int32_t lbc_conv_##Id(lbc_txn* txn, const lbc_arg* args, uint32_t nargs, lbc_smp* s)

extern "C" {

CONV(sdbm) {
  return hashConv(txn, args, nargs, s, sdbm);
}
CONV(djb2) {
  return hashConv(txn, args, nargs, s, djb2);
}
CONV(wt6) {
  return hashConv(txn, args, nargs, s, wt6);
}
CONV(crc32) {
  return hashConv(txn, args, nargs, s, [](std::string_view k) { return crc(k, 0xedb88320u); });
}
CONV(crc32c) {
  return hashConv(txn, args, nargs, s, [](std::string_view k) { return crc(k, 0x82f63b78u); });
}

}  // extern "C"

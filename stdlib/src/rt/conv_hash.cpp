// Hash converters (HAProxy 2.6 hash.c): 32-bit hashes of the input bytes, returned as unsigned
// integers; a non-zero argument adds HAProxy's full_hash avalanche.
#include "internal.h"
#include "lbc/hash.h"

using namespace lbc::rt;
using namespace lbc::rt::detail;

namespace {

int32_t hashConv(lbc_txn* txn, const lbc_arg* args, uint32_t nargs, lbc_smp* s,
                 uint32_t (*fn)(std::string_view)) {
  if (lbc_rt_smp_cast(txn, s, LBC_SMP_BIN) != 1) return setNone(s), 0;
  uint32_t h = fn(view(*s));
  if (nargs > 0 && args[0].num) h = lbc::hash::fullHash(h);
  setInt(s, static_cast<int64_t>(h));
  return 1;
}

}  // namespace

#define CONV(Id) int32_t lbc_conv_##Id(lbc_txn* txn, const lbc_arg* args, uint32_t nargs, lbc_smp* s)

extern "C" {

CONV(sdbm) {
  return hashConv(txn, args, nargs, s, lbc::hash::sdbm);
}
CONV(djb2) {
  return hashConv(txn, args, nargs, s, lbc::hash::djb2);
}
CONV(wt6) {
  return hashConv(txn, args, nargs, s, lbc::hash::wt6);
}
CONV(crc32) {
  return hashConv(txn, args, nargs, s,
                  [](std::string_view k) { return lbc::hash::crc(k, lbc::hash::kCrc32); });
}
CONV(crc32c) {
  return hashConv(txn, args, nargs, s,
                  [](std::string_view k) { return lbc::hash::crc(k, lbc::hash::kCrc32c); });
}

}  // extern "C"

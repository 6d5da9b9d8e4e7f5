// Digest and fast-hash converters (HAProxy 2.6): sha1, sha2, digest and hmac through OpenSSL's
// EVP (binary out), xxh32 / xxh64 as the xxHash specification defines them.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstring>
#include <string>

#include "internal.h"

using namespace lbc::rt;
using namespace lbc::rt::detail;

namespace {

int32_t fail(lbc_smp* s) {
  setNone(s);
  return 0;
}
int32_t outBin(lbc_txn* txn, lbc_smp* s, const unsigned char* p, size_t n) {
  bool ok = false;
  std::string_view c = T(txn).arena.copy(std::string_view(reinterpret_cast<const char*>(p), n), &ok);
  if (!ok) return fail(s);
  setStr(s, c, LBC_SMP_BIN);
  return 1;
}

int32_t digestWith(lbc_txn* txn, lbc_smp* s, const EVP_MD* md) {
  if (!md || lbc_rt_smp_cast(txn, s, LBC_SMP_BIN) != 1) return fail(s);
  unsigned char buf[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  std::string_view in = view(*s);
  if (!EVP_Digest(in.data(), in.size(), buf, &n, md, nullptr)) return fail(s);
  return outBin(txn, s, buf, n);
}

bool base64Decode(std::string_view in, std::string& out) {
  static const char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  if (in.size() % 4) return false;
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '=' && i + 2 >= in.size()) continue;
    const char* p = in[i] ? std::strchr(kB64, in[i]) : nullptr;
    if (!p) return false;
    acc = (acc << 6) | static_cast<uint32_t>(p - kB64);
    bits += 6;
    if (bits >= 8) bits -= 8, out += static_cast<char>((acc >> bits) & 0xff);
  }
  return true;
}

uint32_t rd32(const unsigned char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;  // little-endian host, as xxHash reads
}
uint64_t rd64(const unsigned char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
uint32_t rotl32(uint32_t v, int n) {
  return (v << n) | (v >> (32 - n));
}
uint64_t rotl64(uint64_t v, int n) {
  return (v << n) | (v >> (64 - n));
}

uint32_t xxh32(std::string_view in, uint32_t seed) {
  constexpr uint32_t P1 = 2654435761u, P2 = 2246822519u, P3 = 3266489917u, P4 = 668265263u, P5 = 374761393u;
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  const unsigned char* end = p + in.size();
  uint32_t h;
  if (in.size() >= 16) {
    uint32_t v[4] = {seed + P1 + P2, seed + P2, seed, seed - P1};
    for (; p + 16 <= end; p += 16)
      for (int i = 0; i < 4; ++i) v[i] = rotl32(v[i] + rd32(p + 4 * i) * P2, 13) * P1;
    h = rotl32(v[0], 1) + rotl32(v[1], 7) + rotl32(v[2], 12) + rotl32(v[3], 18);
  } else {
    h = seed + P5;
  }
  h += static_cast<uint32_t>(in.size());
  for (; p + 4 <= end; p += 4) h = rotl32(h + rd32(p) * P3, 17) * P4;
  for (; p < end; ++p) h = rotl32(h + *p * P5, 11) * P1;
  h ^= h >> 15, h *= P2, h ^= h >> 13, h *= P3, h ^= h >> 16;
  return h;
}

uint64_t xxh64(std::string_view in, uint64_t seed) {
  constexpr uint64_t P1 = 11400714785074694791ull, P2 = 14029467366897019727ull, P3 = 1609587929392839161ull,
                     P4 = 9650029242287828579ull, P5 = 2870177450012600261ull;
  auto round = [](uint64_t acc, uint64_t lane) { return rotl64(acc + lane * P2, 31) * P1; };
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  const unsigned char* end = p + in.size();
  uint64_t h;
  if (in.size() >= 32) {
    uint64_t v[4] = {seed + P1 + P2, seed + P2, seed, seed - P1};
    for (; p + 32 <= end; p += 32)
      for (int i = 0; i < 4; ++i) v[i] = round(v[i], rd64(p + 8 * i));
    h = rotl64(v[0], 1) + rotl64(v[1], 7) + rotl64(v[2], 12) + rotl64(v[3], 18);
    for (uint64_t x : v) h = (h ^ round(0, x)) * P1 + P4;
  } else {
    h = seed + P5;
  }
  h += in.size();
  for (; p + 8 <= end; p += 8) h = rotl64(h ^ round(0, rd64(p)), 27) * P1 + P4;
  if (p + 4 <= end) h = rotl64(h ^ (uint64_t{rd32(p)} * P1), 23) * P2 + P3, p += 4;
  for (; p < end; ++p) h = rotl64(h ^ (*p * P5), 11) * P1;
  h ^= h >> 33, h *= P2, h ^= h >> 29, h *= P3, h ^= h >> 32;
  return h;
}

}  // namespace

#define CONV(Id) int32_t lbc_conv_##Id(lbc_txn* txn, const lbc_arg* args, uint32_t nargs, lbc_smp* s)

extern "C" {

CONV(sha1) {
  (void)args, (void)nargs;
  return digestWith(txn, s, EVP_sha1());
}
CONV(sha2) {
  int64_t bits = nargs > 0 && args[0].str ? args[0].num : 256;
  const EVP_MD* md = bits == 224   ? EVP_sha224()
                     : bits == 256 ? EVP_sha256()
                     : bits == 384 ? EVP_sha384()
                     : bits == 512 ? EVP_sha512()
                                   : nullptr;
  return digestWith(txn, s, md);
}
CONV(digest) {
  std::string name(argStr(args, nargs, 0));
  return digestWith(txn, s, EVP_get_digestbyname(name.c_str()));
}
// hmac(algorithm, key): the key is written in base64.
CONV(hmac) {
  std::string name(argStr(args, nargs, 0)), key;
  const EVP_MD* md = EVP_get_digestbyname(name.c_str());
  if (!md || !base64Decode(argStr(args, nargs, 1), key) || lbc_rt_smp_cast(txn, s, LBC_SMP_BIN) != 1)
    return fail(s);
  unsigned char buf[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  std::string_view in = view(*s);
  if (!HMAC(md, key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(in.data()),
            in.size(), buf, &n))
    return fail(s);
  return outBin(txn, s, buf, n);
}
CONV(xxh32) {
  if (lbc_rt_smp_cast(txn, s, LBC_SMP_BIN) != 1) return fail(s);
  setInt(s, xxh32(view(*s), static_cast<uint32_t>(nargs > 0 ? args[0].num : 0)));
  return 1;
}
CONV(xxh64) {
  if (lbc_rt_smp_cast(txn, s, LBC_SMP_BIN) != 1) return fail(s);
  setInt(s, static_cast<int64_t>(xxh64(view(*s), static_cast<uint64_t>(nargs > 0 ? args[0].num : 0))));
  return 1;
}

}  // extern "C"

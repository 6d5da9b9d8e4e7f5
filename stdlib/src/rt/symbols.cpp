// The ABI symbol table (JIT symbol map, codegen declarations) and the registry -> helper lookup,
// both generated from abi.h's X-macro lists.
#include <type_traits>

#include "lbc/abi.h"
#include "lbc/stdlib/exec.h"

namespace {

// The signature code of a C type (abi.h, "helpers"): v void, i 32-bit integer, l 64-bit
// integer, p any pointer. A type without a code does not compile.
template <class T>
struct SigCode;
template <>
struct SigCode<void> {
  static constexpr char kCode = 'v';
};
template <>
struct SigCode<int32_t> {
  static constexpr char kCode = 'i';
};
template <>
struct SigCode<uint32_t> {
  static constexpr char kCode = 'i';
};
template <>
struct SigCode<int64_t> {
  static constexpr char kCode = 'l';
};
template <>
struct SigCode<uint64_t> {
  static constexpr char kCode = 'l';
};
template <class T>
struct SigCode<T*> {
  static constexpr char kCode = 'p';
};

// The signature code of a function type: the return type's code, then one per argument.
template <class F>
struct SigOf;
template <class R, class... A>
struct SigOf<R (*)(A...)> {
  static constexpr char kCode[] = {SigCode<R>::kCode, SigCode<A>::kCode..., '\0'};
};

constexpr bool sameSig(const char* a, const char* b) {
  for (; *a && *a == *b; ++a, ++b) {
  }
  return *a == *b;
}

// Every helper's prototype must say what its signature code says: codegen declares the helper
// from the code, so a mismatch would be a silent ABI break.
#define LBC_CHECK_SIG(Name, Sig)                             \
  static_assert(sameSig(SigOf<decltype(&Name)>::kCode, Sig), \
                #Name ": prototype does not match its signature code");
LBC_ABI_HELPERS(LBC_CHECK_SIG)
#undef LBC_CHECK_SIG
#define LBC_CHECK_FETCH_SIG(Id) \
  static_assert(sameSig(SigOf<decltype(&lbc_fetch_##Id)>::kCode, LBC_ABI_FETCH_SIG), "lbc_fetch_" #Id);
LBC_ABI_FETCHES(LBC_CHECK_FETCH_SIG)
#undef LBC_CHECK_FETCH_SIG
#define LBC_CHECK_CONV_SIG(Id) \
  static_assert(sameSig(SigOf<decltype(&lbc_conv_##Id)>::kCode, LBC_ABI_CONV_SIG), "lbc_conv_" #Id);
LBC_ABI_CONVS(LBC_CHECK_CONV_SIG)
#undef LBC_CHECK_CONV_SIG

}  // namespace

extern "C" {

const lbc_abi_symbol lbc_abi_symbols[] = {
#define LBC_SYM(Name, Sig) {#Name, reinterpret_cast<void*>(&Name), Sig},
    LBC_ABI_HELPERS(LBC_SYM)
#undef LBC_SYM
#define LBC_SYM_FETCH(Id) {"lbc_fetch_" #Id, reinterpret_cast<void*>(&lbc_fetch_##Id), LBC_ABI_FETCH_SIG},
        LBC_ABI_FETCHES(LBC_SYM_FETCH)
#undef LBC_SYM_FETCH
#define LBC_SYM_CONV(Id) {"lbc_conv_" #Id, reinterpret_cast<void*>(&lbc_conv_##Id), LBC_ABI_CONV_SIG},
            LBC_ABI_CONVS(LBC_SYM_CONV)
#undef LBC_SYM_CONV
};
const uint32_t lbc_abi_symbol_count = sizeof lbc_abi_symbols / sizeof lbc_abi_symbols[0];

}  // extern "C"

namespace lbc::stdlib {

// Default: no helper. Specialised below for every id of LBC_ABI_FETCHES / LBC_ABI_CONVS, so a
// registry id and a helper meet only by name, and a typo fails to compile.
template <FetchId>
constexpr HelperRef kFetch{};
template <ConvId>
constexpr HelperRef kConv{};

#define LBC_IMPL_FETCH(Id) \
  template <>              \
  constexpr HelperRef kFetch<FetchId::Id>{"lbc_fetch_" #Id, &lbc_fetch_##Id};
LBC_ABI_FETCHES(LBC_IMPL_FETCH)
#undef LBC_IMPL_FETCH
#define LBC_IMPL_CONV(Id) \
  template <>             \
  constexpr HelperRef kConv<ConvId::Id>{"lbc_conv_" #Id, &lbc_conv_##Id};
LBC_ABI_CONVS(LBC_IMPL_CONV)
#undef LBC_IMPL_CONV

HelperRef fetchHelper(FetchId id) {
  static constexpr HelperRef kTable[] = {
#define LBC_FETCH(Id, ...) kFetch<FetchId::Id>,
#include "registry/fetches.def"
#undef LBC_FETCH
  };
  auto i = static_cast<size_t>(id);
  return i < std::size(kTable) ? kTable[i] : HelperRef{};
}

HelperRef convHelper(ConvId id) {
  static constexpr HelperRef kTable[] = {
#define LBC_CONV(Id, ...) kConv<ConvId::Id>,
#include "registry/converters.def"
#undef LBC_CONV
  };
  auto i = static_cast<size_t>(id);
  return i < std::size(kTable) ? kTable[i] : HelperRef{};
}

bool fetchIsMulti(FetchId id) {
  switch (id) {
    case FetchId::hdr:
    case FetchId::req_hdr:
    case FetchId::req_fhdr:
    case FetchId::res_hdr:
    case FetchId::shdr:
    case FetchId::hdr_ip:
    case FetchId::req_hdr_ip:
    case FetchId::cook:
    case FetchId::req_cook:
    case FetchId::url_param:
    case FetchId::hdr_val:
    case FetchId::req_hdr_val:
    case FetchId::res_hdr_val:
    case FetchId::shdr_val:
    case FetchId::http_auth_group:  // an ACL matches the user's groups
      return true;
    default:
      return false;
  }
}

}  // namespace lbc::stdlib

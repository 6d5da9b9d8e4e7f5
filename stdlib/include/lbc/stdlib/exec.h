// What the execution engines (interpreter, codegen) share about running IR through the ABI:
// the helper that implements each registry fetch/converter, log-format flags and aliases.
// Everything here comes from abi.h's X-macro lists and the registry ids, never from a second list.
#pragma once
#include <cstdint>
#include <string_view>

#include "lbc/abi.h"
#include "lbc/stdlib/types.h"

namespace lbc::stdlib {

using SampleHelper = int32_t (*)(lbc_txn*, const lbc_arg*, uint32_t, lbc_smp*);

struct HelperRef {
  const char* name = nullptr;  // "lbc_fetch_req_hdr"; nullptr when no helper implements it
  SampleHelper fn = nullptr;
};

// The helper implementing a fetch / converter (defined in lbc_stdlib_rt).
HelperRef fetchHelper(FetchId id);
HelperRef convHelper(ConvId id);

// Multi-valued fetches: an ACL iterates over every value (LBC_SMPF_MULTI).
bool fetchIsMulti(FetchId id);

// `+Q`, `-X`, ... as written between %{ and } -> LBC_LF_* bits.
inline int32_t lfFlags(std::string_view text) {
  int32_t f = 0;
  for (size_t i = 0; i + 1 < text.size(); ++i) {
    if (text[i] != '+') continue;
    switch (text[i + 1]) {
      case 'Q':
        f |= LBC_LF_QUOTE;
        break;
      case 'X':
        f |= LBC_LF_HEX;
        break;
      case 'E':
        f |= LBC_LF_ESC;
        break;
      default:
        break;
    }
  }
  return f;
}

// The flags of an item of a rule's format: every format lbc compiles today is a rule argument,
// rendered in HAProxy's HTTP context (LBC_LF_HTTP). A log line's format would use lfFlags() alone.
inline int32_t lfRuleFlags(std::string_view text) {
  return lfFlags(text) | LBC_LF_HTTP;
}

// A log-format alias usable in rule formats -> LBC_ALIAS_*, or -1 when lbc does not render it.
inline int32_t lfAlias(std::string_view name) {
  static constexpr std::string_view kNames[LBC_ALIAS_COUNT] = {"ci", "cp", "fi", "fp", "f",  "ft", "b",
                                                               "HM", "HU", "HP", "HQ", "HV", "r",  "ST"};
  for (int32_t i = 0; i < LBC_ALIAS_COUNT; ++i)
    if (kNames[i] == name) return i;
  return -1;
}

}  // namespace lbc::stdlib

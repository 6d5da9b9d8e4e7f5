// Vocabulary shared by the keyword registry, the IR and (later) the runtime ABI: sample types,
// match methods, section and rule-set masks, and the keyword ids generated from the .def files.
#pragma once
#include <cstdint>

#include "lbc/abi.h"

namespace lbc::stdlib {

// Section kinds, as a mask: where a directive is valid.
enum SectionMask : uint32_t {
  kGlobal = 1u << 0,
  kDefaults = 1u << 1,
  kFrontend = 1u << 2,
  kListen = 1u << 3,
  kBackend = 1u << 4,
  kPeers = 1u << 5,
  kResolvers = 1u << 6,
  kUserlist = 1u << 7,
  kCache = 1u << 8,
  kHttpErrors = 1u << 9,
  kRing = 1u << 10,
  kMailers = 1u << 11,
  kProgram = 1u << 12,
  kFcgiApp = 1u << 13,
  kLogForward = 1u << 14,
};

// The hooks of a compiled program, in HAProxy's analyser order: derived from LBC_HOOKS (abi.h).
enum class Hook : uint8_t {
#define LBC_STDLIB_HOOK(field, Name, KIND, text) Name,
  LBC_HOOKS(LBC_STDLIB_HOOK)
#undef LBC_STDLIB_HOOK
};
#define LBC_STDLIB_HOOK(field, Name, KIND, text) +1
inline constexpr uint32_t kHookCount = 0 LBC_HOOKS(LBC_STDLIB_HOOK);
#undef LBC_STDLIB_HOOK
const char* hookName(Hook h);  // "tcp-request connection", "use_backend", ...

// The rule sets: the hooks that run a list of rules (LBC_HOOKS' RULES entries, same order).
enum class RuleSet : uint8_t {
#define LBC_STDLIB_RULESET_ENTRY(Name) Name,
#define LBC_STDLIB_RULESET(field, Name, KIND, text) LBC_HOOK_IF_RULES_##KIND(LBC_STDLIB_RULESET_ENTRY(Name))
  LBC_HOOKS(LBC_STDLIB_RULESET)
#undef LBC_STDLIB_RULESET
#undef LBC_STDLIB_RULESET_ENTRY
};
#define LBC_STDLIB_RULESET(field, Name, KIND, text) LBC_HOOK_IF_RULES_##KIND(+1)
inline constexpr uint32_t kRuleSetCount = 0 LBC_HOOKS(LBC_STDLIB_RULESET);
#undef LBC_STDLIB_RULESET
const char* ruleSetName(RuleSet s);  // "tcp-request connection", ...
Hook hookOf(RuleSet s);

// Rule sets, as a mask: where an action is valid (bit = the RuleSet's value).
enum RuleSetMask : uint32_t {
#define LBC_STDLIB_MASK_ENTRY(Name) k##Name = 1u << static_cast<uint32_t>(RuleSet::Name),
#define LBC_STDLIB_MASK(field, Name, KIND, text) LBC_HOOK_IF_RULES_##KIND(LBC_STDLIB_MASK_ENTRY(Name))
  LBC_HOOKS(LBC_STDLIB_MASK)
#undef LBC_STDLIB_MASK
#undef LBC_STDLIB_MASK_ENTRY
};
inline constexpr RuleSetMask maskOf(RuleSet s) {
  return static_cast<RuleSetMask>(1u << static_cast<uint32_t>(s));
}

enum class Status : uint8_t {
  Supported,    // lbc implements it
  Unsupported,  // HAProxy knows it, lbc does not yet: an error naming it
  Removed,      // HAProxy removed it: an error naming the modern replacement
};

enum class SmpType : uint8_t { Bool, Sint, Addr, Ipv4, Ipv6, Str, Bin, Meth, Any };
const char* smpTypeName(SmpType t);

enum class MatchMethod : uint8_t { Found, Bool, Int, Ip, Bin, Len, Str, Sub, Reg, Beg, End, Dir, Dom };
const char* matchMethodName(MatchMethod m);

// Where a sample fetch's data exists: HAProxy's 22 usage columns (`haproxy -dKall`), one bit each.
enum UsagePoint : uint32_t {
  kUseFeTcpReqConn = 0,
  kUseFeTcpReqSess,
  kUseFeTcpReqCont,
  kUseFeHttpReqHdr,
  kUseFeHttpReqBody,
  kUseFeUseBackend,
  kUseBeTcpReqCont,
  kUseBeHttpReqHdr,
  kUseBeHttpReqBody,
  kUseBeSwitchStick,
  kUseSrvSource,
  kUseBeTcpResCont,
  kUseBeHttpResHdr,
  kUseBeHttpResBody,
  kUseBeStickStore,
  kUseFeTcpResCont,
  kUseFeHttpResHdr,
  kUseFeHttpResBody,
  kUseLog,
  kUseBeTcpCheck,
  kUseCfgParser,
  kUseCli,
  kUseCount
};
constexpr uint32_t usageMask(const char (&s)[kUseCount + 1]) {
  uint32_t m = 0;
  for (uint32_t i = 0; i < kUseCount; ++i)
    if (s[i] == 'Y') m |= 1u << i;
  return m;
}

enum class DirectiveId : uint16_t {
#define LBC_DIRECTIVE(Id, ...) Id,
#include "registry/directives.def"
#undef LBC_DIRECTIVE
  kCount
};
enum class OptionId : uint16_t {
#define LBC_OPTION(Id, ...) Id,
#include "registry/options.def"
#undef LBC_OPTION
  kCount
};
enum class BindOptId : uint16_t {
#define LBC_BIND_OPT(Id, ...) Id,
#include "registry/bind_opts.def"
#undef LBC_BIND_OPT
  kCount
};
enum class ServerOptId : uint16_t {
#define LBC_SERVER_OPT(Id, ...) Id,
#include "registry/server_opts.def"
#undef LBC_SERVER_OPT
  kCount
};
enum class FetchId : uint16_t {
#define LBC_FETCH(Id, ...) Id,
#include "registry/fetches.def"
#undef LBC_FETCH
  kCount
};
enum class ConvId : uint16_t {
#define LBC_CONV(Id, ...) Id,
#include "registry/converters.def"
#undef LBC_CONV
  kCount
};
enum class ActionId : uint16_t {
#define LBC_ACTION(Id, ...) Id,
#include "registry/actions.def"
#undef LBC_ACTION
  kCount
};

}  // namespace lbc::stdlib

#include "lbc/stdlib/registry.h"

#include <bit>
#include <string>
#include <unordered_map>

namespace lbc::stdlib {
namespace {

constexpr DirectiveInfo kDirectives[] = {
#define LBC_DIRECTIVE(Id, Name, Sections, St, Repl, Doc) \
  {DirectiveId::Id, Name, Sections, Status::St, Repl, Doc},
#include "registry/directives.def"
#undef LBC_DIRECTIVE
};
constexpr OptionInfo kOptions[] = {
#define LBC_OPTION(Id, Name, Sections, St, Repl, Doc) {OptionId::Id, Name, Sections, Status::St, Repl, Doc},
#include "registry/options.def"
#undef LBC_OPTION
};
constexpr BindOptInfo kBindOpts[] = {
#define LBC_BIND_OPT(Id, Name, N, St, Doc) {BindOptId::Id, Name, N, Status::St, Doc},
#include "registry/bind_opts.def"
#undef LBC_BIND_OPT
};
constexpr ServerOptInfo kServerOpts[] = {
#define LBC_SERVER_OPT(Id, Name, N, St, Doc) {ServerOptId::Id, Name, N, Status::St, Doc},
#include "registry/server_opts.def"
#undef LBC_SERVER_OPT
};
constexpr FetchInfo kFetches[] = {
#define LBC_FETCH(Id, Name, Args, Out, Usage, St, Doc) \
  {FetchId::Id, Name, Args, SmpType::Out, usageMask(Usage), Status::St, Doc},
#include "registry/fetches.def"
#undef LBC_FETCH
};
constexpr ConvInfo kConvs[] = {
#define LBC_CONV(Id, Name, Args, In, Out, St, Doc) \
  {ConvId::Id, Name, Args, SmpType::In, SmpType::Out, Status::St, Doc},
#include "registry/converters.def"
#undef LBC_CONV
};
constexpr AclKwInfo kAclKws[] = {
#define LBC_ACL_KW(Name, Fetch, Method) {Name, Fetch, MatchMethod::Method},
#include "registry/acl_keywords.def"
#undef LBC_ACL_KW
};
constexpr PredefAclInfo kPredefAcls[] = {
#define LBC_PREDEF_ACL(Name, Expr, Doc) {Name, Expr, Doc},
#include "registry/predefined_acls.def"
#undef LBC_PREDEF_ACL
};
constexpr ActionInfo kActions[] = {
#define LBC_ACTION(Id, Name, Prefix, Sets, St, Doc) {ActionId::Id, Name, Prefix != 0, Sets, Status::St, Doc},
#include "registry/actions.def"
#undef LBC_ACTION
};

template <typename T>
const std::unordered_multimap<std::string_view, const T*>& indexOf(std::span<const T> table) {
  static const auto* m = [&] {
    auto* map = new std::unordered_multimap<std::string_view, const T*>();
    for (const T& e : table) map->emplace(e.name, &e);
    return map;
  }();
  return *m;
}

template <typename T>
const T* findOne(std::span<const T> table, std::string_view name) {
  const auto& m = indexOf(table);
  auto it = m.find(name);
  return it == m.end() ? nullptr : it->second;
}

}  // namespace

const char* smpTypeName(SmpType t) {
  switch (t) {
    case SmpType::Bool:
      return "bool";
    case SmpType::Sint:
      return "integer";
    case SmpType::Addr:
      return "address";
    case SmpType::Ipv4:
      return "ipv4";
    case SmpType::Ipv6:
      return "ipv6";
    case SmpType::Str:
      return "string";
    case SmpType::Bin:
      return "binary";
    case SmpType::Meth:
      return "method";
    case SmpType::Any:
      return "any";
  }
  return "?";
}

const char* matchMethodName(MatchMethod m) {
  switch (m) {
    case MatchMethod::Found:
      return "found";
    case MatchMethod::Bool:
      return "bool";
    case MatchMethod::Int:
      return "int";
    case MatchMethod::Ip:
      return "ip";
    case MatchMethod::Bin:
      return "bin";
    case MatchMethod::Len:
      return "len";
    case MatchMethod::Str:
      return "str";
    case MatchMethod::Sub:
      return "sub";
    case MatchMethod::Reg:
      return "reg";
    case MatchMethod::Beg:
      return "beg";
    case MatchMethod::End:
      return "end";
    case MatchMethod::Dir:
      return "dir";
    case MatchMethod::Dom:
      return "dom";
  }
  return "?";
}

const char* sectionName(SectionMask s) {
  switch (s) {
    case kGlobal:
      return "global";
    case kDefaults:
      return "defaults";
    case kFrontend:
      return "frontend";
    case kListen:
      return "listen";
    case kBackend:
      return "backend";
    case kPeers:
      return "peers";
    case kResolvers:
      return "resolvers";
    case kUserlist:
      return "userlist";
    case kCache:
      return "cache";
    case kHttpErrors:
      return "http-errors";
    case kRing:
      return "ring";
    case kMailers:
      return "mailers";
    case kProgram:
      return "program";
    case kFcgiApp:
      return "fcgi-app";
    case kLogForward:
      return "log-forward";
  }
  return "?";
}

const char* hookName(Hook h) {
  static constexpr const char* kNames[] = {
#define LBC_HOOK_NAME(field, Name, KIND, text) text,
      LBC_HOOKS(LBC_HOOK_NAME)
#undef LBC_HOOK_NAME
  };
  auto i = static_cast<uint32_t>(h);
  return i < kHookCount ? kNames[i] : "?";
}

Hook hookOf(RuleSet s) {
  static constexpr Hook kHooks[] = {
#define LBC_HOOK_ENTRY(Name) Hook::Name,
#define LBC_HOOK_OF(field, Name, KIND, text) LBC_HOOK_IF_RULES_##KIND(LBC_HOOK_ENTRY(Name))
      LBC_HOOKS(LBC_HOOK_OF)
#undef LBC_HOOK_OF
#undef LBC_HOOK_ENTRY
  };
  return kHooks[static_cast<uint32_t>(s)];
}

const char* ruleSetName(RuleSet s) {
  return hookName(hookOf(s));
}

const char* ruleSetName(RuleSetMask s) {
  auto m = static_cast<uint32_t>(s);
  if (std::popcount(m) != 1) return "?";
  auto i = static_cast<uint32_t>(std::countr_zero(m));
  return i < kRuleSetCount ? ruleSetName(static_cast<RuleSet>(i)) : "?";
}

std::span<const DirectiveInfo> directives() {
  return kDirectives;
}
std::span<const OptionInfo> options() {
  return kOptions;
}
std::span<const BindOptInfo> bindOptions() {
  return kBindOpts;
}
std::span<const ServerOptInfo> serverOptions() {
  return kServerOpts;
}
std::span<const FetchInfo> fetches() {
  return kFetches;
}
std::span<const ConvInfo> converters() {
  return kConvs;
}
std::span<const AclKwInfo> aclKeywords() {
  return kAclKws;
}
std::span<const PredefAclInfo> predefinedAcls() {
  return kPredefAcls;
}
std::span<const ActionInfo> actions() {
  return kActions;
}

const DirectiveInfo* findDirective(std::string_view name, SectionMask section) {
  const auto& m = indexOf(directives());
  auto [b, e] = m.equal_range(name);
  // No exact match: prefer the entry of the same family (a proxy keyword used in the wrong
  // kind of proxy), so the message can say where it belongs.
  constexpr uint32_t kProxyFamily = kDefaults | kFrontend | kListen | kBackend;
  const uint32_t family = (section & kProxyFamily) ? kProxyFamily : section;
  const DirectiveInfo* any = nullptr;
  const DirectiveInfo* same_family = nullptr;
  for (auto it = b; it != e; ++it) {
    if (it->second->sections & section) return it->second;
    if (it->second->sections & family) same_family = it->second;
    any = it->second;
  }
  return same_family ? same_family : any;
}
const DirectiveInfo& directive(DirectiveId id) {
  return kDirectives[static_cast<size_t>(id)];
}
const OptionInfo* findOption(std::string_view name) {
  return findOne(options(), name);
}
const BindOptInfo* findBindOption(std::string_view name) {
  return findOne(bindOptions(), name);
}
const ServerOptInfo* findServerOption(std::string_view name) {
  return findOne(serverOptions(), name);
}
const FetchInfo* findFetch(std::string_view name) {
  return findOne(fetches(), name);
}
const FetchInfo& fetch(FetchId id) {
  return kFetches[static_cast<size_t>(id)];
}
const ConvInfo* findConverter(std::string_view name) {
  return findOne(converters(), name);
}
const ConvInfo& converter(ConvId id) {
  return kConvs[static_cast<size_t>(id)];
}
const AclKwInfo* findAclKeyword(std::string_view name) {
  return findOne(aclKeywords(), name);
}
const PredefAclInfo* findPredefinedAcl(std::string_view name) {
  return findOne(predefinedAcls(), name);
}
const ActionInfo* findAction(std::string_view name, RuleSetMask set) {
  const auto& m = indexOf(actions());
  auto [b, e] = m.equal_range(name);
  const ActionInfo* any = nullptr;
  for (auto it = b; it != e; ++it) {
    if (it->second->rulesets & set) return it->second;
    any = it->second;
  }
  return any;
}
const ActionInfo& action(ActionId id) {
  return kActions[static_cast<size_t>(id)];
}

std::vector<std::string_view> directiveNames(SectionMask section) {
  std::vector<std::string_view> v;
  for (const auto& d : kDirectives)
    if ((d.sections & section) && d.status != Status::Removed) v.push_back(d.name);
  return v;
}
std::vector<std::string_view> optionNames() {
  std::vector<std::string_view> v;
  for (const auto& o : kOptions)
    if (o.status != Status::Removed) v.push_back(o.name);
  return v;
}
std::vector<std::string_view> fetchNames() {
  std::vector<std::string_view> v;
  for (const auto& f : kFetches) v.push_back(f.name);
  for (const auto& a : kAclKws) v.push_back(a.name);
  return v;
}
std::vector<std::string_view> converterNames() {
  std::vector<std::string_view> v;
  for (const auto& c : kConvs) v.push_back(c.name);
  return v;
}
std::vector<std::string_view> actionNames(RuleSetMask set) {
  std::vector<std::string_view> v;
  for (const auto& a : kActions)
    if (a.rulesets & set) v.push_back(a.name);
  return v;
}

std::span<const std::string_view> logFormatAliases() {
  static constexpr std::string_view kAliases[] = {
      "o",  "B",  "CC",  "CS", "H",    "ID",   "ST", "T",  "Ta",  "Tc",  "Td",  "Th", "Ti",
      "Tl", "Tq", "TR",  "Tr", "Ts",   "Tt",   "Tu", "Tw", "U",   "ac",  "b",   "bc", "bi",
      "bp", "bq", "ci",  "cp", "f",    "fc",   "fi", "fp", "ft",  "hr",  "hrl", "hs", "hsl",
      "HM", "HP", "HPO", "HQ", "HU",   "HV",   "lc", "ms", "pid", "r",   "rc",  "rt", "s",
      "sc", "si", "sp",  "sq", "sslc", "sslv", "t",  "tr", "trg", "trl", "ts",  "tsc"};
  return kAliases;
}

}  // namespace lbc::stdlib

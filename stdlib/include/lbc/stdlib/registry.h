// The keyword registry: one entry per directive, option, bind/server option, fetch, converter,
// ACL keyword and action, generated from the X-macro tables in stdlib/registry/*.def. Sema,
// "did you mean", docs/keywords.md and the coverage test all read these tables.
#pragma once
#include <span>
#include <string_view>
#include <vector>

#include "lbc/stdlib/types.h"

namespace lbc::stdlib {

struct DirectiveInfo {
  DirectiveId id;
  std::string_view name;
  uint32_t sections;
  Status status;
  std::string_view replacement;
  std::string_view doc;
};
struct OptionInfo {
  OptionId id;
  std::string_view name;
  uint32_t sections;
  Status status;
  std::string_view replacement;
  std::string_view doc;
};
struct BindOptInfo {
  BindOptId id;
  std::string_view name;
  int nargs;
  Status status;
  std::string_view doc;
};
struct ServerOptInfo {
  ServerOptId id;
  std::string_view name;
  int nargs;
  Status status;
  std::string_view doc;
};
struct FetchInfo {
  FetchId id;
  std::string_view name;
  std::string_view args;  // HAProxy's signature text, e.g. "string[,integer]"
  SmpType out;
  uint32_t usage;  // UsagePoint bits
  Status status;
  std::string_view doc;
};
struct ConvInfo {
  ConvId id;
  std::string_view name;
  std::string_view args;
  SmpType in;
  SmpType out;
  Status status;
  std::string_view doc;
};
struct AclKwInfo {
  std::string_view name;   // e.g. "path_beg"
  std::string_view fetch;  // e.g. "path"
  MatchMethod method;
};
struct PredefAclInfo {
  std::string_view name;  // e.g. "METH_GET"
  std::string_view expr;  // the ACL it stands for, e.g. "method GET HEAD"
  std::string_view doc;
};
struct ActionInfo {
  ActionId id;
  std::string_view name;
  bool prefix;  // `set-var(name)`: the name is followed by `(`
  uint32_t rulesets;
  Status status;
  std::string_view doc;
};

std::span<const DirectiveInfo> directives();
std::span<const OptionInfo> options();
std::span<const BindOptInfo> bindOptions();
std::span<const ServerOptInfo> serverOptions();
std::span<const FetchInfo> fetches();
std::span<const ConvInfo> converters();
std::span<const AclKwInfo> aclKeywords();
std::span<const PredefAclInfo> predefinedAcls();
std::span<const ActionInfo> actions();
// HAProxy 2.6's log-format aliases (`%ci`, `%ST`, ...); anything else after a '%' is an error.
// Which of them lbc renders is stdlib/exec.h's lfAlias().
std::span<const std::string_view> logFormatAliases();

// Lookups by name. A directive name may exist in several section kinds (`maxconn` in global
// and in proxies): findDirective returns the entry valid in `section`, else any entry of that name.
const DirectiveInfo* findDirective(std::string_view name, SectionMask section);
const DirectiveInfo& directive(DirectiveId id);
const OptionInfo* findOption(std::string_view name);
const BindOptInfo* findBindOption(std::string_view name);
const ServerOptInfo* findServerOption(std::string_view name);
const FetchInfo* findFetch(std::string_view name);
const FetchInfo& fetch(FetchId id);
const ConvInfo* findConverter(std::string_view name);
const ConvInfo& converter(ConvId id);
const AclKwInfo* findAclKeyword(std::string_view name);
const PredefAclInfo* findPredefinedAcl(std::string_view name);
const ActionInfo* findAction(std::string_view name, RuleSetMask set);
const ActionInfo& action(ActionId id);

// Names for "did you mean" lists.
std::vector<std::string_view> directiveNames(SectionMask section);
std::vector<std::string_view> optionNames();
std::vector<std::string_view> fetchNames();  // fetches and ACL keywords
std::vector<std::string_view> converterNames();
std::vector<std::string_view> actionNames(RuleSetMask set);

const char* sectionName(SectionMask s);
const char* ruleSetName(RuleSetMask s);

}  // namespace lbc::stdlib

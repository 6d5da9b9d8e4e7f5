// Internal state of semantic analysis, shared by the files of compiler/sema/.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "front/diag.h"
#include "front/syntax.h"
#include "ir/ir.h"
#include "lbc/stdlib/registry.h"
#include "lbc/stdlib/usage.h"
#include "sema/sema.h"

namespace lbc::sema {

using front::CondAst;
using front::Line;
using front::Word;
using ir::SourceLoc;
using stdlib::SectionMask;

// Where a sample expression or condition is evaluated; decides which fetches have data.
struct Phase {
  uint32_t usage = 0;  // stdlib::UsagePoint bits
  std::string what;    // e.g. "frontend http-request rule"
};

// A reference to a named ACL that was not declared before its use (HAProxy requires that);
// reported when the section ends, so the message can say whether it is declared later.
struct UnresolvedAcl {
  std::string name;
  SourceLoc loc;
};

// Side data for a proxy under construction (not part of the IR).
struct ProxyState {
  SectionMask section = stdlib::kFrontend;
  std::unordered_map<std::string, uint32_t> acl_index;  // named ACL -> Proxy::acls index
  std::unordered_map<std::string, SourceLoc> server_names;
  std::vector<UnresolvedAcl> unresolved;
  // Named ACLs whose `acl` line failed: their uses are not reported again as "no such ACL".
  std::unordered_set<std::string> failed_acls;
  bool bind_seen = false;       // a bind line was written (even one with an error)
  bool table_seen = false;      // a stick-table line was written (even one with an error)
  size_t errors_at_start = 0;   // error count when the section began
  SourceLoc first_use_backend;  // for "http-request after use_backend"
  bool warned_rule_order = false;
  std::vector<ir::Rule> legacy_redirects;  // `redirect` lines: after every http-request rule
  bool own_tcp_checks = false;             // a tcp-check line of this section (replacing the inherited rules)
};

// The statuses HAProxy has a built-in error page for (errorfile, and deny/return without a body).
bool hasDefaultErrorPage(int64_t status);

// TLS checks (tls.cpp): empty string when fine.
std::string checkCertificateFile(const std::string& path);
std::string checkCipherList(const std::string& list);
// `path` under crt-base / ca-base, as HAProxy: unless it is absolute.
std::string underBase(const std::string& base, const std::string& path);
// SSLv3, TLSv1.0 ... TLSv1.3 (ssl-min-ver / ssl-max-ver).
bool isTlsVersion(std::string_view v);

// Compiles a PCRE2 regular expression to validate it; returns the error text or empty.
std::string compileRegex(const std::string& re, bool icase);

class Sema {
 public:
  Sema(front::DiagEngine& d, const Options& o) : diags_(d), opts_(o) {}
  void file(front::File& f);
  ir::Program finish();

  // ---- shared helpers (sema.cpp) ----
  front::DiagEngine& diags() { return diags_; }
  const Options& opts() const { return opts_; }
  void error(const Word& w, std::string msg) { diags_.error(w.loc, std::move(msg)); }
  void warning(const Word& w, std::string msg) { diags_.warning(w.loc, std::move(msg)); }
  // Reports "'kw' expects ..." when fewer than n argument words follow the keyword.
  bool needArgs(const Line& l, size_t n, const std::string& usage);
  bool noCondition(const Line& l);
  bool duration(const Word& w, uint64_t& ms, uint64_t unit_ms = 1);
  bool size(const Word& w, uint64_t& v);
  bool integer(const Word& w, int64_t& v, int64_t lo, int64_t hi);
  // Where HAProxy reads a number with atoi() (non-numbers silently become 0), lbc warns and
  // does the same, so the verdict matches HAProxy's and the user still learns of the mistake.
  bool lenientInteger(const Word& w, int64_t& v, int64_t lo, int64_t hi);
  bool fileExists(const Word& w, const std::string& path, const char* what);
  bool tlsVersion(const Word& w);   // an error when w is no TLS version name
  std::string sectionDesc() const;  // "frontend 'fe'"

  // ---- sections (sema.cpp) ----
  void sectionHeader(const Line& l);
  void directive(const Line& l);
  void globalDirective(const Line& l, const stdlib::DirectiveInfo& d);
  void identity(const Line& l);  // user, uid, group, gid
  void proxyDirective(const Line& l, const stdlib::DirectiveInfo& d);
  void httpErrorsDirective(const Line& l, const stdlib::DirectiveInfo& d);
  // ---- userlists (userlist.cpp) ----
  bool userlistHeader(const Line& l);
  void userlistDirective(const Line& l, const stdlib::DirectiveInfo& d);
  void resolveUserLists(ir::Program& p);

  // ---- resolvers sections and servers' DNS options (resolvers.cpp) ----
  void resolversSection(const Line& l);
  void resolversDirective(const Line& l, const stdlib::DirectiveInfo& d);
  void nameserver(const Line& l, ir::Resolvers& r, const Word& id, std::string text);
  void parseResolvConf(const Line& l, ir::Resolvers& r);
  bool dnsServerOption(stdlib::ServerOptId id, const Word& arg, ir::ServerOpts& o);
  void resolveServerHost(const Word& w, ir::Server& s);
  void serverTemplate(const Line& l);
  bool srv_template_ = false;  // the server being declared is a slot of an SRV server-template
  void endSection();

  // ---- proxy directives (proxy.cpp) ----
  void bind(const Line& l);
  void server(const Line& l, bool is_default);
  bool serverOption(stdlib::ServerOptId id, const Word& w, const Word* arg, bool is_default, ir::Server& s);
  void balance(const Line& l);
  void hashType(const Line& l);
  void timeout(const Line& l);
  void option(const Line& l, bool negated);
  void protoCheckOption(const Line& l, stdlib::OptionId id);
  void mode(const Line& l);
  void cookie(const Line& l);
  void httpCheck(const Line& l);
  void stats(const Line& l);  // stats.cpp
  void statsRule(const Line& l, ir::StatsPage& sp);
  void useService(const Line& l);  // stats.cpp: http-request use-service prometheus-exporter
  void tcpCheck(const Line& l);    // tcp_check.cpp
  void stickTable(const Line& l);
  void logLine(const Line& l, std::vector<ir::LogTarget>& out, bool* global_flag);
  void logTag(const Line& l, std::string& out);
  void logSendHostname(const Line& l);
  void errorfile(const Line& l, std::vector<ir::ErrorFile>& out);
  void errorfiles(const Line& l, std::vector<ir::ErrorFile>& out);
  void errorloc(const Line& l, int code, std::vector<ir::ErrorFile>& out);
  void httpReuse(const Line& l);
  void maxconnProxy(const Line& l);
  void retries(const Line& l);

  // ---- samples, ACLs, conditions (samples.cpp) ----
  std::optional<ir::SampleExpr> sample(const Word& w, const Phase* phase);
  std::optional<ir::SampleExpr> resolveSample(const front::SampleAst& ast, const Word& w, const Phase* phase);
  std::optional<front::SampleAst> parseSampleCached(const Word& w);
  static Word wholeSampleWord(const Word& w);
  bool checkConverterOperands(const front::SampleCall& c, const stdlib::ConvInfo& ci,
                              std::vector<ir::Arg>& args);
  void absorbConverterWords(const std::vector<Word>& words, size_t next, front::SampleAst& ast);
  std::optional<front::LogFormatAst> parseLogFormatCached(const Word& w);
  bool checkMapFile(const Word& w, const std::string& conv);
  std::optional<ir::LogFormat> logFormat(const Word& w, const Phase* phase);
  std::optional<ir::AclTerm> aclTerm(const std::vector<Word>& words, size_t first, SourceLoc loc);
  void acl(const Line& l);
  // Builds the condition of a rule line, resolving named ACLs declared so far.
  void condition(const Line& l, std::optional<ir::Condition>& out, Phase phase);
  uint32_t predefinedAcl(const std::string& name, SourceLoc loc);
  void reportUnresolvedAcls();
  Phase phaseFor(ir::RuleSet set) const;
  Phase phaseUseBackend() const;
  Phase phaseStick(ir::StickRule::Kind k) const;

  // ---- rules (rules.cpp) ----
  bool rulesAllowedHere(const Line& l);
  void httpRule(const Line& l, ir::RuleSet set);
  void legacyRedirect(const Line& l);
  // ---- monitor-uri (monitor.cpp) ----
  void monitorUri(const Line& l);
  void capture(const Line& l);  // capture.cpp
  void monitor(const Line& l);
  void lowerMonitor(ir::Proxy& p);
  void tcpRule(const Line& l, bool response);
  void useBackend(const Line& l, bool is_default);
  void stick(const Line& l);

  // ---- cross references and lint (xref.cpp) ----
  void crossReference(ir::Program& p);
  void importErrorFiles(ir::Program& p);
  void checkResolvers(const ir::Program& p);  // resolvers.cpp
  void checkProxy(ir::Proxy& p, ProxyState& st);

 private:
  front::DiagEngine& diags_;
  const Options& opts_;

 public:
  // Section state.
  enum class Sec {
    None,
    Global,
    Defaults,
    Proxy,
    HttpErrors,
    Userlist,
    Resolvers,
    Unsupported
  } sec_ = Sec::None;
  ir::Program prog_;
  std::vector<std::unique_ptr<ir::Proxy>> defaults_;  // every defaults section, in order
  std::map<std::string, ir::Proxy*, std::less<>> named_defaults_;
  ir::Proxy* last_defaults_ = nullptr;
  ir::Proxy* cur_ = nullptr;  // proxy or defaults being filled
  ProxyState* st_ = nullptr;
  std::vector<std::unique_ptr<ir::Proxy>> proxies_;  // moved into prog_.proxies by finish()
  std::vector<std::unique_ptr<ProxyState>> states_;  // parallel to proxies_
  std::unique_ptr<ProxyState> defaults_state_;
  // Named defaults sections that define tcp/http rules, and which kinds of proxies use them
  // (HAProxy forbids a frontend and a backend to share such a defaults section).
  struct DefaultsUse {
    bool fe = false, be = false;
    SourceLoc first_fe, first_be;
  };
  std::map<const ir::Proxy*, DefaultsUse> rule_defaults_use_;
  std::map<std::string, std::vector<SourceLoc>, std::less<>> defaults_locs_;
  bool outside_unknown_reported_ = false;
  // Parsed expressions by text, with the location they were parsed at (see samples.cpp).
  std::unordered_map<std::string, std::pair<front::SampleAst, SourceLoc>> sample_cache_;
  std::unordered_map<std::string, std::pair<front::LogFormatAst, SourceLoc>> lf_cache_;
};

}  // namespace lbc::sema

// The IR: a typed, fully resolved Program. Defaults are applied, names are bound to indexes,
// every node has a SourceLoc. Codegen, the interpreter and the runtime topology read only this.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "ir/source_loc.h"
#include "lbc/stdlib/types.h"

namespace lbc::ir {

using stdlib::ActionId;
using stdlib::ConvId;
using stdlib::FetchId;
using stdlib::MatchMethod;
using stdlib::SmpType;

inline constexpr uint32_t kNone = ~0u;

enum class Mode : uint8_t { Tcp, Http };

// ---- addresses -------------------------------------------------------------------------------

struct Address {
  enum class Kind : uint8_t { Ipv4, Ipv6, Unix, Abns, Fd, Host };
  Kind kind = Kind::Ipv4;
  std::string text;       // as written
  std::string host;       // literal address, host name, socket path; empty = wildcard
  uint8_t ip[16] = {};    // network order (Ipv4: first 4 bytes)
  bool wildcard = false;  // `:80`, `*:80`, `0.0.0.0`, `::`
  bool has_port = false;
  uint16_t port_lo = 0, port_hi = 0;  // ranges on bind lines (`:8000-8010`)
  int port_offset = 0;                // server `+N` / `-N` relative ports (0 = absolute)
  bool relative_port = false;
  int fd = -1;  // fd@N
};

// ---- samples, ACLs, conditions ---------------------------------------------------------------

struct Arg {
  std::string str;
  int64_t num = 0;
  bool is_num = false;
  SourceLoc loc;
};

struct Converter {
  SourceLoc loc;
  ConvId id{};
  std::string name;
  std::vector<Arg> args;
};

struct SampleExpr {
  SourceLoc loc;
  FetchId fetch{};
  std::string fetch_name;
  std::vector<Arg> args;
  std::vector<Converter> convs;
  SmpType type = SmpType::Any;  // output type after converters
  uint32_t usage = 0;           // UsagePoint bits where the fetch's data exists
  std::string text;             // as written, for the IR printer and logs
};

struct LogFormat {
  struct Item {
    enum class Kind : uint8_t { Text, Sample, Alias } kind = Kind::Text;
    std::string text;      // literal text or alias name
    std::string flags;     // as written (`+Q`...)
    int32_t lf_flags = 0;  // LBC_LF_* of `flags` in a rule's (HTTP) context
    int32_t alias = -1;    // Alias: LBC_ALIAS_*, -1 when lbc does not render it in rule formats
    std::optional<SampleExpr> sample;
  };
  std::string text;  // as written
  std::vector<Item> items;
  bool isConstant() const {
    for (const auto& i : items)
      if (i.kind != Item::Kind::Text) return false;
    return true;
  }
};

struct Pattern {
  std::string text;  // as written (after -i folding is applied at compile time, not here)
  SourceLoc loc;
  // -m int / -m len: a range `lo:hi`, or an operator (eq ge gt le lt) folded into a range
  int64_t lo = 0, hi = 0;
  bool has_lo = false, has_hi = false;
  // -m ip
  uint8_t ip[16] = {};
  uint8_t prefix_len = 0;
  bool ipv6 = false;
};

struct AclTerm {
  SourceLoc loc;
  SampleExpr expr;
  MatchMethod method = MatchMethod::Str;
  bool icase = false;
  bool no_dns = false;
  std::vector<Pattern> patterns;
  std::vector<std::string> files;  // -f FILE (patterns loaded into `patterns`, file names kept)
};

struct Acl {
  std::string name;            // empty for anonymous ACLs
  SourceLoc loc;               // first definition
  std::vector<AclTerm> terms;  // several `acl` lines with the same name are OR'ed
  bool predefined = false;
  bool used = false;
};

struct CondRef {
  uint32_t acl = kNone;  // index into Proxy::acls
  bool negated = false;
  SourceLoc loc;
};

struct Condition {
  SourceLoc loc;
  bool unless = false;
  std::vector<std::vector<CondRef>> alternatives;  // OR of ANDs
  uint32_t usage = ~0u;                            // intersection of where every fetch it uses exists
};

// ---- rules -------------------------------------------------------------------------------------

// The rule sets are the RULES hooks of LBC_HOOKS (abi.h), declared once in stdlib/types.h.
using stdlib::Hook;
using stdlib::hookName;
using stdlib::RuleSet;
using stdlib::ruleSetName;
// The rule sets that run on the response (header actions address LBC_DIR_RES).
constexpr bool isResponseSide(RuleSet s) {
  return s == RuleSet::TcpResCont || s == RuleSet::HttpRes || s == RuleSet::HttpAfterRes;
}

struct HeaderArgs {  // set-header add-header del-header replace-header replace-value
  std::string name;
  LogFormat value;                    // set/add: value; replace-*: replacement
  std::string regex;                  // replace-*: the match
  std::optional<MatchMethod> method;  // del-header -m
};
struct FormatArgs {  // set-path set-uri set-query
  LogFormat value;
};
struct RedirectArgs {
  // The ABI's values (LBC_REDIR_*): every engine passes them on as they are.
  enum class Type : uint8_t {
    Location = LBC_REDIR_LOCATION,
    Prefix = LBC_REDIR_PREFIX,
    Scheme = LBC_REDIR_SCHEME
  } type = Type::Location;
  LogFormat target;
  int code = 302;
  bool drop_query = false, append_slash = false;
  // ignore-empty: an empty `location` format skips the rule (HAProxy 2.6 applies it to `location` only).
  bool ignore_empty = false;
  std::string set_cookie, clear_cookie;
};
struct ReturnArgs {  // return, and the payload of deny
  int status = 200;
  std::string content_type;
  // Page: `text` is a whole response (status line, headers, body), sent as an errorfile's is.
  enum class Body : uint8_t { None, String, LfString, File, LfFile, Errorfile, Page } body = Body::None;
  std::string text;  // string / file name / page
  LogFormat lf;      // lf-string
  std::vector<std::pair<std::string, LogFormat>> headers;
  // `auth [realm R]`: the realm written; without one, the cross-reference pass uses the name of
  // the proxy that runs the rule (as HAProxy) when it builds the 401 page into `text`.
  std::optional<std::string> realm;
};
// Variable scopes, with the ABI's values (LBC_VAR_*): every engine passes them on as they are.
enum class VarScope : uint8_t {
  Proc = LBC_VAR_PROC,
  Sess = LBC_VAR_SESS,
  Txn = LBC_VAR_TXN,
  Req = LBC_VAR_REQ,
  Res = LBC_VAR_RES
};
const char* varScopeName(VarScope s);                       // "proc", "sess", ...
std::optional<VarScope> parseVarScope(std::string_view s);  // nullopt: not a scope

struct VarArgs {
  VarScope scope = VarScope::Txn;
  std::string name;
  SampleExpr expr;
};
struct TrackArgs {
  int slot = 0;
  SampleExpr key;
  std::string table;  // empty: the proxy's own
  SourceLoc table_loc;
  uint32_t table_proxy = kNone;
};
// sc-inc-gpc0(N), sc-inc-gpc1(N), sc-set-gpt0(N) <int>|<expr>.
struct CounterArgs {
  int slot = 0;
  int64_t value = 0;
  std::optional<SampleExpr> expr;  // sc-set-gpt0's expression (else `value`)
};
struct StatusArgs {
  int status = 0;
  std::string reason;
};
using RuleArgs = std::variant<std::monostate, HeaderArgs, FormatArgs, RedirectArgs, ReturnArgs, VarArgs,
                              TrackArgs, StatusArgs, CounterArgs>;

struct Rule {
  SourceLoc loc;
  RuleSet set = RuleSet::HttpReq;
  ActionId action{};
  std::string action_name;
  RuleArgs args;
  std::optional<Condition> cond;
  bool final = false;            // stops rule evaluation when it fires (deny, redirect, return, accept, ...)
  bool legacy_redirect = false;  // the `redirect` directive (after every http-request rule)
};

// ---- servers, balancing ------------------------------------------------------------------------

struct ServerOpts {
  bool check = false;
  uint64_t inter_ms = 2000, fastinter_ms = 0, downinter_ms = 0;
  uint32_t fall = 3, rise = 2;
  uint32_t weight = 1;
  uint32_t maxconn = 0, maxqueue = 0;
  bool backup = false, disabled = false;
  std::string cookie;
  bool ssl = false;
  enum class Verify : uint8_t { Default, None, Required } verify = Verify::Default;
  std::string ca_file;
  std::string sni;  // a sample expression, as written
  std::vector<std::string> alpn;
  std::string crt, ciphers;      // a client certificate; TLS <= 1.2 ciphers
  std::string min_ver, max_ver;  // "TLSv1.2" ...
  bool no_ssl_reuse = false;
  // send-proxy*, proxy-v2-options: HAProxy's SRV_PP_* bits (lower maps them to rt::kPp*).
  enum Pp : uint16_t {
    kPpV1 = 1 << 0,
    kPpV2 = 1 << 1,
    kPpV2Ssl = 1 << 2,
    kPpV2SslCn = 1 << 3,
    kPpV2SslCipher = 1 << 4,
    kPpV2SslSigAlg = 1 << 5,
    kPpV2SslKeyAlg = 1 << 6,
    kPpV2Authority = 1 << 7,
    kPpV2Crc32c = 1 << 8,
    kPpV2UniqueId = 1 << 9,
  };
  uint16_t pp_opts = 0;
  bool check_send_proxy = false;
  std::optional<uint16_t> check_port;
  std::optional<Address> check_addr;
  // agent-check, agent-port, agent-inter, agent-addr, agent-send
  bool agent_check = false;
  std::optional<uint16_t> agent_port;
  uint64_t agent_inter_ms = 0;  // 0: the check's inter
  std::optional<Address> agent_addr;
  std::optional<std::string> agent_send;
  std::string resolvers;
  // DNS resolution at run time (`resolvers` sections)
  bool resolve_prefer_v4 = false;  // `resolve-prefer` (HAProxy's default: ipv6)
  struct Net {
    uint8_t ip[16] = {};
    uint8_t prefix = 0;
    bool v6 = false;
  };
  std::vector<Net> resolve_net;
  bool allow_dup_ip = false, ignore_weight = false;
  // `init-addr`: the methods in order (none set: HAProxy's default, "last,libc")
  struct InitAddr {
    enum class Kind : uint8_t { Last, Libc, None, Ip } kind = Kind::Last;
    Address ip;
  };
  std::vector<InitAddr> init_addr;
  std::string srv_record;  // a slot of `server-template` filled from this SRV name
};

struct Server {
  SourceLoc loc;
  std::string name;
  Address addr;
  ServerOpts opts;
  std::optional<int32_t> id;
};

struct Balance {
  enum class Algo : uint8_t { RoundRobin, StaticRr, LeastConn, First, Source, Uri, UrlParam, Hdr, Random };
  Algo algo = Algo::RoundRobin;
  bool uri_whole = false;
  uint32_t uri_len = 0, uri_depth = 0;
  std::string param;  // url_param name / hdr name
  bool hdr_use_domain_only = false;
  uint32_t random_draws = 2;
  SourceLoc loc;
};
struct HashType {
  enum class Method : uint8_t { MapBased, Consistent } method = Method::MapBased;
  bool avalanche = false;
  enum class Function : uint8_t { Sdbm, Djb2, Wt6, Crc32, None } function = Function::Sdbm;
};
const char* hashFunctionName(HashType::Function f);  // "sdbm", ...

// ---- persistence, checks -------------------------------------------------------------------------

struct StickTable {
  SourceLoc loc;
  enum class Type : uint8_t { Ip, Ipv6, Integer, String, Binary } type = Type::Ip;
  uint32_t key_len = 0;
  uint64_t size = 0;
  std::optional<uint64_t> expire_ms;
  bool nopurge = false;
  std::string peers;
  std::vector<std::string> store;  // data types, e.g. "conn_cur", "http_req_rate(10s)"
};

struct StickRule {
  SourceLoc loc;
  enum class Kind : uint8_t { On, Match, StoreRequest, StoreResponse } kind = Kind::On;
  SampleExpr expr;
  std::string table;  // as written; empty = own table
  SourceLoc table_loc;
  uint32_t table_proxy = kNone;  // resolved
  std::optional<Condition> cond;
};

struct Cookie {
  SourceLoc loc;
  std::string name;
  enum class Mode : uint8_t { Rewrite, Insert, Prefix } mode = Mode::Rewrite;
  bool indirect = false, nocache = false, postonly = false, preserve = false, httponly = false,
       secure = false;
  std::vector<std::string> domains;
  std::optional<uint64_t> maxidle_ms, maxlife_ms;
  std::vector<std::string> attrs;
};

struct HttpCheckRule {
  SourceLoc loc;
  enum class Kind : uint8_t { Send, Expect } kind = Kind::Expect;
  // send
  std::string meth, uri, ver, body;
  std::vector<std::pair<std::string, std::string>> headers;
  // expect
  bool negate = false;
  enum class Match : uint8_t { Status, RStatus, String, RString } match = Match::Status;
  std::string pattern;
};

const char* checkMatchName(HttpCheckRule::Match m);  // "status", ...

struct HttpCheck {
  bool enabled = false;  // option httpchk
  std::string method = "OPTIONS", uri = "/", version = "HTTP/1.0";
  std::string extra_headers;
  std::vector<HttpCheckRule> rules;
};

// `tcp-check` rules (HAProxy 2.6): `comment` is a rule too (it counts in the step numbers of the
// failure messages and names the next rule).
struct TcpCheckRule {
  SourceLoc loc;
  enum class Kind : uint8_t { Comment, Connect, Send, Expect } kind = Kind::Comment;
  std::string data;     // send: the bytes (send-binary decoded); expect: the pattern; comment: its text
  bool binary = false;  // send-binary / expect binary|rbinary
  bool regex = false;   // expect rstring|rbinary
  bool negate = false;
  uint16_t port = 0;    // connect port N
  std::string comment;  // `comment <text>` on the rule itself
};

struct ErrorFile {
  SourceLoc loc;
  int status = 0;
  std::string path;
  std::string content;  // loaded at check time, as HAProxy does
  // `errorfiles SECTION [CODE...]` until the cross-reference pass replaces it, in place, by the
  // section's error files (all of them, or those of the listed codes): the section may be
  // defined further down the file, and the order of errorfile/errorfiles lines decides which
  // page wins.
  std::string import_section;
  std::vector<int> import_codes;
};

// Names of syslog facilities, levels and `log ... format` values, by their number.
inline constexpr std::string_view kLogFacilities[] = {
    "kern",   "user",   "mail",   "daemon", "auth",   "syslog", "lpr",    "news",
    "uucp",   "cron",   "auth2",  "ftp",    "ntp",    "audit",  "alert",  "cron2",
    "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"};
inline constexpr std::string_view kLogLevels[] = {"emerg",   "alert",  "crit", "err",
                                                  "warning", "notice", "info", "debug"};
inline constexpr std::string_view kLogFormats[] = {"",      "rfc3164", "rfc5424", "short", "priority",
                                                   "timed", "iso",     "raw",     "local"};

struct LogTarget {
  SourceLoc loc;
  std::string target;                                  // as written
  enum class Kind : uint8_t { Fd, Unix, Udp4, Udp6 };  // stdout/stderr/fd@N, a datagram socket path, UDP
  Kind kind = Kind::Fd;
  int fd = 1;
  std::string path;     // Unix
  uint8_t ip[16] = {};  // Udp4/Udp6, network order
  uint16_t port = 514;  // Udp4/Udp6 (HAProxy's default syslog port)
  // Unspec: no `format` (rfc3164 without a forced host name); otherwise kLogFormats' order.
  enum class Format : uint8_t { Unspec, Rfc3164, Rfc5424, Short, Priority, Timed, Iso, Raw, Local };
  Format format = Format::Unspec;
  uint8_t facility = 16;  // index in kLogFacilities
  uint8_t level = 7, min_level = 0;
  uint32_t len = 1024;
  uint32_t sample_size = 0;                           // `sample RANGES:SIZE`; 0 = no sampling
  std::vector<std::pair<uint32_t, uint32_t>> sample;  // 1-based inclusive ranges, ascending
};

struct Forwardfor {
  SourceLoc loc;
  bool enabled = false;
  std::string header = "X-Forwarded-For";
  std::string except;  // network, as written
  bool if_none = false;
};

struct Timeouts {
  std::optional<uint64_t> client, server, connect, queue, http_request, http_keep_alive, tunnel, client_fin,
      server_fin, check, tarpit;
};

struct UseBackend {
  SourceLoc loc;
  std::string name;                  // literal name
  std::optional<LogFormat> dynamic;  // `use_backend %[...]`
  uint32_t backend = kNone;          // resolved proxy index (literal names)
  std::optional<Condition> cond;
};

struct Bind {
  SourceLoc loc;
  Address addr;
  std::string name;
  bool ssl = false;
  std::vector<std::string> crt;  // crt-base applied
  std::vector<std::string> alpn;
  std::string ciphers, ciphersuites;
  std::string min_ver, max_ver;  // "TLSv1.2" ...
  uint8_t no_versions = 0;       // bit i: no-sslv3, no-tlsv10, no-tlsv11, no-tlsv12, no-tlsv13
  bool strict_sni = false, no_tls_tickets = false, prefer_client_ciphers = false;
  enum class Verify : uint8_t { None, Optional, Required } verify = Verify::None;
  std::string ca_file, crl_file;  // ca-base applied
  bool accept_proxy = false;
  bool v4v6 = false, v6only = false;
  std::optional<uint32_t> backlog, maxconn;
};

enum Caps : uint8_t { kCapFe = 1, kCapBe = 2 };

// The stats page (`stats enable|uri|realm|auth|refresh|scope|admin|hide-version|show-*`): any of
// them turns it on, as in HAProxy.
struct StatsPage {
  SourceLoc loc;
  std::string uri = "/haproxy?stats";
  std::string realm;                // empty: "HAProxy Statistics"
  std::vector<std::string> auths;   // "user:password"
  std::vector<std::string> scopes;  // proxy names ("." = this one); empty: all
  uint32_t refresh_s = 0;
  bool hide_version = false, show_legends = false, show_modules = false;
  std::optional<std::string> node, desc;  // show-node / show-desc ("" = the global one)
  bool admin = false;  // `stats admin if C`: an http-request rule sets kStatsAdminVar when C holds
  // `stats http-request allow|deny|auth [realm R] [cond]`: rule k's condition is evaluated by an
  // http-request rule setting txn.lbc_stats_rule_<k>; the page applies the first one set.
  struct Rule {
    enum class Kind : uint8_t { Allow, Deny, Auth } kind = Kind::Allow;
    std::string realm;  // auth: empty = the page's
  };
  std::vector<Rule> rules;
  bool realm_set = false;             // sema: `stats realm` was given
  bool last_rule_conditional = true;  // sema: HAProxy warns about rules after an unconditional one
  size_t prepended = 0;               // sema: the marking rules placed first in the proxy's rules
};
inline constexpr const char* kStatsAdminVar = "lbc_stats_admin";
// `http-request use-service prometheus-exporter [cond]`: a rule sets this variable and a final
// `allow` on it follows; the HTTP session then answers with the exporter.
inline constexpr const char* kUseServiceVar = "lbc_use_service";

struct Proxy {
  SourceLoc loc;
  std::string name;
  uint8_t caps = 0;      // kCapFe | kCapBe; 0 for a defaults section
  std::string defaults;  // name of the defaults section it inherited from ("" = anonymous)
  Mode mode = Mode::Tcp;
  bool disabled = false;

  std::vector<Bind> binds;
  std::optional<uint32_t> maxconn;
  Timeouts timeouts;
  uint32_t retries = 3;

  // options (option X / no option X)
  bool httplog = false, httplog_clf = false, tcplog = false, dontlognull = false;
  bool dontlog_normal = false, log_separate_errors = false, http_ignore_probes = false;
  bool httpclose = false, http_server_close = false, http_keep_alive = false;
  bool abortonclose = false, redispatch = false, persist = false, tcp_check = false;
  bool log_health_checks = false;
  int redispatch_interval = -1;
  Forwardfor forwardfor;
  HttpCheck http_check;
  std::vector<TcpCheckRule> tcp_checks;
  bool redis_check = false;
  // option smtpchk / mysql-check / pgsql-check / ldap-check / ssl-hello-chk / spop-check: HAProxy's built-in
  // tcp-check rule sets.
  enum class ProtoCheck : uint8_t { None, Smtp, Mysql, Pgsql, Ldap, SslHello, Spop };
  ProtoCheck proto_check = ProtoCheck::None;
  std::string proto_arg;     // smtpchk: "HELO|EHLO <domain>"; mysql-check/pgsql-check: the user ("": none)
  bool mysql_pre41 = false;  // mysql-check user <name> pre-41

  Balance balance;
  HashType hash;
  std::vector<Server> servers;
  ServerOpts default_server;

  std::vector<Acl> acls;    // named and anonymous; conditions refer to them by index
  std::vector<Rule> rules;  // every tcp-/http- rule, in file order per rule set
  std::optional<uint64_t> tcp_inspect_delay, tcp_res_inspect_delay;
  std::vector<UseBackend> use_backends;
  std::optional<UseBackend> default_backend;
  // monitor-uri / monitor fail: lowered by sema onto the first http-request rules of a frontend.
  std::string monitor_uri;
  SourceLoc monitor_loc;
  std::vector<Condition> monitor_fail;
  // `capture request|response header NAME len N` (frontends and listens), in declaration order:
  // the slots %hr/%hs print.
  struct Capture {
    std::string name;
    uint32_t len = 0;
  };
  std::vector<Capture> req_captures, res_captures;
  std::optional<StickTable> table;
  std::vector<StickRule> stick_rules;
  std::optional<Cookie> cookie;
  std::optional<StatsPage> stats;
  std::vector<ErrorFile> errorfiles;
  std::vector<LogTarget> logs;
  bool log_global = false;
  std::optional<std::string> log_tag;  // `log-tag` (else the global one)
  enum class HttpReuse : uint8_t { Never, Safe, Aggressive, Always } http_reuse = HttpReuse::Safe;

  bool isFrontend() const { return caps & kCapFe; }
  bool isBackend() const { return caps & kCapBe; }
  const char* kind() const {
    return caps == (kCapFe | kCapBe) ? "listen"
           : caps == kCapFe          ? "frontend"
           : caps == kCapBe          ? "backend"
                                     : "defaults";
  }
};

struct StatsSocket {
  SourceLoc loc;
  Address addr;
  enum class Level : uint8_t { User, Operator, Admin } level = Level::User;
  std::optional<uint32_t> mode;
  std::optional<uint32_t> uid, gid;  // `uid`/`gid`, or `user`/`group` resolved at sema
  bool expose_fd_listeners = false;
  static const char* levelName(Level l) {
    return l == Level::Admin ? "admin" : l == Level::Operator ? "operator" : "user";
  }
};

struct Global {
  bool daemon = false;
  std::optional<uint32_t> nbthread, maxconn;
  std::vector<LogTarget> logs;
  std::string log_tag = "haproxy";
  std::optional<std::string> log_send_hostname;  // "" = the machine's name
  std::string user, group, chroot, pidfile;
  std::optional<uint32_t> uid, gid;  // from user/uid and group/gid; 0 = keep (as HAProxy)
  std::vector<StatsSocket> stats_sockets;
  std::optional<uint64_t> stats_timeout;
  std::optional<uint32_t> stats_maxconn;
  uint32_t tune_bufsize = 16384, tune_maxrewrite = 1024;
  std::optional<uint64_t> hard_stop_after;
  std::string node, description;  // "" = the host name / none
  std::optional<uint64_t> grace;  // global `grace`: SIGUSR1 stops accepting only after it
  std::string ssl_default_bind_options, ssl_default_bind_ciphers, ssl_default_bind_ciphersuites;
  std::string ssl_default_server_options, ssl_default_server_ciphers;
  std::string ca_base, crt_base;
  bool ssl_server_verify = true;  // ssl-server-verify required (the default) / none
};

// `userlist` section: users (crypt(3) hashes or insecure passwords) and groups.
struct UserList {
  SourceLoc loc;
  std::string name;
  struct User {
    SourceLoc loc;
    std::string name, password;
    bool insecure = false, has_password = false;
    std::vector<std::string> groups;  // from `user ... groups` and `group ... users`, resolved by xref
  };
  struct Group {
    SourceLoc loc;
    std::string name;
    std::vector<std::string> users;  // as written on the `group` line
  };
  std::vector<User> users;
  std::vector<Group> groups;
};

struct HttpErrorsSection {
  SourceLoc loc;
  std::string name;
  std::vector<ErrorFile> errorfiles;
};

// A `resolvers` section (HAProxy 2.6's defaults).
struct Resolvers {
  SourceLoc loc;
  std::string name;
  struct Nameserver {
    SourceLoc loc;
    std::string id;
    Address addr;
    bool tcp = false;
  };
  std::vector<Nameserver> nameservers;
  uint32_t retries = 3;
  uint64_t timeout_resolve = 1000, timeout_retry = 1000;
  uint64_t hold_valid = 10000, hold_nx = 30000, hold_refused = 30000, hold_timeout = 30000,
           hold_other = 30000, hold_obsolete = 0;
  uint32_t payload = 512;
};

struct Program {
  Global global;
  std::vector<Resolvers> resolvers;
  std::vector<Proxy> proxies;  // frontends, backends and listens, in file order
  std::vector<HttpErrorsSection> http_errors;
  std::vector<UserList> userlists;

  uint32_t findProxy(std::string_view name, uint8_t caps) const {
    for (uint32_t i = 0; i < proxies.size(); ++i)
      if (proxies[i].name == name && (proxies[i].caps & caps)) return i;
    return kNone;
  }
};

}  // namespace lbc::ir

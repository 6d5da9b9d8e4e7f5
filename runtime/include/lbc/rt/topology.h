// The runtime's own description of what to serve: global settings, proxies, binds, servers,
// timeouts. The compiler fills it (compiler/lower), encodes it into bytes that travel in the
// `lbc_program` descriptor, and the runtime decodes it at start-up, so `lbc run` and an AOT
// executable start the same way. Plain data: no compiler or stdlib types here (DESIGN.md).
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "lbc/rt/stk_data.h"

namespace lbc::rt {

inline constexpr uint32_t kNoIndex = ~0u;

struct Endpoint {
  enum class Kind : uint8_t { Ipv4, Ipv6, Unix, Abns, Fd, Host };
  Kind kind = Kind::Ipv4;
  std::string text;     // as written, for messages
  std::string host;     // literal address, host name (resolved at start-up) or socket path
  uint8_t ip[16] = {};  // network order (Ipv4: first 4 bytes)
  bool wildcard = false;
  uint16_t port_lo = 0, port_hi = 0;  // a bind may carry a range
  int32_t fd = -1;                    // fd@N
};

// `bind ... ssl` (format 8): what builds the listener's TLS context at start-up. Versions are
// TLS1_VERSION..TLS1_3_VERSION (0: OpenSSL's bound); the global ssl-default-bind-* are folded in.
struct TlsBindSpec {
  bool enabled = false;
  std::vector<std::string> crt;   // crt-base applied
  std::vector<std::string> alpn;  // `alpn h2,http/1.1`
  std::string ciphers, ciphersuites;
  int32_t min_ver = 0, max_ver = 0;
  bool strict_sni = false, no_tickets = false, prefer_client_ciphers = false;
  uint8_t verify = 0;  // 0 none, 1 optional, 2 required
  std::string ca_file, crl_file;
};

struct BindSpec {
  std::string where;  // "file:line" of the bind line
  Endpoint addr;
  bool v4v6 = false, v6only = false;
  uint32_t backlog = 0;  // 0 = the frontend's maxconn, as HAProxy
  uint32_t maxconn = 0;  // 0 = no per-listener limit
  TlsBindSpec tls;
  std::string name;           // `name` (the log's listener name when a handshake fails)
  bool accept_proxy = false;  // a PROXY protocol header comes first (format 10)
};

// `server ... ssl` (format 8).
struct TlsServerSpec {
  bool enabled = false;
  bool verify = true;  // verify required (ssl-server-verify's default)
  std::string ca_file, crt, ciphers, ciphersuites;
  std::string sni;  // a literal server name (`sni str(NAME)`), empty: none
  std::vector<std::string> alpn;
  bool reuse = true;        // no-ssl-reuse clears it
  bool no_tickets = false;  // ssl-default-server-options no-tls-tickets
  int32_t min_ver = 0, max_ver = 0;
};

struct CheckSpec {
  bool enabled = false;
  uint64_t inter_ms = 2000, fastinter_ms = 0, downinter_ms = 0;
  uint32_t fall = 3, rise = 2;
  uint16_t port = 0;  // 0 = the server's port
  bool has_addr = false;
  Endpoint addr;  // `addr` check option
};

// `agent-check` with agent-port/agent-inter/agent-addr/agent-send (format 18): HAProxy's auxiliary
// agent check, a TCP connection whose one-line answer sets the server's weight, state and health.
struct AgentSpec {
  bool enabled = false;
  uint64_t inter_ms = 2000;  // the check's `inter` unless `agent-inter`
  uint16_t port = 0;
  bool has_addr = false;  // agent-addr (or the check's `addr`): else the server's address
  Endpoint addr;
  std::string send;  // agent-send, sent verbatim once connected
};

// A server's `send-proxy*` and `proxy-v2-options` (HAProxy's SRV_PP_* bits, ServerSpec::pp_opts).
enum : uint16_t {
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

// A server's run-time DNS resolution (`resolvers`, `resolve-*`, `init-addr`; format 10).
struct NetSpec {
  uint8_t ip[16] = {};
  uint8_t prefix = 0;
  bool v6 = false;
};
enum class InitAddrKind : uint8_t { Last, Libc, None, Ip };
struct InitAddrSpec {
  InitAddrKind kind = InitAddrKind::Last;
  Endpoint ip;  // kind Ip
};
struct ServerDnsSpec {
  uint32_t resolvers = kNoIndex;  // index in Topology::resolvers; kNoIndex: resolved at start only
  std::string fqdn;               // the host name (empty for an IP address)
  bool prefer_v4 = false;
  std::vector<NetSpec> nets;
  bool allow_dup_ip = false, ignore_weight = false;
  std::vector<InitAddrSpec> init_addr;  // empty: "last,libc"
};

// A captured header: its name (matched case-insensitively) and the length its value is cut to.
struct CaptureSpec {
  std::string name;
  uint32_t len = 0;
};

struct ServerSpec {
  std::string where;  // "file:line" of the server line
  std::string name;
  Endpoint addr;
  int32_t id = 0;          // always set (explicit or automatic, as HAProxy numbers them)
  bool id_forced = false;  // `id N` on the server line
  uint32_t weight = 1, maxconn = 0, maxqueue = 0;
  bool backup = false, disabled = false;
  CheckSpec check;
  AgentSpec agent;     // format 18
  std::string cookie;  // `cookie VALUE` (format 6): the persistence cookie's value for this server
  TlsServerSpec tls;
  uint16_t pp_opts = 0;           // send-proxy*, proxy-v2-options: net/proxy_header.h's kPp* bits (format 10)
  bool check_send_proxy = false;  // health checks send a PROXY header too (format 10)
  ServerDnsSpec dns;
};

// `option httpchk` with `http-check send` / `http-check expect` (format 6). The request is built
// by the compiler, byte for byte as HAProxy 2.6 sends it.
enum class CheckExpectKind : uint8_t { Status, RStatus, String, RString };
struct CheckExpectSpec {
  CheckExpectKind kind = CheckExpectKind::Status;
  bool negate = false;
  std::string pattern;  // status: "200,300-399"; rstatus/rstring: a PCRE; string: the text
};
struct HttpCheckSpec {
  bool enabled = false;
  std::string request;                   // the whole request: line, headers, empty line, body
  bool head = false;                     // method HEAD: the response has no body
  std::vector<CheckExpectSpec> expects;  // empty: a 2xx or 3xx status passes
};

// `option tcp-check` with its `tcp-check` rules, or one of HAProxy 2.6's built-in rule sets
// (`option redis-check`, `smtpchk`, `mysql-check`, `pgsql-check`, `ldap-check`, `ssl-hello-chk`) as the rules
// it makes of them (format 11, 17). Steps are numbered from 1 as in HAProxy's messages; a check whose first
// step is no connect opens its connection first (HAProxy's implicit connect, "initial connection step").
enum class TcpCheckStepKind : uint8_t { Comment, Connect, Send, Expect };
// An expect's on-error / on-success text: a fixed one (Text), or the forms the protocol checks
// use: Line "%[res.payload(0,0),cut_crlf]", AfterCode "%[res.payload(4,0),ltrim(' '),cut_crlf]",
// From6 "%[res.payload(6,0)]" (a C string: up to its first NUL).
enum class TcpCheckMsg : uint8_t { None, Text, Line, AfterCode, From6 };
// The "expect custom" rules of the protocol checks (HAProxy's C functions): the MySQL initial
// handshake packet, the MySQL packet after it (OK or error), the LDAP bind response, the SPOP
// agent's HELLO frame.
enum class TcpCheckCustom : uint8_t { None, MysqlHandshake, MysqlOk, LdapBind, SpopHello };
struct TcpCheckStep {
  TcpCheckStepKind kind = TcpCheckStepKind::Comment;
  bool binary = false, regex = false, negate = false;  // expect string|binary|rstring|rbinary, `!`
  uint16_t port = 0;                                   // connect port N (0: the check's port)
  std::string data;     // send: the bytes; expect: the text, bytes or PCRE; comment: its text
  std::string comment;  // the rule's own `comment`
  // expect (the protocol checks'): min-recv (-1: none), error-status L7STS instead of L7RSP,
  // on-error / on-success, status-code "res.payload(0,3)", a custom rule.
  int32_t min_recv = -1;
  bool error_l7sts = false, status_code = false;
  TcpCheckMsg on_error = TcpCheckMsg::None, on_success = TcpCheckMsg::None;
  std::string error_text, success_text;  // on_error / on_success Text
  TcpCheckCustom custom = TcpCheckCustom::None;
  // expect: ok-status L6OK, error-status L6RSP, tout-status L6TOUT (ssl-hello-chk's); send: the 4
  // bytes at offset 11 are the current time (its "%[date(),htonl,hex]").
  bool layer6 = false, send_time = false;
};
enum class TcpCheckProto : uint8_t { Tcp, Redis, Smtp, Mysql, Pgsql, Ldap, SslHello, Spop };
struct TcpCheckSpec {
  bool enabled = false;
  TcpCheckProto proto = TcpCheckProto::Tcp;
  std::vector<TcpCheckStep> steps;  // empty: a connect is the whole check
};

// `cookie NAME insert|rewrite|prefix ...` of a backend (format 6).
enum class CookieMode : uint8_t { Rewrite, Insert, Prefix };
struct CookieSpec {
  bool enabled = false;
  std::string name;
  CookieMode mode = CookieMode::Rewrite;
  bool indirect = false, nocache = false, postonly = false, preserve = false, httponly = false,
       secure = false;
  std::string domain;                     // "a; domain=b" for several `domain` options, as HAProxy joins them
  std::string attrs;                      // `attr` values joined with "; "
  uint32_t maxidle_s = 0, maxlife_s = 0;  // 0 = not set
};

// Milliseconds; 0 = not set (infinite), as in HAProxy.
struct TimeoutSpec {
  uint64_t client = 0, server = 0, connect = 0, queue = 0, tunnel = 0, client_fin = 0, server_fin = 0,
           check = 0;
  uint64_t http_request = 0, http_keep_alive = 0;  // HTTP mode (format 3)
};

enum class ProxyMode : uint8_t { Tcp, Http };

// A `stick-table` (HAProxy's keys: ip, ipv6, integer, string, binary): the server id (what
// `stick` rules need) and the data types of `store ...` (sticky counters).
enum class StickKeyType : uint8_t { Ip, Ipv6, Integer, String, Binary };
struct StkStoreSpec {
  StkData type = StkData::ServerId;
  uint32_t period_ms = 0;  // a rate's period (`http_req_rate(10s)`)
};
struct StickTableSpec {
  bool present = false;
  StickKeyType type = StickKeyType::Ip;
  uint32_t key_len = 0;             // string/binary key size in bytes (HAProxy: string 32 by default)
  uint64_t size = 0;                // maximum entries
  uint64_t expire_ms = 0;           // 0 = entries never expire (only evicted by size)
  bool nopurge = false;             // full table: refuse new entries instead of evicting the oldest
  std::vector<StkStoreSpec> store;  // in the order written
  bool sticky = false;              // `stick` rules use it: server_id and server_key are kept
};

// One `stick` rule of a backend, in file order (the index the program's `stick` hook takes).
enum class StickKind : uint8_t { On, Match, StoreRequest, StoreResponse };
struct StickRuleSpec {
  StickKind kind = StickKind::On;
  uint32_t table = kNoIndex;  // proxy index holding the stick-table
};

// Which compiled hooks have rules in a proxy (bits), so the runtime buffers data or calls a
// hook only where a rule can run.
enum : uint8_t {
  kHasTcpReqConn = 1,
  kHasTcpReqSess = 2,
  kHasTcpReqCont = 4,
  kHasTcpResCont = 8,
  kHasHttpReq = 16,
  kHasHttpRes = 32,
  kHasHttpAfterRes = 64,
};
// `option http-keep-alive` (default) / `http-server-close` / `httpclose` (same values as
// http::HttpMode).
enum class HttpConnMode : uint8_t { KeepAlive, ServerClose, Close };

// `option forwardfor [except NET] [header NAME] [if-none]`.
struct ForwardforSpec {
  bool enabled = false;
  std::string header;  // empty: X-Forwarded-For
  bool has_except = false, except_v6 = false;
  uint8_t except_addr[16] = {};
  uint8_t except_prefix = 0;
  bool if_none = false;
};

// One `errorfile` (after `errorfiles` / `http-errors` and defaults inheritance): the raw response.
struct ErrorFileSpec {
  int32_t status = 0;
  std::string content;
};
enum class BalanceAlgo : uint8_t {
  RoundRobin,
  StaticRr,
  LeastConn,
  First,
  Source,
  Random,
  Uri,
  UrlParam,
  Hdr
};
// hash-type's function for uri / url_param / hdr (HAProxy's gen_hash).
enum class HashFn : uint8_t { Sdbm, Djb2, Wt6, Crc32 };

// A `log` line (`log global` resolved): where to, how framed, which levels (HAProxy 2.6's manual,
// section 4.2 "log"). Written by the log/ layer.
enum class LogSinkKind : uint8_t { Fd, Unix, Udp4, Udp6 };
// Unspec is rfc3164 as HAProxy writes it when no `format` is given: a host name only with
// `log-send-hostname` (an explicit rfc3164 always writes one, "localhost" by default).
enum class LogFormatKind : uint8_t { Unspec, Rfc3164, Rfc5424, Short, Priority, Timed, Iso, Raw, Local };
struct LogSampleRange {
  uint32_t lo = 0, hi = 0;  // 1-based, inclusive
};
struct LogTargetSpec {
  LogSinkKind kind = LogSinkKind::Fd;
  uint8_t fd = 1;       // Fd: 1 stdout, 2 stderr (fd@N)
  std::string path;     // Unix: the datagram socket's path
  uint8_t ip[16] = {};  // Udp4/Udp6: network order (Udp4: first 4 bytes)
  uint16_t port = 514;  // Udp4/Udp6
  LogFormatKind format = LogFormatKind::Unspec;
  uint8_t facility = 16;  // local0
  uint8_t max_level = 7;  // messages above this level (less severe) are dropped
  uint8_t min_level = 0;  // messages below it are raised to it
  uint32_t len = 1024;
  // The largest `len` of the configuration (HAProxy's global.max_syslog_len): HAProxy builds every
  // message in a buffer of that size, so a message keeps at most message_max - 1 bytes.
  uint32_t message_max = 1024;
  // `sample RANGES:SIZE`: of each SIZE messages, those whose 1-based rank is in a range are sent.
  uint32_t sample_size = 0;  // 0 = every message
  std::vector<LogSampleRange> sample;
  std::string tag = "haproxy";  // log-tag (the proxy's, else the global one)
  // log-send-hostname: send_hostname with an empty hostname means the machine's name.
  bool send_hostname = false;
  std::string hostname;
  // The rank of the next message among sample_size, shared by the copies of this target.
  std::shared_ptr<std::atomic<uint32_t>> sample_next = std::make_shared<std::atomic<uint32_t>>(0);
};

// `stats http-request allow|deny|auth [realm R]`: the compiled rules set txn.lbc_stats_rule_<k>
// when rule k's condition holds; the first set one applies.
enum class StatsRuleKind : uint8_t { Allow, Deny, Auth };
struct StatsRuleSpec {
  StatsRuleKind kind = StatsRuleKind::Allow;
  std::string realm;  // auth: empty = the page's
};

// A proxy's stats page (format 10): `stats enable|uri|realm|auth|refresh|scope|admin|show-*`.
struct StatsPageSpec {
  bool enabled = false;
  std::string uri, realm;
  std::vector<std::string> auths;   // "user:password"
  std::vector<std::string> scopes;  // proxy names; empty: every proxy
  uint32_t refresh_s = 0;
  bool hide_version = false, show_legends = false, show_node = false, show_desc = false;
  bool admin = false;      // `stats admin if C`: the compiled rules set txn.lbc_stats_admin when C holds
  std::string node, desc;  // empty: the host name / none
  std::vector<StatsRuleSpec> rules;
};

struct ProxySpec {
  std::string where;  // "file:line" of the section header
  std::string name;
  uint32_t index = 0;  // its place in Topology::proxies (set by decodeTopology, not encoded)
  bool frontend = false, backend = false;
  ProxyMode mode = ProxyMode::Tcp;
  std::vector<BindSpec> binds;
  uint32_t maxconn = 0;  // 0 = the global maxconn
  TimeoutSpec timeouts;
  uint32_t retries = 3;
  bool redispatch = false;
  bool abortonclose = false;       // option abortonclose: drop queued/connecting requests the client closed
  bool log_health_checks = false;  // option log-health-checks (format 18)
  int32_t redispatch_interval = -1;
  BalanceAlgo balance = BalanceAlgo::RoundRobin;
  bool hash_consistent = false, hash_avalanche = false;
  HashFn hash_fn = HashFn::Sdbm;
  // balance uri: whole (keep the query string), len (first N chars), depth (N directories; 0 = all).
  bool uri_whole = false;
  uint32_t uri_len = 0, uri_depth = 0;
  std::string balance_arg;  // url_param's parameter / hdr's header name
  bool hdr_domain_only = false;
  uint32_t random_draws = 2;
  std::vector<ServerSpec> servers;
  uint32_t backend_index = kNoIndex;  // frontends: the backend every connection goes to
  // ---- compiled rules (format 2) ----
  // Frontends: the program's select_backend chooses the backend (conditional or dynamic
  // use_backend); backend_index is then unused.
  bool select_backend = false;
  uint8_t hooks = 0;                      // kHas* bits
  uint64_t tcp_inspect_delay_ms = 0;      // tcp-request inspect-delay (0 = none)
  uint64_t tcp_res_inspect_delay_ms = 0;  // tcp-response inspect-delay (0 = none)
  bool persist = false;                   // option persist: stick to a server even when down
  StickTableSpec table;
  std::vector<StickRuleSpec> stick_rules;
  // ---- HTTP mode (format 3) ----
  HttpConnMode http_mode = HttpConnMode::KeepAlive;
  ForwardforSpec forwardfor;
  std::vector<ErrorFileSpec> errorfiles;
  // ---- logs (format 4) ----
  std::vector<LogTargetSpec> logs;
  bool httplog = false, tcplog = false, dontlognull = false;
  bool httplog_clf = false;                                  // `option httplog clf` (format 10)
  bool dontlog_normal = false, log_separate_errors = false;  // format 19
  bool http_ignore_probes = false;  // format 19: a connection that sent nothing: no 408, no log, no error
  // `capture request|response header NAME len N` (format 19): the slots of %hr / %hs.
  std::vector<CaptureSpec> req_captures, res_captures;
  // ---- health checks and persistence (format 6) ----
  HttpCheckSpec httpchk;
  CookieSpec cookie;
  StatsPageSpec stats;
  TcpCheckSpec tcpchk;  // format 11
};

// `stats socket ADDR [level L] [mode M] [uid U] [gid G]` (format 8).
enum class CliLevel : uint8_t { User, Operator, Admin };
struct StatsSocketSpec {
  std::string where;  // "file:line"
  Endpoint addr;
  CliLevel level = CliLevel::User;
  uint32_t mode = 0;  // 0 = as the umask leaves it
  int32_t uid = -1, gid = -1;
};

struct GlobalSpec {
  bool daemon = false;
  uint32_t nbthread = 0;  // 0 = online CPUs
  uint32_t maxconn = 0;   // 0 = derived from the fd limit, as HAProxy
  std::string pidfile;
  std::string chroot;             // "" = none
  std::string node, description;  // show info's node ("" = the host name) and description
  uint64_t grace_ms = 0;          // SIGUSR1: still accepting for this long, then the soft stop
  uint32_t uid = 0, gid = 0;      // 0 = keep, as HAProxy (user/uid, group/gid resolved at compile time)
  uint32_t bufsize = 16384;
  uint32_t maxrewrite = 1024;
  uint64_t hard_stop_after_ms = 0;  // 0 = unbounded
  std::vector<StatsSocketSpec> stats_sockets;
  uint64_t stats_timeout_ms = 10000;  // HAProxy's default: 10s
  uint32_t stats_maxconn = 10;
};

// Proxies are in the IR's order, one per IR proxy (a `defaults` section or a disabled proxy is
// neither frontend nor backend), so a topology index is the index compiled hooks take.
// A `resolvers` section (format 10): milliseconds, HAProxy 2.6's defaults.
struct NameserverSpec {
  std::string id;
  Endpoint addr;
  bool tcp = false;
};
struct ResolversSpec {
  std::string name;
  std::vector<NameserverSpec> nameservers;
  uint32_t retries = 3;
  uint64_t timeout_resolve = 1000, timeout_retry = 1000;
  uint64_t hold_valid = 10000, hold_nx = 30000, hold_refused = 30000, hold_timeout = 30000,
           hold_other = 30000, hold_obsolete = 0;
  uint32_t payload = 512;
};

struct Topology {
  GlobalSpec global;
  std::vector<ProxySpec> proxies;
  std::vector<ResolversSpec> resolvers;
};

std::vector<uint8_t> encodeTopology(const Topology& topo);
// Never trusts its input: a truncated or corrupt blob yields false and a reason.
bool decodeTopology(const uint8_t* data, size_t size, Topology& out, std::string& err);

}  // namespace lbc::rt

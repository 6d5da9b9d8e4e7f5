/* The only interface between generated code and the runtime (see shared DESIGN.md and docs/abi.md).
 * extern "C", opaque handles and scalars.
 *
 * A compiled configuration is one `lbc_program` descriptor. The runtime reads:
 *   - `magic` and `abi_version`, and refuses a program that does not match;
 *   - `topology`/`topology_size`: the binds, proxies, servers, timeouts... encoded by
 *     lbc::rt::encodeTopology (runtime/include/lbc/rt/topology.h) and decoded at start-up, so a
 *     JIT-compiled program and an AOT executable start the runtime the same way;
 *   - `init` (called once before any hook) and `fini`;
 *   - the hook entry points (compiled rule lists), NULL where the configuration has none.
 *
 * Generated code calls the helpers listed ONCE below (LBC_ABI_HELPERS, LBC_ABI_FETCHES,
 * LBC_ABI_CONVS). From that list come the C prototypes, the {name, address, signature} table the
 * JIT registers as its only symbols (lbc_abi_symbols), and the signatures codegen declares.
 *
 * Lifetimes. Every string a helper returns (in an lbc_smp or otherwise) lives in the transaction's
 * arena or in the request/response it describes, and stays valid until the transaction ends; a
 * rewrite never frees the bytes an earlier sample points to. Helpers never keep caller pointers
 * beyond the call, except lbc_arg arrays and regex/map handles, which must outlive the program.
 *
 * Bump LBC_ABI_VERSION on any incompatible change (a signature, a struct layout, a constant). */
#ifndef LBC_ABI_H
#define LBC_ABI_H
#include <stddef.h>
#include <stdint.h>

#include "lbc/abi_stk.h"

/* ABI changelog (bump LBC_ABI_VERSION on every incompatible change, and add a line here):
 *   1  lbc_program with magic, abi_version and the encoded topology.
 *   2  proxy names and caps, init/fini, and the hook entry points (LBC_HOOKS).
 * Unchanged by the LBC_HOOKS table itself: it spells the same fields in the same order. */
#define LBC_ABI_VERSION 2u
#define LBC_PROGRAM_MAGIC 0x4C42433Fu /* "LBC?" */

#ifdef __cplusplus
extern "C" {
#endif

/* ---- opaque handles -------------------------------------------------------------------------- */

typedef struct lbc_txn lbc_txn;     /* one transaction: lbc::rt::Txn (runtime/include/lbc/rt/txn.h) */
typedef struct lbc_regex lbc_regex; /* a compiled PCRE2 regex (JIT-compiled when PCRE2 can) */
typedef struct lbc_map lbc_map;     /* a loaded map file (map_* converters) */

/* ---- samples ----------------------------------------------------------------------------------
 * A sample is a typed value. Type LBC_SMP_NONE means "not found" (the fetch had nothing to return,
 * or a converter failed). Layout is part of the ABI: generated code may read `type`, `sint`, `ptr`,
 * `len` and `ip` directly. */
enum {
  LBC_SMP_NONE = 0, /* not found */
  LBC_SMP_BOOL = 1, /* sint = 0 or 1 */
  LBC_SMP_SINT = 2, /* sint */
  LBC_SMP_IPV4 = 3, /* ip[0..3], network order */
  LBC_SMP_IPV6 = 4, /* ip[0..15], network order */
  LBC_SMP_STR = 5,  /* ptr/len, not NUL-terminated */
  LBC_SMP_BIN = 6,  /* ptr/len */
  LBC_SMP_METH = 7, /* ptr/len: the method as sent (GET, POST, or any token) */
};

/* lbc_smp.flags */
enum {
  /* Input, set by the caller before the first fetch call: iterate over every value of a
   * multi-valued fetch (an ACL does this for hdr(), cook(), ...). Without it a fetch returns its
   * single default value (e.g. the last occurrence of a header). */
  LBC_SMPF_MULTI = 1u << 0,
  /* Output: more values follow; call the fetch again with the same lbc_smp (its `ctx` holds the
   * position) to get the next one. */
  LBC_SMPF_NOT_LAST = 1u << 1,
  /* Output: the value may still change as data arrives (req.len while lbc_rt_more_data() != 0),
   * so a value that does not match makes the term MISS, not FAIL (HAProxy's SMP_F_MAY_CHANGE).
   * Added without a version bump: a program that ignores it only evaluates such a term early. */
  LBC_SMPF_MAY_CHANGE = 1u << 2,
};

typedef struct lbc_smp {
  uint32_t type;   /* LBC_SMP_* */
  uint32_t flags;  /* LBC_SMPF_* */
  int64_t sint;    /* BOOL, SINT */
  const char* ptr; /* STR, BIN, METH */
  uint64_t len;
  uint8_t ip[16]; /* IPV4 (first 4 bytes), IPV6 */
  uint64_t ctx;   /* iteration position, owned by the fetch; set to 0 before the first call */
} lbc_smp;        /* 56 bytes */

/* Result of a fetch (lbc_fetch_*). */
enum {
  LBC_FETCH_NONE = 0, /* not found: out->type = LBC_SMP_NONE */
  LBC_FETCH_OK = 1,   /* found: out holds the value */
  LBC_FETCH_MISS = 2, /* the data is not complete yet (tcp-request inspect-delay) and may still
                         arrive: the answer may change. Only returned when the transaction says
                         more data can come (lbc_rt_more_data() != 0); otherwise NONE. */
};

/* Three-valued condition results, encoded as HAProxy does so that AND is `&` and OR is `|`:
 * FAIL & x = FAIL, PASS & x = x, MISS | PASS = PASS. NOT: PASS<->FAIL, MISS stays MISS. */
enum { LBC_FAIL = 0, LBC_MISS = 1, LBC_PASS = 3 };

/* A constant argument of a fetch or converter, prepared by codegen (or the interpreter) from the
 * IR: `str`/`len` the text as written, `num` its integer value when it is an integer argument,
 * `obj` a handle set by lbc_rt_args_prepare() at init (compiled regex, loaded map), else NULL. */
typedef struct lbc_arg {
  const char* str;
  uint64_t len;
  int64_t num;
  const void* obj;
} lbc_arg; /* 32 bytes */

/* ---- hooks -------------------------------------------------------------------------------------
 * One compiled function per hook point. `proxy` is the index of the proxy whose rules run, in
 * the IR's order (lbc_program.proxy_names). The frontend's rules run with the frontend index, the
 * backend's with the backend index. The caller sets the transaction's direction (request or
 * response side, lbc::rt::Txn::in_response) before calling a response-side hook. */
enum {
  LBC_HOOK_CONTINUE = 0, /* no final action fired: go on with the next stage */
  LBC_HOOK_ALLOW = 1,    /* allow / accept fired: stop this rule list, go on */
  LBC_HOOK_DENY = 2,     /* deny: the reply (status, body, headers) is in the txn's verdict */
  LBC_HOOK_REJECT = 3,   /* reject: close the connection without a response */
  LBC_HOOK_REDIRECT = 4, /* redirect: status and Location are in the txn's verdict */
  LBC_HOOK_RETURN = 5,   /* return: the reply is in the txn's verdict */
  LBC_HOOK_MISS = 6,     /* a condition needs data that has not arrived: call the hook again
                            (from its first rule) when more data arrives or the delay expires */
  LBC_HOOK_ERROR = 7,    /* a rewrite failed (arena limit): answer 500 as HAProxy's strict mode */
};

/* The backend a request goes to: a proxy index >= 0, or one of these. */
enum {
  LBC_BACKEND_NONE = -1, /* no use_backend matched and no default_backend: 503 */
};

/* The kinds of rules reported to lbc_rt_fired (rule identity = proxy, kind, index). */
enum {
  LBC_RULE_ACTION = 0,      /* ir::Proxy::rules[index] (tcp-request, http-request, ...) */
  LBC_RULE_USE_BACKEND = 1, /* ir::Proxy::use_backends[index] */
  LBC_RULE_DEFAULT_BACKEND = 2,
  LBC_RULE_STICK = 3, /* ir::Proxy::stick_rules[index] */
};

typedef int32_t (*lbc_hook_fn)(lbc_txn* txn, uint32_t proxy);
/* Returns the backend's proxy index or LBC_BACKEND_NONE; a `listen` section with no matching rule
 * and no default_backend returns its own index. */
typedef int32_t (*lbc_backend_fn)(lbc_txn* txn, uint32_t frontend);
/* Evaluates stick rule `rule` of `proxy` (ir::Proxy::stick_rules order): its condition and, when
 * the condition passes, its key expression into *key (type NONE when the key is not found).
 * Returns LBC_PASS, LBC_FAIL or LBC_MISS (the condition or key needs more data). */
typedef int32_t (*lbc_stick_fn)(lbc_txn* txn, uint32_t proxy, uint32_t rule, lbc_smp* key);
typedef int32_t (*lbc_init_fn)(void); /* 0 = ok; prepares regexes and maps */
typedef void (*lbc_fini_fn)(void);

/* The hooks, ONCE, in HAProxy's analyser order: X(field, Name, KIND, "text").
 * `field` is the lbc_program member, `Name` the C++ id (lbc::stdlib::Hook, and lbc::ir::RuleSet for
 * the RULES hooks), KIND the entry point's type: RULES runs one rule set (lbc_hook_fn), BACKEND is
 * use_backend/default_backend (lbc_backend_fn), STICK the stick rules (lbc_stick_fn). The IR's
 * rule sets, this descriptor, codegen, the interpreter and `lbc run --engine=interp` derive from
 * it. Reordering or inserting an entry changes the layout: bump LBC_ABI_VERSION. */
#define LBC_HOOKS(X)                                           \
  X(tcp_req_conn, TcpReqConn, RULES, "tcp-request connection") \
  X(tcp_req_sess, TcpReqSess, RULES, "tcp-request session")    \
  X(tcp_req_cont, TcpReqCont, RULES, "tcp-request content")    \
  X(tcp_res_cont, TcpResCont, RULES, "tcp-response content")   \
  X(http_req, HttpReq, RULES, "http-request")                  \
  X(select_backend, SelectBackend, BACKEND, "use_backend")     \
  X(stick, Stick, STICK, "stick")                              \
  X(http_res, HttpRes, RULES, "http-response")                 \
  X(http_after_res, HttpAfterRes, RULES, "http-after-response")

/* KIND -> entry point type. */
#define LBC_HOOK_FN_RULES lbc_hook_fn
#define LBC_HOOK_FN_BACKEND lbc_backend_fn
#define LBC_HOOK_FN_STICK lbc_stick_fn
/* LBC_HOOK_IF_RULES_##KIND(x): x for a RULES hook, nothing for the others. */
#define LBC_HOOK_IF_RULES_RULES(x) x
#define LBC_HOOK_IF_RULES_BACKEND(x)
#define LBC_HOOK_IF_RULES_STICK(x)

typedef struct lbc_program {
  uint32_t magic;       /* LBC_PROGRAM_MAGIC */
  uint32_t abi_version; /* LBC_ABI_VERSION */
  const uint8_t* topology;
  uint64_t topology_size;
  /* --- added by ABI 2 --- */
  uint32_t nproxies;
  uint32_t reserved0;
  const char* const* proxy_names; /* nproxies names, IR order (= topology order) */
  const uint8_t* proxy_caps;      /* nproxies: 1 = frontend, 2 = backend, 3 = listen */
  lbc_init_fn init;               /* may be NULL */
  lbc_fini_fn fini;               /* may be NULL */
  /* The hook entry points, NULL where the configuration has none. */
#define LBC_HOOK_FIELD(field, Name, KIND, text) LBC_HOOK_FN_##KIND field;
  LBC_HOOKS(LBC_HOOK_FIELD)
#undef LBC_HOOK_FIELD
} lbc_program;

/* ---- constants used by helpers -------------------------------------------------------------- */

enum { LBC_DIR_REQ = 0, LBC_DIR_RES = 1 }; /* header actions: which message */
/* replace-uri / replace-path / replace-pathq: the part of the request URI matched and replaced. */
enum { LBC_URI_WHOLE = 0, LBC_URI_PATH = 1, LBC_URI_PATHQ = 2 };

/* Variable scopes (set-var, var()). */
enum { LBC_VAR_PROC = 0, LBC_VAR_SESS = 1, LBC_VAR_TXN = 2, LBC_VAR_REQ = 3, LBC_VAR_RES = 4 };

/* Name-match methods of del-header -m (and lbc_match_* selectors). Same values as
 * lbc::stdlib::MatchMethod. */
enum {
  LBC_MATCH_FOUND = 0,
  LBC_MATCH_BOOL,
  LBC_MATCH_INT,
  LBC_MATCH_IP,
  LBC_MATCH_BIN,
  LBC_MATCH_LEN,
  LBC_MATCH_STR,
  LBC_MATCH_SUB,
  LBC_MATCH_REG,
  LBC_MATCH_BEG,
  LBC_MATCH_END,
  LBC_MATCH_DIR,
  LBC_MATCH_DOM
};

enum { LBC_RE_ICASE = 1 }; /* lbc_rt_regex_new flags */

/* lbc_match_int flags: which bounds exist (`lo:`, `:hi`, `lo:hi`, `eq`...). */
enum { LBC_INT_HAS_LO = 1, LBC_INT_HAS_HI = 2 };

/* Redirect (lbc_act_redirect). */
enum { LBC_REDIR_LOCATION = 0, LBC_REDIR_PREFIX = 1, LBC_REDIR_SCHEME = 2 };
// LBC_REDIR_IGNORE_EMPTY: an empty `location` makes lbc_act_redirect return 0 (the rule is skipped).
enum { LBC_REDIR_DROP_QUERY = 1, LBC_REDIR_APPEND_SLASH = 2, LBC_REDIR_IGNORE_EMPTY = 4 };

/* deny / return (lbc_act_reply_begin): body kinds. The body text is passed already loaded
 * (string, file contents, rendered lf-string). NONE = HAProxy's default error page of the status. */
enum { LBC_BODY_NONE = 0, LBC_BODY_TEXT = 1, LBC_BODY_ERRORFILE = 2 /* full HTTP response as written */ };

/* Log-format flags (%{+Q}[...]) for lbc_lf_smp / lbc_lf_alias. LBC_LF_HTTP is the rendering context
 * of a rule's format (HAProxy's LOG_OPT_HTTP: set-header, redirect, return, set-path, use_backend...):
 * a sample that fetches nothing is written as nothing (a log line writes "-"), +Q and +X do not apply
 * to samples, and control characters other than HT are written %XX. */
enum { LBC_LF_QUOTE = 1, LBC_LF_HEX = 2, LBC_LF_ESC = 4, LBC_LF_HTTP = 8 };

/* Log-format aliases usable in rule formats (lbc_lf_alias). */
enum {
  LBC_ALIAS_CI = 0, /* %ci client ip */
  LBC_ALIAS_CP,     /* %cp client port */
  LBC_ALIAS_FI,     /* %fi frontend (destination) ip */
  LBC_ALIAS_FP,     /* %fp frontend port */
  LBC_ALIAS_F,      /* %f  frontend name */
  LBC_ALIAS_FT,     /* %ft frontend name with '~' when ssl */
  LBC_ALIAS_B,      /* %b  backend name ("-" before backend selection) */
  LBC_ALIAS_HM,     /* %HM method */
  LBC_ALIAS_HU,     /* %HU uri */
  LBC_ALIAS_HP,     /* %HP path */
  LBC_ALIAS_HQ,     /* %HQ query with its '?' ("" if none) */
  LBC_ALIAS_HV,     /* %HV version ("HTTP/1.1") */
  LBC_ALIAS_R,      /* %r  request line "METHOD URI VERSION" */
  LBC_ALIAS_ST,     /* %ST status (response side) */
  LBC_ALIAS_COUNT
};

/* ---- helpers ---------------------------------------------------------------------------------
 * Signature codes: first character the return type, then one per argument:
 *   v void   i int32_t   l int64_t/uint64_t   p any pointer
 * Every helper is listed here once: X(name, "signature"). The comment above each group is its
 * contract. A helper never fails by crashing: bad input gives NONE / 0 / an error code. */
#define LBC_ABI_HELPERS(X)                                                                          \
  /* Runtime services. */                                                                           \
  /* 1 when a fetch may still return MISS (partial data and the inspect delay not expired). */      \
  X(lbc_rt_more_data, "ip")                                                                         \
  /* Records that a rule fired: (txn, proxy, LBC_RULE_* kind, index). Call before its action. */    \
  X(lbc_rt_fired, "vpiii")                                                                          \
  /* Allocates n bytes in the txn arena (freed with the txn); NULL past the arena limit. */         \
  X(lbc_rt_alloc, "ppl")                                                                            \
  /* Casts *smp in place to an LBC_SMP_* type as HAProxy's sample casts do (int->str decimal, */    \
  /* ip->str text, str->int leading digits, str->ip parse...). 1 = ok, 0 = impossible. */           \
  X(lbc_rt_smp_cast, "ippi")                                                                        \
  /* Proxy index of the backend named (ptr,len), or -1 (used by dynamic use_backend). */            \
  X(lbc_rt_find_backend, "ippl")                                                                    \
  /* Compiles a regex (PCRE2, JIT when available); NULL when it does not compile. */                \
  X(lbc_rt_regex_new, "ppli")                                                                       \
  X(lbc_rt_regex_free, "vp")                                                                        \
  /* Prepares the constant arguments of helper `name` (a NUL-terminated helper name such as */      \
  /* "lbc_conv_regsub"): compiles regexes, loads map files into args[i].obj. 0 = ok, -1 = error */  \
  /* (reason on stderr). A no-op returning 0 for helpers that need nothing. Call from init. */      \
  X(lbc_rt_args_prepare, "ippi")                                                                    \
  X(lbc_rt_args_release, "vppi")                                                                    \
  /* Matchers, one pattern at a time (codegen may inline or build sets instead). Strings: */        \
  /* (s, slen, pattern, plen, icase) -> 1 match / 0 no match. icase folds ASCII only. */            \
  X(lbc_match_str, "iplpli")                                                                        \
  X(lbc_match_beg, "iplpli")                                                                        \
  X(lbc_match_end, "iplpli")                                                                        \
  X(lbc_match_sub, "iplpli")                                                                        \
  /* dir: pattern equals a '/'-delimited component run; dom: a '.'/'/'-delimited run. */            \
  X(lbc_match_dir, "iplpli")                                                                        \
  X(lbc_match_dom, "iplpli")                                                                        \
  /* (value, lo, hi, LBC_INT_HAS_* flags) -> 1 when lo <= value <= hi for the bounds present. */    \
  X(lbc_match_int, "illli")                                                                         \
  /* (sample IPV4/IPV6, network[16], prefix length, network is v6) -> 1/0. IPv4 samples match */    \
  /* v6 networks through ::ffff:a.b.c.d and v4-mapped v6 samples match v4 networks. */              \
  X(lbc_match_ip, "ippii")                                                                          \
  /* (regex, s, slen) -> 1/0. */                                                                    \
  X(lbc_match_reg, "ippl")                                                                          \
  /* Log-format rendering: begin, append text / samples / aliases, end. The result is a STR */      \
  /* sample in the txn arena. One format is built at a time per txn; evaluate every sample of an */ \
  /* item before appending it. A sample of type NONE renders as "-" (as HAProxy). */                \
  X(lbc_lf_begin, "vp")                                                                             \
  X(lbc_lf_text, "vppl")                                                                            \
  X(lbc_lf_smp, "vppi")                                                                             \
  X(lbc_lf_alias, "vpii")                                                                           \
  X(lbc_lf_end, "ipp")                                                                              \
  /* Actions. `value` arguments are STR samples (a rendered log-format). Return 1 = done, */        \
  /* 0 = nothing to do or not applicable, -1 = rewrite failed (the hook returns LBC_HOOK_ERROR). */ \
  /* set-header / add-header: (txn, LBC_DIR_*, name, nlen, value). */                               \
  X(lbc_act_set_header,                                                                             \
    "ipipl"                                                                                         \
    "p")                                                                                            \
  X(lbc_act_add_header,                                                                             \
    "ipipl"                                                                                         \
    "p")                                                                                            \
  /* del-header: (txn, dir, name, nlen, LBC_MATCH_* method (STR by default), regex for REG). */     \
  X(lbc_act_del_header,                                                                             \
    "ipipl"                                                                                         \
    "ip")                                                                                           \
  /* replace-header / replace-value: (txn, dir, name, nlen, regex, replacement with \1..\9). */     \
  X(lbc_act_replace_header,                                                                         \
    "ipipl"                                                                                         \
    "pp")                                                                                           \
  X(lbc_act_replace_value,                                                                          \
    "ipipl"                                                                                         \
    "pp")                                                                                           \
  /* set-path / set-uri / set-query: (txn, value). */                                               \
  X(lbc_act_set_path, "ipp")                                                                        \
  X(lbc_act_set_uri, "ipp")                                                                         \
  X(lbc_act_set_query, "ipp")                                                                       \
  /* set-pathq / set-method: (txn, value). */                                                       \
  X(lbc_act_set_pathq, "ipp")                                                                       \
  X(lbc_act_set_method, "ipp")                                                                      \
  /* replace-uri / replace-path / replace-pathq: (txn, LBC_URI_*, regex, replacement with \1..). */ \
  X(lbc_act_replace_uri, "ipipp")                                                                   \
  /* set-var(scope.name): (txn, LBC_VAR_*, name, nlen, sample). A NONE sample sets nothing. */      \
  X(lbc_act_set_var,                                                                                \
    "ipipl"                                                                                         \
    "p")                                                                                            \
  /* redirect: (txn, LBC_REDIR_* type, target STR sample, code, LBC_REDIR_* flags, */               \
  /* set-cookie text, len, clear-cookie text, len). Fills the verdict; hook returns REDIRECT. */    \
  X(lbc_act_redirect,                                                                               \
    "ipip"                                                                                          \
    "ii"                                                                                            \
    "plpl")                                                                                         \
  /* deny / return: begin (txn, status, content-type, ctlen, LBC_BODY_*, body sample or NULL), */   \
  /* then one call per `hdr name fmt`. The hook then returns DENY / RETURN. */                      \
  X(lbc_act_reply,                                                                                  \
    "ipi"                                                                                           \
    "pl"                                                                                            \
    "ip")                                                                                           \
  X(lbc_act_reply_header,                                                                           \
    "ippl"                                                                                          \
    "p")                                                                                            \
  /* track-scN: (txn, slot, key sample, table name, len (0: the proxy's own table), the table's     \
   * proxy index). */                                                                               \
  X(lbc_act_track_sc,                                                                               \
    "ipi"                                                                                           \
    "p"                                                                                             \
    "pli")                                                                                          \
  /* set-status: (txn, status, reason, rlen). */                                                    \
  X(lbc_act_set_status,                                                                             \
    "ipi"                                                                                           \
    "pl")                                                                                           \
  /* sc-inc-gpc0/1(slot), sc-set-gpt0(slot) value|expr: (txn, LBC_SC_*, slot, value, expr sample    \
   * or null). */                                                                                   \
  X(lbc_act_sc_counter,                                                                             \
    "ipi"                                                                                           \
    "ilp")

/* Sample fetches: int32_t lbc_fetch_<Id>(lbc_txn*, const lbc_arg* args, uint32_t nargs,
 * lbc_smp* out), signature "ippip". <Id> is the registry id (stdlib/registry/fetches.def).
 * `out->flags` (LBC_SMPF_MULTI) and `out->ctx` are inputs; returns LBC_FETCH_*. */
#define LBC_ABI_FETCHES(X) \
  X(always_false)          \
  X(always_true)           \
  X(base)                  \
  X(cook)                  \
  X(dst)                   \
  X(dst_port)              \
  X(fc_pp_authority)       \
  X(fc_pp_unique_id)       \
  X(hdr)                   \
  X(hdr_cnt)               \
  X(hdr_ip)                \
  X(method)                \
  X(path)                  \
  X(payload_lv)            \
  X(query)                 \
  X(rep_ssl_hello_type)    \
  X(req_cook)              \
  X(req_fhdr)              \
  X(req_hdr)               \
  X(req_hdr_cnt)           \
  X(req_hdr_ip)            \
  X(req_len_2)             \
  X(req_payload)           \
  X(req_payload_lv)        \
  X(req_ssl_hello_type_2)  \
  X(req_ssl_sni_2)         \
  X(req_len)               \
  X(req_ssl_hello_type)    \
  X(req_ssl_sni)           \
  X(res_hdr)               \
  X(res_ssl_hello_type)    \
  X(shdr)                  \
  X(src)                   \
  X(src_port)              \
  X(ssl_bc)                \
  X(ssl_fc)                \
  X(ssl_fc_alpn)           \
  X(ssl_fc_cipher)         \
  X(ssl_fc_is_resumed)     \
  X(ssl_fc_protocol)       \
  X(ssl_fc_sni)            \
  X(status)                \
  X(url)                   \
  X(url_param)             \
  X(var)                   \
  X(hdr_val)               \
  X(req_hdr_val)           \
  X(res_hdr_val)           \
  X(shdr_val)              \
  X(req_proto_http)        \
  X(req_proto_http_2)      \
  X(req_ver)               \
  X(req_ver_2)             \
  X(rdp_cookie)            \
  X(req_rdp_cookie)        \
  X(rdp_cookie_cnt)        \
  X(req_rdp_cookie_cnt)    \
  X(wait_end)              \
  X(http_auth)             \
  X(http_auth_bearer)      \
  X(http_auth_group)       \
  X(http_auth_pass)        \
  X(http_auth_type)        \
  X(http_auth_user)        \
  X(pathq)                 \
  LBC_ABI_STK_FETCHES(X)

/* Converters: int32_t lbc_conv_<Id>(lbc_txn*, const lbc_arg* args, uint32_t nargs, lbc_smp* smp),
 * signature "ippip". The input is *smp (any type: the converter casts it to its input type);
 * the output replaces it. Returns 1, or 0 when the conversion fails (smp->type becomes NONE).
 * `ctx` and LBC_SMPF_NOT_LAST are left untouched, so a multi-valued fetch can continue. */
#define LBC_ABI_CONVS(X) \
  X(add)                 \
  X(and_)                \
  X(b64dec)              \
  X(base64)              \
  X(be2dec)              \
  X(be2hex)              \
  X(bool_)               \
  X(bytes)               \
  X(concat)              \
  X(cpl)                 \
  X(crc32)               \
  X(crc32c)              \
  X(digest)              \
  X(div)                 \
  X(djb2)                \
  X(even)                \
  X(field)               \
  X(hex)                 \
  X(hex2i)               \
  X(hmac)                \
  X(htonl)               \
  X(http_date)           \
  X(iif)                 \
  X(ipmask)              \
  X(json)                \
  X(length)              \
  X(lower)               \
  X(ltime)               \
  X(ltrim)               \
  X(map)                 \
  X(map_beg)             \
  X(map_end)             \
  X(map_int)             \
  X(map_ip)              \
  X(map_reg)             \
  X(map_str)             \
  X(map_sub)             \
  X(mod)                 \
  X(mul)                 \
  X(neg)                 \
  X(not_)                \
  X(odd)                 \
  X(or_)                 \
  X(regsub)              \
  X(rtrim)               \
  X(sdbm)                \
  X(secure_memcmp)       \
  X(sha1)                \
  X(sha2)                \
  X(sub)                 \
  X(ub64dec)             \
  X(ub64enc)             \
  X(upper)               \
  X(url_dec)             \
  X(utime)               \
  X(word)                \
  X(wt6)                 \
  X(xor_)                \
  X(xxh32)               \
  X(xxh64)               \
  X(strcmp)              \
  X(cut_crlf)            \
  X(host_only)           \
  X(port_only)           \
  LBC_ABI_STK_CONVS(X)

#define LBC_ABI_FETCH_SIG "ippip"
#define LBC_ABI_CONV_SIG "ippip"

/* ---- prototypes -------------------------------------------------------------------------------- */

int32_t lbc_rt_more_data(lbc_txn* txn);
void lbc_rt_fired(lbc_txn* txn, uint32_t proxy, uint32_t kind, uint32_t index);
void* lbc_rt_alloc(lbc_txn* txn, uint64_t n);
int32_t lbc_rt_smp_cast(lbc_txn* txn, lbc_smp* smp, int32_t type);
int32_t lbc_rt_find_backend(lbc_txn* txn, const char* name, uint64_t len);
lbc_regex* lbc_rt_regex_new(const char* pattern, uint64_t len, int32_t flags);
void lbc_rt_regex_free(lbc_regex* re);
int32_t lbc_rt_args_prepare(const char* helper, lbc_arg* args, uint32_t nargs);
void lbc_rt_args_release(const char* helper, lbc_arg* args, uint32_t nargs);

int32_t lbc_match_str(const char* s, uint64_t n, const char* p, uint64_t pn, int32_t icase);
int32_t lbc_match_beg(const char* s, uint64_t n, const char* p, uint64_t pn, int32_t icase);
int32_t lbc_match_end(const char* s, uint64_t n, const char* p, uint64_t pn, int32_t icase);
int32_t lbc_match_sub(const char* s, uint64_t n, const char* p, uint64_t pn, int32_t icase);
int32_t lbc_match_dir(const char* s, uint64_t n, const char* p, uint64_t pn, int32_t icase);
int32_t lbc_match_dom(const char* s, uint64_t n, const char* p, uint64_t pn, int32_t icase);
int32_t lbc_match_int(int64_t v, int64_t lo, int64_t hi, int32_t flags);
int32_t lbc_match_ip(const lbc_smp* smp, const uint8_t* net, int32_t prefix, int32_t net_v6);
int32_t lbc_match_reg(const lbc_regex* re, const char* s, uint64_t n);

void lbc_lf_begin(lbc_txn* txn);
void lbc_lf_text(lbc_txn* txn, const char* s, uint64_t n);
void lbc_lf_smp(lbc_txn* txn, const lbc_smp* smp, int32_t flags);
void lbc_lf_alias(lbc_txn* txn, int32_t alias, int32_t flags);
int32_t lbc_lf_end(lbc_txn* txn, lbc_smp* out); /* 1 = ok, 0 = arena full (out is NONE) */

int32_t lbc_act_set_header(lbc_txn* txn, int32_t dir, const char* name, uint64_t nlen, const lbc_smp* value);
int32_t lbc_act_add_header(lbc_txn* txn, int32_t dir, const char* name, uint64_t nlen, const lbc_smp* value);
int32_t lbc_act_del_header(lbc_txn* txn, int32_t dir, const char* name, uint64_t nlen, int32_t method,
                           const lbc_regex* re);
int32_t lbc_act_replace_header(lbc_txn* txn, int32_t dir, const char* name, uint64_t nlen,
                               const lbc_regex* re, const lbc_smp* replacement);
int32_t lbc_act_replace_value(lbc_txn* txn, int32_t dir, const char* name, uint64_t nlen, const lbc_regex* re,
                              const lbc_smp* replacement);
int32_t lbc_act_set_path(lbc_txn* txn, const lbc_smp* value);
int32_t lbc_act_set_uri(lbc_txn* txn, const lbc_smp* value);
int32_t lbc_act_set_query(lbc_txn* txn, const lbc_smp* value);
int32_t lbc_act_set_pathq(lbc_txn* txn, const lbc_smp* value);
int32_t lbc_act_set_method(lbc_txn* txn, const lbc_smp* value);
int32_t lbc_act_replace_uri(lbc_txn* txn, int32_t part, const lbc_regex* re, const lbc_smp* replacement);
int32_t lbc_act_set_var(lbc_txn* txn, int32_t scope, const char* name, uint64_t nlen, const lbc_smp* value);
int32_t lbc_act_redirect(lbc_txn* txn, int32_t type, const lbc_smp* target, int32_t code, int32_t flags,
                         const char* set_cookie, uint64_t sclen, const char* clear_cookie, uint64_t cclen);
int32_t lbc_act_reply(lbc_txn* txn, int32_t status, const char* content_type, uint64_t ctlen,
                      int32_t body_kind, const lbc_smp* body);
int32_t lbc_act_reply_header(lbc_txn* txn, const char* name, uint64_t nlen, const lbc_smp* value);
int32_t lbc_act_track_sc(lbc_txn* txn, int32_t slot, const lbc_smp* key, const char* table, uint64_t tlen,
                         int32_t table_proxy);
int32_t lbc_act_set_status(lbc_txn* txn, int32_t status, const char* reason, uint64_t rlen);
enum { LBC_SC_INC_GPC0 = 0, LBC_SC_INC_GPC1 = 1, LBC_SC_SET_GPT0 = 2 };
int32_t lbc_act_sc_counter(lbc_txn* txn, int32_t op, int32_t slot, int64_t value, const lbc_smp* expr);

#define LBC_DECLARE_FETCH(Id) \
  int32_t lbc_fetch_##Id(lbc_txn* txn, const lbc_arg* args, uint32_t nargs, lbc_smp* out);
LBC_ABI_FETCHES(LBC_DECLARE_FETCH)
#undef LBC_DECLARE_FETCH
#define LBC_DECLARE_CONV(Id) \
  int32_t lbc_conv_##Id(lbc_txn* txn, const lbc_arg* args, uint32_t nargs, lbc_smp* smp);
LBC_ABI_CONVS(LBC_DECLARE_CONV)
#undef LBC_DECLARE_CONV

/* ---- the symbol table -------------------------------------------------------------------------
 * Every helper above: its name, address and signature code. Defined in the stdlib runtime library
 * (lbc_stdlib_rt); the JIT registers exactly these symbols and nothing else. */
typedef struct lbc_abi_symbol {
  const char* name;
  void* address;
  const char* signature;
} lbc_abi_symbol;

extern const lbc_abi_symbol lbc_abi_symbols[];
extern const uint32_t lbc_abi_symbol_count;

#ifdef __cplusplus
}
#endif
#endif

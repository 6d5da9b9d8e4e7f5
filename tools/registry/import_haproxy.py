#!/usr/bin/env python3
"""Generate lbc's keyword registry (.def X-macro files) from HAProxy 2.6.

Sources (nothing is preserved by hand from a previous run):
  * `haproxy -dKall -q -c -f /dev/null`: every keyword registered through a
    keyword table (global/listen config keywords, bind/server options,
    `option` flags, rule actions, ACL aliases, sample fetches, converters);
  * the HTML configuration manual (chapter 3 global + userlist/peers/mailers/
    program/http-errors/ring/log-forward, 4.1 proxy keyword matrix, 4.2
    keyword reference, 5.1/5.2 bind/server options, 5.3.2 resolvers,
    6.2.1 cache, 7.3.x fetches/converters, 10.1.1 fcgi-app) for built-in
    keywords the dump does not list, section validity and one-line docs;
  * the tables below: what lbc supports (SUPPORTED_*), keywords HAProxy 2.x
    removed (REMOVED_*), a few doc overrides.

Unless --no-probe is given, every keyword is also fed to `haproxy -c` to find
keywords that the manual documents but the local binary does not know (build
options such as QUIC/51Degrees/DeviceAtlas/WURFL, or manual errors); they are
kept in the registry but listed in the file headers.

Usage: tools/registry/import_haproxy.py [--haproxy PATH] [--manual PATH]
                                        [--dump FILE] [--out DIR] [--no-probe]
Stdlib only.  Re-run whenever the tables below change.
"""

import argparse
import html
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import OrderedDict, defaultdict

# ---------------------------------------------------------------------------
# What lbc supports.  Everything not listed here is Unsupported (or Removed).
# ---------------------------------------------------------------------------

SUPPORTED_DIRECTIVES = {
    'global': {
        'daemon', 'nbthread', 'maxconn', 'log', 'user', 'group', 'chroot',
        'pidfile', 'stats', 'tune.bufsize', 'tune.maxrewrite',
        'hard-stop-after', 'ssl-default-bind-options',
        'ssl-default-bind-ciphers', 'ca-base', 'crt-base',
        'ssl-default-bind-ciphersuites', 'ssl-default-server-ciphers',
        'ssl-default-server-options', 'ssl-server-verify',
    },
    'proxy': {
        'mode', 'bind', 'server', 'default-server', 'balance', 'hash-type',
        'maxconn', 'timeout', 'retries', 'option', 'no', 'http-check',
        'cookie', 'stick-table', 'stick', 'tcp-request', 'tcp-response',
        'http-request', 'http-response', 'use_backend', 'default_backend',
        'acl', 'log', 'errorfile', 'http-reuse', 'redirect', 'errorloc',
        'errorloc302', 'errorloc303', 'monitor-uri', 'monitor',
    },
    'httperrors': {'errorfile'},
    'userlist': {'user', 'group'},
}

SUPPORTED_OPTIONS = {
    'httplog', 'tcplog', 'dontlognull', 'forwardfor', 'httpclose',
    'http-server-close', 'http-keep-alive', 'abortonclose', 'redispatch',
    'httpchk', 'tcp-check', 'persist',
}

SUPPORTED_BIND_OPTS = {
    'ssl', 'crt', 'alpn', 'accept-proxy', 'name', 'v4v6', 'v6only', 'backlog',
    'maxconn', 'ciphers', 'ciphersuites', 'ssl-min-ver', 'ssl-max-ver',
    'no-sslv3', 'no-tlsv10', 'no-tlsv11', 'no-tlsv12', 'no-tlsv13',
    'strict-sni', 'no-tls-tickets', 'verify', 'ca-file', 'crl-file',
}

SUPPORTED_SERVER_OPTS = {
    'check', 'inter', 'fastinter', 'downinter', 'fall', 'rise', 'weight',
    'maxconn', 'maxqueue', 'backup', 'disabled', 'enabled', 'id', 'cookie',
    'ssl', 'verify', 'ca-file', 'sni', 'alpn', 'send-proxy', 'port', 'addr',
    'resolvers', 'no-check', 'no-ssl', 'no-backup', 'no-send-proxy', 'crt',
    'no-ssl-reuse', 'ciphers', 'ssl-min-ver', 'ssl-max-ver',
}

SUPPORTED_FETCHES = {
    'method', 'path', 'url', 'query', 'url_param', 'hdr', 'req.hdr',
    'req.fhdr', 'hdr_cnt', 'req.hdr_cnt', 'hdr_ip', 'req.hdr_ip', 'req.cook',
    'cook', 'src', 'src_port', 'dst', 'dst_port', 'base', 'ssl_fc', 'res.hdr',
    'shdr', 'status', 'var', 'req_ssl_hello_type', 'req.ssl_hello_type',
    'rep_ssl_hello_type', 'res.ssl_hello_type', 'payload_lv',
    'req.payload_lv', 'req.payload', 'req.len', 'req_len', 'always_true',
    'always_false', 'ssl_fc_sni', 'req.ssl_sni', 'req_ssl_sni',
    'hdr_val', 'req.hdr_val', 'res.hdr_val', 'shdr_val', 'req.proto_http',
    'req_proto_http', 'req.ver', 'req_ver', 'rdp_cookie', 'req.rdp_cookie',
    'rdp_cookie_cnt', 'req.rdp_cookie_cnt', 'wait_end',
    'ssl_fc_alpn', 'ssl_fc_protocol', 'ssl_fc_cipher', 'ssl_fc_is_resumed', 'ssl_bc',
    'http_auth', 'http_auth_bearer', 'http_auth_group', 'http_auth_pass', 'http_auth_type',
    'http_auth_user', 'pathq',
}

# Sticky counters (runtime/src/state, stdlib/src/rt/stk.cpp; lbc/abi_stk.h lists what each does).
SUPPORTED_FETCHES |= {
    'sc_bytes_in_rate', 'sc0_bytes_in_rate', 'sc1_bytes_in_rate', 'sc2_bytes_in_rate',
    'src_bytes_in_rate', 'sc_bytes_out_rate', 'sc0_bytes_out_rate', 'sc1_bytes_out_rate',
    'sc2_bytes_out_rate', 'src_bytes_out_rate', 'sc_clr_gpc0', 'sc0_clr_gpc0', 'sc1_clr_gpc0',
    'sc2_clr_gpc0', 'src_clr_gpc0', 'sc_clr_gpc1', 'sc0_clr_gpc1', 'sc1_clr_gpc1', 'sc2_clr_gpc1',
    'src_clr_gpc1', 'sc_conn_cnt', 'sc0_conn_cnt', 'sc1_conn_cnt', 'sc2_conn_cnt', 'src_conn_cnt',
    'sc_conn_cur', 'sc0_conn_cur', 'sc1_conn_cur', 'sc2_conn_cur', 'src_conn_cur', 'sc_conn_rate',
    'sc0_conn_rate', 'sc1_conn_rate', 'sc2_conn_rate', 'src_conn_rate', 'sc_get_gpc0', 'sc0_get_gpc0',
    'sc1_get_gpc0', 'sc2_get_gpc0', 'src_get_gpc0', 'sc_get_gpc1', 'sc0_get_gpc1', 'sc1_get_gpc1',
    'sc2_get_gpc1', 'src_get_gpc1', 'sc_get_gpt0', 'sc0_get_gpt0', 'sc1_get_gpt0', 'sc2_get_gpt0',
    'src_get_gpt0', 'sc_gpc0_rate', 'sc0_gpc0_rate', 'sc1_gpc0_rate', 'sc2_gpc0_rate', 'src_gpc0_rate',
    'sc_gpc1_rate', 'sc0_gpc1_rate', 'sc1_gpc1_rate', 'sc2_gpc1_rate', 'src_gpc1_rate',
    'sc_http_err_cnt', 'sc0_http_err_cnt', 'sc1_http_err_cnt', 'sc2_http_err_cnt', 'src_http_err_cnt',
    'sc_http_err_rate', 'sc0_http_err_rate', 'sc1_http_err_rate', 'sc2_http_err_rate',
    'src_http_err_rate', 'sc_http_fail_cnt', 'sc0_http_fail_cnt', 'sc1_http_fail_cnt',
    'sc2_http_fail_cnt', 'src_http_fail_cnt', 'sc_http_fail_rate', 'sc0_http_fail_rate',
    'sc1_http_fail_rate', 'sc2_http_fail_rate', 'src_http_fail_rate', 'sc_http_req_cnt',
    'sc0_http_req_cnt', 'sc1_http_req_cnt', 'sc2_http_req_cnt', 'src_http_req_cnt', 'sc_http_req_rate',
    'sc0_http_req_rate', 'sc1_http_req_rate', 'sc2_http_req_rate', 'src_http_req_rate', 'sc_inc_gpc0',
    'sc0_inc_gpc0', 'sc1_inc_gpc0', 'sc2_inc_gpc0', 'src_inc_gpc0', 'sc_inc_gpc1', 'sc0_inc_gpc1',
    'sc1_inc_gpc1', 'sc2_inc_gpc1', 'src_inc_gpc1', 'sc_kbytes_in', 'sc0_kbytes_in', 'sc1_kbytes_in',
    'sc2_kbytes_in', 'src_kbytes_in', 'sc_kbytes_out', 'sc0_kbytes_out', 'sc1_kbytes_out',
    'sc2_kbytes_out', 'src_kbytes_out', 'sc_sess_cnt', 'sc0_sess_cnt', 'sc1_sess_cnt', 'sc2_sess_cnt',
    'src_sess_cnt', 'sc_sess_rate', 'sc0_sess_rate', 'sc1_sess_rate', 'sc2_sess_rate', 'src_sess_rate',
    'sc_tracked', 'sc0_tracked', 'sc1_tracked', 'sc2_tracked', 'sc_trackers', 'sc0_trackers',
    'sc1_trackers', 'sc2_trackers', 'src_updt_conn_cnt', 'table_cnt', 'table_avl',
}
# src_*/table_* take the current proxy's table when none is named (HAProxy's manual: [<table>]).
OPTIONAL_TABLE_FETCHES = {n for n in SUPPORTED_FETCHES if n.startswith(('src_', 'table_'))}

SUPPORTED_CONVERTERS = {
    'lower', 'upper', 'regsub', 'field', 'word', 'bytes', 'length', 'hex',
    'base64', 'ipmask', 'map', 'map_str', 'map_beg', 'map_end', 'map_sub',
    'map_reg', 'map_ip', 'map_int', 'json', 'url_dec',
    'add', 'sub', 'mul', 'div', 'mod', 'and', 'or', 'xor', 'neg', 'cpl', 'even', 'odd', 'not', 'bool', 'ltrim', 'rtrim', 'hex2i', 'htonl', 'b64dec', 'ub64dec', 'ub64enc', 'iif', 'concat', 'secure_memcmp', 'http_date', 'ltime', 'utime', 'sdbm', 'djb2', 'wt6', 'crc32', 'crc32c',
    'sha1', 'sha2', 'digest', 'hmac', 'xxh32', 'xxh64', 'be2dec', 'be2hex',
    'strcmp', 'cut_crlf', 'host_only', 'port_only',
}

SUPPORTED_CONVERTERS |= {
    'table_bytes_in_rate', 'table_bytes_out_rate', 'table_conn_cnt', 'table_conn_cur',
    'table_conn_rate', 'table_gpc0', 'table_gpc0_rate', 'table_gpc1', 'table_gpc1_rate', 'table_gpt0',
    'table_http_err_cnt', 'table_http_err_rate', 'table_http_fail_cnt', 'table_http_fail_rate',
    'table_http_req_cnt', 'table_http_req_rate', 'table_kbytes_in', 'table_kbytes_out',
    'table_server_id', 'table_sess_cnt', 'table_sess_rate', 'table_trackers', 'in_table',
}

SUPPORTED_ACTIONS = {
    'accept', 'reject', 'track-sc0', 'track-sc1', 'track-sc2', 'set-header',
    'add-header', 'del-header', 'replace-header', 'replace-value', 'set-path',
    'set-uri', 'set-query', 'set-var', 'redirect', 'deny', 'return', 'allow',
    'set-status', 'sc-inc-gpc0', 'sc-inc-gpc1', 'sc-set-gpt0', 'auth', 'replace-path', 'replace-pathq',
    'replace-uri', 'set-method', 'set-pathq',
}

# ---------------------------------------------------------------------------
# Keywords HAProxy 2.x no longer accepts but older configurations use.
# Verified against haproxy 2.6 `-c` (see the messages quoted in the docs).
# (group, name, sections, replacement, doc)
# ---------------------------------------------------------------------------

_FLB = 'kFrontend|kListen|kBackend'
_DFL = 'kDefaults|kFrontend|kListen'
_DLB = 'kDefaults|kListen|kBackend'
_ALLP = 'kDefaults|kFrontend|kListen|kBackend'

REMOVED_DIRECTIVES = [
    ('proxy', 'reqadd', _FLB, 'http-request add-header', 'Removed in 2.1: add a header to the request'),
    ('proxy', 'reqdel', _FLB, 'http-request del-header', 'Removed in 2.1: delete request headers matching a regex'),
    ('proxy', 'reqidel', _FLB, 'http-request del-header', 'Removed in 2.1: delete request headers matching a regex (case-insensitive)'),
    ('proxy', 'reqrep', _FLB, 'http-request replace-header (or replace-path / replace-uri)', 'Removed in 2.1: regex-replace request lines'),
    ('proxy', 'reqirep', _FLB, 'http-request replace-header', 'Removed in 2.1: regex-replace request lines (case-insensitive)'),
    ('proxy', 'reqallow', _FLB, 'http-request allow', 'Removed in 2.1: allow the request if a line matches a regex'),
    ('proxy', 'reqiallow', _FLB, 'http-request allow', 'Removed in 2.1: allow the request if a line matches (case-insensitive)'),
    ('proxy', 'reqdeny', _FLB, 'http-request deny', 'Removed in 2.1: deny the request if a line matches a regex'),
    ('proxy', 'reqideny', _FLB, 'http-request deny', 'Removed in 2.1: deny the request if a line matches (case-insensitive)'),
    ('proxy', 'reqtarpit', _FLB, 'http-request tarpit', 'Removed in 2.1: tarpit the request if a line matches a regex'),
    ('proxy', 'reqitarpit', _FLB, 'http-request tarpit', 'Removed in 2.1: tarpit the request if a line matches (case-insensitive)'),
    ('proxy', 'reqpass', _FLB, '', 'Removed in 2.1: stop evaluating req* filters if a line matches; no replacement, remove it'),
    ('proxy', 'reqipass', _FLB, '', 'Removed in 2.1: like reqpass (case-insensitive); no replacement, remove it'),
    ('proxy', 'reqsetbe', 'kFrontend|kListen', 'use_backend', 'Removed (unknown keyword in 2.6): switch backend if a request line matches'),
    ('proxy', 'reqisetbe', 'kFrontend|kListen', 'use_backend', 'Removed (unknown keyword in 2.6): like reqsetbe (case-insensitive)'),
    ('proxy', 'rspadd', _FLB, 'http-response add-header', 'Removed in 2.1: add a header to the response'),
    ('proxy', 'rspdel', _FLB, 'http-response del-header', 'Removed in 2.1: delete response headers matching a regex'),
    ('proxy', 'rspidel', _FLB, 'http-response del-header', 'Removed in 2.1: delete response headers matching (case-insensitive)'),
    ('proxy', 'rsprep', _FLB, 'http-response replace-header', 'Removed in 2.1: regex-replace response lines'),
    ('proxy', 'rspirep', _FLB, 'http-response replace-header', 'Removed in 2.1: regex-replace response lines (case-insensitive)'),
    ('proxy', 'rspdeny', _FLB, 'http-response deny', 'Removed in 2.1: deny the response if a line matches a regex'),
    ('proxy', 'rspideny', _FLB, 'http-response deny', 'Removed in 2.1: deny the response if a line matches (case-insensitive)'),
    ('proxy', 'cliexp', _FLB, 'http-request replace-header (or replace-path / replace-uri)', 'Removed in 2.1: ancient alias of reqrep'),
    ('proxy', 'srvexp', _FLB, 'http-response replace-header', 'Removed in 2.1: ancient alias of rsprep'),
    ('proxy', 'block', _FLB, 'http-request deny', 'Removed in 2.1: block the request (same syntax as http-request deny)'),
    ('proxy', 'redispatch', _DLB, 'option redispatch', 'Removed in 2.1: enable session redistribution on connection failure'),
    ('proxy', 'redisp', _DLB, 'option redispatch', 'Removed in 2.1: old alias of redispatch'),
    ('proxy', 'monitor-net', _DFL, 'http-request return status 200 if { src <net> }', 'Removed: answer monitoring requests from a network'),
    ('proxy', 'clitimeout', _DFL, 'timeout client', 'Removed in 2.1: maximum inactivity time on the client side'),
    ('proxy', 'contimeout', _DLB, 'timeout connect', 'Removed in 2.1: maximum time to wait for a server connection'),
    ('proxy', 'srvtimeout', _DLB, 'timeout server', 'Removed in 2.1: maximum inactivity time on the server side'),
    ('proxy', 'appsession', _DLB, 'stick-table + stick on req.cook(<name>)', 'Removed in 1.6: application-cookie based persistence'),
    ('proxy', 'grace', _ALLP, 'grace (global section)', 'Removed in 2.5: per-proxy grace time on soft-stop'),
    ('global', 'nbproc', 'kGlobal', 'nbthread', 'Removed in 2.5: number of processes (threads are used instead)'),
    ('global', 'tune.chksize', 'kGlobal', 'tune.bufsize', 'Removed: check buffer size (tune.bufsize is used instead)'),
    ('global', 'debug', 'kGlobal', 'haproxy -d (command line)', 'Removed: debug mode (unknown keyword in 2.6)'),
    ('resolvers', 'resolution_pool_size', 'kResolvers', '', 'Removed: never appeared in a stable release; remove it'),
]

# (name, sections, replacement, doc)
REMOVED_OPTIONS = [
    ('http-tunnel', _ALLP, '', 'Removed in 2.1: tunnel mode after the first transaction; just remove it'),
    ('forceclose', _ALLP, 'option httpclose', 'Removed in 2.0: actively close connections after each transaction'),
    ('http_proxy', _ALLP, 'http-request set-dst + http-request set-uri', 'Removed in 2.5: HTTP proxy mode'),
    ('http-use-htx', _ALLP, '', 'Removed: HTX is always on; just remove it'),
    ('independant-streams', _ALLP, 'option independent-streams', 'Removed misspelled alias of independent-streams'),
]

# Accepted by 2.6 with a deprecation warning; noted in the doc string.
DEPRECATED_DIRECTIVES = {
    ('proxy', 'bind-process'): 'has no effect, removed in 2.7',
    ('proxy', 'transparent'): 'use option transparent',
    ('global', 'tune.ssl.capture-cipherlist-size'): 'use tune.ssl.capture-buffer-size',
}
DEPRECATED_BIND_OPTS = {'process': 'removed in 2.7'}

# The manual's "map" entry starts with more signature lines, not a sentence.
CONV_DOC_OVERRIDES = {
    'map': 'Search the input value in <map_file> using the <match_type> method; return the associated value',
}

# Manual typos fixed while reading entry names.
MANUAL_TYPOS = {'tcp-resposne': 'tcp-response'}

# Proxy keywords for which neither the 4.1 matrix nor a 4.2 "May be used in
# sections" table exists (checked with haproxy -c warnings).
SECTION_OVERRIDES = {
    ('proxy', 'max-session-srv-conns'): 'kDefaults|kFrontend|kListen',
}

# Hand-written docs for keywords whose manual entries do not suit.
DOC_OVERRIDES = {
    ('directive', 'proxy', 'option'): 'Enable a proxy option (see options.def); "no option X" disables it',
    ('directive', 'proxy', 'no'): 'Prefix negating the following "option" or "log" keyword',
    ('directive', 'proxy', 'default'): 'Prefix restoring the default value of the following "option"',
    ('directive', 'global', 'no'): 'Prefix negating log, busy-polling, set-dumpable, strict-limits, insecure-fork-wanted, numa-cpu-mapping',
    ('directive', 'peers', 'no'): 'Prefix negating the following "log" keyword',
    ('directive', 'logforward', 'no'): 'Prefix negating the following "log" keyword',
    ('directive', 'program', 'no'): 'Prefix negating the following "option" keyword',
    ('directive', 'fcgiapp', 'no'): 'Prefix negating the following "option" keyword',
    ('directive', 'program', 'option'): 'Enable a program option (start-on-reload)',
    ('directive', 'fcgiapp', 'option'): 'Enable a fcgi-app option (get-values, keep-conn, max-reqs, mpxs-conns)',
}

# ---------------------------------------------------------------------------
# Section groups.
# ---------------------------------------------------------------------------

SECTION_ORDER = ['kGlobal', 'kDefaults', 'kFrontend', 'kListen', 'kBackend',
                 'kPeers', 'kResolvers', 'kUserlist', 'kCache', 'kHttpErrors',
                 'kRing', 'kMailers', 'kProgram', 'kLogForward', 'kFcgiApp']

# group -> (Id prefix on name clash, section flag, keyword opening the section)
GROUPS = OrderedDict([
    ('proxy', ('', None, None)),
    ('global', ('global_', 'kGlobal', 'global')),
    ('peers', ('peers_', 'kPeers', 'peers')),
    ('resolvers', ('resolvers_', 'kResolvers', 'resolvers')),
    ('userlist', ('userlist_', 'kUserlist', 'userlist')),
    ('cache', ('cache_', 'kCache', 'cache')),
    ('httperrors', ('httperrors_', 'kHttpErrors', 'http-errors')),
    ('ring', ('ring_', 'kRing', 'ring')),
    ('mailers', ('mailers_', 'kMailers', 'mailers')),
    ('program', ('program_', 'kProgram', 'program')),
    ('logforward', ('logforward_', 'kLogForward', 'log-forward')),
    ('fcgiapp', ('fcgiapp_', 'kFcgiApp', 'fcgi-app')),
])

# manual chapter -> directive group
CHAPTER_GROUP = {
    '3.1': 'global', '3.2': 'global', '3.3': 'global', '3.4': 'userlist',
    '3.5': 'peers', '3.6': 'mailers', '3.7': 'program', '3.8': 'httperrors',
    '3.9': 'ring', '3.10': 'logforward', '4.2': 'proxy', '5.3.2': 'resolvers',
    '6.2.1': 'cache', '10.1.1': 'fcgiapp',
}

# `no` is a generic first-word modifier (readcfgfile) accepted before
# option/log/busy-polling/... : list it in the groups where it is usable.
NO_PREFIX_GROUPS = ['global', 'proxy', 'peers', 'logforward', 'program', 'fcgiapp']

RULESETS = OrderedDict([
    ('tcp-request connection', 'kTcpReqConn'),
    ('tcp-request session', 'kTcpReqSess'),
    ('tcp-request content', 'kTcpReqCont'),
    ('tcp-response content', 'kTcpResCont'),
    ('http-request', 'kHttpReq'),
    ('http-response', 'kHttpRes'),
    ('http-after-response', 'kHttpAfterRes'),
])
# MAX_SESS_STKCTR is 3 in 2.6: the `track-sc*` prefix keyword means exactly
# track-sc0..track-sc2 (haproxy rejects track-sc3).
TRACK_SC = ['track-sc0', 'track-sc1', 'track-sc2']

SMP_TYPES = {'bool': 'Bool', 'sint': 'Sint', 'addr': 'Addr', 'ipv4': 'Ipv4',
             'ipv6': 'Ipv6', 'str': 'Str', 'bin': 'Bin', 'meth': 'Meth',
             'any': 'Any'}
ACL_MATCH = {'found': 'Found', 'bool': 'Bool', 'int': 'Int', 'ip': 'Ip',
             'bin': 'Bin', 'len': 'Len', 'str': 'Str', 'sub': 'Sub',
             'reg': 'Reg', 'beg': 'Beg', 'end': 'End', 'dir': 'Dir',
             'dom': 'Dom'}

# Words appended when probing a directive: a bare `no`/`default` line makes
# haproxy report "unknown keyword 'default'" after the negation error.
PROBE_DIRECTIVE_ARGS = {
    ('proxy', 'no'): ' option redispatch', ('proxy', 'default'): ' option redispatch',
    ('global', 'no'): ' busy-polling', ('peers', 'no'): ' log',
    ('logforward', 'no'): ' log', ('program', 'no'): ' option start-on-reload',
    ('fcgiapp', 'no'): ' option keep-conn',
}

# Arguments appended when probing an action (see Prober.action_allowed).
PROBE_ARGS = {'expect-proxy': ' layer4', 'expect-netscaler-cip': ' layer4'}

MAX_DOC = 100
MAX_LINE = 200

# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


# C and C++20 reserved words (incl. alternative tokens): an Id equal to one of
# them gets a trailing underscore (return -> return_, bool -> bool_).
RESERVED = set("""
alignas alignof and and_eq asm auto bitand bitor bool break case catch char
char8_t char16_t char32_t class compl concept const consteval constexpr
constinit const_cast continue co_await co_return co_yield decltype default
delete do double dynamic_cast else enum explicit export extern false float for
friend goto if inline int long mutable namespace new noexcept not not_eq
nullptr operator or or_eq private protected public register reinterpret_cast
requires restrict return short signed sizeof static static_assert static_cast
struct switch template this thread_local throw true try typedef typeid
typename union unsigned using virtual void volatile wchar_t while xor xor_eq
_Alignas _Alignof _Atomic _Bool _Complex _Generic _Imaginary _Noreturn
_Static_assert _Thread_local
""".split())


def cident(name):
    ident = re.sub(r'[^0-9a-z]', '_', name.lower())
    if ident[:1].isdigit():
        ident = 'k' + ident
    if ident in RESERVED:
        ident += '_'
    return ident


def cstr(text):
    return '"' + text.replace('\\', '\\\\').replace('"', '\\"') + '"'


_ASCII_MAP = {'\u2018': "'", '\u2019': "'", '\u201c': '"', '\u201d': '"',
              '\u2013': '-', '\u2014': '-', '\u00a0': ' ', '\u2026': '...'}


def to_ascii(text):
    text = ''.join(_ASCII_MAP.get(c, c) for c in text)
    text = text.encode('ascii', 'ignore').decode('ascii')
    return text.replace('??', '?')


def strip_tags(fragment):
    # The manual inlines "This keyword is available in sections" dropdown
    # menus inside keyword references: drop them first.
    fragment = re.sub(r'<ul class="dropdown-menu">.*?</ul>', '', fragment, flags=re.S)
    return html.unescape(re.sub(r'<[^>]+>', '', fragment))


_ABBREV = re.compile(r'(?:\be\.g|\bi\.e|\betc|\bvs|\bex|\bresp|\bapprox|\bcf)\.$', re.I)


# Boilerplate first sentences skipped in favour of the next one.
_BOILERPLATE = re.compile(
    r'^(This (setting|option|keyword|directive) is only (available|supported) (when|if|on)\b'
    r'|Warning: QUIC support|Configuration may\b|Note: |See (section|also)\b'
    r'|Is an optional keyword which is supported only\b'
    r'|[\[{<|])', re.I)  # the last alternative: keyword syntax continuation lines


def sentences(text):
    """Split manual text into sentences; a blank line also ends a sentence."""
    for para in re.split(r'\n\s*\n', text):
        para = to_ascii(' '.join(para.split()))
        start = 0
        for m in re.finditer(r'[.!?](?=\s|$)', para):
            head = para[start:m.end()]
            if _ABBREV.search(head):
                continue
            if re.search(r'(?:^|[\s.])[A-Za-z]\.$', head):
                continue  # single-letter abbreviations such as "U.S."
            yield head.strip()
            start = m.end()
        if para[start:].strip():
            yield para[start:].strip()


def first_sentence(text):
    first = None
    for sent in sentences(text):
        if first is None:
            first = sent
        if not _BOILERPLATE.search(sent):
            return sent
    return first or ''


def shorten(text, limit):
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text[:limit - 3]
    if ' ' in cut[limit // 2:]:
        cut = cut[:cut.rindex(' ')]
    return cut.rstrip(' ,;:(') + '...'


def sections_expr(flags):
    flags = [f for f in SECTION_ORDER if f in flags]
    return '|'.join(flags) if flags else '0'


class Line:
    """One macro invocation, fitted to MAX_LINE by shortening the doc."""

    def __init__(self, macro, args_before_doc, doc, args_after_doc=()):
        self.macro = macro
        self.before = list(args_before_doc)
        self.after = list(args_after_doc)
        self.doc = doc

    def render(self):
        doc = shorten(to_ascii(self.doc or ''), MAX_DOC)
        while True:
            parts = self.before + [cstr(doc)] + self.after
            line = '%s(%s)' % (self.macro, ', '.join(parts))
            if len(line) <= MAX_LINE or not doc:
                return line
            doc = shorten(doc, max(0, len(doc) - (len(line) - MAX_LINE) - 3)) if len(doc) > 10 else ''


# ---------------------------------------------------------------------------
# -dKall dump
# ---------------------------------------------------------------------------


class Dump:
    def __init__(self, text):
        self.acl = []               # (alias, fetch, method)
        self.global_kws = []        # names
        self.listen_kws = []        # names
        self.bind = OrderedDict()   # name -> nargs
        self.server = OrderedDict()
        self.options = OrderedDict()  # name -> caps list
        self.actions = defaultdict(dict)  # ruleset -> name -> prefix(bool)
        self.converters = []        # (name, args, out, in)
        self.fetches = []           # (name, args, type, usage22)
        self.other_sections = []    # section names with (possibly) no keywords
        self.usage_legend = []
        self._parse(text)

    def _parse(self, text):
        part = None
        cfg_section = None
        for raw in text.splitlines():
            if raw.startswith('# List of registered '):
                part = raw[len('# List of registered '):].rstrip(':')
                continue
            if part == 'ACL keywords':
                m = re.match(r'^(\S+) = (\S+) -m (\S+)$', raw)
                if m:
                    self.acl.append(m.groups())
                elif raw.strip():
                    raise ValueError('bad ACL line: %r' % raw)
            elif part == 'configuration keywords':
                if not raw.startswith('\t'):
                    cfg_section = raw.strip()
                    if cfg_section not in ('global', 'listen'):
                        self.other_sections.append(cfg_section)
                    continue
                line = raw.strip()
                if cfg_section == 'global':
                    self.global_kws.append(line)
                elif cfg_section == 'listen':
                    self._parse_listen(line)
                # crt-list keywords are crt-list file options, not config
                # directives: ignored.
            elif part == 'sample converter functions':
                m = re.match(r'^([^\s(:]+)(?:\((.*)\))?: (\w+) => (\w+)$', raw)
                if m:
                    name, args, out_t, in_t = m.groups()
                    self.converters.append((name, args or '', out_t, in_t))
                elif raw.strip():
                    raise ValueError('bad converter line: %r' % raw)
            elif part == 'sample fetch functions':
                if raw.startswith('#'):
                    m = re.match(r'^#[ /|]*_\.-+ (.*)$', raw)
                    if m:
                        self.usage_legend.append(m.group(1))
                    continue
                m = re.match(r'^\[ ((?:[Y.] ){22})\] ([^\s(:]+)(?:\((.*)\))?: (\w+)$', raw)
                if m:
                    usage, name, args, typ = m.groups()
                    self.fetches.append((name, args or '', typ, usage.replace(' ', '')))
                elif raw.strip():
                    raise ValueError('bad fetch line: %r' % raw)

    def _parse_listen(self, line):
        m = re.match(r'^bind <addr> (?:ssl )?(\S+)(?: \+(-?\d+))?$', line)
        if m:
            self.bind[m.group(1)] = int(m.group(2) or 0)
            return
        m = re.match(r'^server <name> <addr> (\S+)(?: \+(-?\d+))?$', line)
        if m:
            self.server[m.group(1)] = int(m.group(2) or 0)
            return
        m = re.match(r'^option (\S+) \[ (.*) \]$', line)
        if m:
            self.options[m.group(1)] = m.group(2).split()
            return
        for rs in RULESETS:
            if line.startswith(rs + ' '):
                name = line[len(rs) + 1:]
                prefix = name.endswith('*')
                self.actions[rs][name.rstrip('*')] = prefix
                return
        if ' ' in line:
            raise ValueError('unexpected listen keyword line: %r' % line)
        self.listen_kws.append(line)


def run_dump(haproxy):
    res = subprocess.run([haproxy, '-dKall', '-q', '-c', '-f', '/dev/null'],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         universal_newlines=True)
    if '# List of registered' not in res.stdout:
        sys.exit('haproxy -dKall produced no keyword dump:\n' + res.stdout)
    return res.stdout


# ---------------------------------------------------------------------------
# HTML manual
# ---------------------------------------------------------------------------


class Entry:
    def __init__(self, chapter, name, signature, doc, sections):
        self.chapter = chapter      # e.g. '4.2'
        self.name = name            # e.g. 'http-request set-header'
        self.signature = signature  # full keyword line
        self.doc = doc              # first sentence or ''
        self.sections = sections    # None or set of flags (4.2 tables)

    def __repr__(self):
        return 'Entry(%s %r)' % (self.chapter, self.name)


class Manual:
    def __init__(self, text):
        self.entries = []
        self.matrix = OrderedDict()  # keyword -> (flags set, deprecated, negatable)
        self.global_list = OrderedDict()  # section 3 summary: name -> deprecated
        self._parse_entries(text)
        self._parse_matrix(text)
        self._parse_global_list(text)
        self._plain = None
        self._text = text

    @staticmethod
    def _chapters(s):
        marks = [(m.start(), m.group(1)) for m in
                 re.finditer(r'<a class="anchor" id="(\d+(?:\.\d+)*)"', s)]
        # Some chapter headings survived only as plain text in <pre> blocks.
        marks += [(m.start(1), m.group(1)) for m in
                  re.finditer(r'(?:^|\n|>)(\d+(?:\.\d+)*)\.\s+[^\n<]+\n-{3,}', s)]
        marks.sort()
        return marks

    @staticmethod
    def _sections_table(seg):
        m = re.search(r'May be used in sections.*?<thead>(.*?)</thead>(.*?)</table>', seg, re.S)
        if not m:
            return None
        heads = [strip_tags(h).strip() for h in re.findall(r'<th>(.*?)</th>', m.group(1))]
        cells = re.findall(r'alt="(yes|no)"', m.group(2))
        names = {'defaults': 'kDefaults', 'frontend': 'kFrontend',
                 'listen': 'kListen', 'backend': 'kBackend'}
        if len(heads) != len(cells):
            return None
        return {names[h] for h, c in zip(heads, cells) if c == 'yes' and h in names}

    def _parse_entries(self, s):
        chapters = self._chapters(s)
        divs = list(re.finditer(r'<div class="keyword">(.*?)</div>', s, re.S))
        segs = []
        for i, m in enumerate(divs):
            end = divs[i + 1].start() if i + 1 < len(divs) else len(s)
            segs.append(s[m.end():end])
        ci = 0
        for i, m in enumerate(divs):
            while ci + 1 < len(chapters) and chapters[ci + 1][0] < m.start():
                ci += 1
            chapter = chapters[ci][1]
            inner = m.group(1)
            link = re.search(r'<a href="#[^"]*">(.*?)</a>', inner, re.S)
            name = ' '.join(strip_tags(link.group(1) if link else inner).split())
            signature = ' '.join(strip_tags(inner).split())
            for bad, good in MANUAL_TYPOS.items():
                if name.startswith(bad + ' '):
                    name = good + name[len(bad):]
                    signature = good + signature[len(bad):]
            doc, sections = None, None
            # Entries listed back to back (e.g. "balance" then "balance
            # url_param") share the text that follows the last of them.
            for j in range(i, min(i + 8, len(divs))):
                seg = segs[j]
                if sections is None:
                    sections = self._sections_table(seg)
                if doc is None:
                    pm = re.search(r'<pre class="text">(.*?)</pre>', seg, re.S)
                    if pm:
                        doc = first_sentence(strip_tags(pm.group(1)))
                    else:
                        am = re.search(r'<pre class="prettyprint arguments">(.*?)</pre>', seg, re.S)
                        if am:
                            doc = first_sentence(strip_tags(am.group(1)))
                if doc is not None and sections is not None:
                    break
                empty = re.sub(r'<a class="anchor"[^>]*></a>|\s+', '', seg) == ''
                if not empty and doc is not None:
                    break
            self.entries.append(Entry(chapter, name, signature, doc or '', sections))

    def _parse_matrix(self, s):
        i = s.index('id="4.1"')
        j = s.index('id="4.2"')
        flags = ['kDefaults', 'kFrontend', 'kListen', 'kBackend']
        for row in re.findall(r'<tr>(.*?)</tr>', s[i:j], re.S):
            cells = re.findall(r'<td[^>]*>(.*?)</td>', row, re.S)
            if len(cells) != 5:
                continue
            first = cells[0]
            deprecated = '(deprecated)' in first
            negatable = '(*)' in first
            name = ' '.join(strip_tags(first).replace('(deprecated)', '').replace('(*)', '').split())
            on = set()
            for flag, cell in zip(flags, cells[1:]):
                if 'alt="X"' in cell or strip_tags(cell).strip().startswith('X'):
                    on.add(flag)
            self.matrix[name] = (on, deprecated, negatable)

    def _parse_global_list(self, s):
        # Chapter 3 opens with the list of every global keyword; some of them
        # (51degrees-*) have no keyword block in the HTML, only plain text.
        block = s[s.index('id="3"'):s.index('id="3.1"')]
        for line in block.split('\n'):
            m = re.match(r'^\s+- (.*)$', line)
            if m:
                item = ' '.join(strip_tags(m.group(1)).split())
                dep = '(deprecated)' in item
                name = item.replace('(deprecated)', '').strip()
                if name:
                    self.global_list[name] = dep

    def plain_doc(self, name):
        """Doc for a keyword the HTML only has as plain text: a line starting
        with the keyword at column 0, followed by an indented description."""
        if self._plain is None:
            self._plain = strip_tags(self._text)
        m = re.search(r'(?m)^%s(?:[ \t][^\n]*)?\n((?:[ \t]+\S[^\n]*\n)+)' % re.escape(name), self._plain)
        return first_sentence(m.group(1)) if m else ''

    def by_chapter(self, *prefixes):
        return [e for e in self.entries
                if any(e.chapter == p or e.chapter.startswith(p + '.') for p in prefixes)]


# ---------------------------------------------------------------------------
# Probing the local binary (verification only; does not change entries)
# ---------------------------------------------------------------------------


class Prober:
    PROXY_HEAD = ('defaults\n mode http\n timeout client 1s\n timeout server 1s\n'
                  ' timeout connect 1s\nlisten f\n bind 127.0.0.1:65500\n')

    def __init__(self, haproxy, enabled):
        self.haproxy = haproxy
        self.enabled = enabled
        self.tmpdir = tempfile.mkdtemp(prefix='lbc-import-')
        self.path = os.path.join(self.tmpdir, 'probe.cfg')
        self.cache = {}

    def run(self, cfg):
        if cfg in self.cache:
            return self.cache[cfg]
        with open(self.path, 'w') as f:
            f.write(cfg)
        res = subprocess.run([self.haproxy, '-c', '-f', self.path],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             universal_newlines=True)
        self.cache[cfg] = res.stdout
        return res.stdout

    def directive_known(self, group, name):
        if not self.enabled:
            return True
        if group == 'proxy':
            cfg = self.PROXY_HEAD + ' %s\n' % name
        elif group == 'global':
            cfg = 'global\n %s\n' % name
        else:
            cfg = '%s x\n %s\n' % (GROUPS[group][2], name)
        out = self.run(cfg.rstrip('\n') + PROBE_DIRECTIVE_ARGS.get((group, name), '') + '\n')
        return not re.search(r"unknown (keyword|statement) '%s'" % re.escape(name), out)

    def option_known(self, name, group='proxy'):
        if not self.enabled:
            return True
        head = {'proxy': self.PROXY_HEAD, 'program': 'program p\n',
                'fcgiapp': 'fcgi-app a\n'}[group]
        out = self.run(head + ' option %s\n' % name)
        return not re.search(r"unknown option '%s'" % re.escape(name), out)

    def bind_known(self, name):
        if not self.enabled:
            return True
        out = self.run('defaults\n timeout client 1s\nfrontend f\n bind 127.0.0.1:65500 %s\n' % name)
        return not re.search(r"unknown keyword '%s'" % re.escape(name), out)

    def server_known(self, name):
        if not self.enabled:
            return True
        out = self.run(self.PROXY_HEAD + ' server s 127.0.0.1:65501 %s\n' % name)
        return not re.search(r"unknown keyword '%s'" % re.escape(name), out)

    def ruleset_actions(self):
        """Parse haproxy's own 'expects ...' list for every rule set."""
        result = {}
        for rs in RULESETS:
            out = self.run(self.PROXY_HEAD + ' %s zzprobe\n' % rs)
            m = re.search(r"expects (.*?)(?:, but got| in proxy)", out)
            names = set()
            if m:
                body = m.group(1).replace("'track-sc0' ... 'track-sc2'",
                                          "'track-sc0', 'track-sc1', 'track-sc2'")
                for n in re.findall(r"'([^']+)'", body):
                    names.add(n.replace('(*)', '*'))
            result[rs] = names
        return result

    def action_allowed(self, rs, name, prefix):
        """False if haproxy parses the action but rejects it in this rule set."""
        arg = name + ('(txn.probe)' if prefix else '') + PROBE_ARGS.get(name, '')
        out = self.run(self.PROXY_HEAD + ' %s %s\n' % (rs, arg))
        return not re.search(r"is not allowed in '%s' rules" % re.escape(rs), out)


# ---------------------------------------------------------------------------
# Builders
# ---------------------------------------------------------------------------


def header(title, macro_doc, notes=()):
    out = ['/* %s' % title,
           ' *',
           ' * Generated by tools/registry/import_haproxy.py from haproxy 2.6 -dKall',
           ' * and the manual, then kept under review.  Do not edit by hand: change the',
           ' * tables in the script and re-run it.  An Id that would be a C/C++',
           ' * reserved word gets a trailing underscore (return_, bool_, default_).',
           ' *']
    for line in macro_doc:
        out.append(' * ' + line if line else ' *')
    for note in notes:
        out.append(' *')
        for line in note:
            out.append(' * ' + line if line else ' *')
    out.append(' */')
    return '\n'.join(out) + '\n\n'


def wrap_list(names, width=74):
    lines, cur = [], ''
    for n in names:
        if cur and len(cur) + 1 + len(n) > width:
            lines.append(cur)
            cur = n
        else:
            cur = (cur + ' ' + n) if cur else n
    if cur:
        lines.append(cur)
    return ['  ' + l for l in lines]


def build_directives(dump, manual, prober, log):
    # group -> name -> {'sections': set, 'doc': str, 'subs': [..], 'src': set}
    found = {g: OrderedDict() for g in GROUPS}

    def add(group, name, src, sections=None, doc=None, sub=None):
        d = found[group].setdefault(name, {'sections': set(), 'doc': None,
                                           'subs': [], 'src': set(),
                                           'exact_doc': None})
        d['src'].add(src)
        if sections:
            d['sections'] |= set(sections)
        if doc and sub is None and d['exact_doc'] is None:
            d['exact_doc'] = doc
        if doc and d['doc'] is None:
            d['doc'] = doc
        if sub and sub not in d['subs']:
            d['subs'].append(sub)

    # Manual chapters.
    for e in manual.entries:
        group = CHAPTER_GROUP.get(e.chapter)
        if group is None:
            continue
        words = e.name.split()
        if not words:
            continue
        if group != 'proxy' and words[0] == GROUPS[group][2]:
            continue  # the section-opening keyword itself
        first = words[0]
        sub = ' '.join(words[1:]) or None
        if first == 'no' and len(words) > 1:
            add(group, 'no', 'manual')
            first, sub = words[1], ' '.join(words[2:]) or None
        flag = GROUPS[group][1]
        sections = {flag} if flag else e.sections
        add(group, first, 'manual', sections, e.doc, sub)

    # 4.1 matrix: authoritative sections for proxy keywords.
    matrix_first = defaultdict(set)
    for kw, (flags, _dep, _neg) in manual.matrix.items():
        matrix_first[kw.split()[0]] |= flags
    for first, flags in matrix_first.items():
        add('proxy', first, 'matrix')
        found['proxy'][first]['sections'] = set(flags)
    for kw, (flags, dep, _neg) in manual.matrix.items():
        if dep:
            DEPRECATED_DIRECTIVES.setdefault(('proxy', kw.split()[0]), 'deprecated')

    # Chapter 3 summary list of global keywords.
    for name, dep in manual.global_list.items():
        first = name.split()[0]
        add('global', first, 'manual', {'kGlobal'})
        if dep:
            DEPRECATED_DIRECTIVES.setdefault(('global', first), 'deprecated')

    # The dump.
    for name in dump.global_kws:
        add('global', name, 'dump', {'kGlobal'})
    for name in dump.listen_kws:
        add('proxy', name, 'dump')
    add('proxy', 'bind', 'dump')
    add('proxy', 'server', 'dump')
    add('proxy', 'option', 'dump')
    for rs in RULESETS:
        add('proxy', rs.split()[0], 'dump')

    # Generic `no` / `default` modifiers.
    for group in NO_PREFIX_GROUPS:
        add(group, 'no', 'builtin', {GROUPS[group][1]} if GROUPS[group][1] else None)
    add('proxy', 'default', 'builtin')

    for (group, name), secs in SECTION_OVERRIDES.items():
        add(group, name, 'override')
        found[group][name]['sections'] = set(secs.split('|'))

    removed = {}
    for group, name, sections, repl, doc in REMOVED_DIRECTIVES:
        removed[(group, name)] = (repl, doc)
        d = found[group].get(name)
        if d is None:
            add(group, name, 'removed')
            d = found[group][name]
        d['sections'] = set(sections.split('|'))

    # Proxy keywords with no section info: `no`/`default`/`option` apply to
    # every proxy section.  A listen section has both the frontend and the
    # backend capabilities (a few 4.2 tables forget it).
    for name, d in found['proxy'].items():
        if d['sections'] & {'kFrontend', 'kBackend'}:
            d['sections'].add('kListen')
        if not d['sections']:
            if name in ('no', 'default', 'option'):
                d['sections'] = {'kDefaults', 'kFrontend', 'kListen', 'kBackend'}
            else:
                log('warning: no section info for proxy keyword %r' % name)
                d['sections'] = {'kDefaults', 'kFrontend', 'kListen', 'kBackend'}

    # Id assignment.
    groups_of = defaultdict(list)
    for group in GROUPS:
        for name in found[group]:
            groups_of[name].append(group)

    rows = []
    unknown = []
    counts = defaultdict(int)
    for group in GROUPS:
        for name, d in found[group].items():
            ident = cident(name)
            if len(groups_of[name]) > 1 and group != 'proxy':
                ident = GROUPS[group][0] + re.sub(r'[^0-9a-z]', '_', name.lower())
            if (group, name) in removed:
                status = 'Removed'
                repl, doc = removed[(group, name)]
            else:
                status = 'Supported' if name in SUPPORTED_DIRECTIVES.get(group, ()) else 'Unsupported'
                repl = ''
                doc = DOC_OVERRIDES.get(('directive', group, name))
                if doc is None:
                    doc = d['exact_doc']
                if doc is None and len(d['subs']) == 1 and d['doc']:
                    doc = d['doc']
                if doc is None and d['subs']:
                    subs = d['subs']
                    firsts = []
                    for sub in subs:
                        if sub.split()[0] not in firsts:
                            firsts.append(sub.split()[0])
                    if len(firsts) < len(subs):
                        subs = firsts
                    doc = 'Sub-keywords: ' + ', '.join(subs)
                if doc is None:
                    doc = d['doc'] or manual.plain_doc(name) or 'Not documented in the 2.6 manual'
                dep = DEPRECATED_DIRECTIVES.get((group, name))
                if dep:
                    doc = re.sub(r'^Deprecated\.?\s*', '', doc)
                    doc = ('Deprecated (%s). %s' % (dep, doc)).strip()
                if not prober.directive_known(group, name):
                    unknown.append('%s:%s' % (group, name))
            counts[status] += 1
            rows.append((name, ident, group, Line('LBC_DIRECTIVE', [
                ident, cstr(name), sections_expr(d['sections']), status, cstr(repl)], doc)))
    rows.sort(key=lambda r: (r[0], list(GROUPS).index(r[2])))
    check_unique([r[1] for r in rows], 'directives.def')
    for group, names in SUPPORTED_DIRECTIVES.items():
        for n in names:
            if n not in found[group]:
                log('SUPPORTED directive not found in haproxy 2.6: %s:%s' % (group, n))
    notes = []
    if unknown:
        notes.append(['Documented in the manual but unknown to the local haproxy binary',
                      '(build options or manual errors), kept as Unsupported:']
                     + wrap_list(sorted(unknown)))
    return rows, counts, notes


def build_options(dump, manual, prober, log):
    found = OrderedDict()

    def add(name, sections=None, doc=None, group='proxy'):
        d = found.setdefault(name, {'sections': set(), 'doc': None, 'group': group})
        if sections:
            d['sections'] |= set(sections)
        if doc and not d['doc']:
            d['doc'] = doc

    for kw, (flags, _dep, _neg) in manual.matrix.items():
        w = kw.split()
        if w[0] == 'option' and len(w) >= 2:
            add(w[1], flags)
    group_of_chapter = {'4.2': 'proxy', '3.7': 'program', '10.1.1': 'fcgiapp'}
    for e in manual.entries:
        group = group_of_chapter.get(e.chapter)
        if not group:
            continue
        w = e.name.split()
        if w[:1] == ['no']:
            w = w[1:]
        if len(w) >= 2 and w[0] == 'option':
            name = w[1]
            if group == 'proxy':
                add(name, None if name in found else e.sections, e.doc)
            else:
                add(name, {GROUPS[group][1]}, e.doc, group)
    for name, caps in dump.options.items():
        if name not in found or not found[name]['sections']:
            secs = {'kDefaults'}
            if 'FE' in caps:
                secs |= {'kFrontend', 'kListen'}
            if 'BE' in caps:
                secs |= {'kListen', 'kBackend'}
            add(name, secs)
        else:
            add(name)
    removed = {}
    for name, sections, repl, doc in REMOVED_OPTIONS:
        removed[name] = (repl, doc)
        add(name, sections.split('|'))
        found[name]['sections'] = set(sections.split('|'))

    rows, counts, unknown = [], defaultdict(int), []
    for name, d in found.items():
        if name in removed:
            status = 'Removed'
            repl, doc = removed[name]
        else:
            status = 'Supported' if name in SUPPORTED_OPTIONS else 'Unsupported'
            repl, doc = '', d['doc'] or 'Not documented in the 2.6 manual'
            if not prober.option_known(name, d['group']):
                unknown.append(name)
        counts[status] += 1
        ident = cident(name)
        rows.append((name, ident, Line('LBC_OPTION', [
            ident, cstr(name), sections_expr(d['sections']), status, cstr(repl)], doc)))
    rows.sort(key=lambda r: r[0])
    check_unique([r[1] for r in rows], 'options.def')
    for n in SUPPORTED_OPTIONS:
        if n not in found:
            log('SUPPORTED option not found in haproxy 2.6: %s' % n)
    notes = []
    if unknown:
        notes.append(['Documented but unknown to the local haproxy binary:'] + wrap_list(sorted(unknown)))
    return rows, counts, notes


def manual_nargs(entry):
    rest = entry.signature[len(entry.name):].strip()
    return 1 if rest else 0


def build_srv_bind(kind, dump_map, manual, chapter, supported, prober_fn, macro, fname, log, deprecated=None):
    docs = {}
    manual_only = OrderedDict()
    for e in manual.by_chapter(chapter):
        if e.chapter != chapter:
            continue
        name = e.name.split()[0]
        docs.setdefault(name, e.doc)
        if name not in dump_map:
            manual_only.setdefault(name, manual_nargs(e))
    allkw = OrderedDict(dump_map)
    for n, a in manual_only.items():
        allkw.setdefault(n, a)
    rows, counts, unknown = [], defaultdict(int), []
    for name, nargs in allkw.items():
        status = 'Supported' if name in supported else 'Unsupported'
        counts[status] += 1
        doc = docs.get(name) or 'Not documented in the 2.6 manual'
        if deprecated and name in deprecated:
            doc = 'Deprecated (%s). %s' % (deprecated[name], doc)
        if name not in dump_map and not prober_fn(name):
            unknown.append(name)
        ident = cident(name)
        rows.append((name, ident, Line(macro, [ident, cstr(name), str(nargs), status], doc)))
    rows.sort(key=lambda r: r[0])
    check_unique([r[1] for r in rows], fname)
    for n in supported:
        if n not in allkw:
            log('SUPPORTED %s option not found in haproxy 2.6: %s' % (kind, n))
    notes = []
    only = [n for n in manual_only if n not in unknown]
    if only:
        notes.append(['Not in the -dKall dump but documented and accepted by haproxy:'] + wrap_list(only))
    if unknown:
        notes.append(['Documented in the manual but unknown to the local haproxy binary',
                      '(build options or manual errors), kept as Unsupported:'] + wrap_list(sorted(unknown)))
    return rows, counts, notes


def assign_ids(names):
    """name -> Id; on a clash the name that is already an identifier keeps the
    bare Id, the others get _2, _3, ... (in name order)."""
    by_id = defaultdict(list)
    for n in names:
        by_id[cident(n)].append(n)
    ids = {}
    for ident, group in by_id.items():
        group.sort(key=lambda n: (re.sub(r'[^0-9a-z]', '_', n.lower()) != n, n))
        for i, n in enumerate(group):
            ids[n] = ident if i == 0 else '%s_%d' % (ident, i + 1)
    return ids


def manual_docs(manual, chapters):
    docs = {}
    for e in manual.entries:
        if not any(e.chapter == c or e.chapter.startswith(c + '.') for c in chapters):
            continue
        name = re.split(r'[\s(:]', e.name.strip(), 1)[0]
        if e.doc:
            docs.setdefault(name, e.doc)
    return docs


def build_fetches(dump, manual, log):
    docs = manual_docs(manual, ['7.3.2', '7.3.3', '7.3.4', '7.3.5', '7.3.6', '7.3.7'])
    names = [f[0] for f in dump.fetches]
    ids = assign_ids(names)
    rows, counts = [], defaultdict(int)
    for name, args, typ, usage in dump.fetches:
        status = 'Supported' if name in SUPPORTED_FETCHES else 'Unsupported'
        counts[status] += 1
        if name in OPTIONAL_TABLE_FETCHES and args.endswith('table') and '[' not in args:
            args = args[:-len('table')] + '[table]' if args == 'table' else args[:-len(',table')] + '[,table]'
        doc = docs.get(name)
        m = re.match(r'^sc\d_(.*)$', name)
        if doc is None and m:
            doc = docs.get('sc_' + m.group(1))  # e.g. sc1_clr_gpc -> sc_clr_gpc
        doc = doc or 'Not documented in the 2.6 manual'
        rows.append((name, ids[name], Line('LBC_FETCH', [
            ids[name], cstr(name), cstr(args), SMP_TYPES[typ], cstr(usage), status], doc)))
    rows.sort(key=lambda r: r[0])
    check_unique([r[1] for r in rows], 'fetches.def')
    for n in SUPPORTED_FETCHES:
        if n not in names:
            log('SUPPORTED fetch not found in haproxy 2.6: %s' % n)
    manual_only = sorted(set(docs) - set(names))
    notes = []
    if manual_only:
        notes.append(['Documented in the manual but not registered in the local binary',
                      '(build options), not listed:'] + wrap_list(manual_only))
    clashes = sorted(n for n in names if ids[n] != cident(n))
    if clashes:
        notes.append(['Id clashes resolved with a numeric suffix:']
                     + wrap_list(['%s=%s' % (n, ids[n]) for n in clashes]))
    return rows, counts, notes


def build_converters(dump, manual, log):
    docs = manual_docs(manual, ['7.3.1'])
    names = [c[0] for c in dump.converters]
    ids = assign_ids(names)
    rows, counts = [], defaultdict(int)
    for name, args, out_t, in_t in dump.converters:
        status = 'Supported' if name in SUPPORTED_CONVERTERS else 'Unsupported'
        counts[status] += 1
        doc = CONV_DOC_OVERRIDES.get(name, docs.get(name))
        if doc is None and name.startswith('map_'):
            # map_<match>[_<output>] share the manual's "map" entry
            doc = CONV_DOC_OVERRIDES['map']
        doc = doc or 'Not documented in the 2.6 manual'
        rows.append((name, ids[name], Line('LBC_CONV', [
            ids[name], cstr(name), cstr(args), SMP_TYPES[in_t], SMP_TYPES[out_t], status], doc)))
    rows.sort(key=lambda r: r[0])
    check_unique([r[1] for r in rows], 'converters.def')
    for n in SUPPORTED_CONVERTERS:
        if n not in names:
            log('SUPPORTED converter not found in haproxy 2.6: %s' % n)
    manual_only = sorted(set(docs) - set(names))
    notes = []
    if manual_only:
        notes.append(['Documented in the manual but not registered in the local binary',
                      '(build options), not listed:'] + wrap_list(manual_only))
    return rows, counts, notes


def build_acl(dump):
    rows = []
    for alias, fetch, method in dump.acl:
        if method not in ACL_MATCH:
            raise ValueError('unknown ACL match method %r' % method)
        rows.append((alias, None, 'LBC_ACL_KW(%s, %s, %s)' % (cstr(alias), cstr(fetch), ACL_MATCH[method])))
    rows.sort(key=lambda r: r[0])
    check_unique([r[0] for r in rows], 'acl_keywords.def')
    return rows


def build_actions(dump, manual, prober, log):
    # name -> {'prefix': bool, 'rulesets': set, 'docs': {rs: doc}}
    acts = OrderedDict()

    def add(name, rs, prefix=False, doc=None):
        a = acts.setdefault(name, {'prefix': False, 'rulesets': set(), 'docs': {}})
        a['prefix'] = a['prefix'] or prefix
        a['rulesets'].add(rs)
        if doc and (rs not in a['docs'] or _BOILERPLATE.search(a['docs'][rs])):
            a['docs'][rs] = doc

    for rs, names in dump.actions.items():
        for name, prefix in names.items():
            if name == 'track-sc' and prefix:
                for t in TRACK_SC:
                    add(t, rs)
                continue
            add(name, rs, prefix)

    for e in manual.entries:
        if e.chapter not in ('4.2', '5.3.2', '6.2.2'):
            continue
        words = e.name.split()
        for rs in RULESETS:
            rw = rs.split()
            if words[:len(rw)] == rw and len(words) > len(rw):
                name = words[len(rw)]
                add(name, rs, doc=e.doc)
                break

    # Verify against haproxy's own per-ruleset lists.
    problems = []
    if prober.enabled:
        expected = prober.ruleset_actions()
        for rs, names in expected.items():
            for n in names:
                base = n.rstrip('*')
                if base == 'track-sc':
                    continue
                if base not in acts:
                    problems.append('haproxy lists %s %s but the registry does not' % (rs, n))
            if 'track-sc*' in names:
                names = names | set(TRACK_SC)
            for name, a in acts.items():
                if rs in a['rulesets']:
                    key = name + ('*' if a['prefix'] else '')
                    if key not in names:
                        problems.append('registry has %s %s, haproxy does not list it' % (rs, key))
                    elif not prober.action_allowed(rs, name, a['prefix']):
                        problems.append('%s %s: listed by haproxy but "not allowed" there' % (rs, name))
                elif (name + ('*' if a['prefix'] else '')) in names and \
                        prober.action_allowed(rs, name, a['prefix']):
                    problems.append('haproxy accepts %s %s, registry does not list it' % (rs, name))
    for p in problems:
        log('action check: ' + p)

    rows, counts = [], defaultdict(int)
    for name, a in acts.items():
        status = 'Supported' if name in SUPPORTED_ACTIONS else 'Unsupported'
        counts[status] += 1
        doc = ''
        for rs in RULESETS:
            if rs in a['docs']:
                doc = a['docs'][rs]
                break
        doc = doc or 'Not documented in the 2.6 manual'
        rsets = '|'.join(flag for rs, flag in RULESETS.items() if rs in a['rulesets'])
        ident = cident(name)
        rows.append((name, ident, Line('LBC_ACTION', [
            ident, cstr(name), '1' if a['prefix'] else '0', rsets, status], doc)))
    rows.sort(key=lambda r: r[0])
    check_unique([r[1] for r in rows], 'actions.def')
    for n in SUPPORTED_ACTIONS:
        if n not in acts:
            log('SUPPORTED action not found in haproxy 2.6: %s' % n)
    return rows, counts, problems


def check_unique(ids, fname):
    seen = set()
    for i in ids:
        if i in seen:
            raise SystemExit('duplicate Id %r in %s' % (i, fname))
        seen.add(i)


def write(path, head, rows):
    body = []
    for r in rows:
        line = r[-1]
        body.append(line.render() if isinstance(line, Line) else line)
    with open(path, 'w') as f:
        f.write(head)
        f.write('\n'.join(body) + '\n')


def summary(counts):
    total = sum(counts.values())
    return '%d entries: %d Supported, %d Unsupported, %d Removed' % (
        total, counts.get('Supported', 0), counts.get('Unsupported', 0), counts.get('Removed', 0))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(here))
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--haproxy', default='/usr/sbin/haproxy')
    ap.add_argument('--manual', default='/usr/share/doc/haproxy/html/configuration.html')
    ap.add_argument('--dump', help='read the -dKall output from this file instead of running haproxy')
    ap.add_argument('--out', default=os.path.join(root, 'stdlib', 'registry'))
    ap.add_argument('--no-probe', action='store_true', help='do not run haproxy -c on each keyword')
    opts = ap.parse_args()

    def log(msg):
        print(msg, file=sys.stderr)

    text = open(opts.dump).read() if opts.dump else run_dump(opts.haproxy)
    dump = Dump(text)
    with open(opts.manual, encoding='utf-8') as f:
        manual = Manual(f.read())
    prober = Prober(opts.haproxy, not opts.no_probe and not opts.dump)
    os.makedirs(opts.out, exist_ok=True)

    sec_list = ' '.join(SECTION_ORDER)
    report = []

    rows, counts, notes = build_directives(dump, manual, prober, log)
    write(os.path.join(opts.out, 'directives.def'), header(
        'directives.def - section-level keywords (first word of a line) of HAProxy 2.6.',
        ['LBC_DIRECTIVE(Id, "name", SECTIONS, STATUS, "replacement", "doc")',
         '  Id          unique C identifier: name lowercased, non-alnum -> _, a leading',
         '              digit gets a k prefix; when a name exists in several section',
         '              groups the non-proxy ones get a group prefix (global_, peers_,',
         '              resolvers_, userlist_, cache_, httperrors_, ring_, mailers_,',
         '              program_, logforward_, fcgiapp_).',
         '  "name"      the keyword as written in the configuration.',
         '  SECTIONS    OR of section kinds where the keyword is valid, among',
         '              ' + ' '.join(SECTION_ORDER[:8]),
         '              ' + ' '.join(SECTION_ORDER[8:]) + ';',
         '              proxy sections come from the manual\'s 4.1 keyword matrix.',
         '  STATUS      Supported (by lbc), Unsupported, or Removed (rejected by',
         '              HAProxy 2.x, still found in older configurations).',
         '  "replacement"  modern form for Removed entries ("" = just remove it);',
         '              always "" for other entries.',
         '  "doc"       one line condensed from the manual.',
         'Multi-word keywords (timeout X, stats X, tcp-request X, ...) are listed by',
         'their first word only; `option` sub-keywords are in options.def, bind and',
         'server options in bind_opts.def / server_opts.def, rule actions in',
         'actions.def.  Section-opening keywords (frontend, backend, peers, ...)',
         'are not directives.'], notes), rows)
    report.append('directives.def: ' + summary(counts))

    rows, counts, notes = build_options(dump, manual, prober, log)
    write(os.path.join(opts.out, 'options.def'), header(
        'options.def - `option <name>` keywords of HAProxy 2.6.',
        ['LBC_OPTION(Id, "name", SECTIONS, STATUS, "replacement", "doc")',
         '  Id          name after `option`, lowercased, non-alnum -> _.',
         '  SECTIONS    OR of section kinds (see directives.def); proxy options from',
         '              the manual\'s 4.1 matrix, program options kProgram, fcgi-app',
         '              options kFcgiApp.',
         '  STATUS      Supported / Unsupported / Removed (as in directives.def).',
         '  "replacement"  modern form for Removed entries ("" = just remove it).',
         '  "doc"       one line condensed from the manual.'], notes), rows)
    report.append('options.def: ' + summary(counts))

    rows, counts, notes = build_srv_bind('bind', dump.bind, manual, '5.1', SUPPORTED_BIND_OPTS,
                                         prober.bind_known, 'LBC_BIND_OPT', 'bind_opts.def', log,
                                         DEPRECATED_BIND_OPTS)
    write(os.path.join(opts.out, 'bind_opts.def'), header(
        'bind_opts.def - options of the `bind` line (proxies, peers, log-forward).',
        ['LBC_BIND_OPT(Id, "name", NARGS, STATUS, "doc")',
         '  Id          name lowercased, non-alnum -> _.',
         '  NARGS       number of arguments the option consumes (-1 = variable).',
         '  STATUS      Supported / Unsupported.',
         '  "doc"       one line condensed from the manual (section 5.1).'], notes), rows)
    report.append('bind_opts.def: ' + summary(counts))

    rows, counts, notes = build_srv_bind('server', dump.server, manual, '5.2', SUPPORTED_SERVER_OPTS,
                                         prober.server_known, 'LBC_SERVER_OPT', 'server_opts.def', log)
    write(os.path.join(opts.out, 'server_opts.def'), header(
        'server_opts.def - options of the `server` / `default-server` lines.',
        ['LBC_SERVER_OPT(Id, "name", NARGS, STATUS, "doc")',
         '  Id          name lowercased, non-alnum -> _.',
         '  NARGS       number of arguments the option consumes (-1 = variable:',
         '              `source` takes an address then optional usesrc/interface).',
         '  STATUS      Supported / Unsupported.',
         '  "doc"       one line condensed from the manual (section 5.2).'], notes), rows)
    report.append('server_opts.def: ' + summary(counts))

    rows, counts, notes = build_fetches(dump, manual, log)
    legend = ['%2d  %s' % (i + 1, t) for i, t in enumerate(dump.usage_legend)]
    write(os.path.join(opts.out, 'fetches.def'), header(
        'fetches.def - sample fetch functions registered in HAProxy 2.6.',
        ['LBC_FETCH(Id, "name", "args", Type, "usage22", STATUS, "doc")',
         '  Id          name lowercased, non-alnum -> _ (req.hdr -> req_hdr); when two',
         '              names map to the same Id, the one that already is an identifier',
         '              keeps it and the other gets a _2 suffix (req_len / req.len ->',
         '              req_len_2).',
         '  "args"      argument list exactly as printed by -dKall ("" = none;',
         '              [..] = optional).',
         '  Type        output type: Bool Sint Addr Ipv4 Ipv6 Str Bin Meth Any.',
         '  "usage22"   22 Y/. flags: where the fetch may be used, in this order:'] + legend +
        ['  STATUS      Supported / Unsupported.',
         '  "doc"       one line condensed from the manual (7.3.2 - 7.3.7).'], notes), rows)
    report.append('fetches.def: ' + summary(counts))

    rows, counts, notes = build_converters(dump, manual, log)
    write(os.path.join(opts.out, 'converters.def'), header(
        'converters.def - sample converters registered in HAProxy 2.6.',
        ['LBC_CONV(Id, "name", "args", InType, OutType, STATUS, "doc")',
         '  Id          name lowercased, non-alnum -> _.',
         '  "args"      argument list exactly as printed by -dKall ("" = none).',
         '  InType      input sample type, OutType output sample type, among',
         '              Bool Sint Addr Ipv4 Ipv6 Str Bin Meth Any.  NOTE: -dKall prints',
         '              `name(args): OUT => IN` (e.g. `hex: str => bin`: bin in, str out).',
         '  STATUS      Supported / Unsupported.',
         '  "doc"       one line condensed from the manual (7.3.1).'], notes), rows)
    report.append('converters.def: ' + summary(counts))

    rows = build_acl(dump)
    write(os.path.join(opts.out, 'acl_keywords.def'), header(
        'acl_keywords.def - ACL-only keyword aliases of HAProxy 2.6.',
        ['LBC_ACL_KW("alias", "fetch", Match)',
         '  "alias"     keyword usable only in ACL expressions (e.g. hdr_beg).',
         '  "fetch"     the sample fetch it stands for (see fetches.def).',
         '  Match       implied `-m` match method: Found Bool Int Ip Bin Len Str Sub',
         '              Reg Beg End Dir Dom.',
         'Every line of the "ACL keywords" part of -dKall is listed.']), rows)
    report.append('acl_keywords.def: %d entries' % len(rows))

    rows, counts, problems = build_actions(dump, manual, prober, log)
    write(os.path.join(opts.out, 'actions.def'), header(
        'actions.def - rule actions of HAProxy 2.6.',
        ['LBC_ACTION(Id, "name", PREFIX, RULESETS, STATUS, "doc")',
         '  Id          name lowercased, non-alnum -> _.',
         '  PREFIX      1 when the keyword is followed by "(...)" arguments glued to',
         '              it (set-var(txn.x), sc-inc-gpc0(0), add-acl(file), ...).',
         '  RULESETS    OR of kTcpReqConn kTcpReqSess kTcpReqCont kTcpResCont',
         '              kHttpReq kHttpRes kHttpAfterRes: rule sets accepting it.',
         '  STATUS      Supported (in every rule set listed) / Unsupported.',
         '  "doc"       one line condensed from the manual (4.2).',
         'Sources: -dKall registered actions plus the built-in ones the manual',
         'documents (accept, reject, capture, expect-proxy, expect-netscaler-cip,',
         'close, track-sc0..2).  -dKall prints `track-sc*` for http rules: with',
         'MAX_SESS_STKCTR = 3 it means exactly track-sc0, track-sc1, track-sc2.']), rows)
    report.append('actions.def: ' + summary(counts))
    if prober.enabled:
        report.append('actions checked against haproxy -c: %s' %
                      ('OK' if not problems else '%d problem(s)' % len(problems)))

    shutil.rmtree(prober.tmpdir, ignore_errors=True)
    print('\n'.join(report))


if __name__ == '__main__':
    main()

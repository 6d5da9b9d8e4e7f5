#!/usr/bin/env python3
"""Differential HTTP suite: the same configurations under haproxy 2.6 and `lbc run`.

For every configuration in CONFIGS, starts /usr/sbin/haproxy and lbc on the same text (each with
its own port and its own set of recording backends), sends every raw request of corpus.txt over a
plain socket to both, and compares, per response expected:
  status    the status line's code the client got (or `closed` / `timeout`)
  backend   which backend received the request (or `-` when none did)
  seen      the request line and headers that backend saw (names lower-cased, order kept)
  resp      the response headers and body the client got (names lower-cased, order kept)
Every difference is classified by allowlist.txt (deliberate, documented differences) or
pending_bugs.txt (lbc bugs not fixed yet). Lines in both: `CONFIG CASE FIELD  # reason`, where
CONFIG and CASE may be `*`, FIELD is one of the four above or `*`.

Exit status: 1 on any unlisted difference or stale allowlist entry, 77 (ctest: skipped, with the
list printed) when the only differences are pending lbc bugs, 0 when everything agrees.
The full report goes to --report (default: report.txt in a temporary directory, path printed).

usage: http_diff.py --lbc PATH/lbc [--haproxy /usr/sbin/haproxy] [--only CASE,...]
                    [--configs NAME,...] [--report FILE]
"""
import argparse
import concurrent.futures
import fnmatch
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "http1_haproxy"))
from harness import unescape  # noqa: E402  (the corpus escapes are shared with http1_haproxy)

HEAD = """global
    maxconn 200
defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
    timeout http-request 1s
"""

BACKENDS = """
backend b1
    server s1 127.0.0.1:{b1}
backend b2
    server s2 127.0.0.1:{b2}
backend b3
    server s3 127.0.0.1:{b3}
"""

# Each configuration is a frontend over the three recording backends b1, b2, b3.
CONFIGS = {
    "plain": """
frontend fe
    bind 127.0.0.1:{port}
    default_backend b1
""",
    "route": """
frontend fe
    bind 127.0.0.1:{port}
    option forwardfor
    acl is_api path_beg /api
    acl host_b hdr(host) -i b.example
    acl is_post method POST
    use_backend b2 if is_api
    use_backend b3 if host_b or is_post
    default_backend b1
""",
    "rules": """
frontend fe
    bind 127.0.0.1:{port}
    http-request deny if { path /deny }
    http-request redirect location /new code 301 if { path /old }
    http-request return status 200 content-type text/plain string ok if { path /ret }
    http-request set-header X-Set set
    http-request del-header X-Del
    http-request replace-header X-Rep ^a(.*)$ b\\1
    http-response set-header X-Resp r
    option forwardfor
    default_backend b1
""",
    "ff": """
frontend fe
    bind 127.0.0.1:{port}
    option forwardfor except 10.0.0.0/8 header X-Client
    http-request add-header X-Add a1
    http-request set-header X-Host %[req.hdr(host)]
    http-request set-header X-Path %[path]
    http-request replace-value X-List ^b.*$ z
    http-request del-header X-Forwarded-For
    http-response set-header X-Resp-Status %[status]
    http-response del-header X-Backend
    use_backend b2 if { hdr_beg(host) -i api. }
    use_backend b3 if { path_end .php } || METH_DELETE
    default_backend b1
""",
    "redir": """
frontend fe
    bind 127.0.0.1:{port}
    http-request deny deny_status 429 if { req.hdr(x-block) -m found }
    http-request redirect prefix /p code 302 if { path_beg /pre }
    http-request redirect scheme https if { path /s }
    http-request redirect location /nq drop-query if { path /dq }
    http-request redirect location %[req.hdr(x-to)] code 301 ignore-empty if { path /ie }
    http-request redirect prefix %[req.hdr(x-to)] ignore-empty if { path /iep }
    http-request return status 200 content-type text/plain string fell-through if { path_beg /ie }
    http-request return status 503 content-type text/plain hdr X-R 1 string down if { path /r503 }
    http-request set-path /rw%[path] if { path_beg /sp }
    http-request set-query q=1 if { path /sq }
    use_backend b2 if { path_beg /rw }
    use_backend b3 if { path /sq }
    default_backend b1
""",
    # userlist + http-request auth + the http_auth* fetches (issue 16)
    "auth": """
userlist ul
    group admins users alice
    group devs
    user alice insecure-password secret
    user bob password $6$saltsalt$pauPrmdmG4BTE9h2HPmywiw152IFch6BJCEsaY6D.PLTfpV8sqvXwWdyfsgVgozkYH9B80bAip/08R2BPH2xk/ groups devs
    user carol password $1$xy$agwqqPDPEeCQoIOSAncK/0 groups admins,devs
frontend fe
    bind 127.0.0.1:{port}
    acl ok http_auth(ul)
    acl adm http_auth_group(ul) admins
    acl dev http_auth_group(ul) devs
    http-request auth realm Secret if { path_beg /adm } !adm
    http-request auth if { path_beg /priv } !ok
    http-request auth realm "Dev zone" if { path_beg /dev } !dev
    http-request set-header X-Auth-Type %[http_auth_type]
    http-request set-header X-Auth-User %[http_auth_user]
    http-request set-header X-Auth-Pass %[http_auth_pass]
    http-request set-header X-Auth-Ok %[http_auth(ul)]
    http-request set-header X-Auth-Group %[http_auth_group(ul)]
    http-request set-header X-Bearer %[http_auth_bearer]
    http-request set-header X-Bearer-Hdr %[http_auth_bearer(x-tok)]
    http-response set-header X-After %[status] if { status 401 }
    use_backend b2 if ok
    default_backend b1
""",
    # the legacy `redirect` directive (after every http-request rule) and errorloc* (issue 16)
    "lredir": """
frontend fe
    bind 127.0.0.1:{port}
    errorloc 403 http://err.example/forbidden
    errorloc303 404 /missing%[path]
    http-request deny if { path /deny }
    http-request deny deny_status 404 if { path /gone }
    redirect location /r1 if { path /order }
    http-request return status 200 content-type text/plain string early if { path /order }
    redirect scheme https if !{ ssl_fc } { path_beg /s }
    redirect scheme https code 301 if { path /s301 }
    redirect prefix /new drop-query append-slash if { path_beg /old }
    redirect prefix https://x.example code 308 if { path_beg /px }
    redirect location /loc%[path] set-cookie SEEN=1 if { path /lit }
    redirect location /clr clear-cookie SEEN= code 307 if { path /clr }
    http-request set-header X-Pre 1
    use_backend nob if { path /nosrv }
    use_backend rb if { path_beg /be }
    default_backend b1
backend nob
    errorloc302 503 http://maint.example/
backend rb
    redirect location /from-be code 303 unless { path /be/pass }
    server s2 127.0.0.1:{b2}
""",
    # monitor-uri and monitor fail (issue 16): answered before every http-request rule
    "mon": """
frontend fe
    bind 127.0.0.1:{port}
    monitor-uri /health
    monitor fail if { req.hdr(x-fail) -m found }
    monitor fail unless { req.hdr(x-ok) -m found } || { req.hdr(x-ok2) -m found }
    http-request deny if { path /health }
    http-request set-header X-Mon %[url]
    default_backend b1
""",
    # request line rewrites (issue 16): replace-path/-pathq/-uri, set-method, set-pathq, pathq
    "rw": """
frontend fe
    bind 127.0.0.1:{port}
    http-request replace-path /old/(.*) /new/\\1 if { path_beg /old }
    http-request replace-pathq ^/q/(.*)\\?(.*)$ /q2/\\2/\\1 if { path_beg /q/ }
    http-request replace-uri ^http://([^/]*)/u(.*) /abs-\\1\\2 if { path_beg /u }
    http-request replace-uri ^/ru(.*)$ /ru-%[req.hdr(host)]\\1 if { path_beg /ru }
    http-request replace-path ^$ /empty if { path_beg /nomatch }
    http-request set-method POST if { path /m }
    http-request set-method %[req.hdr(x-meth)] if { req.hdr(x-meth) -m found }
    http-request set-pathq /pq%[path]?n=1 if { path_beg /spq }
    http-request set-header X-Pathq %[pathq]
    http-request set-header X-Method %[method]
    use_backend b2 if METH_POST
    default_backend b1
""",
    # converters of issue 16: strcmp, cut_crlf, host_only, port_only
    "cv2": """
frontend fe
    bind 127.0.0.1:{port}
    http-request set-var(txn.ref) req.hdr(x-ref)
    http-request set-header X-Cmp %[req.hdr(x-s),strcmp(txn.ref)]
    http-request set-header X-Host-Only %[req.hdr(host),host_only]
    http-request set-header X-Port-Only %[req.hdr(host),port_only]
    http-request set-header X-Cut %[req.hdr(x-s),url_dec,cut_crlf]
    default_backend b1
""",
    # every fetch and converter of issue 5's list, each into a header the backend records
    "fx": """
frontend fe
    bind 127.0.0.1:{port}
    http-request set-var(txn.meth) method
    http-request set-header X-Method %[method]
    http-request set-header X-Path %[path]
    http-request set-header X-Url %[url]
    http-request set-header X-Query %[query]
    http-request set-header X-Param %[url_param(user)]
    http-request set-header X-Hdr %[hdr(x-list)]
    http-request set-header X-Hdr-2 %[hdr(x-list,2)]
    http-request set-header X-Hdr-Last %[hdr(x-list,-1)]
    http-request set-header X-Req-Hdr %[req.hdr(x-list,1)]
    http-request set-header X-Fhdr %[req.fhdr(x-list)]
    http-request set-header X-Cnt %[hdr_cnt(x-list)]
    http-request set-header X-Ip %[hdr_ip(x-ip)]
    http-request set-header X-Cook %[req.cook(sid)]
    http-request set-header X-Cook-2 %[cook(lang)]
    http-request set-header X-Src %[src]
    http-request set-header X-Dst %[dst]
    http-request set-header X-Ports ok if { src_port gt 1023 } { dst_port gt 1023 }
    http-request set-header X-Base %[base]
    http-request set-header X-Ssl %[ssl_fc]
    http-request set-header X-Var %[var(txn.meth)]
    http-request set-header X-Lower %[req.hdr(host),lower]
    http-request set-header X-Upper %[path,upper]
    http-request set-header X-Regsub %[path,regsub(/+,_,g)]
    http-request set-header X-Field %[path,field(2,/)]
    http-request set-header X-Word %[path,word(1,/)]
    http-request set-header X-Bytes %[path,bytes(1,3)]
    http-request set-header X-Length %[path,length]
    http-request set-header X-Hex %[method,hex]
    http-request set-header X-Base64 %[path,base64]
    http-request set-header X-Mask %[src,ipmask(24)]
    http-request set-header X-Map-Str %[path,map_str({maps}/paths.map,none)]
    http-request set-header X-Map-Beg %[path,map_beg({maps}/prefixes.map,none)]
    http-request set-header X-Map-Reg %[path,map_reg({maps}/regex.map,none)]
    http-request set-header X-Acl-Dir 1 if { path_dir fx }
    http-request set-header X-Acl-Sub 1 if { path_sub one }
    http-request set-header X-Acl-Reg 1 if { path_reg ^/fx/[0-9]+$ }
    http-request set-header X-Acl-Hdr-Dom 1 if { hdr_dom(host) example.com }
    http-request set-header X-Acl-Hdr-Sub 1 if { hdr_sub(user-agent) curl }
    http-request set-header X-Acl-Url-Beg 1 if { url_beg /fx }
    http-request set-header X-Acl-Hdr-End 1 if { hdr_end(host) .com }
    http-response set-header X-Res-Hdr %[res.hdr(x-backend)]
    http-response set-header X-Status %[status]
    default_backend b1
""",
    # issue 16: the pure converters, each into a header the backend records, and routing on the
    # predefined ACLs (HTTP_1.0, METH_*, HTTP_CONTENT, HTTP_URL_ABS ...)
    "cv": """
frontend fe
    bind 127.0.0.1:{port}
    http-request set-var(txn.n) req.hdr(x-v)
    http-request set-var(txn.s) req.hdr(x-w)
    http-request set-header X-Add %[req.hdr(x-n),add(5)]
    http-request set-header X-Add-Neg %[req.hdr(x-n),add(-5)]
    http-request set-header X-Sub %[req.hdr(x-n),sub(txn.n)]
    http-request set-header X-Mul %[req.hdr(x-n),mul(-3)]
    http-request set-header X-Div %[req.hdr(x-n),div(4)]
    http-request set-header X-Div0 %[req.hdr(x-n),div(0)]
    http-request set-header X-Mod %[req.hdr(x-n),mod(txn.n)]
    http-request set-header X-Neg %[req.hdr(x-n),neg]
    http-request set-header X-And %[req.hdr(x-n),and(6)]
    http-request set-header X-Or %[req.hdr(x-n),or(8)]
    http-request set-header X-Xor %[req.hdr(x-n),xor(txn.n)]
    http-request set-header X-Cpl %[req.hdr(x-n),cpl]
    http-request set-header X-Even %[req.hdr(x-n),even]
    http-request set-header X-Odd %[req.hdr(x-n),odd]
    http-request set-header X-Not %[req.hdr(x-n),not]
    http-request set-header X-Bool %[req.hdr(x-n),bool,iif(yes,no)]
    http-request set-header X-Htonl %[req.hdr(x-n),htonl,hex]
    http-request set-header X-Date %[req.hdr(x-n),http_date]
    http-request set-header X-Date-Ms %[req.hdr(x-n),http_date(10,ms)]
    http-request set-header X-Utime %[req.hdr(x-n),utime(%Y-%m-%dT%H:%M:%S)]
    http-request set-header X-Ltime %[req.hdr(x-n),ltime(%Y,3600)]
    http-request set-header X-Ltrim %[req.hdr(x-s),ltrim(ab)]
    http-request set-header X-Rtrim %[req.hdr(x-s),rtrim(ab)]
    http-request set-header X-Hex2i %[req.hdr(x-h),hex2i]
    http-request set-header X-B64dec %[req.hdr(x-b),b64dec]
    http-request set-header X-Ub64enc %[req.hdr(x-s),ub64enc]
    http-request set-header X-Ub64dec %[req.hdr(x-u),ub64dec]
    http-request set-header X-Concat %[req.hdr(x-s),concat(<,txn.s,>)]
    http-request set-header X-Memcmp %[req.hdr(x-s),secure_memcmp(txn.s)]
    http-request set-header X-Sdbm %[req.hdr(x-s),sdbm]
    http-request set-header X-Djb2 %[req.hdr(x-s),djb2(1)]
    http-request set-header X-Wt6 %[req.hdr(x-s),wt6]
    http-request set-header X-Crc32 %[req.hdr(x-s),crc32]
    http-request set-header X-Crc32c %[req.hdr(x-s),crc32c(1)]
    http-request set-header X-Sha1 %[req.hdr(x-s),sha1,hex]
    http-request set-header X-Sha2 %[req.hdr(x-s),sha2(384),base64]
    http-request set-header X-Digest %[req.hdr(x-s),digest(md5),hex]
    http-request set-header X-Hmac %[req.hdr(x-s),hmac(sha256,a2V5),hex]
    http-request set-header X-Xxh32 %[req.hdr(x-s),xxh32(5)]
    http-request set-header X-Xxh64 %[req.hdr(x-s),xxh64]
    http-request set-header X-Ver %[req.ver]
    http-request set-header X-Hdr-Val %[req.hdr_val(x-n)]
    http-request set-header X-Proto %[req.proto_http]
    http-request set-header X-Local 1 if LOCALHOST TRUE !FALSE HTTP
    use_backend b2 if HTTP_1.0 || METH_POST HTTP_CONTENT
    use_backend b3 if HTTP_URL_ABS || METH_DELETE OR METH_PUT || HTTP_URL_STAR || !HTTP_URL_SLASH
    use_backend b3 if METH_GET !METH_HEAD { req.hdr(x-n),add(1) 1 } or METH_OPTIONS
    default_backend b1
""",
    # the rest of what the registry marks supported in mode http (the keyword coverage check):
    # fetch spellings, maps of every match kind, set-uri, tuning and a backend's reuse options
    "cx": """
global
    tune.bufsize 32768
    tune.maxrewrite 2048
frontend fe
    bind 127.0.0.1:{port} backlog 64 maxconn 100
    option http-keep-alive
    http-request set-header X-Hdr-Val %[hdr_val(x-n)]
    http-request set-header X-Req-Hdr-Cnt %[req.hdr_cnt(x-list)]
    http-request set-header X-Req-Hdr-Ip %[req.hdr_ip(x-ip)]
    http-request set-header X-Req-Ver %[req_ver]
    http-request set-header X-Proto 1 if { req_proto_http }
    http-request set-header X-Url-Dec %[url_param(q),url_dec]
    http-request set-header X-Be2dec %[req.hdr(x-s),be2dec(-,2)]
    http-request set-header X-Be2hex %[req.hdr(x-s),be2hex(:,3,1)]
    http-request set-header X-Json %[req.hdr(x-s),json(utf8s)]
    http-request set-header X-Json-Ascii %[req.hdr(x-s),json(ascii)]
    http-request set-header X-Map %[path,map({maps}/paths.map,none)]
    http-request set-header X-Map-End %[path,map_end({maps}/suffixes.map,none)]
    http-request set-header X-Map-Sub %[path,map_sub({maps}/subs.map,none)]
    http-request set-header X-Map-Int %[req.hdr(x-n),map_int({maps}/ints.map,none)]
    http-request set-header X-Map-Ip %[req.hdr(x-ip),map_ip({maps}/nets.map,none)]
    http-request set-uri /uri%[path] if { path_beg /cx/seturi }
    http-response set-header X-Shdr %[shdr(x-backend)]
    http-response set-header X-Shdr-Val %[shdr_val(content-length)]
    http-response set-header X-Res-Hdr-Val %[res.hdr_val(content-length)]
    use_backend bx if { path_beg /cx/bx }
    default_backend b1
backend bx
    http-reuse safe
    option persist
    server sx 127.0.0.1:{b2} maxqueue 10 no-check no-backup no-send-proxy enabled
""",
}

HOP = ()  # no header is excluded from the comparison; see allowlist.txt for documented ones


class Recorder:
    """A backend: parses each request (head, then body by content-length or chunked), records
    (name, request line, headers) and answers 200 with its name, keeping the connection open."""

    def __init__(self, name, log, lock):
        self.name, self.log, self.lock = name, log, lock
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _serve(self, c):
        c.settimeout(10)
        buf = b""
        try:
            while True:
                while b"\r\n\r\n" not in buf:
                    d = c.recv(65536)
                    if not d:
                        return
                    buf += d
                head, buf = buf.split(b"\r\n\r\n", 1)
                lines = head.split(b"\r\n")
                hdrs = []
                for ln in lines[1:]:
                    n, _, v = ln.partition(b":")
                    hdrs.append((n.decode("latin-1").lower(), v.strip(b" \t").decode("latin-1")))
                with self.lock:  # recorded before the body, which may be unreadable
                    self.log.append((self.name, lines[0].decode("latin-1"), hdrs))
                buf = self._body(c, buf, hdrs)
                body = self.name.encode()
                c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nX-Backend: %s\r\n\r\n%s"
                          % (len(body), body, body))
        except (OSError, ValueError):
            pass  # a body this backend cannot frame: the connection is dropped
        finally:
            c.close()

    @staticmethod
    def _need(c, buf, n):
        while len(buf) < n:
            d = c.recv(65536)
            if not d:
                raise OSError("eof in body")
            buf += d
        return buf

    def _body(self, c, buf, hdrs):
        te = ",".join(v.lower() for n, v in hdrs if n == "transfer-encoding")
        cl = [v for n, v in hdrs if n == "content-length"]
        if "chunked" in te:
            while True:
                while b"\r\n" not in buf:
                    buf = self._need(c, buf, len(buf) + 1)
                line, buf = buf.split(b"\r\n", 1)
                size = int(line.split(b";")[0], 16)
                if size == 0:
                    while True:  # trailers up to the empty line
                        while b"\r\n" not in buf:
                            buf = self._need(c, buf, len(buf) + 1)
                        t, buf = buf.split(b"\r\n", 1)
                        if not t:
                            return buf
                buf = self._need(c, buf, size + 2)
                buf = buf[size + 2:]
        if cl:
            n = int(cl[0].split(",")[0])  # lenient: the "seen" comparison shows the raw value
            buf = self._need(c, buf, n)
            return buf[n:]
        return buf


def parse_responses(data, want, head=False):
    """Splits what the client received into up to `want` final responses: (status, headers).
    1xx interim responses are skipped. Returns the list and whether the data was cut short."""
    out = []
    while len(out) < want:
        end = data.find(b"\r\n\r\n")
        if end < 0:
            return out, bool(data)
        lines = data[:end].split(b"\r\n")
        data = data[end + 4:]
        parts = lines[0].split(b" ", 2)
        status = parts[1].decode("latin-1") if len(parts) > 1 else "?"
        hdrs = []
        for ln in lines[1:]:
            n, _, v = ln.partition(b":")
            hdrs.append((n.decode("latin-1").lower(), v.strip(b" \t").decode("latin-1")))
        if status.startswith("1"):
            continue
        cl = [v for n, v in hdrs if n == "content-length"]
        te = [v for n, v in hdrs if n == "transfer-encoding"]
        if te:  # our backends never chunk; a proxy's own pages do not either
            return out + [(status, hdrs)], True
        n = 0 if head else int(cl[0]) if cl else len(data)  # a HEAD response has no body
        if len(data) < n:
            return out, True
        hdrs.append(("(body)", data[:n].decode("latin-1")))  # compared with the headers
        data = data[n:]
        out.append((status, hdrs))
    return out, False


def exchange(port, raw, want, timeout=4.0):
    """Sends raw bytes, reads until `want` responses are complete, the peer closes, or the
    timeout passes (only reached when a proxy neither answers nor closes)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    data = b""
    timed_out = False
    try:
        try:
            s.sendall(raw)
        except OSError:
            pass
        end = time.monotonic() + timeout
        while True:
            got, _ = parse_responses(data, want, raw.startswith(b"HEAD "))
            if len(got) >= want:
                break
            left = end - time.monotonic()
            if left <= 0:
                timed_out = True
                break
            s.settimeout(left)
            try:
                d = s.recv(65536)
            except socket.timeout:
                timed_out = True
                break
            except OSError:
                break
            if not d:
                break
            data += d
    finally:
        s.close()
    got, _ = parse_responses(data, want, raw.startswith(b"HEAD "))
    res = [r[0] for r in got]
    while len(res) < want:
        res.append("timeout" if timed_out else "closed")
    return res, [r[1] for r in got] + [None] * (want - len(got))


class Side:
    """One proxy (haproxy or lbc) running one configuration, with its own backends."""

    def __init__(self, kind, argv, cfg_text, workdir):
        self.kind = kind
        self.log, self.lock = [], threading.Lock()
        self.backends = {n: Recorder(n, self.log, self.lock) for n in ("b1", "b2", "b3")}
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        self.port = s.getsockname()[1]
        s.close()
        text = (HEAD + cfg_text + BACKENDS).replace("{port}", str(self.port))
        for n, b in self.backends.items():
            text = text.replace("{%s}" % n, str(b.port))
        text = text.replace("{maps}", os.path.join(HERE, "maps"))
        self.cfg = os.path.join(workdir, "%s.cfg" % kind)
        with open(self.cfg, "w") as f:
            f.write(text)
        self.errf = open(os.path.join(workdir, "%s.err" % kind), "w+")
        self.proc = subprocess.Popen(argv + [self.cfg], stdout=subprocess.DEVNULL, stderr=self.errf)
        end = time.monotonic() + 20
        while True:  # ready when the port accepts
            if self.proc.poll() is not None:
                self.errf.seek(0)
                raise SystemExit("%s exited (%d) on %s:\n%s" % (kind, self.proc.returncode, self.cfg,
                                                               self.errf.read()))
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > end:
                    raise SystemExit("%s did not accept on %d" % (kind, self.port))
                time.sleep(0.02)

    def run(self, raw, want):
        with self.lock:
            start = len(self.log)
        statuses, resp = exchange(self.port, raw, want)
        with self.lock:
            seen = self.log[start:]
        return statuses, resp, seen

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for b in self.backends.values():
            b.sock.close()


def load_list(path):
    out = []
    if not os.path.exists(path):
        return out
    for line in open(path):
        body = line.split("#", 1)[0].strip()
        if body:
            cfg, case, field = body.split()
            out.append([cfg, case, field, line.strip(), 0])
    return out


def match(lst, cfg, case, field):
    for e in lst:
        if fnmatch.fnmatchcase(cfg, e[0]) and fnmatch.fnmatchcase(case, e[1]) and e[2] in ("*", field):
            e[4] += 1
            return e
    return None


def load_corpus(path):
    cases = []
    for line in open(path, encoding="latin-1"):
        line = line.rstrip("\n")
        if not line or line.startswith("#"):
            continue
        name, esc = line.split(" ", 1)
        cases.append((name, unescape(esc)))
    return cases


def fmt(v):
    return repr(v)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lbc", required=True)
    ap.add_argument("--haproxy", default="/usr/sbin/haproxy")
    ap.add_argument("--only", default="")
    ap.add_argument("--configs", default="")
    ap.add_argument("--report", default="")
    args = ap.parse_args()

    cases = load_corpus(os.path.join(HERE, "corpus.txt"))
    if args.only:
        keep = args.only.split(",")
        cases = [c for c in cases if any(fnmatch.fnmatchcase(c[0], k) for k in keep)]
    names = [c[0] for c in cases]
    assert len(names) == len(set(names)), "duplicate case names in corpus.txt"
    configs = [c for c in CONFIGS if not args.configs or c in args.configs.split(",")]
    allow = load_list(os.path.join(HERE, "allowlist.txt"))
    pending = load_list(os.path.join(HERE, "pending_bugs.txt"))

    workdir = tempfile.mkdtemp(prefix="lbc-http-diff-")
    report_path = args.report or os.path.join(workdir, "report.txt")
    rep = open(report_path, "w")
    unlisted, pend_hits, allowed_hits = [], [], []
    total = agree = 0
    for cfg in configs:
        ha = Side("haproxy", [args.haproxy, "-db", "-f"], CONFIGS[cfg], workdir)
        lb = Side("lbc", [args.lbc, "run"], CONFIGS[cfg], workdir)
        try:
            def one(case):
                name, raw = case
                want = 2 if name.startswith("pipe_") else 1
                # the two proxies get the same request at the same time; each has its own backends
                with concurrent.futures.ThreadPoolExecutor(2) as ex:
                    fh = ex.submit(ha.run, raw, want)
                    fl = ex.submit(lb.run, raw, want)
                    return name, raw, fh.result(), fl.result()

            for name, raw, h, l in map(one, cases):
                total += 1
                diffs = []
                hs, hr, hseen = h
                ls, lr, lseen = l
                if hs != ls:
                    diffs.append(("status", hs, ls))
                hb = [x[0] for x in hseen] or ["-"]
                lbk = [x[0] for x in lseen] or ["-"]
                if hb != lbk:
                    diffs.append(("backend", hb, lbk))
                elif [x[1:] for x in hseen] != [x[1:] for x in lseen]:
                    diffs.append(("seen", [x[1:] for x in hseen], [x[1:] for x in lseen]))
                if hs == ls and hr != lr:
                    diffs.append(("resp", hr, lr))
                if not diffs:
                    agree += 1
                    continue
                for field, hv, lv in diffs:
                    where = "%s %s %s" % (cfg, name, field)
                    a = match(allow, cfg, name, field)
                    p = None if a else match(pending, cfg, name, field)
                    tag = "ALLOWED" if a else "PENDING-BUG" if p else "UNLISTED"
                    rep.write("%s %s\n  request: %r\n  haproxy: %s\n  lbc:     %s\n" %
                              (tag, where, raw[:300], fmt(hv), fmt(lv)))
                    if a:
                        rep.write("  reason: %s\n" % a[3])
                        allowed_hits.append(where)
                    elif p:
                        rep.write("  pending: %s\n" % p[3])
                        pend_hits.append(where)
                    else:
                        unlisted.append(where)
        finally:
            ha.stop()
            lb.stop()
    stale = [e[3] for e in allow if e[4] == 0 and not args.only and not args.configs]
    fixed = [e[3] for e in pending if e[4] == 0 and not args.only and not args.configs]
    for s in stale:
        rep.write("STALE allowlist entry (difference no longer occurs): %s\n" % s)
    for s in fixed:
        rep.write("FIXED pending bug (remove it from pending_bugs.txt): %s\n" % s)
    rep.close()
    if args.report:  # the configurations and proxy stderr are only kept without --report
        shutil.rmtree(workdir, ignore_errors=True)
    print("http_diff: %d corpus requests x %d configurations = %d exchanges; %d agree (%.1f%%); "
          "%d allowed, %d pending-bug, %d unlisted differences; report: %s" %
          (len(cases), len(configs), total, agree, 100.0 * agree / max(total, 1), len(allowed_hits),
           len(pend_hits), len(unlisted), report_path))
    if unlisted or stale or fixed:
        with open(report_path) as f:
            sys.stdout.write(f.read())
        return 1
    if pend_hits:
        print("pending lbc bugs (pending_bugs.txt) still reproduce:")
        for p in pend_hits:
            print("  " + p)
        return 77
    return 0


if __name__ == "__main__":
    sys.exit(main())

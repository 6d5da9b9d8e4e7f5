#!/usr/bin/env python3
# End-to-end tests of TLS: `bind ... ssl crt` (curl and openssl s_client: ALPN, SNI certificate
# choice, ssl_fc fetches, redirect scheme https, X-Forwarded-Proto), `server ... ssl` to a TLS
# backend (verify required with the right and a wrong CA, keep-alive reuse of the TLS connection,
# the idle pool), and bad clients (garbage, a stalled handshake) cut with HAProxy's log line.
# Each is run against haproxy 2.6 too where the behaviour is observable. Certificates are made
# here with openssl (tls_common.py).
# usage: https_test.py [--proxy "CMD" | --build LBC] [--haproxy PATH] [--only NAME,...]
import json
import os
import re
import socket
import sys
import time
from textwrap import dedent

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (ENV, LoggedProxy, Proxy, Server, collector, fill, free_port, http_echo, main,  # noqa: E402
                     wait_for)
from http_common import compared, curl, stopped_clean  # noqa: E402
from tls_common import TlsServer, https, pki, s_client  # noqa: E402

TESTS = []
test = collector(TESTS)


def head(log=False):
    return dedent("""\
        global
            maxconn 200
            nbthread 1
        {log_global}
        defaults
            mode http
            timeout connect 2s
            timeout client {tc}
            timeout server 10s
        {log_defaults}
        """).replace("{log_global}", "    log stdout format raw local0" if log else "").replace(
        "{log_defaults}", "    log global\n    option httplog" if log else "")


def start(label, cmd, body, fe, log=False, tc="10s", **ports):
    cfg = fill(head(log), tc=tc) + fill(dedent(body), fe=fe, **ports)
    return LoggedProxy(cmd, cfg, fe) if log else Proxy(cmd, cfg, fe)


def stop(p, label):
    if isinstance(p, LoggedProxy):
        code = p.stop()
        err = p.read(p.err_path)
        if label != "haproxy":
            assert code == 0 and "Sanitizer" not in err and "runtime error" not in err, (code, err[-3000:])
        return
    stopped_clean(p, label)


# ---- terminating TLS ---------------------------------------------------------------------------------

TERMINATE = """\
    frontend web
        bind 127.0.0.1:{fe} ssl crt {site} crt {b} alpn h2,http/1.1
        bind 127.0.0.1:{plain}
        http-request redirect scheme https unless { ssl_fc }
        http-request set-header X-Forwarded-Proto https if { ssl_fc }
        http-request return status 200 content-type text/plain lf-string "%[ssl_fc_protocol] %[ssl_fc_sni] %[ssl_fc_cipher] %[ssl_fc_is_resumed]\\n" if { path /fetches }
        default_backend app
    backend app
        server a 127.0.0.1:{a}
    """


@test
def bind_ssl_serves_https_as_haproxy():
    seen = {}
    for label, cmd in compared():
        a = Server("a", http_echo())
        fe, plain = free_port(), free_port()
        p = start(label, cmd, TERMINATE, fe, a=a.port, plain=plain, site=pki().site, b=pki().b)
        try:
            body = json.loads(https(fe, "/x"))
            xfp = dict((k.lower(), v) for k, v in body["headers"]).get("x-forwarded-proto")
            redirect = curl("-si", "http://127.0.0.1:%d/y?q=1" % plain).decode()
            status = redirect.split("\r\n")[0]
            loc = re.search(r"(?im)^location: (\S+)", redirect).group(1)
            fetches = https(fe, "/fetches", "a.example").decode()
            # SNI chooses b.example's certificate; no SNI (an IP) gets the first one.
            sub_b = s_client(fe, "-servername", "b.example")
            sub_none = s_client(fe, "-noservername")
            alpn = s_client(fe, "-servername", "localhost", "-alpn", "h2,http/1.1")
            seen[label] = dict(xfp=xfp, status=status, loc=loc, fetches=fetches,
                               cert_b=re.search(r"subject=.*CN ?= ?(\S+)", sub_b).group(1),
                               cert_none=re.search(r"subject=.*CN ?= ?(\S+)", sub_none).group(1),
                               alpn=re.search(r"ALPN protocol: (\S+)|No ALPN negotiated", alpn).group(0))
        finally:
            stop(p, label)
            a.stop()
    lbc = seen["lbc"]
    assert lbc["xfp"] == "https", lbc
    assert lbc["status"] == "HTTP/1.1 302 Found" and lbc["loc"].startswith("https://127.0.0.1:"), lbc
    assert re.match(r"TLSv1\.3 a\.example TLS_\w+ 0\n$", lbc["fetches"]), lbc
    assert lbc["cert_b"] == "b.example" and lbc["cert_none"] == "localhost", lbc
    assert lbc["alpn"] == "ALPN protocol: http/1.1", lbc  # h2 is not advertised until HTTP/2 exists
    if "haproxy" in seen:
        h = seen["haproxy"]
        for k in ("xfp", "status", "fetches", "cert_b", "cert_none"):
            assert lbc[k] == h[k], (k, lbc[k], h[k])


@test
def bad_certificate_is_refused_at_the_bind_line():
    bad = os.path.join(pki().dir, "nokey.pem")
    with open(bad, "w") as f:
        f.write(open(os.path.join(pki().dir, "site.crt")).read())
    fe = free_port()
    cfg = fill(head(), tc="10s") + fill(dedent("""\
        frontend web
            bind 127.0.0.1:{fe} ssl crt {bad}
            default_backend app
        backend app
            server a 127.0.0.1:{fe}
        """), fe=fe, bad=bad)
    p = Proxy(ENV.proxy, cfg, expect_fail=True)
    assert p.proc.returncode != 0, p.err
    assert re.search(r"test\.cfg:12:34: error: .*no private key", p.out + p.err), p.out + p.err


@test
def tcp_mode_relays_decrypted_bytes():
    a = Server("a", http_echo())
    fe = free_port()
    p = start("lbc", ENV.proxy, """\
        frontend web
            mode tcp
            bind 127.0.0.1:{fe} ssl crt {site}
            default_backend app
        backend app
            mode tcp
            server a 127.0.0.1:{a}
        """, fe, a=a.port, site=pki().site)
    try:
        for i in range(3):
            body = json.loads(https(fe, "/t%d" % i))
            assert body["path"] == "/t%d" % i, body
    finally:
        stop(p, "lbc")
        a.stop()


# ---- TLS to servers -----------------------------------------------------------------------------------

BACKEND = """\
    frontend web
        bind 127.0.0.1:{fe}
        use_backend other if { path_beg /other }
        default_backend app
    backend app
        retries 1
        server s 127.0.0.1:{s} ssl verify required ca-file {ca} sni str(localhost) alpn http/1.1
    backend other
        server o 127.0.0.1:{o}
    """


def backend_run(label, cmd, ca):
    s = TlsServer("s", pki().backend)
    o = Server("o", http_echo())
    fe = free_port()
    p = start(label, cmd, BACKEND, fe, s=s.port, ca=ca, o=o.port)
    s.other = o
    return s, fe, p


@test
def server_ssl_verifies_the_certificate():
    seen = {}
    for label, cmd in compared():
        for which, ca in (("good", pki().ca), ("wrong", pki().other_ca)):
            s, fe, p = backend_run(label, cmd, ca)
            try:
                code = curl("-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:%d/v" % fe).decode()
                seen[(label, which)] = (code, [r.path for r in s.requests], s.handshakes[:1])
            finally:
                stop(p, label)
                s.stop()
    assert seen[("lbc", "good")] == ("200", ["/v"], ["TLSv1.3"]), seen
    assert seen[("lbc", "wrong")][0] == "503" and seen[("lbc", "wrong")][1] == [], seen
    if ("haproxy", "good") in seen:
        assert seen[("haproxy", "good")] == seen[("lbc", "good")], seen
        assert seen[("haproxy", "wrong")][:2] == seen[("lbc", "wrong")][:2], seen


@test
def tls_server_connection_is_kept_alive_and_pooled():
    for label, cmd in compared():
        # One client connection, three requests: one TLS connection to the server.
        s, fe, p = backend_run(label, cmd, pki().ca)
        try:
            out = curl("http://127.0.0.1:%d/1" % fe, "http://127.0.0.1:%d/2" % fe, "http://127.0.0.1:%d/3" % fe)
            assert out.count(b'"server": "s"') == 3, out
            assert s.accepted == 1 and len(s.peers()) == 1, (label, s.accepted, s.peers())
        finally:
            stop(p, label)
            s.stop()
            s.other.stop()
        # The pool: a session's first request never takes a parked connection (http-reuse safe),
        # its second one does: the TLS connection parked by the first client serves it.
        s, fe, p = backend_run(label, cmd, pki().ca)
        try:
            assert b'"path": "/a"' in curl("http://127.0.0.1:%d/a" % fe)
            wait_for(lambda: len(s.requests) == 1, 5, "the first request")
            time.sleep(0.1)  # the first client's connection closed: its server connection is parked
            out = curl("http://127.0.0.1:%d/other/x" % fe, "http://127.0.0.1:%d/b" % fe)
            assert b'"server": "o"' in out and b'"path": "/b"' in out, out
            assert s.accepted == 1 and s.lines() == ["GET /a HTTP/1.1", "GET /b HTTP/1.1"], (label, s.accepted,
                                                                                         s.lines())
        finally:
            stop(p, label)
            s.stop()
            s.other.stop()


# ---- bad clients --------------------------------------------------------------------------------------

BADCLIENT = """\
    frontend web
        bind 127.0.0.1:{fe} ssl crt {site}
        bind 127.0.0.1:{named} ssl crt {site} name tls2
        default_backend app
    backend app
        server a 127.0.0.1:{a}
    """
EMBRYONIC = r"^127\.0\.0\.1:\d+ \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d\.\d{3}\] web/(\S+): (.*)$"


@test
def garbage_and_stalled_handshakes_are_cut_and_logged():
    seen = {}
    for label, cmd in compared():
        a = Server("a", http_echo())
        fe, named = free_port(), free_port()
        p = start(label, cmd, BADCLIENT, fe, log=True, tc="1s", a=a.port, named=named, site=pki().site)
        try:
            g = socket.create_connection(("127.0.0.1", fe))
            g.sendall(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
            g.settimeout(5)
            assert g.recv(100) == b""
            stalled = socket.create_connection(("127.0.0.1", named))
            stalled.sendall(b"\x16\x03\x01\x00\x40partial")  # half a ClientHello record
            stalled.settimeout(5)
            t0 = time.monotonic()
            assert stalled.recv(100) == b""
            waited = time.monotonic() - t0
            assert 0.7 < waited < 3, waited
            wait_for(lambda: len([ln for ln in p.lines("out") if re.match(EMBRYONIC, ln)]) >= 2, 10, "two log lines")
            lines = sorted(re.match(EMBRYONIC, ln).groups() for ln in p.lines("out") if re.match(EMBRYONIC, ln))
            seen[label] = lines
            assert b'"path": "/ok"' in https(fe, "/ok")  # normal clients still served
        finally:
            stop(p, label)
            a.stop()
    # The readiness probe's connect-and-close is the first line.
    assert seen["lbc"] == [("1", "Connection closed during SSL handshake"), ("1", "SSL handshake failure"),
                           ("tls2", "Timeout during SSL handshake")], seen
    if "haproxy" in seen:
        assert seen["haproxy"] == seen["lbc"], seen


if __name__ == "__main__":
    sys.exit(main(TESTS))

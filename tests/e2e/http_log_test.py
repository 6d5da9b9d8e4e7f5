#!/usr/bin/env python3
# End-to-end tests of HTTP logging (option httplog): the log lines of served, denied, failed and
# null requests, the request line as haproxy 2.6 logs it, bad chunked bodies, and the log form
# lbc refuses (tcplog in an HTTP frontend; tcplog, clf and the legacy format: log_formats_test.py).
# usage: http_log_test.py [--proxy "CMD" | --build LBC] [--haproxy PATH] [--only NAME,...]
import json
import os
import re
import signal
import socket
import sys
from textwrap import dedent

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (ENV, Proxy, Server, collector, fill, free_port, http_echo, main, repeat, rxreq,  # noqa: E402
                     send, wait_for)
from http_common import compared, curl, raw, read_to_eof  # noqa: E402

TESTS = []
test = collector(TESTS)

LOGCFG = """\
    global
        log stdout format {fmt} local0
    defaults
        mode http
        log global
        option httplog
        {null}
        timeout connect 2s
        timeout client 10s
        timeout server 10s
    frontend web
        bind 127.0.0.1:{fe}
        http-request deny if { path /deny }
        use_backend down if { path /down }
        default_backend app
    backend app
        server a 127.0.0.1:{a}
    backend down
        retries 0
        server b 127.0.0.1:{closed}
    """
LOGLINE = (r'^(<6>)?127\.0\.0\.1:\d+ \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d\.\d{3}\] web (\S+)/(\S+) '
           r'(-?\d+)/(-?\d+)/(-?\d+)/(-?\d+)/\d+ (-?\d+) (\d+) - - (\S{4}) \d+/\d+/\d+/\d+/\d+ 0/0 "([^"]*)"$')


def log_config(fmt, dontlognull, fe, a):
    null = "option dontlognull" if dontlognull else "# null connections logged"
    return fill(dedent(LOGCFG), fmt=fmt, null=null, fe=fe, a=a, closed=free_port())


def log_lines(fmt, dontlognull):
    a = Server("a", http_echo())
    fe = free_port()
    proxy = Proxy(ENV.proxy, log_config(fmt, dontlognull, fe, a.port), fe)
    try:
        base = "http://127.0.0.1:%d" % fe
        assert json.loads(curl(base + "/ok"))["path"] == "/ok"
        assert curl("-o", "/dev/null", "-w", "%{http_code}", base + "/deny") == b"403"
        assert curl("-o", "/dev/null", "-w", "%{http_code}", base + "/down") == b"503"
        socket.create_connection(("127.0.0.1", fe)).close()  # a null connection
    finally:
        code = proxy.stop()
        a.stop()
    assert code == 0, (code, proxy.err[-2000:])
    out = [ln for ln in proxy.out.splitlines() if ln]
    parsed = [re.match(LOGLINE, ln) for ln in out]
    assert all(parsed), out
    return [(m.group(1) or "",) + m.groups()[1:] for m in parsed]


@test
def httplog_lines():
    got = log_lines("raw", True)
    assert len(got) == 3, got  # no line for the null connection under dontlognull
    ok, deny, down = got
    assert ok[0] == "" and ok[1:3] == ("app", "a") and ok[7] == "200" and ok[9] == "----", ok
    assert ok[-1] == "GET /ok HTTP/1.1" and int(ok[8]) > 0 and int(ok[6]) >= 0, ok
    assert deny[1:3] == ("web", "<NOSRV>") and deny[7] == "403" and deny[9] == "PR--", deny
    assert deny[-1] == "GET /deny HTTP/1.1" and deny[4:7] == ("-1", "-1", "-1"), deny
    assert down[1:3] == ("down", "b") and down[7] == "503" and down[9] == "SC--", down
    # short: "<LEVEL>" first (info); null connections are logged without dontlognull (the
    # harness's readiness probe is one too)
    got = log_lines("short", False)
    nulls = [g for g in got if g[-1] == "<BADREQ>"]
    assert len(got) - len(nulls) == 3 and len(nulls) >= 2 and all(g[0] == "<6>" for g in got), got
    null = nulls[-1]
    assert null[1:3] == ("web", "<NOSRV>") and null[7] == "400" and null[9] == "CR--" and null[-1] == "<BADREQ>", null


@test
def httplog_request_line_matches_haproxy():
    # %r is the parsed request line as haproxy logs it: the normalised target (an absolute URI's
    # default port dropped), single spaces, the client's own version and method case, taken
    # before the rules (set-path does not change it).
    reqs = [b"GET http://a:80/x HTTP/1.1\r\nHost: a:80\r\nConnection: close\r\n\r\n",
            b"GET /v HTTP/1.2\r\nHost: a\r\nConnection: close\r\n\r\n",
            b"GET  /two-spaces  HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
            b"get http://A:80 HTTP/1.1\r\nConnection: close\r\n\r\n",
            b"GET /rw?q=1 HTTP/1.0\r\n\r\n"]
    got = {}
    for label, cmd in compared():
        a = Server("a", http_echo())
        fe = free_port()
        p = Proxy(cmd, fill(dedent("""\
            global
                log stdout format raw local0
            defaults
                mode http
                log global
                option httplog
                option dontlognull
                timeout connect 2s
                timeout client 10s
                timeout server 10s
            frontend web
                bind 127.0.0.1:{fe}
                http-request set-path /new%[path] if { path_beg /rw }
                default_backend app
            backend app
                server a 127.0.0.1:{a}
            """), fe=fe, a=a.port), fe)
        try:
            for r in reqs:
                raw(fe, r)
        finally:
            p.stop(sig=signal.SIGUSR1)  # a soft stop: every transaction ends and is logged first
            a.stop()
        # (haproxy also prints "Proxy ... stopped" lines at a soft stop)
        got[label] = [m.group(1) for m in (re.search(r'"([^"]*)"$', ln) for ln in p.out.splitlines()) if m]
    assert got["lbc"] == ["GET http://a/x HTTP/1.1", "GET /v HTTP/1.2", "GET /two-spaces HTTP/1.1",
                          "get http://A HTTP/1.1", "GET /rw?q=1 HTTP/1.0"], got["lbc"]
    if "haproxy" in got:
        # haproxy may write a line after the client already had its answer (seen under load: the
        # first request logged last): the lines are compared, not their order.
        assert sorted(got["lbc"]) == sorted(got["haproxy"]), got


@test
def unsupported_log_forms_are_refused():
    # (configuration, where the error points, what it says)
    cases = [
        ("""\
            defaults
                mode http
                timeout connect 1s
                timeout client 1s
                timeout server 1s
            listen l
                log stdout format raw local0
                option tcplog
                bind 127.0.0.1:1
                server s 127.0.0.1:1
            """, "test.cfg:6", "'option tcplog' logging of HTTP streams"),
    ]
    for cfg, where, needle in cases:
        p = Proxy(ENV.proxy, dedent(cfg), expect_fail=True)
        assert p.proc.returncode == 1 and where in p.err and needle in p.err, (needle, p.err)
        assert p.err.count("error:") == 1, p.err


@test
def httplog_bad_chunked_body():
    # As haproxy 2.6 logs them: bad chunking that came with the head is a bad request of the H1
    # layer (PR--, <BADREQ>, 0 bytes); after the head went to the server, the stream's 400 (PH--).
    rec = Server("a", [repeat(rxreq, send(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"))])
    fe = free_port()
    proxy = Proxy(ENV.proxy, log_config("raw", True, fe, rec.port), fe)
    head = b"POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    try:
        assert raw(fe, head + b"zz\r\nabc\r\n0\r\n\r\n").startswith(b"HTTP/1.1 400 ")
        s = socket.create_connection(("127.0.0.1", fe))
        s.sendall(head + b"3\r\nabc\r\n")
        wait_for(lambda: rec.conns and rec.conns[0].received.endswith(b"3\r\nabc\r\n"), what="the head at the server")
        s.sendall(b"zz\r\n")
        assert read_to_eof(s).startswith(b"HTTP/1.1 400 ")
    finally:
        code = proxy.stop()
        rec.stop()
    assert code == 0, (code, proxy.err[-2000:])
    out = [ln for ln in proxy.out.splitlines() if ln]
    parsed = [re.match(LOGLINE, ln) for ln in out]
    assert len(out) == 2 and all(parsed), out
    early, late = [m.groups()[1:] for m in parsed]
    assert early == ("web", "<NOSRV>", "-1", "-1", "-1", "-1", "400", "0", "PR--", "<BADREQ>"), early
    assert late[:2] == ("app", "a") and late[5:7] == ("-1", "400") and int(late[7]) > 0, late
    assert late[8:] == ("PH--", "POST /c HTTP/1.1"), late


if __name__ == "__main__":
    sys.exit(main(TESTS))

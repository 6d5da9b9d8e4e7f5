#!/usr/bin/env python3
# The response side of the one analyser sequence in `mode http`: the backend's tcp-response content
# rules (before http-response), then http-response, then http-after-response (backend, then
# frontend) on every response the client gets from a stream: the server's, and the proxy's own
# (deny, return, redirect, 503 with no server, a 502 from http-response deny). Each test runs the
# same configuration under lbc and haproxy 2.6 (where installed), compares the bytes the clients
# got (without Date), and checks the expected values themselves, so a shared mistake fails too.
# usage: http_after_response_test.py [--proxy "CMD" | --build LBC] [--haproxy PATH] [--only NAME,...]
import os
import re
import sys
from textwrap import dedent

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Proxy, Server, collector, fill, free_port, http_checked, main, wait_for  # noqa: E402
from http_common import HEAD, compared, get, raw, stopped_clean, without_date  # noqa: E402

TESTS = []
test = collector(TESTS)


def run_both(body, requests, logged=False):
    """Serves HEAD + `body` ({fe}: the frontend's port, {a}: a tx_checked server, {closed}: a port
    nobody listens on) under each proxy and sends each request on its own connection; returns the
    responses (without Date), or with `logged` the statuses of the httplog lines on stdout."""
    got = {}
    for label, cmd in compared():
        a = Server("a", http_checked())
        fe = free_port()
        p = Proxy(cmd, HEAD + fill(dedent(body), fe=fe, a=a.port, closed=free_port()), fe)
        try:
            got[label] = [without_date(raw(fe, r)) for r in requests]
            if logged:
                # A stream is logged before its client socket is closed, and a stop may drop
                # what is not logged yet: wait until the proxy holds no connection of `fe`.
                wait_for(lambda: clients_of(p, fe) == 0, 10, "the proxy to close its client connections")
        finally:
            stopped_clean(p, label)
            a.stop()
        if logged:
            # sorted: HAProxy may log a stream after the next connection's (it logs at stream end)
            got[label] = sorted(re.findall(r"\] \S+ \S+ \S+ (\d+) ", p.out))
    if "haproxy" in got:
        for req, ours, theirs in zip(requests, got["lbc"], got["haproxy"]):
            assert ours == theirs, "%r:\n lbc     %r\n haproxy %r" % (req, ours, theirs)
        assert len(got["lbc"]) == len(got["haproxy"]), got
    return got["lbc"]


def clients_of(p, port):
    """Connections the proxy holds on its listening port `port` (its client side)."""
    local = ":%04X" % port
    return sum(1 for v in p.fd_snapshot().values()
               if v.startswith("tcp ") and v.split()[1].split("->")[0].endswith(local) and not v.endswith("st=0A"))


def head_of(resp):
    """The status line and the headers of a response, as a list of lines."""
    return resp.split(b"\r\n\r\n", 1)[0].decode().split("\r\n")


AFTER = """
    frontend fe
        bind 127.0.0.1:{fe}
        http-request set-var(txn.path) path
        http-request deny if { path /fe-deny }
        http-request redirect location /elsewhere code 302 if { path /redir }
        http-request return status 200 content-type text/plain string "local" if { path /ret }
        http-after-response set-header x-fe %[status]
        http-after-response del-header x-drop
        http-after-response set-header x-be-saw "%[var(txn.bev)]"
        use_backend down if { path /down }
        default_backend be
    backend be
        http-request deny deny_status 403 if { path /be-deny }
        http-response deny if { res.hdr(x-resp-deny) -m found }
        http-response set-header x-hr 1
        http-after-response set-var(txn.bev) status
        http-after-response replace-header x-server (.*) srv-\\1
        http-after-response set-status 299 if { var(txn.path) -m str /custom }
        http-after-response set-status 404 reason "Not Here" if { var(txn.path) -m str /gone }
        http-after-response allow if { var(txn.path) -m str /allow }
        http-after-response set-header x-be 1
        server a 127.0.0.1:{a}
    backend down
        http-after-response set-header x-down 1
        server d 127.0.0.1:{closed}
    """


@test
def after_response_on_server_responses():
    resp = run_both(AFTER, [get("/"), get("/", "X-Resp: x-drop: 1|x-keep: 2\r\n"), get("/custom"), get("/gone"),
                            get("/allow")])
    heads = [head_of(r) for r in resp]
    assert heads[0] == ["HTTP/1.1 200 OK", "x-server: srv-a", "x-saw-cookie: -", "content-length: 2",
                        "x-hr: 1", "x-be: 1", "x-fe: 200", "x-be-saw: 200", "connection: close"], heads[0]
    assert "x-drop: 1" not in heads[1] and "x-keep: 2" in heads[1], heads[1]
    assert heads[2][0] == "HTTP/1.1 299 Success" and "x-fe: 299" in heads[2], heads[2]
    assert heads[3][0] == "HTTP/1.1 404 Not Here" and "x-fe: 404" in heads[3], heads[3]
    # allow ends the backend's list; the frontend's still runs
    assert "x-be: 1" not in heads[4] and "x-fe: 200" in heads[4], heads[4]
    assert all(r.endswith(b"\r\n\r\nok") for r in resp), resp


@test
def after_response_on_the_proxys_own_replies():
    requests = [get("/fe-deny"), get("/be-deny"), get("/redir"), get("/ret"), get("/down"),
                get("/", "X-Resp: x-resp-deny: 1\r\n"), b"GET /bad request HTTP/1.1\r\n\r\n"]
    resp = run_both(AFTER, requests)
    heads = [head_of(r) for r in resp]
    # a frontend deny: only the frontend's rules (no backend yet)
    assert heads[0][0] == "HTTP/1.1 403 Forbidden" and "x-fe: 403" in heads[0] and "x-be: 1" not in heads[0], heads[0]
    assert "x-be-saw: " in heads[0], heads[0]
    # the backend's deny: the backend's rules, then the frontend's
    assert heads[1][0] == "HTTP/1.1 403 Forbidden" and "x-be: 1" in heads[1] and "x-be-saw: 403" in heads[1], heads[1]
    assert heads[2][0] == "HTTP/1.1 302 Found" and "location: /elsewhere" in heads[2] and "x-fe: 302" in heads[2]
    assert heads[3][0] == "HTTP/1.1 200 OK" and "x-fe: 200" in heads[3] and resp[3].endswith(b"local"), resp[3]
    assert heads[4][0] == "HTTP/1.1 503 Service Unavailable" and "x-down: 1" in heads[4] and "x-fe: 503" in heads[4]
    # http-response deny answers 502, through the rules again
    assert heads[5][0] == "HTTP/1.1 502 Bad Gateway" and "x-be: 1" in heads[5] and "x-fe: 502" in heads[5], heads[5]
    # a request that does not parse is answered before any stream: no rules
    assert heads[6][0] == "HTTP/1.1 400 Bad request" and not any(h.startswith("x-") for h in heads[6]), heads[6]
    # the connection header stays the last one
    assert all(h[-1] == "connection: close" for h in heads[:6]), heads


@test
def the_log_has_the_status_sent():
    # HAProxy logs the transaction's status, which set-status changes, in either rule set.
    statuses = run_both("""
        global
            log stdout format raw local0
        frontend fe
            bind 127.0.0.1:{fe}
            log global
            option httplog
            option dontlognull
            http-request deny if { path /deny }
            http-after-response set-status 298 if { status 299 }
            http-after-response set-status 410 if { status 403 }
            default_backend be
        backend be
            http-response set-status 299 if { res.hdr(x-server) -m found }
            server a 127.0.0.1:{a}
        """, [get("/"), get("/deny")], logged=True)
    assert statuses == ["298", "410"], statuses


TCP_RESPONSE = """
    frontend fe
        bind 127.0.0.1:{fe}
        use_backend nodelay if { path_beg /nodelay }
        use_backend closing if { path_beg /closing }
        default_backend delay
    backend delay
        tcp-response inspect-delay 2s
        tcp-response content accept if { res.hdr(x-ok) -m found }
        tcp-response content reject if { res.hdr(x-bad) -m found }
        tcp-response content set-var(txn.st) status
        http-response set-header x-st "%[var(txn.st)]"
        server a 127.0.0.1:{a}
    backend nodelay
        tcp-response content reject if { res.hdr(x-bad) -m found }
        tcp-response content set-var(txn.st) status
        http-response set-header x-st "%[var(txn.st)]"
        server a 127.0.0.1:{a}
    backend closing
        tcp-response content reject
        http-after-response set-header x-never 1
        server a 127.0.0.1:{a}
    """


@test
def tcp_response_content_in_mode_http():
    requests = [get("/"), get("/", "X-Resp: x-bad: 1\r\n"), get("/", "X-Resp: x-ok: 1|x-bad: 1\r\n"),
                get("/nodelay"), get("/nodelay", "X-Resp: x-bad: 1\r\n"), get("/closing")]
    resp = run_both(TCP_RESPONSE, requests)
    heads = [head_of(r) if r else "closed" for r in resp]
    # with an inspect-delay the rules see the response head
    assert heads[0][0] == "HTTP/1.1 200 OK" and "x-st: 200" in heads[0], heads[0]
    assert heads[1] == "closed", heads[1]
    assert heads[2][0] == "HTTP/1.1 200 OK" and "x-st: " in heads[2], heads[2]  # accept stops the list
    # without one, HAProxy runs them when the server connection is established: an empty response
    assert heads[3][0] == "HTTP/1.1 200 OK" and "x-st: " in heads[3], heads[3]
    assert heads[4][0] == "HTTP/1.1 200 OK" and "x-bad: 1" in heads[4], heads[4]
    # reject closes the client without a response (and without http-after-response)
    assert heads[5] == "closed", heads[5]


if __name__ == "__main__":
    sys.exit(main(TESTS))

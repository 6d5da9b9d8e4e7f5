#!/usr/bin/env python3
# End-to-end tests of the error answers lbc makes itself (400 403 408 429 502 503 504): haproxy's
# built-in pages, errorfile / http-errors / errorfiles, and the client connection after them.
# usage: http_errors_test.py [--proxy "CMD" | --build LBC] [--haproxy PATH] [--only NAME,...]
import os
import socket
import sys
import tempfile
import time
from textwrap import dedent

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Proxy, Server, collector, fill, free_port, hold, http_echo, main, rxreq, send  # noqa: E402
from http_common import TIMEOUT_408, Setup, compared, curl, get, raw, read_to_eof  # noqa: E402

TESTS = []
test = collector(TESTS)


def garbage():
    """A server that answers a request with bytes that are not HTTP."""
    return Server("g", [rxreq, send(b"this is not http\r\n\r\n")])


@test
def errors_503_502():
    st = Setup("""
        frontend web
            bind 127.0.0.1:{fe}
            default_backend app
        backend app
            server a 127.0.0.1:{closed}
        """)
    try:
        out = curl("-i", st.url("/"))
        assert out.startswith(b"HTTP/1.1 503 Service Unavailable\r\n") and b"<h1>503 Service Unavailable</h1>" in out, out
    finally:
        st.close()


@test
def garbage_response_is_502():
    st = Setup("""
        frontend web
            bind 127.0.0.1:{fe}
            default_backend app
        backend app
            server g 127.0.0.1:{g}
        """, [garbage()])
    try:
        out = curl("-i", st.url("/"))
        assert out.startswith(b"HTTP/1.1 502 Bad Gateway\r\n") and b"<h1>502 Bad Gateway</h1>" in out, out
    finally:
        st.close()


@test
def slow_header_gets_408():
    st = Setup("""
        frontend web
            bind 127.0.0.1:{fe}
            default_backend app
        backend app
            server a 127.0.0.1:{a}
        """, [Server("a", http_echo())], defaults="timeout http-request 1s")
    try:
        s = socket.create_connection(("127.0.0.1", st.fe))
        s.settimeout(10)
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        t0 = time.monotonic()
        out = b""
        while True:
            d = s.recv(4096)
            if not d:
                break
            out += d
        assert out == TIMEOUT_408, out
        assert 0.8 < time.monotonic() - t0 < 6, time.monotonic() - t0
        bad = raw(st.fe, b"GET / HTTP/1.1\r\nBad Header\r\n\r\n")
        assert bad.startswith(b"HTTP/1.1 400 Bad request\r\n"), bad
    finally:
        st.close()


ERRCFG = """\
    global
        maxconn 200
    http-errors myerrs
        errorfile 504 {dir}/504.http
        errorfile 403 {dir}/403.http
    defaults
        mode http
        timeout connect 2s
        timeout client 10s
        timeout server 1s
    frontend web
        bind 127.0.0.1:{fe}
        errorfile 400 {dir}/400.http
        http-request deny if { path /deny }
        http-request deny deny_status 429 if { path /deny429 }
        use_backend down if { path /down }
        use_backend slow if { path /slow }
        use_backend slow2 if { path /slow2 }
        use_backend garbage if { path /garbage }
        use_backend custom if { path_beg /custom }
        default_backend app
    backend app
        server a 127.0.0.1:{a}
    backend down
        retries 0
        errorfile 503 {dir}/503.http
        server s 127.0.0.1:{closed}
    backend slow
        server s 127.0.0.1:{hold}
    backend slow2
        errorfiles myerrs 504
        server s 127.0.0.1:{hold}
    backend garbage
        server s 127.0.0.1:{garbage}
    backend custom
        retries 0
        errorfiles myerrs
        http-request deny if { path /custom/deny }
        server s 127.0.0.1:{closed}
    """


@test
def error_pages_and_errorfiles_match_haproxy():
    # Every error status lbc answers itself (400 403 429 502 503 504), with HAProxy's built-in pages,
    # `errorfile` in a frontend and a backend, and an `http-errors` section imported with
    # `errorfiles` (all of it, or listed codes): byte for byte what haproxy 2.6 sends.
    d = tempfile.mkdtemp(prefix="lbc-errfiles-")
    pages = {400: "HTTP/1.0 400 Bad request\r\nContent-Type: text/plain\r\nX-Page: f400\r\n\r\nbad, says the file\n",
             403: "HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nCache-Control: no-cache\r\n\r\nsection 403\n",
             503: "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nX-Custom: file503\r\n\r\nfile 503\n",
             504: "HTTP/1.1 504 Gateway Time-out\r\nContent-Type: text/plain\r\n\r\nsection 504\n"}
    for code, text in pages.items():
        with open(os.path.join(d, "%d.http" % code), "w") as f:
            f.write(text)
    requests = [get(p) for p in ("/deny", "/deny429", "/down", "/slow", "/slow2", "/garbage", "/custom/deny",
                                 "/custom/x", "/bad request")]
    got = {}
    for label, cmd in compared():
        a, held, g = Server("a", http_echo()), Server("hold", [hold]), garbage()
        fe = free_port()
        cfg = fill(dedent(ERRCFG), dir=d, fe=fe, a=a.port, closed=free_port(), hold=held.port, garbage=g.port)
        p = Proxy(cmd, cfg, fe)
        try:
            got[label] = [raw(fe, r) for r in requests]
        finally:
            p.stop()
            for s in (a, held, g):
                s.stop()
    ours = got["lbc"]
    assert [r.split(b"\r\n", 1)[0] for r in ours] == [
        b"HTTP/1.1 403 Forbidden", b"HTTP/1.1 429 Too Many Requests", b"HTTP/1.1 503 Service Unavailable",
        b"HTTP/1.1 504 Gateway Time-out", b"HTTP/1.1 504 Gateway Time-out", b"HTTP/1.1 502 Bad Gateway",
        b"HTTP/1.1 403 Forbidden", b"HTTP/1.1 503 Service Unavailable", b"HTTP/1.1 400 Bad request"], ours
    assert ours[2].endswith(b"file 503\n") and ours[4].endswith(b"section 504\n") and ours[6].endswith(b"section 403\n")
    # a request head that does not parse gets the built-in 400 whatever `errorfile 400` says: haproxy
    # answers it from its H1 layer, before the proxy's error files apply
    assert b"<h1>504 Gateway Time-out</h1>" in ours[3] and b"<h1>400 Bad request</h1>" in ours[8], ours
    if "haproxy" in got:
        for req, a, b in zip(requests, ours, got["haproxy"]):
            assert a == b, "%r: lbc %r, haproxy %r" % (req, a, b)


@test
def pipelined_request_after_error_page():
    # 502 (invalid response), 503 (no server), 504 (timeout server) and http-response deny: haproxy
    # keeps the client connection when the request came whole and serves the next one.
    st = Setup("""
        frontend web
            bind 127.0.0.1:{fe}
            http-request set-var(txn.p) path
            http-response deny if { var(txn.p) -m str /rdeny }
            use_backend bad if { path /bad }
            use_backend down if { path /down }
            use_backend slow if { path /slow }
            default_backend app
        backend app
            server a 127.0.0.1:{a}
        backend bad
            server g 127.0.0.1:{g}
        backend down
            retries 0
            server b 127.0.0.1:{closed}
        backend slow
            timeout server 300ms
            server k 127.0.0.1:{k}
        """, [Server("a", http_echo()), garbage(), Server("k", [hold])])
    try:
        nxt = b"GET /next HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        for path, status in [(b"/bad", b"502"), (b"/down", b"503"), (b"/slow", b"504"), (b"/rdeny", b"502")]:
            out = raw(st.fe, b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n%s" % (path, nxt))
            page, _, rest = out.partition(b"</body></html>\n")
            assert page.startswith(b"HTTP/1.1 " + status) and b"connection: close" not in page, out
            assert rest.startswith(b"HTTP/1.1 200 OK\r\n") and b'"path": "/next"' in rest, out
        # Not all of the body came: the page says close and the connection ends with it.
        s = socket.create_connection(("127.0.0.1", st.fe))
        s.sendall(b"POST /down HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
        out = read_to_eof(s)
        assert out.startswith(b"HTTP/1.1 503 ") and b"\r\nconnection: close\r\n" in out, out
    finally:
        st.close()


if __name__ == "__main__":
    sys.exit(main(TESTS))

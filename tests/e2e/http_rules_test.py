#!/usr/bin/env python3
# End-to-end tests of HTTP request rules (deny, redirect, return, set-header, option forwardfor)
# and of the connection after a reply a rule made.
# usage: http_rules_test.py [--proxy "CMD" | --build LBC] [--haproxy PATH] [--only NAME,...]
import json
import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Server, collector, http_echo, main  # noqa: E402
from http_common import FORBIDDEN, FORBIDDEN_CLOSE, Setup, curl, raw, read_to_eof  # noqa: E402

TESTS = []
test = collector(TESTS)


@test
def get_rules_forwardfor():
    st = Setup("""
        frontend web
            bind 127.0.0.1:{fe}
            option forwardfor
            http-request deny if { path /deny }
            http-request redirect location /new code 301 if { path /old }
            http-request set-header X-Test hello
            default_backend app
        backend app
            server a 127.0.0.1:{a}
        """, [Server("a", http_echo())])
    try:
        got = json.loads(curl(st.url("/x?y=1")))
        hdrs = {k.lower(): v for k, v in got["headers"]}
        assert got["method"] == "GET" and got["path"] == "/x?y=1", got
        assert hdrs["x-test"] == "hello" and hdrs["x-forwarded-for"] == "127.0.0.1", hdrs
        assert raw(st.fe, b"GET /deny HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n") == FORBIDDEN_CLOSE
        deny = raw(st.fe, b"GET /deny HTTP/1.0\r\nHost: x\r\n\r\n")
        assert deny.startswith(b"HTTP/1.1 403 Forbidden\r\n") and deny.endswith(FORBIDDEN.split(b"\r\n\r\n")[1]), deny
        red = curl("-i", st.url("/old"))
        assert red.startswith(b"HTTP/1.1 301 Moved Permanently\r\n") and b"location: /new\r\n" in red, red
    finally:
        st.close()


@test
def pipelined_request_after_rule_reply():
    # HAProxy 2.6 keeps the connection after deny / return / redirect when the whole request
    # (body included) came with the head, and serves the next request pipelined behind it.
    st = Setup("""
        frontend web
            bind 127.0.0.1:{fe}
            http-request deny if { path /deny }
            http-request return status 200 content-type text/plain string ok if { path /ret }
            http-request redirect location /new code 301 if { path /old }
            default_backend app
        backend app
            server a 127.0.0.1:{a}
        """, [Server("a", http_echo())])
    try:
        nxt = b"GET /next HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        for first, status in [(b"GET /deny HTTP/1.1\r\nHost: x\r\n\r\n", b"403"),
                              (b"GET /ret HTTP/1.1\r\nHost: x\r\n\r\n", b"200"),
                              (b"GET /old HTTP/1.1\r\nHost: x\r\n\r\n", b"301"),
                              (b"POST /deny HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc", b"403"),
                              (b"POST /deny HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                               b"3\r\nabc\r\n0\r\n\r\n", b"403")]:
            out = raw(st.fe, first + nxt)
            reply, _, rest = out.partition(b"\r\n\r\n")
            assert reply.startswith(b"HTTP/1.1 " + status) and b"connection: close" not in reply, out
            assert out.count(b"HTTP/1.1 200 OK\r\n") == 1 + (status == b"200") and b'"path": "/next"' in rest, out
        out = raw(st.fe, b"GET /deny HTTP/1.1\r\nHost: x\r\n\r\n" + nxt)
        assert out.startswith(FORBIDDEN + b"HTTP/1.1 200 OK\r\n"), out
        # The body is not all there: the reply says close and the connection ends with it.
        s = socket.create_connection(("127.0.0.1", st.fe))
        s.sendall(b"POST /deny HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
        assert read_to_eof(s) == FORBIDDEN_CLOSE
    finally:
        st.close()


if __name__ == "__main__":
    sys.exit(main(TESTS))

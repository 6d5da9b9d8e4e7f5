#!/usr/bin/env python3
# End-to-end tests of HTTP keep-alive on both sides: client connections carrying several (and
# pipelined) requests, server connections parked and reused, retried when the server closed one,
# closed at timeout http-keep-alive, and the close modes (http-server-close, httpclose).
# usage: http_keepalive_test.py [--proxy "CMD" | --build LBC] [--haproxy PATH] [--only NAME,...]
import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Server, collector, http_echo, main, recv, repeat, rxhead, send, wait_for  # noqa: E402
from http_common import Setup, curl, raw, read_to_eof  # noqa: E402

TESTS = []
test = collector(TESTS)

ONE_BACKEND = """
    frontend web
        bind 127.0.0.1:{fe}
        default_backend app
    backend app
        server s 127.0.0.1:{s}
    """
OK = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"


def conn_number(header_case):
    """An answer naming the connection it came on ("conn 2"), kept alive (no Connection: close)."""
    def answer(c):
        body = b"conn %d" % c.n
        return b"HTTP/1.1 200 OK\r\n%s: %d\r\n\r\n%s" % (header_case, len(body), body)
    return answer


def peers(*urls, extra=()):
    """The backend-side source port of each answer, for requests sent on one client connection."""
    out = curl(*extra, *urls)
    return [json.loads(b)["peer"] for b in out.replace(b"}{", b"}\n{").split(b"\n") if b]


@test
def client_keep_alive_reuses_the_connection():
    st = Setup(ONE_BACKEND, [Server("s", http_echo())])
    try:
        out = curl("-w", "|%{num_connects}\n", st.url("/1"), st.url("/2"))
        parts = out.split(b"\n")
        assert parts[0].endswith(b"|1") and parts[1].endswith(b"|0"), out
        # pipelined: both answered in order on one connection
        both = raw(st.fe, b"GET /p1 HTTP/1.1\r\nHost: x\r\n\r\nGET /p2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert both.count(b"HTTP/1.1 200") == 2 and both.index(b"/p1") < both.index(b"/p2"), both
    finally:
        st.close()


@test
def server_keep_alive_reuse():
    a = Server("s", http_echo())
    st = Setup(ONE_BACKEND, [a])
    try:
        # one client connection, three requests: one server connection
        p = peers(st.url("/1"), st.url("/2"), st.url("/3"))
        assert len(p) == 3 and len(set(p)) == 1, p
        # a new client session: its first request never takes another session's idle connection
        # (http-reuse safe); its second request may take the parked one.
        q = peers(st.url("/4"), st.url("/5"))
        assert q[0] != p[0], (p, q)
        assert q[1] in (p[0], q[0]), (p, q)
        assert len(a.peers()) == 2, a.peers()
    finally:
        st.close()


@test
def reused_connection_closed_by_server_is_retried():
    # The server keeps each connection after its answer but closes it, unanswered, when a second
    # request comes on it: the race of a server's keep-alive timeout with a reuse, made deterministic.
    st = Setup(ONE_BACKEND, [Server("s", [rxhead, send(conn_number(b"content-length")), recv])])
    try:
        out = curl(st.url("/1"), st.url("/2"), st.url("/3"))
        assert out == b"conn 1conn 2conn 3", out
    finally:
        st.close()


@test
def reused_connection_already_closed_is_retried():
    # The server answers without `Connection: close` and closes right after: the next reuse finds
    # the connection already closed (FIN received), the case the idle-connection probe is skipped for.
    st = Setup(ONE_BACKEND, [Server("s", [rxhead, send(conn_number(b"Content-Length"))])])
    try:
        out = curl(st.url("/1"), st.url("/2"), st.url("/3"))
        assert out == b"conn 1conn 2conn 3", out
        # (Not tested with a body: whether the server's close reaches the proxy before the next
        # request is a race, and a request whose body left cannot be retried: a 502, as haproxy.)
    finally:
        st.close()


@test
def idle_server_connection_closes_at_keep_alive_timeout():
    k = Server("s", [repeat(rxhead, send(OK))])
    st = Setup(ONE_BACKEND, [k], defaults="timeout http-keep-alive 500ms")
    try:
        t0 = time.monotonic()
        assert curl(st.url("/1")) == b"ok"  # curl closes its side: the server connection is parked
        wait_for(lambda: k.closed_times(), 10, "the idle server connection to close")
        assert k.closed_times()[0] - t0 >= 0.4, k.closed_times()[0] - t0
    finally:
        st.close()


@test
def server_close_modes_close():
    for opt in ("option http-server-close", "option httpclose"):
        st = Setup("""
            frontend web
                bind 127.0.0.1:{fe}
                %s
                default_backend app
            backend app
                server s 127.0.0.1:{s}
            """ % opt, [Server("s", http_echo())])
        try:
            p = peers(st.url("/1"), st.url("/2"), st.url("/3"))
            assert len(p) == 3 and len(set(p)) == 3, (opt, p)
        finally:
            st.close()


@test
def response_before_request_body_end_keeps_connection():
    # A server that answers after the head: as haproxy, the rest of the body still goes to it and
    # the client connection carries the next request once the body ended.
    st = Setup(ONE_BACKEND, [Server("s", [repeat(rxhead, send(OK))])])
    try:
        s = socket.create_connection(("127.0.0.1", st.fe))
        s.settimeout(10)
        s.sendall(b"POST /early HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n")
        first = b""
        while not first.endswith(b"\r\n\r\nok"):
            d = s.recv(4096)
            assert d, first
            first += d
        assert first == OK, first
        s.sendall(b"abcGET /next HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert read_to_eof(s) == b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok"
    finally:
        st.close()


if __name__ == "__main__":
    sys.exit(main(TESTS))

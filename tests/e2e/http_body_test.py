#!/usr/bin/env python3
# End-to-end tests of HTTP message bodies: Content-Length and chunked request bodies byte-exact,
# Expect: 100-continue, and chunked bodies both ways re-encoded as haproxy 2.6 forwards them.
# usage: http_body_test.py [--proxy "CMD" | --build LBC] [--haproxy PATH] [--only NAME,...]
import json
import os
import socket
import sys
from textwrap import dedent

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Proxy, Server, collector, fill, free_port, http_echo, main, repeat, rxhead, rxreq,  # noqa: E402
                     send, wait_for)
from http_common import BAD_REQUEST_400, Setup, compared, curl, raw, read_to_eof  # noqa: E402

TESTS = []
test = collector(TESTS)

ONE_BACKEND = """
    frontend web
        bind 127.0.0.1:{fe}
        default_backend app
    backend app
        server s 127.0.0.1:{s}
    """


@test
def post_bodies_byte_exact():
    st = Setup(ONE_BACKEND, [Server("s", http_echo())])
    try:
        body = bytes(range(256)).decode("latin-1") * 200  # 51200 bytes: larger than the buffers
        path = os.path.join(st.proxy.dir, "body")
        with open(path, "wb") as f:
            f.write(body.encode("latin-1"))
        got = json.loads(curl("--data-binary", "@" + path, st.url("/cl")))
        assert got["method"] == "POST" and got["body"] == body, len(got["body"])
        got = json.loads(curl("-H", "Transfer-Encoding: chunked", "--data-binary", "@" + path, st.url("/ch")))
        assert got["body"] == body, len(got["body"])
    finally:
        st.close()


@test
def expect_100_continue():
    st = Setup(ONE_BACKEND, [Server("s", http_echo())])  # the server answers the Expect with a 100
    try:
        body = "x" * 5000
        # curl waits for the 100 before sending the body (up to 30s here, past --max-time): the
        # answer only comes if the server's 100 went back to the client.
        out = curl("-i", "-H", "Expect: 100-continue", "--expect100-timeout", "30", "--data-binary", body,
                   st.url("/e"))
        assert out.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"), out[:200]
        got = json.loads(out.split(b"\r\n\r\n", 2)[2])
        hdrs = {k.lower(): v for k, v in got["headers"]}
        assert hdrs.get("expect") == "100-continue" and got["body"] == body, got["headers"]
    finally:
        st.close()


@test
def chunked_request_bodies_as_haproxy():
    # the server answers each whole request (its chunked body read to the end)
    rec = Server("s", [repeat(rxreq, send(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"))])
    st = Setup(ONE_BACKEND, [rec])
    head = b"POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    try:
        # Re-encoded as haproxy forwards it: bare LF, extensions and trailer spacing normalised.
        out = raw(st.fe, head.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n") + b"3;x=1\nabc\n0\nT:  1 \n\n")
        assert out == b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok", out
        assert rec.conns[0].received.partition(b"\r\n\r\n")[2] == b"3\r\nabc\r\n0\r\nt: 1\r\n\r\n", rec.conns[0].received
        # Bad chunking that came with the head: a bad request, as a bad head (no server involved).
        for bad in (b"zz", b"-3", b" 3", b"ffffffffffffffffff", b"3\r\nabcd"):
            assert raw(st.fe, head + bad + b"\r\nabc\r\n0\r\n\r\n") == BAD_REQUEST_400, bad
        assert rec.accepted == 1, [c.received for c in rec.conns]
        # Bad chunking after the head went to the server: 400 through the response path, and the
        # server connection closes.
        s = socket.create_connection(("127.0.0.1", st.fe))
        s.sendall(head + b"3\r\nabc\r\n")
        wait_for(lambda: rec.accepted == 2 and rec.conns[1].received.endswith(b"3\r\nabc\r\n"),
                 what="the head at the server")
        s.sendall(b"zz\r\n")
        out = read_to_eof(s)
        assert out.startswith(b"HTTP/1.1 400 Bad request\r\ncontent-length: 90\r\n") and \
            b"\r\nconnection: close\r\n" in out and out.endswith(BAD_REQUEST_400.split(b"\r\n\r\n")[1]), out
        wait_for(lambda: rec.conns[1].closed_at is not None, what="the server connection to close")
    finally:
        st.close()


BIG = bytes(range(256)) * 800


def chunked_answer(c):
    """A chunked response: small chunks with extensions, a bare-LF chunk line and a trailer; or,
    for /big, 200 KiB in 1000-byte chunks."""
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
    if c.req.line.startswith("GET /big "):
        body = b"".join(b"%x\r\n%s\r\n" % (len(BIG[i:i + 1000]), BIG[i:i + 1000]) for i in range(0, len(BIG), 1000))
        return head + body + b"0\r\n\r\n"
    return head + b"5;ext=1\r\nhello\r\n6\n world\n0\r\nX-Trailer:  t \r\n\r\n"


def dechunk(data):
    """(head, body, trailers) of a chunked response, strictly parsed (CRLF only, hex sizes)."""
    head, _, rest = data.partition(b"\r\n\r\n")
    body = b""
    while True:
        line, _, rest = rest.partition(b"\r\n")
        size = int(line, 16)
        if size == 0:
            return head, body, rest
        body += rest[:size]
        assert rest[size:size + 2] == b"\r\n", rest[:size + 2]
        rest = rest[size + 2:]


@test
def chunked_responses_as_haproxy():
    # A chunked response crosses the proxy re-encoded as haproxy 2.6 forwards it: upper-case hex
    # sizes, no chunk extensions, CRLF (a bare LF from the server accepted), trailers kept.
    got = {}
    for label, cmd in compared():
        srv = Server("ch", [rxhead, send(chunked_answer)])
        fe = free_port()
        p = Proxy(cmd, fill(dedent("""\
            defaults
                mode http
                timeout connect 2s
                timeout client 10s
                timeout server 10s
            frontend web
                bind 127.0.0.1:{fe}
                default_backend app
            backend app
                server ch 127.0.0.1:{ch}
            """), fe=fe, ch=srv.port), fe)
        try:
            small = raw(fe, b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            big = raw(fe, b"GET /big HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        finally:
            p.stop()
            srv.stop()
        head, body, trailers = dechunk(small)
        assert body == b"hello world" and b";" not in small and trailers.lower() == b"x-trailer: t\r\n\r\n", (label, small)
        bhead, bbody, _ = dechunk(big)
        assert bbody == BIG, (label, len(bbody))
        got[label] = (head, body, trailers, bhead)
    if "haproxy" in got:
        assert got["lbc"] == got["haproxy"], got


if __name__ == "__main__":
    sys.exit(main(TESTS))

#!/usr/bin/env python3
# End-to-end tests of HTTP upgrades: a WebSocket handshake turns the connection into a tunnel
# (bytes both ways, half-closes kept), closed when idle for timeout tunnel.
# usage: http_tunnel_test.py [--proxy "CMD" | --build LBC] [--haproxy PATH] [--only NAME,...]
import base64
import hashlib
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Server, collector, echo, main, rxhead, send  # noqa: E402
from http_common import Setup  # noqa: E402

TESTS = []
test = collector(TESTS)

ONE_BACKEND = """
    frontend web
        bind 127.0.0.1:{fe}
        default_backend app
    backend app
        server u 127.0.0.1:{u}
    """
UPGRADE = (b"GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
           b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")


def switching_protocols(c):
    key = c.req.header("Sec-WebSocket-Key").encode()
    accept = base64.b64encode(hashlib.sha1(key + b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest())
    return (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n")


def upgrade_echo():
    """Answers the Upgrade request with 101, then echoes every byte until the client's half-close,
    and says "bye" after it."""
    return Server("u", [rxhead, send(switching_protocols), echo, send(b"bye")])


@test
def websocket_upgrade_tunnel():
    u = upgrade_echo()
    st = Setup(ONE_BACKEND, [u], defaults="timeout tunnel 1h")
    try:
        s = socket.create_connection(("127.0.0.1", st.fe))
        s.settimeout(10)
        s.sendall(UPGRADE)
        head = b""
        while b"\r\n\r\n" not in head:
            d = s.recv(4096)
            assert d, head
            head += d
        assert head.startswith(b"HTTP/1.1 101 Switching Protocols\r\n"), head
        assert b"upgrade: websocket\r\n" in head.lower(), head
        rest = head.split(b"\r\n\r\n", 1)[1]
        payload = bytes(range(256)) * 400  # larger than the buffers, both ways
        threading.Thread(target=s.sendall, args=(payload,), daemon=True).start()
        got = rest
        while len(got) < len(payload):
            d = s.recv(65536)
            assert d, len(got)
            got += d
        assert got == payload
        s.shutdown(socket.SHUT_WR)
        tail = b""
        while True:
            d = s.recv(4096)
            if not d:
                break
            tail += d
        assert tail == b"bye", tail  # after the client's half-close: still delivered
        s.close()
        assert b"upgrade: websocket" in u.requests[0].head.lower(), u.requests[0].head
    finally:
        st.close()


@test
def tunnel_idle_closes_at_timeout_tunnel():
    st = Setup(ONE_BACKEND, [upgrade_echo()], defaults="timeout tunnel 700ms")
    try:
        s = socket.create_connection(("127.0.0.1", st.fe))
        s.settimeout(10)
        s.sendall(UPGRADE)
        got = b""
        while b"\r\n\r\n" not in got:
            got += s.recv(4096)
        t0 = time.monotonic()
        while True:  # nothing more comes: the proxy closes the idle tunnel (timeout client is 10s)
            d = s.recv(4096)
            if not d:
                break
            got += d
        took = time.monotonic() - t0
        assert got.startswith(b"HTTP/1.1 101 ") and 0.5 < took < 5, (got, took)
        s.close()
    finally:
        st.close()


if __name__ == "__main__":
    sys.exit(main(TESTS))

#!/usr/bin/env python3
"""ctest testsrv_modes: every mode of lbc_testsrv does what tools/bench/README.md says, over real
sockets (and curl for `http`). End-to-end tests of the proxy rely on these backends reporting the
truth, so they are checked on their own first. No timing is asserted: every wait is for data, EOF or
a counter, with generous socket timeouts only to turn a hang into a failure.
usage: testsrv_test.py LBC_TESTSRV"""

import json
import resource
import signal
import socket
import subprocess
import sys
import threading
import time

TESTSRV = None
FAILURES = []


def check(cond, what):
    if not cond:
        FAILURES.append(what)
        print(f"FAIL: {what}")


class Server:
    def __init__(self, *args, fd_limit=None):
        limit = (lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (fd_limit, fd_limit))) if fd_limit else None
        self.proc = subprocess.Popen([TESTSRV, "--port", "0", "--threads", "1", *args], stdout=subprocess.PIPE,
                                     text=True, preexec_fn=limit)
        line = self.proc.stdout.readline()
        if not line.startswith("ready "):
            raise RuntimeError(f"lbc_testsrv {args} did not print 'ready PORT': {line!r}")
        self.port = int(line.split()[1])

    def connect(self):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=20)
        return s

    def stats(self):
        self.proc.send_signal(signal.SIGUSR1)
        return json.loads(self.proc.stdout.readline())

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        out = self.proc.communicate(timeout=20)[0]
        return json.loads(out.strip().splitlines()[-1])


def read_exact(s, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            break
        buf += chunk
    return bytes(buf)


def read_to_eof(s):
    buf = bytearray()
    while True:
        chunk = s.recv(1 << 16)
        if not chunk:
            return bytes(buf)
        buf += chunk


def test_identity_and_echo():
    srv = Server("identity", "srvA")
    s = srv.connect()
    check(read_exact(s, 5) == b"srvA\n", "identity: first line is NAME")
    # 4 MiB both ways at once: exercises short writes and the stop-reading-while-output-is-pending path
    data = bytes((i * 7) & 0xFF for i in range(4 << 20))
    t = threading.Thread(target=lambda: (s.sendall(data), s.shutdown(socket.SHUT_WR)))
    t.start()
    got = read_to_eof(s)
    t.join()
    check(got == data, f"identity: echo of 4 MiB is byte-exact (got {len(got)} bytes)")
    s.close()
    st = srv.stop()
    check(st["accepted"] == 1 and st["bytes_in"] == len(data), f"identity: counters {st}")


def test_sink():
    srv = Server("sink")
    s = srv.connect()
    n = 3 << 20
    s.sendall(b"z" * n)
    s.shutdown(socket.SHUT_WR)
    check(read_to_eof(s) == f"{n}\n".encode(), "sink: writes the byte count at EOF, then closes")
    s.close()
    check(srv.stop()["bytes_in"] == n, "sink: bytes_in counter")


def test_source():
    n = 5_000_000
    srv = Server("source", str(n))
    s = srv.connect()
    got = read_to_eof(s)  # the source shuts its write side after N bytes
    check(len(got) == n, f"source: exactly N bytes then EOF (got {len(got)})")
    s.close()
    srv.stop()


def wait_for(fn, what):
    for _ in range(2000):  # polls a counter; bounded so a bug fails instead of hanging
        if fn():
            return True
        time.sleep(0.01)
    check(False, what)
    return False


def test_hold():
    srv = Server("hold")
    s = srv.connect()
    s.sendall(b"x" * 1000)
    wait_for(lambda: srv.stats()["accepted"] == 1, "hold: connection accepted")
    check(srv.stats()["bytes_in"] == 0, "hold: the server never reads")
    s.close()
    wait_for(lambda: srv.stats()["open"] == 0, "hold: closes when the peer closes")
    srv.stop()


def http_exchange(srv, raw):
    s = srv.connect()
    s.sendall(raw)
    s.shutdown(socket.SHUT_WR)
    out = read_to_eof(s)
    s.close()
    return out


def test_http():
    srv = Server("http", "be1")
    ok = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 4\r\nX-Backend: be1\r\n\r\nbe1\n"
    # two pipelined keep-alive requests, the second with a chunked body split oddly
    out = http_exchange(srv, b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
                             b"POST /b HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                             b"3;ext=1\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nTrailer: t\r\n\r\n")
    check(out == ok + ok, f"http: pipelined keep-alive + chunked body: {out!r}")
    out = http_exchange(srv, b"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhelloHEAD / HTTP/1.1\r\n"
                             b"Connection: close\r\n\r\nGET /never HTTP/1.1\r\n\r\n")
    head_close = (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 4\r\nX-Backend: be1\r\n"
                  b"Connection: close\r\n\r\n")
    check(out == ok + head_close, f"http: Content-Length body, HEAD, Connection: close ends: {out!r}")
    out = http_exchange(srv, b"GET / HTTP/1.0\r\n\r\n")
    check(out.startswith(b"HTTP/1.1 200 OK\r\n") and b"Connection: close\r\n" in out and out.endswith(b"be1\n"),
          f"http: HTTP/1.0 closes: {out!r}")
    out = http_exchange(srv, b"nonsense\r\n\r\n")
    check(out.startswith(b"HTTP/1.1 400 Bad Request\r\n"), f"http: malformed request gets 400: {out!r}")
    out = http_exchange(srv, b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n")
    check(out.startswith(b"HTTP/1.1 501 Not Implemented\r\n"), f"http: other transfer-coding gets 501: {out!r}")
    out = http_exchange(srv, b"GET / HTTP/1.1\r\nX-Big: " + b"a" * (70 * 1024) + b"\r\n\r\n")
    check(out.startswith(b"HTTP/1.1 431 "), f"http: a head over 64 KiB gets 431: {out[:40]!r}")
    curl = subprocess.run(["curl", "-sS", "-D", "-", f"http://127.0.0.1:{srv.port}/x", f"http://127.0.0.1:{srv.port}/y"],
                          capture_output=True, text=True, timeout=30)
    check(curl.returncode == 0 and curl.stdout.count("X-Backend: be1") == 2 and curl.stdout.count("be1\n") >= 2,
          f"http: curl, two requests on one connection: {curl.stdout!r} {curl.stderr!r}")
    st = srv.stop()
    check(st["requests"] == 7, f"http: request counter {st}")
    srv2 = Server("--body-size", "1000", "http")
    out = http_exchange(srv2, b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n")
    check(b"Content-Length: 1000\r\n" in out and out.endswith(b"\r\n\r\n" + b"x" * 1000), "http: --body-size")
    srv2.stop()


def test_descriptor_limit():
    # Out of descriptors, the server stops polling its listener (else it would spin on EMFILE) and
    # accepts again once a connection closes: the queued clients are then served.
    srv = Server("echo", fd_limit=32)
    clients = [srv.connect() for _ in range(40)]  # more than 32: the rest wait in the accept queue
    for c in clients[:10]:
        c.sendall(b"a")
        check(read_exact(c, 1) == b"a", "fd limit: an accepted connection echoes")
    first = srv.stats()
    check(first["accept_errors"] >= 1 and first["accepted"] < 40, f"fd limit: the limit was hit: {first}")
    for c in clients[:10]:  # more work for the server, meanwhile a spinning listener would count errors
        c.sendall(b"b")
        read_exact(c, 1)
    check(srv.stats()["accept_errors"] == first["accept_errors"], "fd limit: no accept retried while out of fds")
    for c in clients[:30]:
        c.close()
    for c in clients[30:]:
        c.sendall(b"c")
        check(read_exact(c, 1) == b"c", "fd limit: queued connections are served once descriptors are free")
        c.close()
    srv.stop()


def test_port_taken():
    # Another process listening with SO_REUSEPORT (as haproxy and lbc do) must not get its connections
    # shared with a test server started on the same port: lbc_testsrv refuses the port.
    other = socket.socket()
    other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    other.bind(("127.0.0.1", 0))
    other.listen()
    port = other.getsockname()[1]
    r = subprocess.run([TESTSRV, "--port", str(port), "--threads", "2", "echo"], capture_output=True, text=True,
                       timeout=20)
    other.close()
    check(r.returncode == 1 and "already in use" in r.stderr and "ready" not in r.stdout,
          f"a port another process listens on is refused: exit {r.returncode}, {r.stderr!r}")


def main():
    global TESTSRV
    TESTSRV = sys.argv[1]
    for t in (test_identity_and_echo, test_sink, test_source, test_hold, test_http, test_descriptor_limit, test_port_taken):
        try:
            t()
        except Exception as e:  # a hang or a crash is a failure of that mode, not of the runner
            check(False, f"{t.__name__}: {type(e).__name__}: {e}")
    print("FAILED" if FAILURES else "all testsrv modes behave as documented")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())

# Shared pieces of the end-to-end tests: free ports, the one scriptable test server (Server: what
# each connection expects and answers, and a record of what it saw), the TCP modes built on it
# (Backend), a proxy process started from a configuration text, and the command line and runner
# every test file shares. Synchronisation is by readiness (a port that accepts, a pidfile, a line
# logged, a request recorded), never by sleeping.
import argparse
import http
import json
import os
import random
import re
import shlex
import socket
import struct
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import traceback


# Listening ports come from below the kernel's ephemeral range (32768-60999 by default): a port
# handed out by bind(0) can be taken a moment later as the local port of some outgoing connection
# of a concurrently running test, and then a wildcard or dual-stack bind on it fails with
# EADDRINUSE (seen under ctest -j2). A port is returned only if nothing at all holds it now.
_rng = random.Random(os.getpid() ^ int(time.time() * 1000))


def free_port():
    for _ in range(1000):
        port = _rng.randrange(20000, 32000)
        try:
            with socket.socket(socket.AF_INET6) as s:  # [::]:port, dual-stack: conflicts with v4 and v6
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
                s.bind(("::", port))
            return port
        except OSError:
            continue
    raise RuntimeError("no free port in 20000-32000")


def wait_for(pred, timeout=10.0, what="condition"):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return
        time.sleep(0.01)
    raise AssertionError("timed out waiting for " + what)


def can_connect(port, host="127.0.0.1"):
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def recv_all(sock, timeout=10.0):
    sock.settimeout(timeout)
    out = bytearray()
    while True:
        d = sock.recv(65536)
        if not d:
            return bytes(out)
        out += d


def recv_exact(sock, n, timeout=10.0):
    sock.settimeout(timeout)
    out = bytearray()
    while len(out) < n:
        d = sock.recv(n - len(out))
        if not d:
            break
        out += d
    return bytes(out)


class Proxy:
    """Runs `cmd + [config]` and waits until `ready_port` accepts."""

    def __init__(self, cmd, config, ready_port=None, extra_args=(), pass_fds=(), expect_fail=False):
        self.dir = tempfile.mkdtemp(prefix="lbc-e2e-")
        self.cfg = os.path.join(self.dir, "test.cfg")
        with open(self.cfg, "w") as f:
            f.write(config)
        argv = shlex.split(cmd) + list(extra_args) + [self.cfg]
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     pass_fds=pass_fds)
        self.out = self.err = ""
        if expect_fail:
            self.out, self.err = self.proc.communicate(timeout=30)
            return
        if ready_port:
            def ready():
                if self.proc.poll() is not None:
                    self.out, self.err = self.proc.communicate()
                    raise AssertionError("proxy exited early (%d): %s" % (self.proc.returncode, self.err))
                return can_connect(ready_port)
            wait_for(ready, 20, "the proxy to accept on %d" % ready_port)

    @property
    def pid(self):
        return self.proc.pid

    def fd_count(self):
        return len(os.listdir("/proc/%d/fd" % self.pid))

    def fd_snapshot(self):
        """{fd: what it is} for every fd of the proxy; a TCP socket shows its state and ends
        (/proc/net/tcp{,6}), so a failure message says which connection was left open."""
        tcp = {}
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            with open(table) as f:
                next(f)
                for line in f:
                    parts = line.split()
                    tcp[parts[9]] = "tcp %s->%s st=%s" % (parts[1], parts[2], parts[3])
        snap = {}
        for fd in os.listdir("/proc/%d/fd" % self.pid):
            try:
                link = os.readlink("/proc/%d/fd/%s" % (self.pid, fd))
            except OSError:
                continue
            if link.startswith("socket:["):
                link = tcp.get(link[8:-1], link)
            snap[int(fd)] = link
        return snap

    def open_connections(self):
        """Sockets of the proxy that are TCP connections (not listeners)."""
        return sum(1 for v in self.fd_snapshot().values() if v.startswith("tcp ") and not v.endswith("st=0A"))

    def rss_kb(self):
        with open("/proc/%d/status" % self.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def stop(self, sig=15, timeout=20):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            try:
                self.out, self.err = self.proc.communicate(timeout=timeout / 2)
            except subprocess.TimeoutExpired:
                # connections a failed test left open: a second SIGTERM is a hard stop
                self.proc.send_signal(sig)
                self.out, self.err = self.proc.communicate(timeout=timeout / 2)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.out, self.err = self.proc.communicate()
            raise AssertionError("proxy did not stop within %ss" % timeout)
        return self.proc.returncode


def probe_section(port, server_port):
    """A listen section used only to know when the proxy is ready (keeps other backends'
    balancing sequences untouched by readiness probes)."""
    return fill(textwrap.dedent("""\
        listen probe
            bind 127.0.0.1:{port}
            server probe 127.0.0.1:{server_port}
        """), port=port, server_port=server_port)


def head(defaults="", global_extra=""):
    """The global and defaults sections of the TCP tests, with extra lines for each (the
    configuration body starts on line 10)."""
    return fill(textwrap.dedent("""\
        global
            maxconn 2000
        {global_extra}
        defaults
            mode tcp
            timeout connect 2s
            timeout client 20s
            timeout server 20s
        {defaults}
        """), global_extra=global_extra, defaults=defaults)


def connect_name(port, host="127.0.0.1", timeout=5.0, src=None):
    """Connects, reads the backend's name (up to 16 bytes), closes. '' if closed without data."""
    s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    s.settimeout(timeout)
    if src:
        s.bind((src, 0))
    s.connect((host, port))
    try:
        d = s.recv(16)
    except ConnectionResetError:
        d = b""
    s.close()
    return d.decode()


def run_tests(tests, only_csv):
    """Runs each test function (all, or those named in the comma-separated `only_csv`), prints
    PASS/FAIL with its time and the traceback of a failure; returns the process exit status."""
    only = set(filter(None, only_csv.split(",")))
    failed = []
    for fn in tests:
        if only and fn.__name__ not in only:
            continue
        t0 = time.monotonic()
        try:
            fn()
            print("PASS %-45s %.1fs" % (fn.__name__, time.monotonic() - t0), flush=True)
        except Exception:
            failed.append(fn.__name__)
            print("FAIL %-45s %.1fs" % (fn.__name__, time.monotonic() - t0), flush=True)
            traceback.print_exc()
    print("%d failed: %s" % (len(failed), ", ".join(failed)) if failed else "all passed")
    return 1 if failed else 0


# ---- the scriptable test server --------------------------------------------------------------------
# One backend for every e2e test, in the manner of VTest's `server s1 { rxreq; txresp } -start`:
# each accepted connection runs the server's script, a list of steps (callables on a Conn) run in
# order; the connection is closed when the script ends. What the server saw is kept for the test:
# the requests (parsed), every connection's bytes, when the peer closed, which sends failed.
#
#   Server("a", http_echo())                            # JSON echo of each request, keep-alive
#   Server("g", [rxreq, send(b"not http\r\n\r\n")])     # one request, garbage back, close
#   Server("h", [rxhead, until_told(), send(OK)])       # answers once the test calls s.go()
#   Server("k", [hold])                                 # accepts, never reads, never answers


class PeerClosed(Exception):
    """The peer closed (or reset) while a step was reading: the script ends there."""


class Request:
    """One HTTP request as a server received it (head bytes exact; body de-chunked)."""

    def __init__(self, head, conn):
        self.head = head
        self.conn = conn
        lines = head.split(b"\r\n") if b"\r\n" in head else head.split(b"\n")
        self.line = lines[0].decode("latin-1")
        parts = self.line.split()
        self.method, self.path, self.version = (parts + ["", "", ""])[:3]
        self.headers = []
        for ln in lines[1:]:
            if b":" in ln:
                k, v = ln.split(b":", 1)
                self.headers.append((k.decode("latin-1"), v.strip().decode("latin-1")))
        self.body = b""
        self.raw_body = b""  # the body's bytes as they came (chunk framing included)

    def get_all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def header(self, name, default=None):
        got = self.get_all(name)
        return got[0] if got else default

    def wants_close(self):
        """The connection ends after the answer: HTTP/1.0 without keep-alive, or Connection: close."""
        conn = (self.header("Connection") or "").lower()
        if self.version == "HTTP/1.0":
            return "keep-alive" not in conn
        return "close" in conn


class Conn:
    """One accepted connection: buffered reads for the steps, and what it saw."""

    def __init__(self, server, sock, n):
        self.server = server
        self.sock = sock
        self.n = n  # 1 for the first connection the server accepted
        try:
            self.peer = sock.getpeername()[1]
        except OSError:  # already reset by the peer
            self.peer = 0
        self.buf = b""
        self.received = b""  # everything read so far
        self.req = None  # the last request read
        self.closed_at = None  # monotonic time the peer's close was read

    def _more(self):
        try:
            d = self.sock.recv(65536)
        except OSError:
            d = b""
        if not d:
            if self.closed_at is None:
                self.closed_at = time.monotonic()
            raise PeerClosed()
        self.received += d
        self.buf += d

    def read_until(self, sep):
        """The bytes up to and including `sep` (any of, when a tuple), from the buffer first."""
        seps = sep if isinstance(sep, tuple) else (sep,)
        while True:
            hits = [(self.buf.find(s), s) for s in seps if s in self.buf]
            if hits:
                i, s = min(hits)
                out, self.buf = self.buf[:i + len(s)], self.buf[i + len(s):]
                return out
            self._more()

    def read_exact(self, n):
        while len(self.buf) < n:
            self._more()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_some(self):
        if not self.buf:
            self._more()
        out, self.buf = self.buf, b""
        return out

    def read_or_eof(self):
        """What is there, or b"" once the peer closed (for steps that go on after the peer's FIN)."""
        try:
            return self.read_some()
        except PeerClosed:
            return b""

    def send(self, data):
        try:
            self.sock.sendall(data)
        except OSError:
            self.server._note_failed_send(self)
            raise PeerClosed()


# -- steps: each takes the Conn


def rxhead(c):
    """Reads a request head (the body, if any, stays unread) and records it."""
    head = c.read_until((b"\r\n\r\n", b"\n\n"))
    c.req = Request(head, c)
    c.server._note_request(c.req)


def rxreq(c):
    """Reads a whole request (Content-Length or chunked body) and records it. Like Python's
    http.server, answers `Expect: 100-continue` with a 100 before reading the body."""
    rxhead(c)
    req = c.req
    te = (req.header("Transfer-Encoding") or "").lower()
    length = int(req.header("Content-Length") or 0)
    if (te == "chunked" or length) and (req.header("Expect") or "").lower() == "100-continue":
        c.send(b"HTTP/1.1 100 Continue\r\n\r\n")
    if te == "chunked":
        while True:
            line = c.read_until(b"\n")
            req.raw_body += line
            size = int(line.split(b";")[0].strip(), 16)
            if size == 0:
                while True:  # trailers, up to the empty line
                    line = c.read_until(b"\n")
                    req.raw_body += line
                    if line in (b"\r\n", b"\n"):
                        return
            data = c.read_exact(size)
            req.body += data
            req.raw_body += data + c.read_until(b"\n")
    elif length:
        req.body = req.raw_body = c.read_exact(length)


def recv(c):
    """Reads once (whatever is there, or the peer's close): waits for the peer's next move."""
    c.read_some()


def drain(c):
    """Reads until the peer closes (its FIN: the next steps still run)."""
    while c.read_or_eof():
        pass


def echo(c):
    """Sends back every byte read, until the peer closes (its FIN: the next steps still run)."""
    while True:
        d = c.read_or_eof()
        if not d:
            return
        c.send(d)


def hold(c):
    """Neither reads nor answers; keeps the connection open until the server stops."""
    c.server.stopped.wait(60)


def close(c):
    """Ends the script here (the connection is closed)."""
    raise PeerClosed()


def reset(c):
    """Closes with a RST (SO_LINGER 0) instead of a FIN."""
    c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    raise PeerClosed()


def shut_wr(c):
    c.sock.shutdown(socket.SHUT_WR)


def send(data):
    """Sends `data`: bytes, or a function of the Conn returning them."""
    def step(c):
        c.send(data(c) if callable(data) else data)
    return step


def txresp(status=200, reason="OK", headers=(), body=b""):
    """Sends an answer with a Content-Length (body: bytes or a function of the Conn)."""
    def step(c):
        b = body(c) if callable(body) else body
        hdrs = "".join("%s: %s\r\n" % h for h in headers)
        c.send(b"HTTP/1.1 %d %s\r\n%scontent-length: %d\r\n\r\n%s" % (status, reason.encode(), hdrs.encode(), len(b), b))
    return step


def until_told(pred=None, timeout=30):
    """Waits for the test's s.go() (or the server's stop); with `pred`, only when pred(request)."""
    def step(c):
        if pred is None or pred(c.req):
            c.server.told.wait(timeout)
    return step


def repeat(*steps):
    """Runs `steps` again and again on the connection, until the peer closes."""
    def step(c):
        while True:
            for s in steps:
                s(c)
    return step


def serve(answer):
    """HTTP keep-alive: reads each request whole, lets `answer` reply, and closes when the request
    asked for it (HTTP/1.0, Connection: close), as Python's http.server does."""
    def step(c):
        while True:
            rxreq(c)
            answer(c)
            if c.req.wants_close():
                return
    return step


def tx_echo_json(c):
    """A JSON report of the request: method, path, headers, body, the server's name, the peer port."""
    r = c.req
    out = json.dumps({"method": r.method, "path": r.path, "headers": r.headers, "body": r.body.decode("latin-1"),
                      "server": c.server.name, "peer": c.peer}).encode()
    c.send(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(out), out))


def http_echo():
    return [serve(tx_echo_json)]


def tx_checked(c):
    """The answer of a health-checked backend: at `s.health_path`, `s.health` (status, body; a None
    status is a missing page, 404); elsewhere 200 "ok". Names the server (X-Server) and the cookies
    it saw (X-Saw-Cookie), and adds the response headers the request lists in X-Resp (|-separated)."""
    s, r = c.server, c.req
    if r.path == s.health_path:
        status, body = s.health
        if status is None:
            status, body = 404, b"no such page"
    else:
        status, body = 200, b"ok"
    hdrs = [("X-Server", s.name), ("X-Saw-Cookie", " | ".join(r.get_all("Cookie") or ["-"]))]
    hdrs += [tuple(h.split(": ", 1)) for h in (r.header("X-Resp") or "").split("|") if h]
    hdrs.append(("Content-Length", str(len(body))))
    head = "HTTP/1.1 %d %s\r\n" % (status, http.HTTPStatus(status).phrase) + "".join("%s: %s\r\n" % h for h in hdrs)
    c.send((head + "\r\n").encode() + (b"" if r.method == "HEAD" else body))


def http_checked():
    return [serve(tx_checked)]


class Server:
    """The scriptable backend (see above). `accept=False` listens without ever accepting (the
    kernel's backlog completes handshakes); `backlog` sizes the listen queue."""

    def __init__(self, name="s", script=None, port=None, host="127.0.0.1", backlog=64, accept=True,
                 health_path="/health"):
        self.name = name
        self.script = script if script is not None else http_echo()
        self.host, self.backlog, self.accepting = host, backlog, accept
        self.port = port or free_port()
        self.lock = threading.Lock()
        self.conns = []  # every accepted Conn, in accept order
        self.requests = []
        self.failed_sends = []  # the request line of the answers that could not be written
        self.told = threading.Event()
        self.stopped = threading.Event()
        self.health_path, self.health = health_path, (200, b"GOOD")  # for tx_checked
        self.fill = []
        self.sock = None
        self.start()

    def start(self):
        """Listens (again, after stop_listening) on the same port."""
        self.sock = socket.socket(socket.AF_INET6 if ":" in self.host else socket.AF_INET)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((self.host, self.port))
        self.sock.listen(self.backlog)
        if self.accepting:
            threading.Thread(target=self._accept, args=(self.sock,), daemon=True).start()

    def _accept(self, lsock):
        while True:
            try:
                s, _ = lsock.accept()
            except OSError:
                return
            with self.lock:
                c = Conn(self, s, len(self.conns) + 1)
                self.conns.append(c)
            threading.Thread(target=self._run, args=(c,), daemon=True).start()

    def _run(self, c):
        try:
            for step in self.script:
                step(c)
        except PeerClosed:
            pass
        except OSError as e:
            self._on_error(e)
        finally:
            try:
                c.sock.close()
            except OSError:
                pass

    def _on_error(self, e):
        pass  # a step's socket error ends the connection; Backend records it

    def _note_request(self, req):
        with self.lock:
            self.requests.append(req)

    def _note_failed_send(self, c):
        with self.lock:
            self.failed_sends.append(c.req.line if c.req else "")

    # -- what the test reads

    @property
    def accepted(self):
        return len(self.conns)

    def lines(self):
        """The request lines received, in order."""
        with self.lock:
            return [r.line for r in self.requests]

    def peers(self):
        """The source ports of the connections that carried a request (one per proxy-side connection)."""
        with self.lock:
            return {r.conn.peer for r in self.requests}

    def closed_times(self):
        with self.lock:
            return sorted(c.closed_at for c in self.conns if c.closed_at is not None)

    def checks(self):
        """The requests at health_path (the health checks), raw (head and body)."""
        with self.lock:
            return [r.head + r.raw_body for r in self.requests if r.path.startswith(self.health_path)]

    # -- what the test does

    def go(self):
        """Releases the connections waiting in until_told()."""
        self.told.set()

    def fill_backlog(self, n=3):
        """Connects n times to a non-accepting listener: with backlog 0 the queue is full and a new
        connection attempt stays unanswered (its SYN is dropped)."""
        for _ in range(n):
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", self.port))
            self.fill.append(s)

    def stop_listening(self):
        """Closes the listener: new connections are refused until start()."""
        self.sock.close()

    def stop(self):
        self.stopped.set()
        self.told.set()
        self.sock.close()
        with self.lock:
            for s in self.fill + [c.sock for c in self.conns]:
                try:
                    s.close()
                except OSError:
                    pass


# ---- the command line and runner every test file shares ---------------------------------------------

# What the command line chose, for every test module: `proxy` is the command a configuration path
# is appended to (e.g. "build/lbc run --engine=interp"); --build LBC serves with `lbc build`
# executables instead (build_run.py); `haproxy` is the reference proxy of the comparisons.
ENV = argparse.Namespace(proxy="", haproxy="/usr/sbin/haproxy", only="", build="")


def collector(tests):
    """A @test decorator that appends the test function to `tests`."""
    def test(fn):
        tests.append(fn)
        return fn
    return test


def parse_args(argv=None, extra=None):
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--proxy", default=os.path.join(here, "../../build/lbc") + " run")
    ap.add_argument("--only", default="", help="comma-separated test names")
    ap.add_argument("--haproxy", default="/usr/sbin/haproxy")
    ap.add_argument("--build", default="", help="lbc binary: serve with `lbc build` executables")
    if extra:
        extra(ap)
    args = ap.parse_args(argv)
    if args.build:
        args.proxy = "%s %s %s" % (sys.executable, os.path.join(here, "build_run.py"), args.build)
    vars(ENV).update(vars(args))
    return ENV


def main(tests, extra=None, argv=None):
    """A test file's entry point: parses the command line and runs `tests`."""
    parse_args(argv, extra)
    return run_tests(tests, ENV.only)


def haproxy_available():
    return os.path.exists(ENV.haproxy)


def fill(text, **values):
    """`{name}` in `text` replaced by values[name] for the names given; every other brace (ACLs'
    `{ path /x }`, log formats' `%[...]`) stays as written, so configurations read as they are."""
    return re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]) if m.group(1) in values else m.group(0), text)


def indent(text, n=4):
    return "".join(" " * n + ln + "\n" for ln in text.strip("\n").splitlines())


class LoggedProxy:
    """A proxy whose stdout and stderr go to files, so a test can wait for a line while it runs."""

    def __init__(self, cmd, cfg, ready_port):
        self.dir = tempfile.mkdtemp(prefix="lbc-e2e-")
        path = os.path.join(self.dir, "test.cfg")
        with open(path, "w") as f:
            f.write(cfg)
        self.out_path, self.err_path = os.path.join(self.dir, "out"), os.path.join(self.dir, "err")
        with open(self.out_path, "w") as out, open(self.err_path, "w") as err:
            self.proc = subprocess.Popen(shlex.split(cmd) + [path], stdout=out, stderr=err)

        def ready():
            if self.proc.poll() is not None:
                raise AssertionError("proxy exited early: " + self.read(self.err_path))
            return can_connect(ready_port)
        wait_for(ready, 20, "the proxy to accept on %d" % ready_port)

    @staticmethod
    def read(path):
        with open(path, errors="replace") as f:
            return f.read()

    def lines(self, which):
        return self.read(self.err_path if which == "err" else self.out_path).splitlines()

    def wait_line(self, text, which="err"):
        wait_for(lambda: any(text in ln for ln in self.lines(which)), 10, "%r on std%s" % (text, which))

    def stop(self):
        self.proc.send_signal(15)
        try:
            code = self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise
        return code


# ---- the TCP modes, as scripts of the server ---------------------------------------------------------


class Backend(Server):
    """The scriptable server with a TCP mode as its script (the steps work on the socket itself so
    that a reset is recorded as ("error", errno), not taken for a close). `mode` decides what each
    connection gets:
    name: send the name, then echo until EOF, then close.
    hold: send the name, then read until EOF (the client decides when it ends).
    count: read one byte, hold `hold_s`, reply with the name, close; tracks peak concurrency.
    greet_shut: send name, shut the write side, read until EOF and record the bytes seen.
    stream: send the name then data forever, record when the peer goes away.
    sink: record a hash of everything received until EOF, then reply with it and close.
    silent: accept and never answer (reads until EOF).
    ignore_eof: like silent, but keeps its side open after the peer's FIN."""

    def __init__(self, name, mode="name", port=None, hold_s=0.05, host="127.0.0.1"):
        self.mode = mode
        self.hold_s = hold_s
        self.active = 0
        self.peak = 0
        self.events = []  # what connections reported (bytes seen, reset...)
        super().__init__(name, [getattr(self, "_" + mode)], port=port, host=host, backlog=512)

    def _on_error(self, e):
        self._record(("error", e.errno))

    def _record(self, ev):
        with self.lock:
            self.events.append(ev)

    def _name(self, c):
        c.sock.sendall(self.name.encode())
        while True:
            d = c.sock.recv(65536)
            if not d:
                return
            c.sock.sendall(d)

    def _hold(self, c):
        c.sock.sendall(self.name.encode())
        while c.sock.recv(65536):
            pass
        self._record(("closed",))

    def _count(self, c):
        with self.lock:
            self.active += 1
            self.peak = max(self.peak, self.active)
        c.sock.recv(1)
        time.sleep(self.hold_s)  # the work being simulated, not synchronisation
        with self.lock:
            self.active -= 1
        c.sock.sendall(self.name.encode())

    def _greet_shut(self, c):
        c.sock.sendall(self.name.encode())
        c.sock.shutdown(socket.SHUT_WR)
        n = 0
        while True:
            d = c.sock.recv(65536)
            if not d:
                break
            n += len(d)
        self._record(("got", n))

    def _stream(self, c):
        c.sock.sendall(self.name.encode())
        chunk = b"x" * 65536
        try:
            while True:
                c.sock.sendall(chunk)
        except OSError as e:
            self._record(("peer_gone", e.errno))

    def _sink(self, c):
        import hashlib
        h = hashlib.sha256()
        n = 0
        while True:
            d = c.sock.recv(65536)
            if not d:
                break
            h.update(d)
            n += len(d)
        c.sock.sendall(h.hexdigest().encode())
        self._record(("sink", n, h.hexdigest()))

    def _silent(self, c):
        while c.sock.recv(65536):
            pass

    def _ignore_eof(self, c):
        while c.sock.recv(65536):
            pass
        self.stopped.wait(60)  # keeps its side open after the peer's FIN, until the test ends

# Shared pieces of the end-to-end tests: free ports, in-process test backends that report their
# identity and what they saw, and a proxy process started from a configuration text.
# Synchronisation is by readiness (a port that accepts, a pidfile), never by sleeping.
import os
import random
import shlex
import socket
import subprocess
import tempfile
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


class Backend:
    """A TCP server on loopback. `mode` decides what each connection gets:
    name: send the name, then echo until EOF, then close.
    hold: send the name, then read until EOF (the client decides when it ends).
    count: read one byte, hold `hold_s`, reply with the name, close; tracks peak concurrency.
    greet_shut: send name, shut the write side, read until EOF and record the bytes seen.
    stream: send the name then data forever, record when the peer goes away.
    sink: record a hash of everything received until EOF, then reply with it and close.
    silent: accept and never answer (reads until EOF).
    ignore_eof: like silent, but keeps its side open after the peer's FIN."""

    def __init__(self, name, mode="name", port=None, hold_s=0.05, host="127.0.0.1"):
        self.name = name
        self.mode = mode
        self.hold_s = hold_s
        self.port = port or free_port()
        self.lock = threading.Lock()
        self.active = 0
        self.peak = 0
        self.accepted = 0
        self.events = []  # what connections reported (bytes seen, reset...)
        self.sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, self.port))
        self.sock.listen(512)
        self.conns = []
        self.closed = False
        self.stopped = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.accepted += 1
                self.conns.append(c)
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _record(self, ev):
        with self.lock:
            self.events.append(ev)

    def _serve(self, c):
        try:
            getattr(self, "_" + self.mode)(c)
        except OSError as e:
            self._record(("error", e.errno))
        finally:
            try:
                c.close()
            except OSError:
                pass

    def _name(self, c):
        c.sendall(self.name.encode())
        while True:
            d = c.recv(65536)
            if not d:
                return
            c.sendall(d)

    def _hold(self, c):
        c.sendall(self.name.encode())
        while c.recv(65536):
            pass
        self._record(("closed",))

    def _count(self, c):
        with self.lock:
            self.active += 1
            self.peak = max(self.peak, self.active)
        c.recv(1)
        time.sleep(self.hold_s)  # the work being simulated, not synchronisation
        with self.lock:
            self.active -= 1
        c.sendall(self.name.encode())

    def _greet_shut(self, c):
        c.sendall(self.name.encode())
        c.shutdown(socket.SHUT_WR)
        n = 0
        while True:
            d = c.recv(65536)
            if not d:
                break
            n += len(d)
        self._record(("got", n))

    def _stream(self, c):
        c.sendall(self.name.encode())
        chunk = b"x" * 65536
        try:
            while True:
                c.sendall(chunk)
        except OSError as e:
            self._record(("peer_gone", e.errno))

    def _sink(self, c):
        import hashlib
        h = hashlib.sha256()
        n = 0
        while True:
            d = c.recv(65536)
            if not d:
                break
            h.update(d)
            n += len(d)
        c.sendall(h.hexdigest().encode())
        self._record(("sink", n, h.hexdigest()))

    def _silent(self, c):
        while c.recv(65536):
            pass

    def _ignore_eof(self, c):
        while c.recv(65536):
            pass
        self.stopped.wait(60)  # keeps its side open after the peer's FIN, until the test ends

    def stop(self):
        self.stopped.set()
        self.sock.close()
        with self.lock:
            for c in self.conns:
                try:
                    c.close()
                except OSError:
                    pass


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
    return ("listen probe\n    bind 127.0.0.1:%d\n    server probe 127.0.0.1:%d\n" % (port, server_port))


def head(defaults="", global_extra=""):
    return ("global\n    maxconn 2000\n%s\ndefaults\n    mode tcp\n    timeout connect 2s\n"
            "    timeout client 20s\n    timeout server 20s\n%s\n" % (global_extra, defaults))


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

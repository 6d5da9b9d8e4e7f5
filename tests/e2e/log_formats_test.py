#!/usr/bin/env python3
# The log formats besides `option httplog` (issue 12): `option tcplog` on TCP frontends, `option
# httplog clf`, and HAProxy's legacy format (a frontend with `log` but neither option: one
# "Connect from" line per connection). haproxy 2.6 and lbc serve the same configuration and the
# same traffic, one case at a time (each waits for its line, so the connection counters agree);
# the lines received on a unix datagram socket the test owns must be equal once dates, client
# ports and timers are masked. Cases: served, refused by a rule, server down (after retries),
# client gone, legacy HTTP and TCP, and `capture request|response header` in httplog (%hr %hs) and
# httplog clf (%hrl %hsl).
# usage: log_formats_test.py [--proxy "CMD"] [--haproxy PATH]
import argparse
import os
import re
import shlex
import socket
import subprocess
import sys
import tempfile
import threading
from textwrap import dedent

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import free_port, wait_for  # noqa: E402


def head(log_format):
    """The global and defaults sections of these tests: logs to the test's socket in `log_format`,
    the stats socket `idle` asks."""
    return """\
    global
        log unix@{log} format %s local0
        stats socket {admin} level admin
    defaults
        log global
        timeout connect 500ms
        timeout client 5s
        timeout server 5s
        retries 1
""" % log_format


CFG = head("raw") + """\
    frontend legacy
        mode http
        bind 127.0.0.1:{legacy}
        default_backend app
    frontend clf
        mode http
        option httplog clf
        bind 127.0.0.1:{clf}
        http-request deny if {{ path /deny }}
        use_backend down if {{ path /down }}
        default_backend app
    frontend cap
        mode http
        option httplog
        bind 127.0.0.1:{cap}
        capture request header Host len 8
        capture request header X-Long len 32
        capture request header X-Absent len 10
        capture response header Content-Length len 4
        capture response header X-Nope len 3
        http-request deny if {{ path /deny }}
        default_backend app
    frontend clfcap
        mode http
        option httplog clf
        bind 127.0.0.1:{clfcap}
        capture request header user-agent len 5
        capture response header content-length len 10
        default_backend app
    frontend tcp
        mode tcp
        option tcplog
        bind 127.0.0.1:{tcp}
        tcp-request inspect-delay 1s
        tcp-request content reject if {{ req.payload(0,4) -m str QUIT }}
        default_backend tapp
    frontend tcpdown
        mode tcp
        option tcplog
        bind 127.0.0.1:{tcpdown}
        default_backend tdown
    frontend tcplegacy
        mode tcp
        bind 127.0.0.1:{tcplegacy}
        default_backend tapp
    backend app
        mode http
        server a 127.0.0.1:{srv}
    backend down
        mode http
        server d 127.0.0.1:{closed}
    backend tapp
        mode tcp
        server t 127.0.0.1:{srv}
    backend tdown
        mode tcp
        server d 127.0.0.1:{closed}
    """

MASKS = [
    (r"\[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d(\.\d{3})?( \+0000)?\]", "[DATE]"),
    (r"^(\d+\.\d+\.\d+\.\d+):\d+ ", r"\1:PORT "),                                 # tcplog %ci:%cp
    (r"from (\S+):\d+ to (\S+):\d+ ", r"from \1:PORT to \2:PORT "),             # legacy ports
    (r" (-?\d+)/(-?\d+)/\d+ (\d+ \S\S )", lambda m: " %s/%s/TT %s" % (           # tcplog %Tw/%Tc/%Tt
        "TW" if m.group(1) != "-1" else "-1", "TC" if m.group(2) != "-1" else "-1", m.group(3))),
    # clf: %cp %ms, and the timers %TR %Tw %Tc %Tr %Ta (their being set or not is kept)
    # clf: %B (lbc's HTTP heads are not yet byte-equal to haproxy's), %cp, %ms
    (r'" (\d+) \d+ "" "" \d+ \d+ ', r'" \1 BYTES "" "" PORT MS '),
    # httplog: %cp, the timers %TR/%Tw/%Tc/%Tr/%Ta (set or not), %B
    (r"^(\d+\.\d+\.\d+\.\d+):\d+ \[", r"\1:PORT ["),
    (r" (-?\d+)/(-?\d+)/(-?\d+)/(-?\d+)/(-?\d+) (\d+) \d+ ", lambda m: " %s %s BYTES " % ("/".join(
        "-1" if v == "-1" else "T" for v in m.groups()[:5]), m.group(6))),
    (r'("[^"]*" "[^"]*" "[^"]*") (-?\d+) (-?\d+) (-?\d+) (-?\d+) (-?\d+) ', lambda m: m.group(1) + " " + " ".join(
        "-1" if v == "-1" else "T" for v in m.groups()[1:]) + " "),
]


def mask(line):
    for pat, rep in MASKS:
        line = re.sub(pat, rep, line)
    return line


class Backend:
    """An HTTP server that answers each request with a fixed response, closing after it."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _serve(self, c):
        with c:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = c.recv(4096)
                if not chunk:
                    return
                data += chunk
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")


def exchange(port, data, shut=False):
    """Sends `data`, reads to EOF (or a reset); returns what came back."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(data)
        if shut:
            s.shutdown(socket.SHUT_WR)
        out = b""
        while True:
            try:
                chunk = s.recv(4096)
            except ConnectionResetError:
                return out
            if not chunk:
                return out
            out += chunk


def get(path):
    return b"GET %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n" % path.encode()


# (name, frontend, what the client does, lines the case logs)
CASES = [
    ("legacy HTTP", "legacy", lambda p: exchange(p, get("/")), 1),
    ("clf served", "clf", lambda p: exchange(p, get("/ok?a=1")), 1),
    ("clf denied", "clf", lambda p: exchange(p, get("/deny")), 1),
    ("clf server down", "clf", lambda p: exchange(p, get("/down")), 1),
    ("captures served", "cap", lambda p: exchange(
        p, b"GET /c HTTP/1.1\r\nHost: example.com\r\nX-Long: first\r\nX-Long: a|b{c}d\"e#f \xc3\xa9\r\n"
           b"Connection: close\r\n\r\n"), 1),
    ("captures denied", "cap", lambda p: exchange(p, get("/deny")), 1),
    ("captures bad request", "cap", lambda p: exchange(p, b"GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n"), 1),
    ("captures clf", "clfcap", lambda p: exchange(
        p, b"GET /clf HTTP/1.1\r\nHost: t\r\nUser-Agent: curl/8.0\r\nConnection: close\r\n\r\n"), 1),
    ("tcplog served", "tcp", lambda p: exchange(p, get("/tcp"), shut=True), 1),
    ("tcplog rejected", "tcp", lambda p: exchange(p, b"QUIT"), 1),
    ("tcplog server down", "tcpdown", lambda p: exchange(p, b"x"), 1),
    ("legacy TCP", "tcplegacy", lambda p: exchange(p, get("/legacy"), shut=True), 1),
]


def listening(ports):
    """Whether every port has a listening socket (read from /proc: a probe connection would log)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            next(f)
            for line in f:
                parts = line.split()
                if parts[3] == "0A":
                    found.add(int(parts[1].rsplit(":", 1)[1], 16))
    return set(ports) <= found


def idle(admin):
    """Whether the proxy has no connection left (`show info` CurrConns: 0; the CLI's own is not one):
    the %ac/%fc counters of the next case's line must not see the previous case's connection."""
    try:
        r = subprocess.run(["socat", "-t", "2", "-", "UNIX-CONNECT:" + admin], input=b"show info\n",
                           capture_output=True, timeout=10)
    except subprocess.TimeoutExpired:
        return False
    return b"\nCurrConns: 0\n" in r.stdout


def run(cmd, tmp, name, cfg_text=CFG, cases=CASES):
    """Serves cfg_text with cmd and plays the cases: [(case, line)] for the lines they logged."""
    backend = Backend()
    closed = free_port()
    ports = {fe: free_port() for fe in dict.fromkeys(c[1] for c in cases)}
    log_path = os.path.join(tmp, name + ".log.sock")
    admin = os.path.join(tmp, name + ".admin.sock")
    logs = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    logs.bind(log_path)
    logs.settimeout(10)
    cfg = os.path.join(tmp, name + ".cfg")
    with open(cfg, "w") as f:
        f.write(dedent(cfg_text).format(log=log_path, admin=admin, srv=backend.port, closed=closed, **ports))
    proc = subprocess.Popen(cmd + [cfg], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    got = []
    try:
        wait_for(lambda: proc.poll() is None and listening(ports.values()), 20,
                 name + " to listen")
        for case, fe, act, n in cases:
            wait_for(lambda: idle(admin), 10, name + " to close the previous case's connections")
            act(ports[fe])
            for _ in range(n):
                try:
                    got.append((case, logs.recv(65536).decode().rstrip("\n")))
                except socket.timeout:
                    raise AssertionError("%s: no log line for %s" % (name, case))
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=20)
        logs.close()
        backend.sock.close()
        if err.strip():
            print("%s stderr:\n%s" % (name, err))
    return got


def compare(ref, lbc, same=lambda a, b: mask(a) == mask(b)):
    """Prints each case's line against haproxy's; the number of differences."""
    bad = 0
    for (case, want), (_, have) in zip(ref, lbc):
        ok = same(want, have)
        bad += not ok
        print("%s %-34s %s" % ("ok  " if ok else "FAIL", case, have))
        if not ok:
            print("     haproxy: %s\n     masked:  %s\n     lbc:     %s" % (want, mask(want), mask(have)))
    if len(ref) != len(lbc):
        print("FAIL: %d lines from haproxy, %d from lbc" % (len(ref), len(lbc)))
        bad += 1
    return bad


def parse_args():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--proxy", default=os.path.join(here, "../../build/lbc") + " run")
    ap.add_argument("--haproxy", default="/usr/sbin/haproxy")
    return ap.parse_args()


def main():
    args = parse_args()
    if not os.path.exists(args.haproxy):
        print("haproxy 2.6 (%s) is needed for this comparison" % args.haproxy)
        return 1
    tmp = tempfile.mkdtemp(prefix="lbc-logfmt-")
    ref = run([args.haproxy, "-db", "-f"], tmp, "haproxy")
    lbc = run(shlex.split(args.proxy), tmp, "lbc")
    bad = compare(ref, lbc)
    print("all passed" if not bad else "%d failed" % bad)
    return 1 if bad else 0

if __name__ == "__main__":
    sys.exit(main())

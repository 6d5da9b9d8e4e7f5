#!/usr/bin/env python3
# End-to-end tests of HTTP balancing and of the seeds' HTTP samples, over real loopback sockets.
# Balancing by uri / url_param / hdr is compared request by request with haproxy 2.6 running the
# same configuration: both must send every request to the same server.
# usage: http_samples_test.py [--proxy "CMD"] [--haproxy PATH] [--only NAME,...]
import argparse
import http.server
import os
import shutil
import signal
import socket
import socketserver
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import run_tests, Proxy, free_port  # noqa: E402

ARGS = None
TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


class Named(http.server.BaseHTTPRequestHandler):
    """Answers every request with the server's name; records the path it saw."""
    protocol_version = "HTTP/1.1"

    def _answer(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
        with self.server.lock:
            self.server.paths.append(self.path)
        out = self.server.name.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    do_GET = do_POST = do_HEAD = _answer

    def log_message(self, *a):
        pass


class NamedServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # health checks and proxies closing connections: resets are expected, other errors not
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def __init__(self, name):
        super().__init__(("127.0.0.1", 0), Named)
        self.name = name
        self.lock = threading.Lock()
        self.paths = []
        self.port = self.server_address[1]
        threading.Thread(target=self.serve_forever, daemon=True).start()


def get(port, path, headers=(), timeout=10):
    """One request on its own connection; returns (status, body)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        host = "" if any(k.lower() == "host" for k, _ in headers) else "Host: test\r\n"
        req = "GET %s HTTP/1.1\r\n%s%sConnection: close\r\n\r\n" % (
            path, host, "".join("%s: %s\r\n" % h for h in headers))
        s.sendall(req.encode())
        data = b""
        while True:
            d = s.recv(65536)
            if not d:
                break
            data += d
    finally:
        s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/") else 0
    return status, body.decode("latin-1")


def balance_config(fe, servers, balance, hash_type="", weights=None):
    lines = ["global", "    maxconn 200", "defaults", "    mode http", "    timeout connect 2s",
             "    timeout client 10s", "    timeout server 10s",
             "frontend web", "    bind 127.0.0.1:%d" % fe, "    default_backend app",
             "backend app", "    balance " + balance]
    if hash_type:
        lines.append("    hash-type " + hash_type)
    for i, s in enumerate(servers):
        w = " weight %d" % weights[i] if weights else ""
        lines.append("    server %s 127.0.0.1:%d%s" % (s.name, s.port, w))
    return "\n".join(lines) + "\n"


def choices(cmd, balance, hash_type, requests, weights=None):
    """The server that each request reached through the proxy `cmd`."""
    servers = [NamedServer("s%d" % i) for i in range(1, 5)]
    fe = free_port()
    p = Proxy(cmd, balance_config(fe, servers, balance, hash_type, weights), ready_port=fe)
    try:
        out = []
        for path, headers in requests:
            st, body = get(fe, path, headers)
            assert st == 200, (path, st, body)
            out.append(body)
        return out
    finally:
        p.stop()
        for s in servers:
            s.shutdown()
            s.server_close()


URIS = ["/", "/index.html", "/a/b/c", "/a/b/d", "/a/x/y?q=1", "/a/x/y?q=2", "/img/logo.png",
        "/img/logo.png?v=3", "/api/v1/users/42", "/api/v1/users/43", "/api/v2/items", "/static/css/site.css",
        "/x", "/y", "/z?", "/long/" + "seg/" * 20 + "end", "/%41%42", "/~user",
        "/a/b/c", "/index.html"]


def compare(balance, hash_type, requests, weights=None):
    if not ARGS.haproxy:
        print("  (haproxy not found: checking stability only)")
    ours = choices(ARGS.proxy, balance, hash_type, requests, weights)
    again = choices(ARGS.proxy, balance, hash_type, requests, weights)
    assert ours == again, "not stable across runs: %s vs %s" % (ours, again)
    if ARGS.haproxy:
        ref = choices(ARGS.haproxy + " -db -f", balance, hash_type, requests, weights)
        diff = [(r, a, b) for r, a, b in zip(requests, ours, ref) if a != b]
        assert not diff, "balance %s / %s: lbc and haproxy differ on %s" % (balance, hash_type, diff)
    return ours


def uri_requests():
    return [(u, ()) for u in URIS]


@test
def balance_uri_matches_haproxy():
    for bal in ["uri", "uri whole", "uri depth 2", "uri len 6", "uri depth 1 whole"]:
        for ht in ["", "consistent", "map-based djb2", "map-based wt6", "map-based crc32",
                   "consistent sdbm avalanche", "map-based crc32 avalanche"]:
            got = compare(bal, ht, uri_requests())
            # the same URI always reaches the same server
            assert got[URIS.index("/a/b/c")] == got[18] and got[URIS.index("/index.html")] == got[19]
            if bal == "uri":
                assert got[4] == got[5] and got[6] == got[7], got  # the query string is not hashed
    got = compare("uri", "", uri_requests(), weights=[1, 2, 3, 4])
    got = compare("uri", "consistent", uri_requests(), weights=[1, 2, 3, 4])
    # every hash function on the ring, with unequal weights (the ring's points depend on them)
    for ht in ["consistent djb2", "consistent wt6", "consistent crc32", "consistent djb2 avalanche",
               "consistent wt6 avalanche", "consistent crc32 avalanche"]:
        compare("uri", ht, uri_requests(), weights=[3, 1, 2, 5])
    assert len(set(compare("uri", "", uri_requests()))) > 1, "everything on one server"


@test
def balance_url_param_matches_haproxy():
    reqs = [("/p?user=%d" % i, ()) for i in range(12)]
    reqs += [("/p?a=1&user=7&b=2", ()), ("/p?user=7", ()), ("/p?User=7", ()), ("/p?user=", ()),
             ("/p?xuser=7", ()), ("/p?a=b&user=3;x", ())]
    for ht in ["", "consistent", "map-based djb2 avalanche"]:
        got = compare("url_param user", ht, reqs)
        assert got[7] == got[12] == got[13], got
    # without the parameter: round robin over all the servers
    got = compare("url_param user", "", [("/none", ())] * 8)
    assert sorted(set(got)) == ["s1", "s2", "s3", "s4"], got


@test
def balance_hdr_matches_haproxy():
    reqs = [("/", (("X-User", "u%d" % i),)) for i in range(12)]
    reqs += [("/", (("x-user", "u3"),)), ("/", (("X-User", "u3, u9"),)), ("/", (("X-User", " u3 "),))]
    for ht in ["", "consistent", "map-based wt6"]:
        got = compare("hdr(X-User)", ht, reqs)
        assert got[3] == got[12] == got[13] == got[14], got
    got = compare("hdr(X-User)", "", [("/", ())] * 8)
    assert sorted(set(got)) == ["s1", "s2", "s3", "s4"], got
    hosts = [("/", (("X-Host", h),)) for h in ["www.example.com", "img.example.com", "example.com",
                                               "www.other.org", "localhost", "a.b.c.d.e", "x.example.com."]]
    got = compare("hdr(X-Host) use_domain_only", "", hosts)
    assert got[0] == got[1] == got[2], got


class FixedNamedServer(NamedServer):
    def __init__(self, name, port, handler=None):
        socketserver.TCPServer.allow_reuse_address = True
        http.server.HTTPServer.__init__(self, ("127.0.0.1", port), handler or Named)
        self.name = name
        self.lock = threading.Lock()
        self.paths = []
        self.port = port
        threading.Thread(target=self.serve_forever, daemon=True).start()


def sample(name):
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "../../samples", name)) as f:
        return f.read()


@test
def sample_roundrobin_alternates():
    # samples/roundrobin.cfg as written (fixed ports 8080 -> 8001, 8002, health-checked)
    servers = [FixedNamedServer("webserver1", 8001), FixedNamedServer("webserver2", 8002)]
    p = Proxy(ARGS.proxy, sample("roundrobin.cfg"), ready_port=8080)
    try:
        got = [get(8080, "/r%d" % i)[1] for i in range(8)]
        assert got == ["webserver1", "webserver2"] * 4, got
        assert servers[0].paths == ["/r0", "/r2", "/r4", "/r6"], servers[0].paths
    finally:
        p.stop()
        for s in servers:
            s.shutdown()
            s.server_close()


class SlowNamed(Named):
    """Holds each request `hold` seconds and tracks the peak of concurrent requests."""

    def _answer(self):
        srv = self.server
        with srv.lock:
            srv.active += 1
            srv.peak = max(srv.peak, srv.active)
        try:
            time.sleep(srv.hold)  # the work being measured, not synchronisation
        finally:
            # The request leaves the count before its response is written: once the proxy has
            # the response it may hand this server the next queued request, and counting after
            # the write let that one overlap (a peak of 31 seen under ASan, a test race).
            with srv.lock:
                srv.active -= 1
        super()._answer()

    do_GET = _answer


class SlowServer(FixedNamedServer):
    def __init__(self, name, port, hold):
        self.active = self.peak = 0
        self.hold = hold
        socketserver.TCPServer.allow_reuse_address = True
        http.server.HTTPServer.__init__(self, ("127.0.0.1", port), SlowNamed)
        self.name = name
        self.lock = threading.Lock()
        self.paths = []
        self.port = port
        threading.Thread(target=self.serve_forever, daemon=True).start()

    request_queue_size = 512


def start_sample(cfg, port):
    """The proxy on a sample. A sample lbc refuses is a failure: every sample must run."""
    try:
        return Proxy(ARGS.proxy, cfg, ready_port=port)
    except AssertionError as e:
        if "exited early" in str(e):
            raise AssertionError("lbc refuses the sample: " + str(e).split(": ", 1)[-1].strip()) from None
        raise


def serve_sample(cfg_name, servers, check, handler=None):
    made = [FixedNamedServer(n, port, handler) for n, port in servers]
    p = start_sample(sample(cfg_name), 8080)
    try:
        check(made)
    finally:
        p.stop()
        for s in made:
            s.shutdown()
            s.server_close()


@test
def sample_acl_routing():
    def check(made):
        names = lambda reqs: [get(8080, path, hdrs)[1] for path, hdrs in reqs]  # noqa: E731
        assert names([("/", (("Host", "API.example.com"),))] * 4) == ["api1", "api2"] * 2
        assert names([("/static/x.css", ())] * 2) == ["static1"] * 2
        assert names([("/static", ()), ("/other", ()), ("/static/", (("Host", "api.example.com"),))]) == \
            ["web1", "web2", "api1"]
    serve_sample("acl_routing.cfg", [("api1", 8001), ("api2", 8002), ("static1", 8101), ("web1", 8201),
                                     ("web2", 8202)], check)


class NewsNamed(Named):
    """For samples/news_content_switching.cfg: the health pages answer what the checks expect
    (GOOD on /health, KEYWORD on /) unless the test broke them (server.sick); /user pages set the
    application's session cookie; every answer names the server and the cookie it saw."""

    def _answer(self):
        srv = self.server
        with srv.lock:
            srv.paths.append(self.path)
            sick = getattr(srv, "sick", False)
        body = srv.name
        if self.path == "/health":
            body = "BAD" if sick else "GOOD"
        elif self.path == "/":
            body = "KEYWORD"
        body += "|" + (self.headers.get("Cookie") or "-")
        self.send_response(200)
        if self.path.startswith("/user"):
            self.send_header("Set-Cookie", "PHPSESSID=s-%s; path=/" % srv.name)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    do_GET = do_POST = do_HEAD = do_OPTIONS = _answer


@test
def sample_news_content_switching():
    def check(made):
        def name(path, hdrs=()):
            return get(8080, path, hdrs)[1].split("|")[0]
        got = [name(p) for p in ["/user/1", "/profile", "/user/2", "/page/a", "/page/a", "/page/b"]]
        # roundrobin over the application servers (the checks do not take turns from it)
        assert got[0] != got[1] and got[0] == got[2] and {got[0], got[1]} == {"APP1", "APP2"}, got
        assert got[3] == got[4] and got[3] in ("CACHE1", "CACHE2"), got
        # cookie PHPSESSID prefix: the server's session cookie comes back prefixed with its cookie
        # value, and a client sending it back reaches that server, which sees its own value
        s = socket.create_connection(("127.0.0.1", 8080), timeout=10)
        s.sendall(b"GET /user/x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        out = b""
        while True:
            d = s.recv(65536)
            if not d:
                break
            out += d
        s.close()
        who = out.split(b"\r\n\r\n", 1)[1].split(b"|")[0].decode()
        assert ("\r\nset-cookie: PHPSESSID=%s~s-%s; path=/\r\n" % (who.lower(), who)).encode() in out, out
        for srv in ("app1", "app2"):
            for _ in range(3):
                body = get(8080, "/profile", (("Cookie", "PHPSESSID=%s~abc" % srv),))[1]
                assert body == "%s|PHPSESSID=abc" % srv.upper(), body
        # the checks: /health on the applications, / on the caches (first ones spread over inter)
        deadline = time.monotonic() + 10
        while not ("/health" in made[0].paths and "/" in made[2].paths and "/" in made[3].paths):
            assert time.monotonic() < deadline, [m.paths for m in made]
            time.sleep(0.05)
        # APP1's health page stops saying GOOD: after `fall` (3) checks at `inter` (2s) it is
        # down, and even its cookie leads to APP2
        with made[0].lock:
            made[0].sick = True
        deadline = time.monotonic() + 30
        while name("/profile", (("Cookie", "PHPSESSID=app1~abc"),)) != "APP2":
            assert time.monotonic() < deadline, "APP1 never went down"
            time.sleep(0.2)  # polling the proxy's view, bounded by the deadline
        assert all(name("/user/%d" % i) == "APP2" for i in range(4))
    serve_sample("news_content_switching.cfg", [("APP1", 8001), ("APP2", 8002), ("CACHE1", 8101),
                                                ("CACHE2", 8102)], check, NewsNamed)


@test
def sample_maxconn_queue_250_requests():
    servers = [SlowServer("server1", 8001, 0.05), SlowServer("server2", 8002, 0.05)]
    p = start_sample(sample("maxconn_queue.cfg"), 8080)
    try:
        results = []
        lock = threading.Lock()

        def one(i):
            r = get(8080, "/q%d" % i, timeout=60)
            with lock:
                results.append(r)
        threads = [threading.Thread(target=one, args=(i,)) for i in range(250)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(90)
        assert len(results) == 250 and all(st == 200 for st, _ in results), \
            sorted(set(st for st, _ in results))
        for s in servers:
            assert 0 < s.peak <= 30, (s.name, s.peak)
        assert sum(len(s.paths) for s in servers) == 250
        print("  peaks:", [s.peak for s in servers])
    finally:
        p.stop()
        for s in servers:
            s.shutdown()
            s.server_close()


@test
def slowloris_bounded():
    # samples/slowloris.cfg: 500 clients send their request head 1 byte per second; its
    # 'timeout http-request 5s' answers them 408 while an ordinary client is still served at once
    # (and the sample's httpclose closes that client's keep-alive connection after the answer).
    srv = FixedNamedServer("apache", 8001)
    p = None
    socks = []
    try:
        p = start_sample(sample("slowloris.cfg"), 8080)
        for _ in range(500):
            socks.append(socket.create_connection(("127.0.0.1", 8080), timeout=10))
        head = b"GET /slow HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 100
        t0 = time.monotonic()
        for k in range(8):  # 1 byte per second per connection, for longer than the timeout
            for s in socks:
                try:
                    s.sendall(head[k:k + 1])
                except OSError:
                    pass
            t1 = time.monotonic()
            # a keep-alive request: httpclose still ends the connection after the answer
            c = socket.create_connection(("127.0.0.1", 8080), timeout=5)
            c.sendall(b"GET /fast HTTP/1.1\r\nHost: x\r\n\r\n")
            data = b""
            while True:
                d = c.recv(65536)
                if not d:
                    break
                data += d
            c.close()
            assert data.startswith(b"HTTP/1.1 200") and data.endswith(b"apache"), data
            assert time.monotonic() - t1 < 2.0, "an ordinary request waited %.1fs" % (time.monotonic() - t1)
            time.sleep(max(0.0, t0 + k + 1 - time.monotonic()))  # the client's pace, not synchronisation
        answers = {}
        for i, s in enumerate(socks):
            s.settimeout(15)
            data = b""
            try:
                while True:
                    d = s.recv(4096)
                    if not d:
                        break
                    data += d
            except ConnectionResetError:
                pass
            answers[i] = data
        bad = [i for i, d in answers.items() if not d.startswith(b"HTTP/1.1 408")]
        assert not bad, "%d slow clients did not get 408: %r" % (len(bad), answers[bad[0]][:80])
        assert "/slow" not in srv.paths and srv.paths.count("/fast") == 8, srv.paths
    finally:
        for s in socks:
            s.close()
        if p:
            p.stop()
        srv.shutdown()
        srv.server_close()


class Recording(Named):
    """Named, and records per request the client port it came from and its headers."""

    def _answer(self):
        with self.server.lock:
            self.server.seen.append((self.client_address[1], [(k.lower(), v) for k, v in self.headers.items()]))
        super()._answer()

    do_GET = _answer


class RecordingServer(FixedNamedServer):
    def __init__(self, name, port, host="127.0.0.1"):
        self.seen = []
        socketserver.TCPServer.allow_reuse_address = True
        http.server.HTTPServer.__init__(self, (host, port), Recording)
        self.name = name
        self.lock = threading.Lock()
        self.paths = []
        self.port = port
        threading.Thread(target=self.serve_forever, daemon=True).start()


def read_response(s):
    """One response (Content-Length framed) from socket `s`: (status, headers dict, body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        d = s.recv(65536)
        assert d, "connection closed before a response head: %r" % data
        data += d
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    hdrs = {k.strip().lower(): v.strip() for k, _, v in (l.partition(":") for l in lines[1:])}
    n = int(hdrs.get("content-length", "0"))
    while len(rest) < n:
        d = s.recv(65536)
        assert d, "connection closed in a response body"
        rest += d
    assert len(rest) == n, "bytes after the response: %r" % rest[n:]
    return int(lines[0].split()[1]), hdrs, rest.decode("latin-1")


def both_proxies():
    """lbc, then haproxy 2.6 when present: (label, command) pairs."""
    return [("lbc", ARGS.proxy)] + ([("haproxy", ARGS.haproxy + " -db -f")] if ARGS.haproxy else [])


@test
def sample_keepalive_server_close():
    # samples/keepalive.cfg (seed 002): `option http-server-close` keeps the client connection
    # alive while each request gets its own server connection. Three requests on one client
    # connection: three responses on it, three server connections; the same as haproxy.
    got = {}
    for label, cmd in both_proxies():
        srv = RecordingServer("srv", 8001)
        p = start_sample(sample("keepalive.cfg"), 8080) if label == "lbc" else \
            Proxy(cmd, sample("keepalive.cfg"), ready_port=8080)
        assert p, "lbc refuses samples/keepalive.cfg"
        try:
            c = socket.create_connection(("127.0.0.1", 8080), timeout=10)
            bodies = []
            for i in range(3):
                c.sendall(b"GET /k%d HTTP/1.1\r\nHost: test\r\n\r\n" % i)
                st, hdrs, body = read_response(c)
                assert st == 200 and hdrs.get("connection", "") != "close", (label, st, hdrs)
                bodies.append(body)
            c.close()
            ports = [port for port, _ in srv.seen]
            conn_hdrs = [[v for k, v in h if k == "connection"] for _, h in srv.seen]
            got[label] = (bodies, len(set(ports)), conn_hdrs, srv.paths)
        finally:
            p.stop()
            srv.shutdown()
            srv.server_close()
    assert got["lbc"][0] == ["srv"] * 3 and got["lbc"][1] == 3, got["lbc"]
    if "haproxy" in got:
        assert got["lbc"] == got["haproxy"], got


@test
def sample_aloha_http_mode_round_robin():
    # samples/aloha_http_mode.cfg (seed 000): mode http in frontend and backend, two web servers
    # in round robin; every request alternates, as with haproxy.
    got = {}
    for label, cmd in both_proxies():
        servers = [RecordingServer("websrv1", 8001), RecordingServer("websrv2", 8002)]
        p = start_sample(sample("aloha_http_mode.cfg"), 8080) if label == "lbc" else \
            Proxy(cmd, sample("aloha_http_mode.cfg"), ready_port=8080)
        assert p, "lbc refuses samples/aloha_http_mode.cfg"
        try:
            got[label] = [get(8080, "/a%d" % i) for i in range(6)]
        finally:
            p.stop()
            for s in servers:
                s.shutdown()
                s.server_close()
    assert got["lbc"] == [(200, "websrv1"), (200, "websrv2")] * 3, got["lbc"]
    if "haproxy" in got:
        assert got["lbc"] == got["haproxy"], got


def normalise_httplog(line):
    """An httplog line with what differs from run to run (ports, dates, timers, counters) masked,
    and the byte count (see below)."""
    import re
    line = re.sub(r"^(\S+):\d+ ", r"\1:PORT ", line.strip())
    line = re.sub(r"\[\d\d/\w+/\d{4}:\d\d:\d\d:\d\d\.\d{3}\]", "[DATE]", line)
    line = re.sub(r" -?\d+/-?\d+/-?\d+/-?\d+/-?\d+ ", " T/T/T/T/T ", line)
    # %B: lbc logs the bytes sent to the client; haproxy 2.6 its internal HTX size (docs/differences.md)
    return re.sub(r"^(\S+ \[DATE\] \S+ \S+ T/T/T/T/T \d+ )\d+ ", r"\1B ", line)


@test
def sample_ipv6_gateway():
    # samples/ipv6_gateway.cfg (seed 002): IPv6 clients ([::1]:8080) reach IPv4 servers, as do
    # IPv4 clients (127.0.0.1:8080); `log stdout format raw` + `option httplog` write one line per
    # request in haproxy's layout (compared with haproxy's own lines, timers and dates masked).
    if not socket.has_ipv6:
        print("  (no IPv6 on this machine)")
    got = {}
    for label, cmd in both_proxies():
        servers = [RecordingServer("app1", 8001), RecordingServer("app2", 8002)]
        p = start_sample(sample("ipv6_gateway.cfg"), 8080) if label == "lbc" else \
            Proxy(cmd, sample("ipv6_gateway.cfg"), ready_port=8080)
        assert p, "lbc refuses samples/ipv6_gateway.cfg"
        try:
            out = []
            for host in ("::1", "127.0.0.1", "::1", "127.0.0.1"):
                c = socket.create_connection((host, 8080), timeout=10)
                c.sendall(b"GET /v6 HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n")
                out.append(read_response(c)[::2])
                c.close()
        finally:
            # SIGUSR1: a soft stop lets the last transaction end, and be logged, before the exit
            p.stop(sig=signal.SIGUSR1)
            for s in servers:
                s.shutdown()
                s.server_close()
        lines = [normalise_httplog(l) for l in p.out.splitlines() if "GET /v6" in l]
        got[label] = (out, lines)
    out, lines = got["lbc"]
    assert out == [(200, "app1"), (200, "app2")] * 2, out
    # a line is written when its transaction ends, which may be after the client read the answer
    # and sent the next request: compared in order of their text
    assert len(lines) == 4, lines
    starts = sorted(ln.split(" T/T/T/T/T ")[0] for ln in lines)
    assert starts == ["127.0.0.1:PORT [DATE] ft_myappli bk_myappli/app2"] * 2 + \
        ["::1:PORT [DATE] ft_myappli bk_myappli/app1"] * 2, lines
    if "haproxy" in got:
        # as a set of lines: haproxy may write a line after the next request's under load
        assert (out, sorted(lines)) == (got["haproxy"][0], sorted(got["haproxy"][1])), got


def main():
    global ARGS
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--proxy", default=os.path.join(here, "../../build/compiler/lbc") + " run")
    ap.add_argument("--haproxy", default=shutil.which("haproxy") or "/usr/sbin/haproxy")
    ap.add_argument("--only", default="")
    ap.add_argument("--build", default="", help="lbc binary: serve with `lbc build` executables")
    ARGS = ap.parse_args()
    if ARGS.build:
        ARGS.proxy = "%s %s %s" % (sys.executable, os.path.join(here, "build_run.py"), ARGS.build)
        if not ARGS.only:
            # balance_* test the runtime's hashing (the same library in both), over ~90
            # configurations: at one `lbc build` (~2 s) each they stay with `lbc run` only.
            ARGS.only = ",".join(fn.__name__ for fn in TESTS if not fn.__name__.startswith("balance_"))
    if not os.path.exists(ARGS.haproxy.split()[0]):
        ARGS.haproxy = ""
    return run_tests(TESTS, ARGS.only)


if __name__ == "__main__":
    sys.exit(main())

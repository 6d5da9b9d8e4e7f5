#!/usr/bin/env python3
# `tcp-request content` and `stick` rules in `mode http` proxies (issue 9): the one analyser
# sequence runs them at HAProxy's places (frontend content rules before the http-request rules,
# the backend's after backend selection, stick match before the server choice, store once the
# server is known). Each test runs the same configuration under haproxy 2.6 and lbc and compares
# what the clients saw, then checks the expected values themselves (so a shared mistake fails too).
# usage: http_tcp_rules_test.py [--proxy "CMD"] [--build LBC] [--only NAME,...]
import argparse
import http.server
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Backend, Proxy, connect_name, free_port, run_tests  # noqa: E402

ARGS = None
TESTS = []
HAPROXY = "/usr/sbin/haproxy"
HERE = os.path.dirname(os.path.abspath(__file__))


def test(fn):
    TESTS.append(fn)
    return fn


class HttpBackend:
    """An HTTP server answering `NAME x-v=<x-v> x-w=<x-w> body=<bytes received>`."""

    def __init__(self, name):
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self):
                n = int(self.headers.get("content-length") or 0)
                got = self.rfile.read(n) if n else b""
                body = ("%s x-v=%s x-w=%s body=%d" % (outer.name, self.headers.get("x-v"),
                                                      self.headers.get("x-w"), len(got))).encode()
                self.send_response(200)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

            def log_message(self, *a):
                pass

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):
                pass  # health checks connect and close

        self.name = name
        self.srv = Server(("127.0.0.1", 0), Handler)
        self.port = self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def stop(self):
        self.srv.shutdown()
        self.srv.server_close()


def request(port, path="/", headers=(), body=b"", src=None, body_delay=0.0, length=None):
    """One request on its own connection: the response body, or 'closed' when the proxy closed or
    reset the connection without a response. With body_delay the body follows the head later;
    `length` announces a body longer than the one sent."""
    s = socket.socket()
    s.settimeout(10)
    if src:
        s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    head = "%s %s HTTP/1.1\r\nhost: t\r\nconnection: close\r\n" % ("POST" if body else "GET", path)
    head += "".join("%s: %s\r\n" % h for h in headers)
    if body:
        head += "content-length: %d\r\n" % (len(body) if length is None else length)
    try:
        s.sendall((head + "\r\n").encode())
        if body:
            time.sleep(body_delay)
            s.sendall(body)
        data = b""
        while True:
            d = s.recv(65536)
            if not d:
                break
            data += d
    except (ConnectionResetError, BrokenPipeError):
        data = b""
    finally:
        s.close()
    if not data:
        return "closed"
    status = data.split(b"\r\n", 1)[0].decode()
    return status if " 200 " not in status else data.split(b"\r\n\r\n", 1)[1].decode()


def both(config, scenario):
    """Runs `scenario(ports)` against haproxy and lbc serving `config` (a template whose {fe},
    {fe2} are free ports), each with fresh backends; returns {label: result}."""
    if not os.path.exists(HAPROXY):
        raise AssertionError("%s is needed for this comparison" % HAPROXY)
    got = {}
    for label, cmd in (("haproxy", HAPROXY + " -db -f"), ("lbc", ARGS.proxy)):
        ports = {"fe": free_port(), "fe2": free_port()}
        p = Proxy(cmd, config.format(**ports), ports["fe"])
        try:
            got[label] = scenario(ports)
        finally:
            p.stop()
    return got


HEAD = """global
    maxconn 100
defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
"""


@test
def content_rules_run_in_haproxys_order():
    # Frontend content rules run before the frontend's http-request rules, the backend's after
    # them (and after backend selection), before the backend's http-request rules.
    s1 = HttpBackend("s1")
    try:
        cfg = HEAD + """
frontend fe
    bind 127.0.0.1:{fe}
    tcp-request content set-var(txn.fv) src
    tcp-request content reject if {{ src 127.0.0.2 }}
    http-request set-header x-v "%[var(txn.fv)],%[var(txn.bv)]"
    default_backend be
backend be
    tcp-request content set-var(txn.bv) req.hdr(host)
    tcp-request content reject if {{ req.hdr(x-block) -m found }}
    http-request set-header x-w "%[var(txn.fv)],%[var(txn.bv)]"
    server s1 127.0.0.1:""" + str(s1.port) + "\n"

        def scenario(ports):
            return [request(ports["fe"]),
                    request(ports["fe"], src="127.0.0.2"),
                    request(ports["fe"], headers=[("x-block", "1")]),
                    request(ports["fe"], path="/again")]

        got = both(cfg, scenario)
    finally:
        s1.stop()
    assert got["lbc"] == got["haproxy"], got
    ok = "s1 x-v=127.0.0.1, x-w=127.0.0.1,t body=0"
    assert got["lbc"] == [ok, "closed", "closed", ok], got


@test
def inspect_delay_waits_for_the_body():
    # With an inspect delay a rule on req.len waits for more of the request (here its body, sent
    # after the head); without enough data the delay ends and the next rule rejects. Payload
    # fetches find nothing in an HTTP stream (HAProxy: "meaningless for HTX buffers").
    s1 = HttpBackend("s1")
    try:
        cfg = HEAD + """
frontend fe
    bind 127.0.0.1:{fe}
    tcp-request inspect-delay 800ms
    tcp-request content reject if {{ req.payload(0,4) -m found }}
    tcp-request content accept if {{ req.len ge 1500 }}
    tcp-request content reject
    default_backend be
backend be
    server s1 127.0.0.1:""" + str(s1.port) + "\n"

        def scenario(ports):
            t0 = time.monotonic()
            late = request(ports["fe"], body=b"x" * 2000, body_delay=0.3)
            t1 = time.monotonic()
            short = request(ports["fe"], body=b"y" * 10)
            t2 = time.monotonic()
            cut = request(ports["fe"], body=b"z" * 10, length=2000)
            t3 = time.monotonic()
            # the first waited for its body; the second was whole, so final at once; the third
            # waited for the whole delay
            return [late, short, cut, when(t1 - t0), when(t2 - t1), when(t3 - t2)]

        got = both(cfg, scenario)
    finally:
        s1.stop()
    assert got["lbc"] == got["haproxy"], got
    assert got["lbc"] == ["s1 x-v=None x-w=None body=2000", "closed", "closed", "body", "at once", "delay"], got


def when(seconds):
    """How long a request took, against the 0.3s body delay and the 0.8s inspect delay."""
    return "at once" if seconds < 0.2 else "body" if seconds < 0.65 else "delay" if seconds < 2 else "late"


def sample_config():
    """samples/sticky_http_https.cfg without its stats socket, on free ports; returns the
    template and the backends' port substitutions."""
    with open(os.path.join(HERE, "../../samples/sticky_http_https.cfg")) as f:
        text = f.read()
    text = "\n".join(ln for ln in text.splitlines() if "stats socket" not in ln) + "\n"
    text = text.replace("{", "{{").replace("}", "}}")
    text = text.replace("bind :8080", "bind 127.0.0.1:{fe}").replace("bind :8443", "bind 127.0.0.1:{fe2}")
    return text


@test
def stick_on_src_shares_a_tcp_backends_table():
    # The sample's HTTP half: bk_http sticks on the table bk_https (TCP) fills, so a client goes
    # to the same server id over both; a client the table does not know is balanced, then kept.
    tmpl = sample_config()
    got = {}
    if not os.path.exists(HAPROXY):
        raise AssertionError("%s is needed for this comparison" % HAPROXY)
    for label, cmd in (("haproxy", HAPROXY + " -db -f"), ("lbc", ARGS.proxy)):
        ports = {"fe": free_port(), "fe2": free_port()}
        servers = [HttpBackend("h1"), HttpBackend("h2"), Backend("t1"), Backend("t2")]
        cfg = tmpl.format(**ports)
        for srv, old in zip(servers, ("8001", "8002", "9001", "9002")):
            cfg = cfg.replace("127.0.0.1:%s" % old, "127.0.0.1:%d" % srv.port)
        p = Proxy(cmd, cfg, ports["fe"])
        try:
            seen = [connect_name(ports["fe2"], src="127.0.0.1"),  # bk_https: rr -> t1, learnt
                    connect_name(ports["fe2"], src="127.0.0.2")]  # -> t2, learnt
            for src in ("127.0.0.2", "127.0.0.1", "127.0.0.2", "127.0.0.5", "127.0.0.5", "127.0.0.5"):
                seen.append(request(ports["fe"], src=src).split()[0])
            seen.append(connect_name(ports["fe2"], src="127.0.0.5"))  # learnt over HTTP
            got[label] = seen
        finally:
            p.stop()
            for s in servers:
                s.stop()
    assert got["lbc"] == got["haproxy"], got
    first = got["lbc"][5]
    assert got["lbc"][:5] == ["t1", "t2", "h2", "h1", "h2"], got
    assert got["lbc"][5:8] == [first] * 3 and got["lbc"][8] == "t" + first[1], got


@test
def stick_match_and_store_request():
    # match on every request, store only at /login: before the login the user is balanced, after
    # it the user stays on the server the login went to.
    s1, s2 = HttpBackend("s1"), HttpBackend("s2")
    try:
        cfg = HEAD + """
frontend fe
    bind 127.0.0.1:{fe}
    default_backend be
backend be
    balance roundrobin
    stick-table type string len 32 size 1k expire 1m
    stick match req.hdr(x-user)
    stick store-request req.hdr(x-user) if {{ path_beg /login }}
    server s1 127.0.0.1:%d id 1
    server s2 127.0.0.1:%d id 2
""" % (s1.port, s2.port)

        def scenario(ports):
            out = []
            for path, user in (("/a", "ann"), ("/a", "ann"), ("/login", "ann"), ("/a", "ann"), ("/a", "ann"),
                               ("/a", "bob"), ("/login", "bob"), ("/a", "bob"), ("/a", "ann")):
                out.append(request(ports["fe"], path=path, headers=[("x-user", user)]).split()[0])
            return out

        got = both(cfg, scenario)
    finally:
        s1.stop()
        s2.stop()
    assert got["lbc"] == got["haproxy"], got
    assert got["lbc"] == ["s1", "s2", "s1", "s1", "s1", "s2", "s1", "s1", "s1"], got


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--proxy", default=os.path.join(HERE, "../../build/lbc") + " run")
    ap.add_argument("--only", default="")
    ap.add_argument("--build", default="", help="lbc binary: serve with `lbc build` executables")
    ARGS = ap.parse_args()
    if ARGS.build:
        ARGS.proxy = "%s %s %s" % (sys.executable, os.path.join(HERE, "build_run.py"), ARGS.build)
    return run_tests(TESTS, ARGS.only)


if __name__ == "__main__":
    sys.exit(main())

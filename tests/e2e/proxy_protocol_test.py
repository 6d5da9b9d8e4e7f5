#!/usr/bin/env python3
# End-to-end tests of the PROXY protocol between lbc and haproxy 2.6, each as sender and receiver:
# - chain: a client bound to 127.0.0.2 -> haproxy (send-proxy or -v2) -> lbc (accept-proxy, tcp or
#   http mode, send-proxy or -v2 on) -> haproxy (accept-proxy, option forwardfor) -> an echo
#   server: the X-Forwarded-For it sees is the client's 127.0.0.2, for every v1/v2 pair and mode.
# - crafted: headers a test writes (v1 TCP4/TCP6/UNKNOWN, v2 INET/INET6/LOCAL, TLVs with CRC32C)
#   sent to lbc and to haproxy with the same configuration: same X-Forwarded-For, same
#   fc_pp_authority and fc_pp_unique_id, same client address in the httplog line.
# - tls_after_header: accept-proxy on an ssl bind, send-proxy-v2 with proxy-v2-options to haproxy.
# - malformed: a corpus of bad headers: the same reaction (no answer, connection closed) and the
#   same log line as haproxy's ("fe/1: Received an invalid PROXY protocol header" ...).
# - checks: a server with send-proxy-v2 and `check`: haproxy receiving the checks (accept-proxy)
#   answers them (a v2 LOCAL header).
# usage: proxy_protocol_test.py [--proxy "CMD" | --build LBC] [--haproxy PATH] [--only NAME,...]
import json
import os
import re
import socket
import struct
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (ENV, LoggedProxy, Server, collector, free_port, haproxy_available, main,  # noqa: E402
                     recv_all, wait_for)

TESTS = []
test = collector(TESTS)

SIG = b"\r\n\r\n\x00\r\nQUIT\n"


def haproxy_cmd():
    return ENV.haproxy + " -db -f"


def start(cmd, cfg, port):
    return LoggedProxy(cmd, cfg, port)


def get(port, prefix=b"", src=None, path="/"):
    """Sends prefix + a GET on a fresh connection; the answer's bytes (b"" when closed unanswered)."""
    s = socket.socket(socket.AF_INET)
    if src:
        s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    try:
        s.sendall(prefix + b"GET " + path.encode() + b" HTTP/1.0\r\nHost: x\r\n\r\n")
        try:
            return recv_all(s)
        except ConnectionResetError:
            return b""
    finally:
        s.close()


def echoed(answer):
    body = answer.split(b"\r\n\r\n", 1)[1]
    return json.loads(body)


def headers_of(answer):
    h = echoed(answer)["headers"]
    items = h.items() if isinstance(h, dict) else h
    return [(k.lower(), v) for k, v in items]


def forwarded_for(answer):
    return [v for k, v in headers_of(answer) if k == "x-forwarded-for"]


# The receiving haproxy: accept-proxy, forwardfor, to the echo server.
RECEIVER = """\
    global
        log stdout format raw local0
    defaults
        mode http
        log global
        option httplog
        timeout connect 2s
        timeout client 5s
        timeout server 5s
    frontend fe
        bind 127.0.0.1:{port} accept-proxy
        option forwardfor
        default_backend be
    backend be
        server echo 127.0.0.1:{echo}
    """

# The sending haproxy: TCP relay to `to` with send-proxy[-v2].
SENDER = """\
    defaults
        mode tcp
        timeout connect 2s
        timeout client 5s
        timeout server 5s
    listen in
        bind 127.0.0.1:{port}
        server next 127.0.0.1:{to} {pp}
    """

MIDDLE = """\
    defaults
        mode {mode}
        timeout connect 2s
        timeout client 5s
        timeout server 5s
    frontend mid
        bind 127.0.0.1:{port} accept-proxy
        default_backend out
    backend out
        server next 127.0.0.1:{to} {pp}
    """

PP = {1: "send-proxy", 2: "send-proxy-v2"}


def dedent(t):
    return "\n".join(ln[4:] if ln.startswith("    ") else ln for ln in t.splitlines()) + "\n"


@test
def chain():
    """haproxy -> lbc -> haproxy: the client's address crosses both hops, every v1/v2 pair."""
    if not haproxy_available():
        print("  (haproxy not found: skipped)")
        return
    echo = Server("echo")
    for mode in ("tcp", "http"):
        for vin in (1, 2):
            for vout in (1, 2):
                r, m, s = free_port(), free_port(), free_port()
                procs = []
                try:
                    procs.append(start(haproxy_cmd(), dedent(RECEIVER.format(port=r, echo=echo.port)), r))
                    procs.append(start(ENV.proxy, dedent(MIDDLE.format(mode=mode, port=m, to=r, pp=PP[vout])), m))
                    procs.append(start(haproxy_cmd(), dedent(SENDER.format(port=s, to=m, pp=PP[vin])), s))
                    got = get(s, src="127.0.0.2")
                    assert got.startswith(b"HTTP/1.1 200"), (mode, vin, vout, got[:200])
                    assert forwarded_for(got) == ["127.0.0.2"], (mode, vin, vout, forwarded_for(got))
                finally:
                    for p in procs:
                        p.stop()
    echo.stop()


def v2(cmd, fam, addrs, tlvs=b""):
    body = addrs + tlvs
    return SIG + bytes([0x20 | cmd, fam]) + struct.pack(">H", len(body)) + body


def v2_inet(src, dst, sport, dport, tlvs=b""):
    a = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack(">HH", sport, dport)
    return v2(1, 0x11, a, tlvs)


def tlv(t, v):
    return bytes([t]) + struct.pack(">H", len(v)) + v


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def with_crc(src, dst, sport, dport, good=True):
    h = bytearray(v2_inet(src, dst, sport, dport, tlv(3, b"\0\0\0\0")))
    c = crc32c(bytes(h)) ^ (0 if good else 1)
    h[-4:] = struct.pack(">I", c)
    return bytes(h)


GOOD = [
    b"PROXY TCP4 10.1.2.3 10.9.9.9 5555 80\r\n",
    b"PROXY TCP4 10.1 10.9.9.9 70000 80\r\n",
    b"PROXY TCP6 2001:db8::1 ::1 5555 80\r\n",
    b"PROXY TCP6 2001:db8::1 ::1 5555 80 extra\r\n",
    b"PROXY UNKNOWN\r\n",
    v2_inet("10.4.5.6", "10.0.0.1", 4444, 80),
    v2_inet("10.4.5.7", "10.0.0.1", 4445, 80, tlv(2, b"example.com") + tlv(5, b"uid") + tlv(0xEE, b"x")),
    v2(1, 0x21, socket.inet_pton(socket.AF_INET6, "2001:db8::7") + bytes(16) + struct.pack(">HH", 7, 8)),
    v2(0, 0x00, b""),
    v2(1, 0x31, bytes(216)),  # AF_UNIX: the socket's addresses stay
    with_crc("10.7.7.7", "10.0.0.1", 7777, 80),
]

BAD = [
    b"\n",
    b"PROXY",
    b"PROXY TCP4 10.1.2.3 10.9.9.9 5555\r\n",
    b"PROXY TCP4 10.1.2.3 10.9.9.9 5555 80\n\n",
    b"PROXY TCP4 10.1.2.3  10.9.9.9 5555 80\r\n",
    b"PROXY TCP5 10.1.2.3 10.9.9.9 5555 80\r\n",
    b"PROXY UNKNOWN\n",
    b"PROXY TCP6 10.1.2.3 ::1 1 2\r\n",
    b"PROXY TCP6 ::1 ::1 1x 2\r\n",
    b"PROXY TCP6 ::1 ::1\r\n",
    b"GET / HTTP/1.0\r\n\r\n",
    SIG + b"\x11\x11\x00\x0c" + bytes(12),  # version 1
    SIG + b"\x22\x11\x00\x0c" + bytes(12),  # command 2
    SIG + b"\x21\x11\x00\x04" + bytes(4),  # too short for IPv4 addresses
    SIG + b"\x21\x11\x00\x40" + bytes(12),  # longer than what came
    v2_inet("10.1.1.1", "10.0.0.1", 1, 80, b"\x02\x00"),  # a cut TLV header
    v2_inet("10.1.1.1", "10.0.0.1", 1, 80, b"\x02\x00\x09ab"),  # a TLV past the end
    v2_inet("10.1.1.1", "10.0.0.1", 1, 80, tlv(3, b"abc")),  # CRC32C of 3 bytes
    with_crc("10.7.7.7", "10.0.0.1", 7777, 80, good=False),
    v2_inet("10.1.1.1", "10.0.0.1", 1, 80, tlv(2, b"a" * 256)),  # authority too long
]

DIRECT = """\
    global
        log stdout format raw local0
    defaults
        mode http
        log global
        option httplog
        timeout connect 2s
        timeout client 5s
        timeout server 5s
    frontend fe
        bind 127.0.0.1:{port} accept-proxy
        option forwardfor
        http-request set-header X-Authority %[fc_pp_authority]
        http-request set-header X-Unique-Id %[fc_pp_unique_id]
        default_backend be
    backend be
        server echo 127.0.0.1:{echo}
    """

MASK = [(re.compile(r"\[\d\d/\w+/\d{4}:[\d:.]+\]"), "[DATE]"), (re.compile(r"127\.0\.0\.1:\d+ "), "127.0.0.1:PORT "),
        (re.compile(r" \d+/\d+/\d+/\d+/\d+ "), " T "), (re.compile(r" 200 \d+ "), " 200 B ")]


def masked(line):
    for rx, rep in MASK:
        line = rx.sub(rep, line)
    return line


def run_corpus(cmd, corpus, echo):
    port = free_port()
    p = start(cmd, dedent(DIRECT.format(port=port, echo=echo.port)), port)
    out = []
    try:
        for i, hdr in enumerate(corpus):
            got = get(port, hdr, path="/%d" % i)
            seen = None
            if got.startswith(b"HTTP/1.1 200"):
                seen = [(k, v) for k, v in headers_of(got) if k in ("x-forwarded-for", "x-authority", "x-unique-id")]
            out.append((seen, got[:12] if seen is None else b"200"))
        # One line per connection, the readiness probe's included.
        wait_for(lambda: len([ln for ln in p.lines("out") if ln.strip()]) >= len(corpus) + 1, 10, "the log lines")
    finally:
        p.stop()
    lines = [masked(ln) for ln in p.lines("out") if ln.strip()]
    # A line is written when its connection ends, which may be after the client saw its answer:
    # the order of the lines is a race, their set is compared.
    return out, sorted(lines)


@test
def crafted():
    """Valid headers of every kind: same forwarded address and log line as haproxy."""
    if not haproxy_available():
        print("  (haproxy not found: skipped)")
        return
    echo = Server("echo")
    got_l, log_l = run_corpus(ENV.proxy, GOOD, echo)
    got_h, log_h = run_corpus(haproxy_cmd(), GOOD, echo)
    echo.stop()
    assert got_l == got_h, "\n".join("%r: lbc %r haproxy %r" % (g, a, b) for g, a, b in zip(GOOD, got_l, got_h) if a != b)
    assert ("x-forwarded-for", "10.1.2.3") in got_l[0][0], got_l[0]
    assert ("x-authority", "example.com") in got_l[6][0] and ("x-unique-id", "uid") in got_l[6][0], got_l[6]
    assert log_l == log_h, "\nlbc:     %s\nhaproxy: %s" % ("\n         ".join(log_l), "\n         ".join(log_h))


@test
def malformed():
    """Bad headers: closed unanswered, and the log line haproxy writes."""
    if not haproxy_available():
        print("  (haproxy not found: skipped)")
        return
    echo = Server("echo")
    got_l, log_l = run_corpus(ENV.proxy, BAD, echo)
    got_h, log_h = run_corpus(haproxy_cmd(), BAD, echo)
    echo.stop()
    assert got_l == got_h, "\n".join("%r: lbc %r haproxy %r" % (g, a, b) for g, a, b in zip(BAD, got_l, got_h) if a != b)
    assert log_l == log_h, "\nlbc:     %s\nhaproxy: %s" % ("\n         ".join(log_l), "\n         ".join(log_h))
    assert all("PROXY protocol header" in ln for ln in log_l), log_l


TLS_SENDER = """\
    defaults
        mode tcp
        timeout connect 2s
        timeout client 5s
        timeout server 5s
    listen in
        bind 127.0.0.1:{port}
        mode http
        server next 127.0.0.1:{to} send-proxy-v2 ssl verify none sni str(a.example)
    """

TLS_MIDDLE = """\
    defaults
        mode http
        timeout connect 2s
        timeout client 5s
        timeout server 5s
    frontend mid
        bind 127.0.0.1:{port} accept-proxy ssl crt {pem}
        default_backend out
    backend out
        server next 127.0.0.1:{to} send-proxy-v2 proxy-v2-options authority,crc32c,ssl
    """

TLS_RECEIVER = """\
    defaults
        mode http
        timeout connect 2s
        timeout client 5s
        timeout server 5s
    frontend fe
        bind 127.0.0.1:{port} accept-proxy
        option forwardfor
        http-request set-header X-Authority %[fc_pp_authority]
        default_backend be
    backend be
        server echo 127.0.0.1:{echo}
    """


@test
def tls_after_header():
    """accept-proxy on an ssl bind: the header comes before the ClientHello; the SNI goes on as the
    v2 AUTHORITY TLV (proxy-v2-options authority), which haproxy's fc_pp_authority reads."""
    if not haproxy_available():
        print("  (haproxy not found: skipped)")
        return
    d = tempfile.mkdtemp(prefix="lbc-pp-")
    pem = os.path.join(d, "site.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", pem + ".key", "-out", pem + ".crt", "-days", "30", "-subj", "/CN=a.example"],
                   check=True, capture_output=True)
    with open(pem, "w") as out:
        for part in (pem + ".crt", pem + ".key"):
            with open(part) as f:
                out.write(f.read())
    echo = Server("echo")
    r, m, s = free_port(), free_port(), free_port()
    procs = []
    try:
        procs.append(start(haproxy_cmd(), dedent(TLS_RECEIVER.format(port=r, echo=echo.port)), r))
        procs.append(start(ENV.proxy, dedent(TLS_MIDDLE.format(port=m, to=r, pem=pem)), m))
        procs.append(start(haproxy_cmd(), dedent(TLS_SENDER.format(port=s, to=m)), s))
        got = get(s, src="127.0.0.2")
        assert got.startswith(b"HTTP/1.1 200"), got[:300]
        assert forwarded_for(got) == ["127.0.0.2"], forwarded_for(got)
        assert [v for k, v in headers_of(got) if k == "x-authority"] == ["a.example"], headers_of(got)
    finally:
        for p in procs:
            p.stop()
        echo.stop()


CHECKED = """\
    global
        log stdout format raw local0
    defaults
        mode http
        log global
        option httplog
        timeout connect 2s
        timeout client 5s
        timeout server 5s
        timeout check 1s
    frontend fe
        bind 127.0.0.1:{port}
        default_backend be
    backend be
        option httpchk GET /health
        server next 127.0.0.1:{to} {pp} check inter 100 fall 1 rise 1
    """


@test
def checks():
    """Health checks through a PROXY header (v1 UNKNOWN, v2 LOCAL) to a haproxy that requires one."""
    if not haproxy_available():
        print("  (haproxy not found: skipped)")
        return
    echo = Server("echo")
    for pp in ("send-proxy", "send-proxy-v2", "check-send-proxy"):
        r, f = free_port(), free_port()
        recv = start(haproxy_cmd(), dedent(RECEIVER.format(port=r, echo=echo.port)), r)
        lbc = start(ENV.proxy, dedent(CHECKED.format(port=f, to=r, pp=pp)), f)
        try:
            # The checks arrive as requests for /health with haproxy's own address (LOCAL/UNKNOWN).
            wait_for(lambda: sum(1 for ln in recv.lines("out") if "/health" in ln and " 200 " in ln) >= 2, 10,
                     "checks through haproxy (%s)" % pp)
            if pp != "check-send-proxy":  # traffic too (check-send-proxy alone sends none on it)
                got = get(f, src="127.0.0.2")
                assert forwarded_for(got) == ["127.0.0.2"], (pp, got[:300])
        finally:
            lbc.stop()
            recv.stop()
    echo.stop()


class HeaderRecorder:
    """A TCP server recording what each connection starts with: a PROXY v2 header (its bytes, the
    ports masked: they differ between runs), a v1 line, or nothing; then it answers b"ok" and closes."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.seen = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _serve(self, c):
        try:
            c.settimeout(5)
            data = b""
            # until a header's first 16 bytes, or bytes that cannot start one
            while len(data) < 16 and (V2_SIG.startswith(data[:12]) or b"PROXY ".startswith(data[:6])):
                try:
                    d = c.recv(4096)
                except ConnectionResetError:  # haproxy ends its checks with a reset
                    d = b""
                if not d:
                    break
                data += d
            if data.startswith(V2_SIG) and len(data) >= 16:
                n = 16 + struct.unpack("!H", data[14:16])[0]
                while len(data) < n:
                    d = c.recv(4096)
                    if not d:
                        break
                    data += d
                hdr = bytearray(data[:n])
                if hdr[13] == 0x11:  # TCP over IPv4: the two ports masked
                    hdr[24:28] = b"\0\0\0\0"
                rec = ("v2", bytes(hdr).hex())
            elif data.startswith(b"PROXY "):
                rec = ("v1", data.split(b"\r\n")[0].split(b" ")[1].decode())
            else:
                rec = ("none", data.decode(errors="replace"))
            with self.lock:
                self.seen.append(rec)
            c.sendall(b"ok")
        except OSError:
            pass
        finally:
            c.close()

    def stop(self):
        self.sock.close()


V2_SIG = b"\r\n\r\n\0\r\nQUIT\n"

SSL_SENDER = """\
    defaults
        mode tcp
        timeout connect 2s
        timeout client 5s
        timeout server 5s
    frontend f_ssl
        bind 127.0.0.1:{p_ssl} ssl crt {site} ca-file {ca} verify optional
        default_backend b_ssl
    frontend f_cn
        bind 127.0.0.1:{p_cn} ssl crt {site} ca-file {ca} verify optional
        default_backend b_cn
    frontend f_nocn
        bind 127.0.0.1:{p_nocn} ssl crt {site} ca-file {ca} verify optional
        default_backend b_nocn
    frontend f_nossl
        bind 127.0.0.1:{p_nossl} ssl crt {site} ca-file {ca} verify optional
        default_backend b_nossl
    frontend f_nov2
        bind 127.0.0.1:{p_nov2} ssl crt {site} ca-file {ca} verify optional
        default_backend b_nov2
    backend b_ssl
        server s 127.0.0.1:{r} send-proxy-v2-ssl
    backend b_cn
        server s 127.0.0.1:{r} send-proxy-v2-ssl-cn
    backend b_nocn
        default-server send-proxy-v2-ssl-cn
        server s 127.0.0.1:{r} no-send-proxy-v2-ssl-cn
    backend b_nossl
        default-server send-proxy-v2-ssl
        server s 127.0.0.1:{r} no-send-proxy-v2-ssl
    backend b_nov2
        default-server send-proxy-v2
        server s 127.0.0.1:{r} no-send-proxy-v2
    # (tcp-check send: haproxy resets a connect-only check before the handshake completes)
    backend checks
        option tcp-check
        tcp-check send "PING\\r\\n"
        tcp-check expect string ok
        default-server check-send-proxy send-proxy-v2 inter 100
        server with 127.0.0.1:{r} check port {chk_with}
        server without 127.0.0.1:{r} check port {chk_without} no-check-send-proxy
    """


def tls_exchange(port, cert):
    import ssl
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    if cert:
        ctx.load_cert_chain(cert)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as t:
            t.sendall(b"hi")
            data = b""
            while True:
                d = t.recv(4096)
                if not d:
                    return data
                data += d


@test
def ssl_tlvs_and_no_forms():
    """send-proxy-v2-ssl and -ssl-cn (the client's TLS in the SSL TLV, with and without a client
    certificate), the no-send-proxy-v2* forms against a default-server, and check-send-proxy with
    no-check-send-proxy: the headers lbc sends are byte for byte haproxy 2.6's."""
    if not haproxy_available():
        print("  (haproxy not found: skipped)")
        return
    from tls_common import pki
    got = {}
    for label, cmd in (("haproxy", haproxy_cmd()), ("lbc", ENV.proxy)):
        rec, chk_with, chk_without = HeaderRecorder(), HeaderRecorder(), HeaderRecorder()
        ports = {k: free_port() for k in ("p_ssl", "p_cn", "p_nocn", "p_nossl", "p_nov2")}
        cfg = dedent(SSL_SENDER.format(r=rec.port, chk_with=chk_with.port, chk_without=chk_without.port,
                                       site=pki().site, ca=pki().ca, **ports))
        p = start(cmd, cfg, ports["p_ssl"])
        try:
            out = []
            for key in ("p_ssl", "p_cn", "p_nocn", "p_nossl", "p_nov2"):
                for cert in (pki().client, None):
                    out.append((key, bool(cert), tls_exchange(ports[key], cert)))
            wait_for(lambda: chk_with.seen and chk_without.seen, 10, label + ": health checks of both servers")
            got[label] = {"answers": out, "headers": list(rec.seen), "check_with": chk_with.seen[0],
                          "check_without": chk_without.seen[0]}
        finally:
            p.stop()
            for x in (rec, chk_with, chk_without):
                x.stop()
    assert got["lbc"] == got["haproxy"], "lbc:     %r\nhaproxy: %r" % (got["lbc"], got["haproxy"])
    h = got["lbc"]["headers"]
    assert all(a[2] == b"ok" for a in got["lbc"]["answers"]), got["lbc"]["answers"]
    assert h[2][0] == "v2" and b"client".hex() in h[2][1], h  # send-proxy-v2-ssl-cn with a certificate
    # HAProxy 2.6's no-send-proxy-v2-ssl and -ssl-cn clear the whole v2 header, as no-send-proxy-v2
    assert h[4:] == [("none", "hi")] * 6, h
    chk = got["lbc"]
    assert chk["check_without"][0] == "none" and chk["check_without"][1].startswith("PING"), chk
    assert chk["check_with"] == ("v2", V2_SIG.hex() + "20000000"), chk  # LOCAL, no address


if __name__ == "__main__":
    sys.exit(main(TESTS))

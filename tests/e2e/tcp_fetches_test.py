#!/usr/bin/env python3
# Layer-6 sample fetches of `mode tcp` that route or filter a connection on its first bytes: the
# RDP cookie, a length-prefixed payload, the request length and the end of the inspection delay,
# the TLS ClientHello (SNI, hello type) and the server's TLS ServerHello (tcp-response). Each
# configuration runs under lbc and haproxy 2.6 (where installed) with the same clients; the test
# checks the expected outcome itself too, so a mistake both make still fails.
# usage: tcp_fetches_test.py [--proxy "CMD" | --build LBC] [--haproxy PATH] [--only NAME,...]
import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Backend, collector, free_port, main, wait_for  # noqa: E402
from http_common import compared  # noqa: E402
from tcp_common import Setup, add_args, client_hello, send_name, tls_servers  # noqa: E402

TESTS = []
test = collector(TESTS)


def outcomes(body, backends, clients):
    """Runs `body` (with `backends`: name -> Backend mode) under each proxy of compared() and calls
    each client(setup) in turn; asserts both proxies gave the same results and returns lbc's."""
    got = {}
    for label, cmd in compared():
        st = Setup(body, [Backend(n, m) for n, m in backends.items()], cmd=cmd)
        try:
            got[label] = [c(st) for c in clients]
        finally:
            st.close()
    if "haproxy" in got:
        assert got["lbc"] == got["haproxy"], got
    return got["lbc"]


def rdp(cookie):
    """An RDP X.224 Connection Request with `Cookie: <cookie>` (what mstsc sends first)."""
    body = b"Cookie: " + cookie + b"\r\n\x01\x00\x08\x00\x03\x00\x00\x00"
    return b"\x03\x00" + (11 + len(body)).to_bytes(2, "big") + bytes([6 + len(body)]) + b"\xe0" + b"\x00" * 5 + body


def sent(data, want=64):
    return lambda st: send_name(st.fe, data, want=want)


@test
def rdp_cookie_routes_a_remote_desktop_connection():
    body = """
        frontend f
            bind 127.0.0.1:{fe}
            tcp-request inspect-delay 5s
            tcp-request content accept if { req.rdp_cookie_cnt(mstshash) gt 0 }
            tcp-request content reject if { rdp_cookie_cnt eq 0 }
            use_backend b2 if { req.rdp_cookie(mstshash) -m str bob }
            use_backend b2 if { rdp_cookie(mstshash),lower -m beg carol }
            default_backend b1
        backend b1
            server a 127.0.0.1:{a}
        backend b2
            server b 127.0.0.1:{b}
        """
    packets = [rdp(b"mstshash=alice"), rdp(b"mstshash=bob"), rdp(b"mstshash=CAROL2"), rdp(b"other=bob"),
               b"\x03\x00\x00\x0bnot rdp at all\r\n"]
    got = outcomes(body, {"a": "name", "b": "name"}, [sent(p, want=1 + len(p)) for p in packets])
    assert got[0] == b"a" + packets[0] and got[1] == b"b" + packets[1] and got[2] == b"b" + packets[2], got
    # a cookie of another name counts (rdp_cookie_cnt without a name) and goes to the default
    assert got[3] == b"a" + packets[3], got
    assert got[4] == b"", got  # not an RDP cookie: rejected, nothing reaches a server


@test
def payload_lv_and_req_len_route_on_the_first_bytes():
    body = """
        frontend f
            bind 127.0.0.1:{fe}
            tcp-request inspect-delay 5s
            tcp-request content accept if { req_len ge 6 }
            use_backend b2 if { req.payload_lv(0,1) -m str hello }
            default_backend b1
        backend b1
            server a 127.0.0.1:{a}
        backend b2
            server b 127.0.0.1:{b}
        """
    data = [b"\x05hello world", b"\x05howdy there", b"\x02hello"]
    got = outcomes(body, {"a": "name", "b": "name"}, [sent(d, want=1 + len(d)) for d in data])
    assert got == [b"b" + data[0], b"a" + data[1], b"a" + data[2]], got


@test
def wait_end_decides_once_the_inspection_delay_is_over():
    # Four bytes are accepted at once; one byte waits for the delay, after which wait_end is true
    # and the connection is rejected (nothing reaches the server).
    body = """
        listen l
            bind 127.0.0.1:{fe}
            tcp-request inspect-delay 300ms
            tcp-request content accept if { req_len ge 4 }
            tcp-request content reject if { wait_end }
            server a 127.0.0.1:{a}
        """
    got = outcomes(body, {"a": "name"}, [sent(b"good", want=5), sent(b"x", want=2)])
    assert got == [b"agood", b""], got


@test
def client_hello_sni_and_type_in_tcp_mode():
    body = """
        frontend f
            bind 127.0.0.1:{fe}
            tcp-request inspect-delay 5s
            tcp-request content set-var(sess.sni) req_ssl_sni,lower
            tcp-request content accept if { req.ssl_hello_type 1 }
            use_backend b2 if { var(sess.sni) -m end .example.org }
            default_backend b1
        backend b1
            server a 127.0.0.1:{a}
        backend b2
            server b 127.0.0.1:{b}
        """
    hellos = [client_hello("WWW.Example.org"), client_hello("www.example.com")]
    got = outcomes(body, {"a": "name", "b": "name"}, [sent(h, want=1 + len(h)) for h in hellos])
    assert got == [b"b" + hellos[0], b"a" + hellos[1]], [g[:1] for g in got]


@test
def server_hello_type_in_tcp_response():
    # tcp-response content waits for the server's first bytes: a TLS server's ServerHello is type
    # 2 and is relayed; a server that greets in clear text is cut.
    import subprocess
    tls_port = free_port()
    d, servers = tls_servers([("s1", tls_port)])
    try:
        body = """
            frontend f
                bind 127.0.0.1:{fe}
                use_backend clear if { dst_port %d }
                default_backend tls
            backend tls
                tcp-response inspect-delay 5s
                tcp-response content accept if { res.ssl_hello_type 2 }
                tcp-response content reject
                server s1 127.0.0.1:%d
            backend clear
                tcp-response inspect-delay 5s
                tcp-response content accept if { res.ssl_hello_type 2 }
                tcp-response content reject
                server a 127.0.0.1:{a}
            """

        def handshake(st):
            r = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % st.fe, "-tls1_2"], input="",
                               capture_output=True, text=True, timeout=20)
            return "subject=CN = s1" in r.stdout or "subject=CN=s1" in r.stdout

        got = {}
        for label, cmd in compared():
            # the clear-text case listens on a second port of the same frontend
            clear_fe = free_port()
            st = Setup(body.replace("bind 127.0.0.1:{fe}", "bind 127.0.0.1:{fe}\n                bind 127.0.0.1:%d"
                                    % clear_fe) % (clear_fe, tls_port), [Backend("a", "name")], cmd=cmd)
            try:
                got[label] = [handshake(st), send_name(clear_fe, b"hi", want=3)]
            finally:
                st.close()
        assert got["lbc"] == [True, b""], got
        if "haproxy" in got:
            assert got["haproxy"] == got["lbc"], got
    finally:
        for s in servers:
            s.kill()
            s.wait()
        wait_for(lambda: all(s.poll() is not None for s in servers), 5, "the TLS server to exit")


if __name__ == "__main__":
    sys.exit(main(TESTS, add_args))

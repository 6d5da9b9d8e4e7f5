#!/usr/bin/env python3
# End-to-end tests of TCP proxying (issue 3), compiled rules in TCP mode: use_backend on src / payload
# / SNI, tcp-request connection and content, inspect-delay, tcp-response content, stick tables.
# usage: tcp_rules_test.py [--proxy "CMD" | --build LBC] [--haproxy PATH] [--only NAME,...] [--soak N]
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Backend, collector, connect_name, fill, free_port, main, recv_exact, wait_for  # noqa: E402
from tcp_common import Setup, add_args, client_hello, send_name  # noqa: E402

TESTS = []
test = collector(TESTS)


@test
def use_backend_on_src_in_tcp_mode():
    body = """
        frontend f
            bind 127.0.0.1:{fe}
            use_backend b2 if { src 127.0.0.2 }
            default_backend b1
        backend b1
            server a 127.0.0.1:{a}
        backend b2
            server b 127.0.0.1:{b}
        """
    st = Setup(body, [Backend("a"), Backend("b")])
    try:
        assert [connect_name(st.fe, src="127.0.0.2") for _ in range(3)] == ["b"] * 3
        assert [connect_name(st.fe, src="127.0.0.1") for _ in range(3)] == ["a"] * 3
    finally:
        st.close()


@test
def use_backend_on_payload_waits_for_the_data():
    # The rules wait (inspect-delay) for 5 bytes; "hello" goes to b2, anything else to b1, and the
    # inspected bytes are forwarded to the server first (the echo proves it).
    body = """
        frontend f
            bind 127.0.0.1:{fe}
            tcp-request inspect-delay 5s
            tcp-request content accept if { req.payload(0,5) -m found }
            use_backend b2 if { req.payload(0,5) -m bin 68656c6c6f }
            default_backend b1
        backend b1
            server a 127.0.0.1:{a}
        backend b2
            server b 127.0.0.1:{b}
        """
    st = Setup(body, [Backend("a"), Backend("b")])
    try:
        for data, name in ((b"hello world", "b"), (b"howdy there", "a")):
            s = socket.create_connection(("127.0.0.1", st.fe))
            s.settimeout(5)
            s.sendall(data[:2])  # two pieces: the first is not enough to decide
            s.sendall(data[2:])
            got = recv_exact(s, 1 + len(data))
            s.close()
            assert got == name.encode() + data, (data, got)
    finally:
        st.close()


@test
def use_backend_on_req_ssl_sni():
    body = """
        frontend f
            bind 127.0.0.1:{fe}
            tcp-request inspect-delay 5s
            tcp-request content accept if { req_ssl_hello_type 1 }
            use_backend b2 if { req_ssl_sni -i api.example.com }
            default_backend b1
        backend b1
            server a 127.0.0.1:{a}
        backend b2
            server b 127.0.0.1:{b}
        """
    st = Setup(body, [Backend("a"), Backend("b")])
    try:
        for sni, name in (("API.example.com", "b"), ("www.example.com", "a"), ("api.example.com", "b")):
            hello = client_hello(sni)
            s = socket.create_connection(("127.0.0.1", st.fe))
            s.settimeout(5)
            s.sendall(hello)
            got = recv_exact(s, 1 + len(hello))
            s.close()
            assert got == name.encode() + hello, (sni, got[:1])
    finally:
        st.close()


@test
def tcp_request_connection_reject():
    body = """
        listen l
            bind 127.0.0.1:{fe}
            tcp-request connection reject if { src 127.0.0.2 }
            server a 127.0.0.1:{a}
        """
    st = Setup(body, [Backend("a")])
    try:
        before = st.backends["a"].accepted
        for _ in range(3):
            assert send_name(st.fe, b"x", src="127.0.0.2") == b""
        assert connect_name(st.fe) == "a"
        assert st.backends["a"].accepted == before + 1, "a rejected connection reached the server"
    finally:
        st.close()


@test
def tcp_request_content_reject_and_accept():
    body = """
        listen l
            bind 127.0.0.1:{fe}
            tcp-request inspect-delay 5s
            tcp-request content reject if { req.payload(0,4) -m bin 42414421 }
            tcp-request content accept if { req.len ge 4 }
            server a 127.0.0.1:{a}
        """
    st = Setup(body, [Backend("a")])
    try:
        before = st.backends["a"].accepted
        assert send_name(st.fe, b"BAD!rest") == b""
        assert st.backends["a"].accepted == before
        assert send_name(st.fe, b"good", want=5) == b"agood"
    finally:
        st.close()


@test
def inspect_delay_expiry_turns_miss_into_fail():
    # "he" never reaches 5 bytes: the payload condition waits (MISS) until the delay ends, then
    # fails, so the default backend gets the connection, with the 2 bytes, after ~1s; and a
    # `reject` after a waiting accept fires once the delay is over.
    body = """
        frontend f
            bind 127.0.0.1:{fe}
            tcp-request inspect-delay 1s
            tcp-request content accept if { req.payload(0,5) -m bin 68656c6c6f }
            use_backend b2 if { req.payload(0,5) -m bin 68656c6c6f }
            default_backend b1
        backend b1
            server a 127.0.0.1:{a}
        backend b2
            server b 127.0.0.1:{b}
        listen strict
            bind 127.0.0.1:{strict}
            tcp-request inspect-delay 1s
            tcp-request content accept if { req.payload(0,5) -m bin 68656c6c6f }
            tcp-request content reject
            server b 127.0.0.1:{b}
        """
    strict = free_port()
    st = Setup(body.replace("{strict}", str(strict)), [Backend("a"), Backend("b")])
    try:
        s = socket.create_connection(("127.0.0.1", st.fe))
        s.settimeout(10)
        t0 = time.monotonic()
        s.sendall(b"he")
        got = recv_exact(s, 3)
        waited = time.monotonic() - t0
        s.close()
        assert got == b"ahe", got
        assert 0.8 <= waited <= 5, waited
        s = socket.create_connection(("127.0.0.1", strict))
        s.settimeout(10)
        t0 = time.monotonic()
        s.sendall(b"he")
        try:
            d = s.recv(16)
        except ConnectionResetError:
            d = b""
        waited = time.monotonic() - t0
        s.close()
        assert d == b"" and 0.8 <= waited <= 5, (d, waited)
    finally:
        st.close()


@test
def tcp_response_content_on_the_first_server_data():
    # Response rules run once the server is there, on its first bytes, which are held until they
    # decide: a reject closes the client without them (the server did get the connection). With
    # an inspect delay, a hello type that the first byte of a TLS record (0x16) alone cannot
    # give waits (MISS) and fails at the end (a non-TLS first byte fails at once, as HAProxy).
    tls_like = Backend("\x16")
    body = """
        listen l
            bind 127.0.0.1:{fe}
            tcp-response content reject if { src 127.0.0.2 }
            server a 127.0.0.1:{a}
        listen slow
            bind 127.0.0.1:{slow}
            tcp-response inspect-delay 1s
            tcp-response content accept if { rep_ssl_hello_type 2 }
            tcp-response content reject
            server t 127.0.0.1:{t}
        """
    slow = free_port()
    st = Setup(fill(body, slow=slow, t=tls_like.port), [Backend("a")])
    try:
        before = st.backends["a"].accepted
        assert send_name(st.fe, b"", src="127.0.0.2", want=1) == b""
        wait_for(lambda: st.backends["a"].accepted == before + 1, 5, "the server to get the connection")
        assert send_name(st.fe, b"", want=1) == b"a"
        t0 = time.monotonic()
        assert send_name(slow, b"", want=1) == b""
        assert 0.8 <= time.monotonic() - t0 <= 5, time.monotonic() - t0
    finally:
        st.close()
        tls_like.stop()


@test
def stick_on_src_keeps_clients_on_their_server():
    body = """
        listen l
            bind 127.0.0.1:{fe}
            balance roundrobin
            stick-table type ip size 100 expire 1m
            stick on src
            server a 127.0.0.1:{a}
            server b 127.0.0.1:{b}
        """
    st = Setup(body, [Backend("a"), Backend("b")])
    try:
        first = {src: connect_name(st.fe, src=src) for src in ("127.0.0.2", "127.0.0.3", "127.0.0.4")}
        # round robin alone would alternate; each source keeps the server it got first
        assert sorted(set(first.values())) == ["a", "b"], first
        for _ in range(3):
            for src, name in first.items():
                assert connect_name(st.fe, src=src) == name, (src, name)
    finally:
        st.close()


@test
def stick_match_ignores_a_down_server():
    # The learnt server goes away (its check fails): the client is balanced to the other one
    # and sticks there from then on (store-request updates the entry).
    body = """
        listen l
            bind 127.0.0.1:{fe}
            balance roundrobin
            stick-table type ip size 10
            stick on src
            server a 127.0.0.1:{a} check inter 200 fall 1 rise 1
            server b 127.0.0.1:{b} check inter 200 fall 1 rise 1
        """
    st = Setup(body, [Backend("a"), Backend("b")])
    try:
        name = connect_name(st.fe, src="127.0.0.5")
        other = "b" if name == "a" else "a"
        st.backends[name].stop()
        wait_for(lambda: connect_name(st.fe, src="127.0.0.5") == other, 10, "the client to move to " + other)
        assert [connect_name(st.fe, src="127.0.0.5") for _ in range(3)] == [other] * 3
    finally:
        st.close()


if __name__ == "__main__":
    sys.exit(main(TESTS, add_args))

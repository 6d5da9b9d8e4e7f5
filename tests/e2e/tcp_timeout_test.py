#!/usr/bin/env python3
# End-to-end tests of TCP proxying (issue 3), timeouts: connect, client, server, tunnel, client-fin
# and server-fin.
# usage: tcp_timeout_test.py [--proxy "CMD" | --build LBC] [--haproxy PATH] [--only NAME,...] [--soak N]
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Backend, collector, main, recv_all, recv_exact, wait_for  # noqa: E402
from tcp_common import Setup, add_args, closed_after, listen  # noqa: E402

TESTS = []
test = collector(TESTS)


@test
def timeout_connect():
    # A listener with a full accept queue drops SYNs: connecting to it hangs.
    full = socket.socket()
    full.bind(("127.0.0.1", 0))
    full.listen(0)
    port = full.getsockname()[1]
    fillers = []
    for _ in range(4):
        f = socket.socket()
        f.setblocking(False)
        f.connect_ex(("127.0.0.1", port))
        fillers.append(f)
    st = Setup(listen("tc", ["server s 127.0.0.1:%d" % port, "retries 0"]), [],
               defaults="    timeout connect 300")
    try:
        s = socket.create_connection(("127.0.0.1", st.fe))
        assert closed_after(s, 0.25, 5) == b""
    finally:
        st.close()
        full.close()
        for f in fillers:
            f.close()


@test
def timeout_client_and_server():
    st = Setup(listen("tcl", ["server s 127.0.0.1:{s}", "timeout client 300", "timeout server 10s"]),
               [Backend("s", "hold")])
    try:
        s = socket.create_connection(("127.0.0.1", st.fe))
        assert closed_after(s, 0.25, 5) == b"s"
    finally:
        st.close()
    st = Setup(listen("tsv", ["server s 127.0.0.1:{s}", "timeout client 10s", "timeout server 300"]),
               [Backend("s", "hold")])
    try:
        s = socket.create_connection(("127.0.0.1", st.fe))
        assert closed_after(s, 0.25, 5) == b"s"
    finally:
        st.close()


@test
def timeout_activity_keeps_connection():
    st = Setup(listen("tact", ["server s 127.0.0.1:{s}", "timeout client 400", "timeout server 400"]),
               [Backend("s")])
    try:
        s = socket.create_connection(("127.0.0.1", st.fe))
        assert recv_exact(s, 1) == b"s"
        for i in range(8):  # 8 x 150 ms of activity: longer than the timeout, never idle that long
            s.sendall(b"ping")
            assert recv_exact(s, 4) == b"ping"
            time.sleep(0.15)  # idle time below the timeout, the thing tested
        s.close()
    finally:
        st.close()


@test
def timeout_tunnel():
    st = Setup(listen("tt", ["server s 127.0.0.1:{s}", "timeout client 100ms", "timeout server 100ms",
                             "timeout tunnel 600"]), [Backend("s", "hold")])
    try:
        s = socket.create_connection(("127.0.0.1", st.fe))
        assert closed_after(s, 0.5, 5) == b"s"
    finally:
        st.close()


@test
def timeout_client_fin_and_server_fin():
    st = Setup(listen("tcf", ["server s 127.0.0.1:{s}", "timeout client-fin 300", "timeout server 20s"]),
               [Backend("s", "ignore_eof")])
    try:
        s = socket.create_connection(("127.0.0.1", st.fe))
        s.shutdown(socket.SHUT_WR)
        # the server keeps its side open; the half-closed client side expires after client-fin
        assert closed_after(s, 0.25, 5) == b""
    finally:
        st.close()
    st = Setup(listen("tsf", ["server s 127.0.0.1:{s}", "timeout server-fin 300", "timeout client 20s"]),
               [Backend("s", "greet_shut")])
    try:
        t0 = time.monotonic()
        s = socket.create_connection(("127.0.0.1", st.fe))
        assert recv_all(s) == b"s"  # the server's FIN is forwarded at once
        # the half-closed server side then expires after server-fin: the server sees the close
        be = st.backends["s"]
        wait_for(lambda: ("got", 0) in be.events, 5, "the server side to be closed")
        assert time.monotonic() - t0 >= 0.25
        s.close()
    finally:
        st.close()


if __name__ == "__main__":
    sys.exit(main(TESTS, add_args))

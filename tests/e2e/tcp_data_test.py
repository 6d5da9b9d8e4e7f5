#!/usr/bin/env python3
# End-to-end tests of TCP proxying (issue 3), the data path: half-closes, large transfers byte-exact,
# backpressure, resets on either side.
# usage: tcp_data_test.py [--proxy "CMD" | --build LBC] [--haproxy PATH] [--only NAME,...] [--soak N]
import hashlib
import os
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Backend, collector, free_port, main, recv_all, recv_exact, wait_for  # noqa: E402
from tcp_common import Setup, add_args, listen  # noqa: E402

TESTS = []
test = collector(TESTS)


@test
def half_close_client_first():
    st = Setup(listen("hc1", ["server s 127.0.0.1:{s}"]), [Backend("s")])
    try:
        s = socket.create_connection(("127.0.0.1", st.fe))
        s.sendall(b"hello world")
        s.shutdown(socket.SHUT_WR)
        assert recv_all(s) == b"shello world"
    finally:
        st.close()


@test
def half_close_server_first():
    st = Setup(listen("hc2", ["server s 127.0.0.1:{s}"]), [Backend("s", "greet_shut")])
    try:
        s = socket.create_connection(("127.0.0.1", st.fe))
        assert recv_all(s) == b"s"  # the server's FIN arrived
        s.sendall(b"z" * 100000)  # the other direction still flows
        s.shutdown(socket.SHUT_WR)
        be = st.backends["s"]
        wait_for(lambda: ("got", 100000) in be.events, 10, "the server to get every byte")
        s.close()
    finally:
        st.close()


@test
def large_transfers_are_byte_exact():
    st = Setup(listen("big", ["server e 127.0.0.1:{e}", "server k 127.0.0.1:{k} weight 0"]),
               [Backend("e"), Backend("k", "sink")])
    try:
        payload = os.urandom(3 * 1024 * 1024 + 123)
        s = socket.create_connection(("127.0.0.1", st.fe))
        got = bytearray()

        def reader():
            got.extend(recv_all(s, 60))

        t = threading.Thread(target=reader)
        t.start()
        s.sendall(payload)
        s.shutdown(socket.SHUT_WR)
        t.join(60)
        assert bytes(got) == b"e" + payload, "echo mismatch: %d vs %d bytes" % (len(got), len(payload) + 1)
    finally:
        st.close()
    st = Setup(listen("up", ["server k 127.0.0.1:{k}"]), [Backend("k", "sink")])
    try:
        payload = os.urandom(2 * 1024 * 1024 + 7)
        s = socket.create_connection(("127.0.0.1", st.fe))
        s.sendall(payload)
        s.shutdown(socket.SHUT_WR)
        assert recv_all(s, 60).decode() == hashlib.sha256(payload).hexdigest()
    finally:
        st.close()


@test
def slow_reader_backpressure_bounds_memory():
    st = Setup(listen("bp", ["server s 127.0.0.1:{s}"]), [Backend("s", "stream")], global_extra="    nbthread 1")
    try:
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        s.connect(("127.0.0.1", st.fe))
        assert recv_exact(s, 1) == b"s"
        rss0 = st.proxy.rss_kb()
        time.sleep(1.0)  # the server pushes as fast as it can while nobody reads
        grew = st.proxy.rss_kb() - rss0
        assert grew < 8 * 1024, "RSS grew by %d KiB with a stalled reader" % grew
        n = len(recv_exact(s, 4 * 1024 * 1024, 30))  # and the stream still flows once read
        assert n == 4 * 1024 * 1024
        s.close()
    finally:
        st.close()


@test
def client_reset_releases_the_server_side():
    st = Setup(listen("rst", ["server s 127.0.0.1:{s}"]), [Backend("s", "stream")])
    try:
        s = socket.create_connection(("127.0.0.1", st.fe))
        recv_exact(s, 100000)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()  # RST
        be = st.backends["s"]
        wait_for(lambda: any(e[0] == "peer_gone" for e in be.events), 10, "the server side to be released")
    finally:
        st.close()


@test
def server_reset_releases_the_client_side():
    port = free_port()
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(8)
    st = Setup(listen("rst2", ["server s 127.0.0.1:%d" % port]), [])
    try:
        s = socket.create_connection(("127.0.0.1", st.fe))
        c, _ = srv.accept()
        c.sendall(b"y" * 100000)
        assert len(recv_exact(s, 100000)) == 100000
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        c.close()
        s.settimeout(10)
        try:
            while s.recv(65536):
                pass
        except ConnectionResetError:
            pass
    finally:
        srv.close()
        st.close()


if __name__ == "__main__":
    sys.exit(main(TESTS, add_args))

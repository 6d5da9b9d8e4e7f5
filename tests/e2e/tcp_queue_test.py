#!/usr/bin/env python3
# End-to-end tests of TCP proxying (issue 3), server queues: maxconn, timeout queue, clients that
# close or reset while queued (option abortonclose).
# usage: tcp_queue_test.py [--proxy "CMD" | --build LBC] [--haproxy PATH] [--only NAME,...] [--soak N]
import os
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Backend, ENV, collector, main, recv_all, recv_exact, wait_for  # noqa: E402
from tcp_common import Setup, add_args, listen  # noqa: E402

TESTS = []
test = collector(TESTS)


@test
def queue_250_clients_maxconn_30():
    st = Setup(listen("q", ["server s 127.0.0.1:{s} maxconn 30"]), [Backend("s", "count", hold_s=0.05)],
               defaults="    timeout queue 60s")
    try:
        results = []
        lock = threading.Lock()

        def client():
            try:
                s = socket.create_connection(("127.0.0.1", st.fe), timeout=60)
                s.sendall(b"x")
                r = recv_all(s, 60)
                s.close()
            except OSError as e:
                r = repr(e).encode()
            with lock:
                results.append(r)

        threads = [threading.Thread(target=client) for _ in range(250)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(90)
        be = st.backends["s"]
        assert len(results) == 250 and all(r == b"s" for r in results), \
            "rejected: %d" % sum(1 for r in results if r != b"s")
        assert be.peak <= 30, "peak %d" % be.peak
        assert be.peak >= 20, "peak %d: the queue did not fill the server" % be.peak
    finally:
        st.close()


@test
def timeout_queue_closes_the_client():
    st = Setup(listen("tq", ["server s 127.0.0.1:{s} maxconn 1"]), [Backend("s", "hold")],
               defaults="    timeout queue 300")
    try:
        a = socket.create_connection(("127.0.0.1", st.fe))
        assert recv_exact(a, 1) == b"s"
        t0 = time.monotonic()
        b = socket.create_connection(("127.0.0.1", st.fe))
        assert recv_all(b, 10) == b""
        took = time.monotonic() - t0
        assert 0.25 <= took < 5, took
        # the freed slot takes the next waiter
        c = socket.create_connection(("127.0.0.1", st.fe))
        a.close()
        assert recv_exact(c, 1, 5) == b"s"
        c.close()
    finally:
        st.close()


@test
def abortonclose_drops_a_queued_connection_the_client_closed():
    # The only slot is held; a second client sends data and half-closes while queued. With
    # option abortonclose it is closed (cleanly: its data was read) and never reaches the server;
    # without it its data and FIN go to the server once the slot frees. Same checks on haproxy.
    for cmd in (ENV.proxy, ENV.haproxy + " -db -f"):
        for option in (True, False):
            lines = ["server s 127.0.0.1:{s} maxconn 1"] + (["option abortonclose"] if option else [])
            srv = Backend("s", "hold")
            st = Setup(listen("aoc", lines), [srv], cmd=cmd, defaults="    timeout queue 10s")
            try:
                a = socket.create_connection(("127.0.0.1", st.fe))
                assert recv_exact(a, 1) == b"s"
                b = socket.create_connection(("127.0.0.1", st.fe))
                b.sendall(b"queued data")
                b.shutdown(socket.SHUT_WR)
                if option:
                    assert recv_all(b, 10) == b"", cmd  # closed while queued, no reset
                a.close()
                if not option:
                    assert recv_all(b, 10) == b"s", cmd  # served once the slot freed
                c = socket.create_connection(("127.0.0.1", st.fe))
                assert recv_exact(c, 1) == b"s", cmd
                # a still-queued b would have reached the server before c
                assert srv.accepted == (2 if option else 3), (cmd, option, srv.accepted)
                c.close()
                b.close()
            finally:
                st.close()


@test
def queued_connection_reset_by_its_client_never_reaches_the_server():
    # A client that resets while queued leaves the queue, with or without option abortonclose
    # (HAProxy's back_may_abort_req in TCP mode). The proxy closing its descriptor for that client
    # says the reset was seen; then the slot frees and the next client gets it.
    for cmd in (ENV.proxy, ENV.haproxy + " -db -f"):
        for option in (True, False):
            lines = ["server s 127.0.0.1:{s} maxconn 1"] + (["option abortonclose"] if option else [])
            srv = Backend("s", "hold")
            st = Setup(listen("rst", lines), [srv], cmd=cmd, defaults="    timeout queue 10s")
            try:
                a = socket.create_connection(("127.0.0.1", st.fe))
                assert recv_exact(a, 1) == b"s"
                b = socket.create_connection(("127.0.0.1", st.fe))
                b.sendall(b"queued data")
                port = "%04X" % b.getsockname()[1]

                def proxy_end():  # the proxy's descriptor for b: (fd, socket inode) or None
                    for fd, what in st.proxy.fd_snapshot().items():
                        if what.startswith("tcp ") and what.split("->")[1].startswith("0100007F:" + port):
                            return fd, os.readlink("/proc/%d/fd/%d" % (st.proxy.pid, fd))
                    return None

                wait_for(lambda: proxy_end() is not None, 10, "the proxy to accept the queued client")
                fd, link = proxy_end()

                def closed():
                    try:
                        return os.readlink("/proc/%d/fd/%d" % (st.proxy.pid, fd)) != link
                    except OSError:
                        return True

                b.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                b.close()
                wait_for(closed, 10, "the proxy to close the reset client")
                a.close()
                c = socket.create_connection(("127.0.0.1", st.fe))
                assert recv_exact(c, 1) == b"s", cmd
                assert srv.accepted == 2, (cmd, option, srv.accepted)
                c.close()
            finally:
                st.close()


if __name__ == "__main__":
    sys.exit(main(TESTS, add_args))

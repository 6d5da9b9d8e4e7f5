#!/usr/bin/env python3
# End-to-end tests of TCP proxying (issue 3), listeners: bind forms (addresses, inherited fds, v4/v6)
# and frontend maxconn.
# usage: tcp_listener_test.py [--proxy "CMD" | --build LBC] [--haproxy PATH] [--only NAME,...] [--soak N]
import os
import random
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Backend, can_connect, collector, connect_name, free_port, main, recv_exact  # noqa: E402
from tcp_common import Setup, add_args, can_bind  # noqa: E402

TESTS = []
test = collector(TESTS)


@test
def listener_forms():
    p6, pw, pu = free_port(), free_port(), free_port()
    # The port range comes from below the kernel's ephemeral range (32768-60999 by default), so
    # no other test's bind(0) or outgoing connection can take pr+1 or pr+2 between this check and
    # the proxy's bind (that race made this test fail now and then).
    pr = random.randrange(20000, 32000, 3)
    while not all(can_bind(pr + i) for i in range(3)):
        pr = random.randrange(20000, 32000, 3)
    sock_path = os.path.join("/tmp", "lbc-e2e-%d.sock" % os.getpid())
    inherited = socket.socket()
    inherited.bind(("127.0.0.1", 0))
    inherited.listen(16)
    pf = inherited.getsockname()[1]
    body = ("frontend multi\n    bind [::1]:%d\n    bind :%d\n    bind 127.0.0.1:%d-%d\n    bind unix@%s\n"
            "    bind fd@%d\n    bind :::%d v6only\n    default_backend be\n"
            "backend be\n    server s 127.0.0.1:{s}\n") % (p6, pw, pr, pr + 2, sock_path, inherited.fileno(), pu)
    st = Setup(body, [Backend("s")], pass_fds=(inherited.fileno(),))
    try:
        assert connect_name(p6, "::1") == "s"
        assert connect_name(pw, "127.0.0.1") == "s"
        for i in range(3):
            assert connect_name(pr + i) == "s"
        u = socket.socket(socket.AF_UNIX)
        u.connect(sock_path)
        assert recv_exact(u, 1) == b"s"
        u.close()
        assert connect_name(pf) == "s"
        assert connect_name(pu, "::1") == "s"
        assert not can_connect(pu, "127.0.0.1"), "v6only listener accepted IPv4"
    finally:
        st.close()
        inherited.close()
    pv = free_port()
    st = Setup("frontend v4v6\n    bind :::%d v4v6\n    default_backend be\nbackend be\n    server s 127.0.0.1:{s}\n"
               % pv, [Backend("s")])
    try:
        assert connect_name(pv, "127.0.0.1") == "s" and connect_name(pv, "::1") == "s"
    finally:
        st.close()


@test
def frontend_maxconn_pauses_and_resumes():
    body = "frontend f\n    bind 127.0.0.1:{fe}\n    maxconn 2\n    default_backend be\nbackend be\n" \
           "    server s 127.0.0.1:{s}\n"
    st = Setup(body, [Backend("s", "hold")])
    try:
        a = socket.create_connection(("127.0.0.1", st.fe))
        b = socket.create_connection(("127.0.0.1", st.fe))
        assert recv_exact(a, 1) == b"s" and recv_exact(b, 1) == b"s"
        c = socket.create_connection(("127.0.0.1", st.fe))  # sits in the backlog: not served
        c.settimeout(0.5)
        try:
            got = c.recv(1)
        except socket.timeout:
            got = None
        assert got is None, "a third connection was served above maxconn"
        a.close()
        assert recv_exact(c, 1, 5) == b"s"
        b.close()
        c.close()
    finally:
        st.close()


if __name__ == "__main__":
    sys.exit(main(TESTS, add_args))

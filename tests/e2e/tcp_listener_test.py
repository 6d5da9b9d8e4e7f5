#!/usr/bin/env python3
# End-to-end tests of TCP proxying (issue 3), listeners: bind forms (addresses, inherited fds, v4/v6)
# and frontend maxconn.
# usage: tcp_listener_test.py [--proxy "CMD" | --build LBC] [--haproxy PATH] [--only NAME,...] [--soak N]
import os
import random
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Backend, can_connect, collector, connect_name, fill, free_port, main, recv_exact  # noqa: E402
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
    body = fill("""
        frontend multi
            bind [::1]:{p6}
            bind :{pw}
            bind 127.0.0.1:{pr}-{pr_last}
            bind unix@{sock}
            bind fd@{fd}
            bind :::{pu} v6only
            default_backend be
        backend be
            server s 127.0.0.1:{s}
        """, p6=p6, pw=pw, pr=pr, pr_last=pr + 2, sock=sock_path, fd=inherited.fileno(), pu=pu)
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
    st = Setup(fill("""
        frontend v4v6
            bind :::{pv} v4v6
            default_backend be
        backend be
            server s 127.0.0.1:{s}
        """, pv=pv), [Backend("s")])
    try:
        assert connect_name(pv, "127.0.0.1") == "s" and connect_name(pv, "::1") == "s"
    finally:
        st.close()


@test
def frontend_maxconn_pauses_and_resumes():
    body = """
        frontend f
            bind 127.0.0.1:{fe}
            maxconn 2
            default_backend be
        backend be
            server s 127.0.0.1:{s}
        """
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

#!/usr/bin/env python3
# End-to-end tests of TCP proxying (issue 3), the process: graceful and hard stop, daemon mode and
# pidfile, startup errors, refused configurations.
# usage: tcp_process_test.py [--proxy "CMD" | --build LBC] [--haproxy PATH] [--only NAME,...] [--soak N]
import os
import signal
import socket
import sys
import time
from textwrap import dedent

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Backend, ENV, Proxy, can_connect, collector, connect_name, fill, free_port, head, main,  # noqa: E402
                     recv_exact, wait_for)
from tcp_common import Setup, add_args, listen  # noqa: E402

TESTS = []
test = collector(TESTS)


@test
def graceful_stop_lets_connections_finish():
    for sig in (signal.SIGTERM, signal.SIGUSR1):
        st = Setup(listen("gs", ["server s 127.0.0.1:{s}"]), [Backend("s")])
        s = socket.create_connection(("127.0.0.1", st.fe))
        assert recv_exact(s, 1) == b"s"
        st.proxy.proc.send_signal(sig)
        wait_for(lambda: not can_connect(st.fe), 10, "listeners to close")
        s.sendall(b"still here")
        assert recv_exact(s, 10) == b"still here"
        assert st.proxy.proc.poll() is None
        s.close()
        assert st.proxy.proc.wait(10) == 0
        st.close()


@test
def hard_stop_after_cuts_connections():
    st = Setup(listen("hs", ["server s 127.0.0.1:{s}"]), [Backend("s", "hold")],
               global_extra="    hard-stop-after 500")
    s = socket.create_connection(("127.0.0.1", st.fe))
    assert recv_exact(s, 1) == b"s"
    t0 = time.monotonic()
    st.proxy.proc.send_signal(signal.SIGTERM)
    assert st.proxy.proc.wait(10) == 0
    assert 0.4 <= time.monotonic() - t0 < 5
    st.close()


@test
def daemon_and_pidfile():
    pidfile = os.path.join("/tmp", "lbc-e2e-%d.pid" % os.getpid())
    if os.path.exists(pidfile):
        os.unlink(pidfile)
    st = Setup(listen("dm", ["server s 127.0.0.1:{s}"]), [Backend("s")], extra_args=("-D", "-p", pidfile),
               ready=False)
    assert st.proxy.proc.wait(20) == 0  # the parent returns once the daemon is started
    wait_for(lambda: os.path.exists(pidfile) and open(pidfile).read().strip().isdigit(), 10, "the pidfile")
    pid = int(open(pidfile).read())
    try:
        wait_for(lambda: can_connect(st.fe), 10, "the daemon to accept")
        assert connect_name(st.fe) == "s"
        assert os.getsid(pid) == pid, "the daemon is not a session leader"
    finally:
        os.kill(pid, signal.SIGTERM)
        wait_for(lambda: not os.path.exists("/proc/%d" % pid) or
                 open("/proc/%d/stat" % pid).read().split()[2] == "Z", 10, "the daemon to exit")
        for b in st.backends.values():
            b.stop()
        os.unlink(pidfile)


@test
def startup_errors_name_the_line():
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    port = busy.getsockname()[1]
    cfg = head() + fill(dedent("""\
        frontend f
            bind 127.0.0.1:{port}
            default_backend be
        backend be
            server s 127.0.0.1:1
        """), port=port)
    p = Proxy(ENV.proxy, cfg, expect_fail=True)
    busy.close()
    assert p.proc.returncode == 1 and "test.cfg:11" in p.err and "Address already in use" in p.err, p.err
    cfg = head() + fill(dedent("""\
        listen l
            bind 127.0.0.1:{port}
            server s no-such-host.invalid:80
        """), port=free_port())
    p = Proxy(ENV.proxy, cfg, expect_fail=True)
    assert p.proc.returncode == 1 and "test.cfg:12" in p.err and "no-such-host.invalid" in p.err, p.err
    cfg = head() + dedent("""\
        listen l
            bind unix@/proc/lbc-cannot-be-here.sock
            server s 127.0.0.1:1
        """)
    p = Proxy(ENV.proxy, cfg, expect_fail=True)
    assert p.proc.returncode == 1 and "test.cfg:11" in p.err and "cannot bind" in p.err, p.err


@test
def unsupported_configurations_are_refused():
    cases = [
        ("""\
            listen l
                mode http
                bind 127.0.0.1:1
                balance uri
                hash-type map-based none
                server s 127.0.0.1:1
            """, "'hash-type ... none'"),
        ("""\
            listen l
                bind 127.0.0.1:1
                stick-table type ip size 1k store conn_cur,bytes_in_cnt
                stick on src
                server s 127.0.0.1:1
            """, "'store bytes_in_cnt' in a stick-table"),
        ("""\
            listen l
                bind 127.0.0.1:1
                stick-table type ip size 1k store gpc(3)
                tcp-request connection track-sc0 src
                server s 127.0.0.1:1
            """, "'store gpc' in a stick-table"),
    ]
    for body, needle in cases:
        p = Proxy(ENV.proxy, head() + dedent(body), expect_fail=True)
        assert p.proc.returncode == 1 and needle in p.err and "test.cfg:1" in p.err and "^" in p.err, p.err


if __name__ == "__main__":
    sys.exit(main(TESTS, add_args))

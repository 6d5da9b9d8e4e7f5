#!/usr/bin/env python3
# End-to-end tests of TCP proxying (issue 3), the soak: many connections, fds and RSS stay flat
# (--soak N connections).
# usage: tcp_soak_test.py [--proxy "CMD" | --build LBC] [--haproxy PATH] [--only NAME,...] [--soak N]
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ENV, can_connect, collector, free_port, main, wait_for  # noqa: E402
from tcp_common import Setup, add_args, listen  # noqa: E402

TESTS = []
test = collector(TESTS)


@test
def soak_fds_and_rss_stay_flat():
    import subprocess
    be_port = free_port()
    echo = subprocess.Popen([sys.executable, os.path.join(os.path.dirname(__file__), "soak_load.py"), "serve",
                             str(be_port)])
    try:
        wait_for(lambda: can_connect(be_port), 10, "the soak backend")
        st = Setup(listen("soak", ["server s 127.0.0.1:%d" % be_port]), [], global_extra=os.environ.get("SOAK_GLOBAL", ""))
        try:
            def load(n):
                r = subprocess.run([sys.executable, os.path.join(os.path.dirname(__file__), "soak_load.py"), "load",
                                    str(st.fe), str(n)], capture_output=True, text=True, timeout=600)
                assert r.returncode == 0, r.stdout + r.stderr
            # The readiness probe's two sockets leave the TCP tables before the proxy has closed
            # their fds (an io_uring close, slower under ASan): the start is when no socket fd is
            # left that is not a listener (CI saw 13 fds at start, then 11).
            def settled():
                snap = st.proxy.fd_snapshot()
                return st.proxy.open_connections() == 0 and not any(
                    v.startswith("socket:[") for v in snap.values())
            wait_for(settled, 10, "the readiness probe's sockets to be closed")
            snap0 = st.proxy.fd_snapshot()
            fd0 = len(snap0)

            def fds_back(what):
                try:
                    wait_for(lambda: st.proxy.fd_count() == fd0, 10, what)
                except AssertionError:
                    now = st.proxy.fd_snapshot()
                    gone = {k: v for k, v in snap0.items() if now.get(k) != v}
                    new = {k: v for k, v in now.items() if snap0.get(k) != v}
                    raise AssertionError("%s: %d fds at start, %d now; gone %s; new %s" % (
                        what, fd0, len(now), gone, dict(list(new.items())[:20])))
            load(5000)  # warm-up: pools and buffers reach their working size
            fds_back("fds after warm-up")
            rss0 = st.proxy.rss_kb()
            load(ENV.soak)
            fds_back("fds back to %d" % fd0)
            rss1 = st.proxy.rss_kb()
            assert rss1 <= rss0 * 1.10 + 2048, "RSS %d KiB -> %d KiB" % (rss0, rss1)
            print("    soak: %d connections, fds %d, RSS %d -> %d KiB" % (ENV.soak, fd0, rss0, rss1))
        finally:
            st.close()
    finally:
        echo.kill()
        echo.wait()


if __name__ == "__main__":
    sys.exit(main(TESTS, add_args))

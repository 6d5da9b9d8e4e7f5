#!/usr/bin/env python3
# End-to-end tests of TCP proxying (issue 3), the TCP samples of samples/ (fixed ports: run under
# RESOURCE_LOCK e2e_fixed_ports).
# usage: tcp_samples_test.py [--proxy "CMD" | --build LBC] [--haproxy PATH] [--only NAME,...] [--soak N]
import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Backend, ENV, Proxy, collector, main, recv_exact, wait_for  # noqa: E402
from tcp_common import SAMPLES, add_args, s_client, tls_servers  # noqa: E402

TESTS = []
test = collector(TESTS)


@test
def samples_tcp_mysql_leastconn():
    # samples/aloha_tcp_mysql.cfg as written: frontend :8336, servers on 8306 and 8307.
    s1, s2 = Backend("s1", "hold", port=8306), Backend("s2", "hold", port=8307)
    p = Proxy(ENV.proxy, open(os.path.join(SAMPLES, "aloha_tcp_mysql.cfg")).read(), 8336)
    try:
        wait_for(lambda: len(s1.events) + len(s2.events) >= 1, 5, "the readiness probe to be closed")
        held = []
        for _ in range(4):
            c = socket.create_connection(("127.0.0.1", 8336))
            held.append(recv_exact(c, 2).decode())
            held.append(c)
        names = [n for n in held if isinstance(n, str)]
        assert sorted(names) == ["s1", "s1", "s2", "s2"], names
        for c in held:
            if not isinstance(c, str):
                c.close()
    finally:
        p.stop()
        s1.stop()
        s2.stop()


@test
def samples_https_passthrough():
    # samples/https_passthrough.cfg: TCP relay on :8443 to 9443/9444 with checks and `stick on
    # src`; a real TLS handshake goes through it untouched (openssl s_server behind, each with
    # its own certificate, openssl s_client and curl in front), and every connection of this
    # client reaches the same server although the balancing is round robin.
    import subprocess
    d, servers = tls_servers([("s1", 9443), ("s2", 9444)])
    try:
        p = Proxy(ENV.proxy, open(os.path.join(SAMPLES, "https_passthrough.cfg")).read(), 8443)
        try:
            r = subprocess.run(["curl", "-sk", "--max-time", "10", "https://127.0.0.1:8443/"], capture_output=True,
                               text=True, timeout=20)
            assert r.returncode == 0 and "s_server" in r.stdout, (r.returncode, r.stdout[:200], r.stderr)
            names = [s_client(8443)[0] for _ in range(4)]
            assert names[0] in ("s1", "s2") and names == [names[0]] * 4, names
        finally:
            p.stop()
    finally:
        for s in servers:
            s.kill()
            s.wait()


@test
def samples_ssl_session_id_affinity():
    # samples/ssl_session_id_affinity.cfg: the session ID of the server hello is learnt
    # (store-response) and matched in the next client hello (stick on payload_lv): a resumed
    # session only succeeds on the server that issued it, so "Reused" each time is the proof.
    d, servers = tls_servers([("s1", 9443), ("s2", 9444)])
    try:
        p = Proxy(ENV.proxy, open(os.path.join(SAMPLES, "ssl_session_id_affinity.cfg")).read(), 8443)
        try:
            sess = os.path.join(d, "sess.pem")
            first, _ = s_client(8443, sess_out=sess)
            assert first in ("s1", "s2"), first
            for _ in range(4):
                name, reused = s_client(8443, sess_in=sess)
                assert name == first and reused, (first, name, reused)
        finally:
            p.stop()
    finally:
        for s in servers:
            s.kill()
            s.wait()


if __name__ == "__main__":
    sys.exit(main(TESTS, add_args))

#!/usr/bin/env python3
# End-to-end tests of server choice in HTTP mode: hashed choices (balance uri) and roundrobin
# when a server refuses connections, with retries and option redispatch, compared with haproxy 2.6.
# usage: http_balance_test.py [--proxy "CMD" | --build LBC] [--haproxy PATH] [--only NAME,...]
import os
import signal
import sys
from textwrap import dedent

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Proxy, Server, collector, fill, free_port, http_echo, main  # noqa: E402
from http_common import compared, get, raw  # noqa: E402

TESTS = []
test = collector(TESTS)

REDISPATCH_CFG = """\
    global
        log stdout format raw local0
    defaults
        mode http
        log global
        option httplog
        option dontlognull
        option redispatch
        retries 2
        timeout connect 2s
        timeout client 10s
        timeout server 10s
    frontend web
        bind 127.0.0.1:{fe}
        use_backend rr if { path_beg /rr }
        default_backend hashed
    backend hashed
        balance uri
        server dead 127.0.0.1:{dead1}
        server a 127.0.0.1:{a}
    backend rr
        server dead 127.0.0.1:{dead2}
        server a 127.0.0.1:{a}
    """


@test
def redispatch_of_hashed_choices_matches_haproxy():
    # A server chosen by a hash (balance uri) that refuses connections keeps the request: a
    # redispatch hashes it to the same server again (HAProxy's BE_LB_KIND_HI); roundrobin moves
    # it at the first failure. Statuses, servers and %rc ('+' only when the server changed) are
    # compared with haproxy's log lines.
    got = {}
    for label, cmd in compared():
        a = Server("a", http_echo())
        fe = free_port()
        p = Proxy(cmd, fill(dedent(REDISPATCH_CFG), fe=fe, a=a.port, dead1=free_port(), dead2=free_port()), fe)
        try:
            codes = [raw(fe, get(u).replace(b"Host: a", b"Host: x"))[9:12]
                     for u in ("/a", "/b", "/c", "/d", "/rr1", "/rr2")]
        finally:
            p.stop(sig=signal.SIGUSR1)
            a.stop()
        lines = [ln for ln in p.out.splitlines() if '"GET ' in ln]
        # backend/server, and the retry counter (%rc, "+N" after a redispatch), in request order
        # (haproxy may write a line after the next request's under load)
        by_path = {ln.split('"GET ')[1].split()[0]: (ln.split()[3], ln.split()[-5].split("/")[-1]) for ln in lines}
        got[label] = (codes, [by_path.get(u) for u in ("/a", "/b", "/c", "/d", "/rr1", "/rr2")])
    codes, served = got["lbc"]
    # the hash picks the refusing server again on every retry (the request ends in 503 after
    # 2 retries, no '+'); roundrobin moves the request at the first failure ('+1')
    assert all((c, rc) == (b"503", "2") for c, (srv, rc) in zip(codes, served) if srv == "hashed/dead"), got
    assert served[4:] == [("rr/a", "+1")] * 2 and codes[4:] == [b"200"] * 2, got
    if "haproxy" in got:
        assert got["lbc"] == got["haproxy"], got


if __name__ == "__main__":
    sys.exit(main(TESTS))

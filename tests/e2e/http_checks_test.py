#!/usr/bin/env python3
# End-to-end tests of HTTP health checks (option httpchk, http-check send / expect): servers
# taken down and brought back, the check requests compared with haproxy 2.6's, and the server
# state changes reported on stderr and to the log targets as haproxy reports them.
# usage: http_checks_test.py [--proxy "CMD" | --build LBC] [--haproxy PATH] [--only NAME,...]
import os
import re
import sys
from textwrap import dedent

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (ENV, LoggedProxy, Proxy, Server, collector, fill, free_port, haproxy_available,  # noqa: E402
                     http_checked, main, wait_for)
from http_common import HEAD, Setup, compared, raw, stopped_clean  # noqa: E402

TESTS = []
test = collector(TESTS)


def checked(name, health_path="/health"):
    """A backend whose health endpoint answers what the test sets (s.health); see harness.tx_checked."""
    return Server(name, http_checked(), health_path=health_path)


def served_by(port, path="/x", cookie=None):
    hdr = "Cookie: %s\r\n" % cookie if cookie else ""
    out = raw(port, ("GET %s HTTP/1.1\r\nHost: x\r\n%sConnection: close\r\n\r\n" % (path, hdr)).encode())
    m = re.search(rb"\r\nx-server: (\w+)", out)
    return (m.group(1).decode() if m else out[9:12].decode()), out  # the server, else the status


def all_served_by(port, name, n=8):
    return all(served_by(port)[0] == name for _ in range(n))


@test
def httpchk_takes_a_server_down_and_back_up():
    a, b = checked("a"), checked("b")
    st = Setup("""
        frontend web
            bind 127.0.0.1:{fe}
            default_backend app
        backend app
            option httpchk GET /health
            cookie SRV insert indirect
            server a 127.0.0.1:{a} check inter 100 fall 2 rise 2 cookie ca
            server b 127.0.0.1:{b} check inter 100 cookie cb
        """, [a, b])
    try:
        wait_for(lambda: len(a.checks()) >= 2, 10, "checks on a")
        assert {served_by(st.fe)[0] for _ in range(6)} == {"a", "b"}
        assert a.checks()[0].startswith(b"GET /health HTTP/1.0\r\n"), a.checks()[0]
        # a 500 fails the check: after `fall` of them the server is down, b takes everything
        a.health = (500, b"broken")
        wait_for(lambda: all_served_by(st.fe, "b"), 10, "a to be taken down by its 500s")
        # its cookie no longer counts: balanced to b with a new cookie (client state D)
        name, out = served_by(st.fe, cookie="SRV=ca")
        assert name == "b" and b"\r\nset-cookie: SRV=cb; path=/\r\n" in out, out
        # back to 200: after `rise` good checks, a serves again (and its cookie works)
        a.health = (200, b"GOOD")
        wait_for(lambda: served_by(st.fe, cookie="SRV=ca")[0] == "a", 10, "a to come back up")
        # a missing endpoint (404) takes it down too
        a.health = (None, b"")
        wait_for(lambda: all_served_by(st.fe, "b"), 10, "a to be taken down by a 404")
    finally:
        st.close()


@test
def check_intervals_address_and_port():
    # `fastinter` and `downinter` pace the checks of a server in transition and of a down one: with
    # `inter 60s`, a recovers within seconds only through them (60 s per check otherwise). `addr`
    # and `port` send b's checks to another listener (hc on 127.0.0.2), never to b itself.
    for label, cmd in compared():
        a, b, hc = checked("a"), checked("b"), Server("hc", http_checked(), host="127.0.0.2")
        a.health = (500, b"broken")
        fe = free_port()
        p = Proxy(cmd, HEAD + fill(dedent("""
            frontend web
                bind 127.0.0.1:{fe}
                default_backend app
            backend app
                option httpchk GET /health
                server a 127.0.0.1:{a} check inter 60s fastinter 100 downinter 100 fall 2 rise 3
                server b 127.0.0.1:{b} check inter 100 addr 127.0.0.2 port {hc}
            """), fe=fe, a=a.port, b=b.port, hc=hc.port), fe)
        try:
            wait_for(lambda: len(hc.checks()) >= 2, 10, "b's checks at 127.0.0.2:%d (%s)" % (hc.port, label))
            wait_for(lambda: all_served_by(fe, "b"), 10, "a to be down (%s)" % label)
            n = len(a.checks())
            wait_for(lambda: len(a.checks()) >= n + 2, 10, "a checked at downinter while down (%s)" % label)
            a.health = (200, b"GOOD")
            wait_for(lambda: {served_by(fe)[0] for _ in range(6)} == {"a", "b"}, 10,
                     "a back up after rise 3 at fastinter (%s)" % label)
            assert b.checks() == [], (label, b.checks())
            hc.health = (503, b"no")  # b's health is hc's answer
            wait_for(lambda: all_served_by(fe, "a"), 10, "b down by its check address (%s)" % label)
        finally:
            stopped_clean(p, label)
            for srv in (a, b, hc):
                srv.stop()


@test
def httpchk_expect_string_and_status():
    a, b = checked("a"), checked("b")
    st = Setup("""
        frontend web
            bind 127.0.0.1:{fe}
            default_backend app
        backend app
            option httpchk /health
            http-check expect string GOOD
            server a 127.0.0.1:{a} check inter 100 fall 1 rise 1
        backend st
            option httpchk
            http-check send meth GET uri /health ver HTTP/1.1 hdr Host chk
            http-check expect ! status 500-599
            server b 127.0.0.1:{b} check inter 100 fall 1 rise 1
        frontend web2
            bind 127.0.0.1:{fe2}
            default_backend st
        """, [a, b], more_ports=("fe2",))
    try:
        wait_for(lambda: a.checks() and b.checks(), 10, "checks")
        # (httpchk_requests_match_haproxy compares the whole requests with HAProxy's)
        assert a.checks()[0].startswith(b"OPTIONS /health HTTP/1.0\r\n"), a.checks()[0]
        assert b.checks()[0].startswith(b"GET /health HTTP/1.1\r\nhost: chk\r\nconnection: close\r\n"), b.checks()[0]
        assert served_by(st.fe)[0] == "a"
        a.health = (200, b"BAD")  # a 200 without the expected string fails
        wait_for(lambda: served_by(st.fe)[0] == "503", 10, "a down on a body without GOOD")
        a.health = (200, b"xxGOODxx")
        wait_for(lambda: served_by(st.fe)[0] == "a", 10, "a back up")
        a.health = (500, b"GOOD")  # the string alone decides, as HAProxy
        n = len(a.checks())
        wait_for(lambda: len(a.checks()) >= n + 3, 10, "more checks")
        assert served_by(st.fe)[0] == "a"
        fe2 = st.ports["fe2"]
        assert served_by(fe2)[0] == "b"
        b.health = (503, b"")
        wait_for(lambda: served_by(fe2)[0] == "503", 10, "b down on a 5xx")
    finally:
        st.close()


# `timeout check` lets a slow answer of the Python servers count as an answer (inter still bounds
# the connect), so only the test's own changes move the servers.
STATE_CFG = """\
    global
        maxconn 100
    defaults
        mode http
        timeout connect 2s
        timeout client 5s
        timeout server 5s
        timeout check 5s
    frontend web
        bind 127.0.0.1:{fe}
        default_backend app
    backend app
        log stdout format raw local0
        log stdout format short local0 alert
        option httpchk GET /health
        server a 127.0.0.1:{a} check inter 100 fall 2 rise 2
        server bk 127.0.0.1:{bk} check inter 100 fall 1 rise 1 backup
    backend tcpb
        log stdout len 100 format short local0 info err
        server t 127.0.0.1:{t} check inter 100 fall 1 rise 1
        server d 127.0.0.1:{t} check disabled
    backend quiet
        option httpchk GET /health
        http-check expect ! string BAD
        server q 127.0.0.1:{q} check inter 100 fall 1 rise 1
    """


def state_messages(lines):
    """The state-change lines, with what varies from run to run (pid, check duration) masked."""
    out = []
    for ln in lines:
        if "Server " in ln or "has no server available" in ln:
            ln = re.sub(r"\(\d+\) : ", "(PID) : ", ln)
            out.append(re.sub(r"check duration: \d+ms", "check duration: Nms", ln))
    return out


def toggled():
    """A listener nobody accepts on (checks only connect: the backlog holds them); stop_listening()
    refuses connections, start() opens it again on its port."""
    return Server("t", accept=False)


@test
def server_state_changes_are_reported_as_haproxy():
    """Health checks take servers down and up: the stderr warnings/alerts and the lines sent to the
    backends' log targets (raw, short with level filters, len) are HAProxy's, in the same order."""
    if not haproxy_available():
        raise AssertionError("/usr/sbin/haproxy is needed for this comparison")
    got = {}
    for name, cmd in compared(haproxy_first=True):
        a, bk, q, t = checked("a"), checked("bk"), checked("q"), toggled()
        q.health = (200, b"")  # an empty body fails a body rule, negated or not
        fe = free_port()
        p = LoggedProxy(cmd, fill(dedent(STATE_CFG), fe=fe, a=a.port, bk=bk.port, t=t.port, q=q.port), fe)
        try:
            p.wait_line("Server quiet/q is DOWN")
            q.health = (200, b"GOOD")
            p.wait_line("Server quiet/q is UP")
            a.health = (500, b"broken")  # two failures (fall 2): running on the backup
            p.wait_line("Server app/a is DOWN")
            a.health = (200, b"fine")
            p.wait_line("Server app/a is UP")
            t.stop_listening()  # refused: the backend's only server is gone
            p.wait_line("backend 'tcpb' has no server available!")
            t.start()
            p.wait_line("Server tcpb/t is UP")
            bk.health = (503, b"")
            p.wait_line("Backup Server app/bk is DOWN")
            a.stop()
            p.wait_line("backend 'app' has no server available!")
            p.wait_line("backend app has no server available!", "out")
            code = p.stop()
            assert name == "haproxy" or code == 0, (code, p.lines("err")[-20:])
            got[name] = (state_messages(p.lines("err")), state_messages(p.lines("out")))
        finally:
            if p.proc.poll() is None:
                p.proc.kill()
            for s in (a, bk, q, t):
                s.stop()
    err, out = got["lbc"]
    assert err == got["haproxy"][0], "lbc:\n%s\nhaproxy:\n%s" % ("\n".join(err), "\n".join(got["haproxy"][0]))
    assert out == got["haproxy"][1], "lbc:\n%s\nhaproxy:\n%s" % ("\n".join(out), "\n".join(got["haproxy"][1]))
    # the comparison saw what it is about
    assert any("reason: Layer7 wrong status, code: 500" in ln and "Running on backup." in ln for ln in err), err
    assert any("reason: Layer4 connection problem, info: \"Connection refused\"" in ln for ln in err), err
    assert any(ln.startswith("<3>Server tcpb/t is DOWN") and len(ln) == 99 for ln in out), out
    assert not any("tcpb/d" in ln for ln in err), err  # a disabled server says nothing


@test
def quiet_keeps_server_state_changes_off_stderr():
    """-q (HAProxy's quiet mode) silences the stderr messages; the log targets still get them."""
    t = toggled()
    fe = free_port()
    p = LoggedProxy(ENV.proxy + " -q", fill(dedent("""\
        defaults
            mode http
            timeout connect 2s
            timeout client 5s
            timeout server 5s
        frontend web
            bind 127.0.0.1:{fe}
            default_backend b
        backend b
            log stdout format raw local0
            server t 127.0.0.1:{t} check inter 100 fall 1 rise 1
        """), fe=fe, t=t.port), fe)
    try:
        t.stop_listening()
        p.wait_line("backend b has no server available!", "out")
        assert p.stop() == 0
        assert not state_messages(p.lines("err")), p.lines("err")
        assert p.lines("out")[0].startswith("Server b/t is DOWN, reason: Layer4 connection problem"), p.lines("out")
    finally:
        if p.proc.poll() is None:
            p.proc.kill()
        t.stop()


CHECKS_CFG = r"""
    global
        maxconn 100
    defaults
        mode http
        timeout connect 2s
        timeout client 5s
        timeout server 5s
    frontend web
        bind 127.0.0.1:{fe}
        default_backend a
    backend a
        option httpchk
        server s 127.0.0.1:{a} check inter 200 cookie x
    backend b
        option httpchk HEAD /h HTTP/1.1\r\nHost:\ www\r\nX-A:\ b
        server s 127.0.0.1:{b} check inter 200
    backend c
        option httpchk GET /h
        http-check send hdr X-Y z body hello
        server s 127.0.0.1:{c} check inter 200
    backend d
        option httpchk POST /h HTTP/1.1\r\nHost:\ x\r\n\r\nBODY
        server s 127.0.0.1:{d} check inter 200
    """


@test
def httpchk_requests_match_haproxy():
    if not haproxy_available():
        raise AssertionError("/usr/sbin/haproxy is needed for this comparison")
    got = {}
    for name, cmd in compared(haproxy_first=True):
        srv = {k: checked(k, "/h") for k in ("a", "b", "c", "d")}
        srv["a"].health_path = "/"
        fe = free_port()
        p = Proxy(cmd, fill(dedent(CHECKS_CFG), fe=fe, **{k: s.port for k, s in srv.items()}), fe)
        try:
            wait_for(lambda: all(s.requests for s in srv.values()), 10, name + "'s checks")
            # each server's first request as it came, byte for byte (head and body)
            got[name] = {k: s.requests[0].head + s.requests[0].raw_body for k, s in srv.items()}
        finally:
            p.stop()
            for s in srv.values():
                s.stop()
    assert got["haproxy"] == got["lbc"], got


if __name__ == "__main__":
    sys.exit(main(TESTS))

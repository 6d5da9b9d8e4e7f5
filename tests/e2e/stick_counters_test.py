#!/usr/bin/env python3
# Sticky counters (issue 13): stick tables storing counters and rates, `track-sc*`, the sc_*/src_*
# fetches, sc-inc-gpc0 / sc-set-gpt0, and the table commands of the stats socket. Every scenario
# runs on haproxy 2.6 and on lbc with the same configuration and traffic; what each answered (HTTP
# statuses, connections accepted or refused, `show table` with the entry addresses and remaining
# times masked) must be the same, and is also checked against what HAProxy's manual says.
# usage: stick_counters_test.py [--proxy "CMD"] [--build LBC] [--only NAME,...]
import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Backend, Proxy, Server, free_port, run_tests, serve, wait_for  # noqa: E402
from http_tcp_rules_test import HttpBackend  # noqa: E402

ARGS = None
TESTS = []
HAPROXY = "/usr/sbin/haproxy"

HEAD = """global
    maxconn 200
    stats socket unix@{dir}/admin.sock level admin
    stats timeout 5s
defaults
    timeout connect 2s
    timeout client 10s
    timeout server 10s
"""


def test(fn):
    TESTS.append(fn)
    return fn


def cli(d, text, timeout=3):
    r = subprocess.run(["socat", "-t", str(timeout), "unix-connect:%s/admin.sock" % d, "stdio"],
                       input=text.encode(), capture_output=True, timeout=timeout + 10)
    return r.stdout.decode()


def table_view(text):
    """`show table` with what differs between two processes masked: the entry's address, and its
    remaining time (every table of these tests expires entries after 60s: it must be within the
    last 10s of that, as an entry touched during the test)."""
    out = []
    for ln in text.split("\n"):
        ln = re.sub(r"^0x[0-9a-f]+:", "<p>:", ln)
        ln = re.sub(r"exp=(\d+)", lambda m: "exp=<live>" if 50000 < int(m.group(1)) <= 60000 else m.group(0), ln)
        out.append(ln)
    return out


def status_of(port, path="/", src=None, conn=None):
    """One HTTP/1.1 request: its status (0 when the connection closed without one)."""
    return exchange(port, path, src, conn)[0]


def exchange(port, path="/", src=None, conn=None):
    """One HTTP/1.1 request: (status, body); status 0 when the connection closed without one."""
    head, body = raw_exchange(port, path, src, conn)
    if not head.startswith(b"HTTP/1.1 "):
        return 0, ""
    return int(head[9:12]), body.decode()


def raw_exchange(port, path="/", src=None, conn=None):
    """One HTTP/1.1 request: the response's (head, body) bytes."""
    s = conn or socket.create_connection(("127.0.0.1", port), timeout=5, source_address=(src or "127.0.0.1", 0))
    s.sendall(("GET %s HTTP/1.1\r\nhost: t\r\n%s\r\n" % (path, "" if conn else "connection: close\r\n")).encode())
    data = b""
    while b"\r\n\r\n" not in data:
        d = s.recv(65536)
        if not d:
            break
        data += d
    head, _, body = data.partition(b"\r\n\r\n")
    m = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
    while m and len(body) < int(m.group(1)):
        body += s.recv(65536)
    if not conn:
        s.close()
    return head, body


def both(config, scenario, servers, head=HEAD):
    """{label: scenario(ports, dir)} for haproxy and lbc serving `config`."""
    if not os.path.exists(HAPROXY):
        raise AssertionError("%s is needed for this comparison" % HAPROXY)
    got = {}
    for label, cmd in (("haproxy", HAPROXY + " -db -f"), ("lbc", ARGS.proxy)):
        d = tempfile.mkdtemp(prefix="lbc-stk-")
        ports = {"fe": free_port(), "dir": d}
        ports.update({s.name: s.port for s in servers})
        p = Proxy(cmd, (head + config).format(**ports), ports["fe"])
        try:
            wait_for(lambda: cli(d, "show table\n", timeout=1).startswith("#") or False, 20, "the stats socket")
            got[label] = scenario(ports, d)
        finally:
            p.stop()
            shutil.rmtree(d, ignore_errors=True)
    for s in servers:
        s.stop()
    assert got["lbc"] == got["haproxy"], "lbc:     %r\nhaproxy: %r" % (got["lbc"], got["haproxy"])
    return got["lbc"]


@test
def http_request_rate_limit():
    # The classic recipe: 429 once more than 5 requests came within the period, counted exactly,
    # on separate connections and on one keep-alive connection.
    cfg = """
frontend web
    bind 127.0.0.1:{fe}
    mode http
    stick-table type ip size 100 expire 60s store http_req_rate(10s),http_req_cnt,conn_cur,conn_cnt,conn_rate(10s),http_err_cnt,sess_cnt
    http-request track-sc0 src
    http-request deny deny_status 429 if {{ sc_http_req_rate(0) gt 5 }}
    default_backend app
backend app
    mode http
    server a 127.0.0.1:{a}
"""

    def scenario(ports, d):
        fe = ports["fe"]
        out = {"sep": [status_of(fe) for _ in range(8)]}
        ka = socket.create_connection(("127.0.0.1", fe), timeout=5, source_address=("127.0.0.2", 0))
        out["ka"] = [status_of(fe, conn=ka) for _ in range(8)]
        out["table_ka_open"] = table_view(cli(d, "show table web\n"))
        ka.close()
        time.sleep(0.3)
        out["table"] = table_view(cli(d, "show table web\n"))
        out["filter"] = table_view(cli(d, "show table web data.http_req_cnt gt 8\n"))
        out["key"] = table_view(cli(d, "show table web key 127.0.0.2\n"))
        out["errors"] = [cli(d, c) for c in ("show table web data.gpc0 gt 1\n", "show table web data.nope gt 1\n",
                                             "show table web data.http_req_cnt zz 1\n", "show table web key\n",
                                             "show table web key 1.2.3\n", "show table web foo\n",
                                             "set table web data.gpc0 1\n", "clear table\n")]
        return out

    got = both(cfg, scenario, [HttpBackend("a")])
    assert got["sep"] == [200] * 5 + [429] * 3 and got["ka"] == [200] * 5 + [429] * 3, got
    # http-request trackers end with each request: between two keep-alive requests conn_cur is 0.
    assert any("key=127.0.0.2 use=0" in ln and "conn_cur=0" in ln and "http_req_cnt=8" in ln
               for ln in got["table_ka_open"]), got


@test
def gpc0_blacklist_and_set_table():
    # sc-inc-gpc0 marks an abuser, who is then denied (sc_get_gpc0 / src_get_gpc0); `set table`
    # and `clear table` change the entries the rules see.
    cfg = """
frontend web
    bind 127.0.0.1:{fe}
    mode http
    stick-table type ip size 100 expire 60s store gpc0,gpc0_rate(10s),gpt0,conn_cnt
    http-request return status 200 content-type text/plain lf-string "inc=%[src_inc_gpc0] inc=%[src_inc_gpc0] clr=%[src_clr_gpc0] get=%[src_get_gpc0] updt=%[src_updt_conn_cnt] rate=%[src_gpc0_rate] n=%[sc0_conn_cnt] t=%[sc0_tracked]" if {{ path /src }}
    http-request track-sc0 src
    http-request deny if {{ sc_get_gpc0(0) gt 0 }}
    http-request deny deny_status 401 if {{ src_get_gpt0 eq 7 }}
    http-request sc-inc-gpc0(0) if {{ path /bad }}
    http-request sc-set-gpt0(0) 3 if {{ path /tag }}
    default_backend app
backend app
    mode http
    server a 127.0.0.1:{a}
"""

    def scenario(ports, d):
        fe = ports["fe"]
        out = {"src": exchange(fe, "/src", src="127.0.0.3")}
        out["codes"] = [status_of(fe, p) for p in ("/ok", "/tag", "/bad", "/ok", "/ok")]
        out["t1"] = table_view(cli(d, "show table web\n"))
        out["clear"] = cli(d, "clear table web key 127.0.0.1\n")
        out["after_clear"] = status_of(fe, "/ok")
        out["set"] = cli(d, "set table web key 127.0.0.1 data.gpc0 0 data.gpt0 7\n")
        out["after_set"] = status_of(fe, "/ok")
        out["set_bad"] = [cli(d, "set table web key 127.0.0.1 data.conn_cnt 1\n"),
                          cli(d, "set table web key 127.0.0.1 data.gpc0 x\n"),
                          cli(d, "set table web key 127.0.0.1 gpc0 1\n")]
        out["t2"] = table_view(cli(d, "show table web\n"))
        out["clear_all"] = cli(d, "clear table web\n")
        out["t3"] = table_view(cli(d, "show table web\n"))
        return out

    got = both(cfg, scenario, [HttpBackend("a")])
    assert got["codes"] == [200, 200, 200, 403, 403] and got["after_clear"] == 200 and got["after_set"] == 401, got
    assert got["src"] == (200, "inc=1 inc=2 clr=2 get=0 updt=1 rate=2 n= t=0"), got


@test
def session_tracker_over_keep_alive():
    # tcp-request connection trackers live as long as the connection: conn_cur stays 1 over
    # keep-alive requests, each of which counts (http_req_cnt), and denies count as errors.
    cfg = """
frontend web
    bind 127.0.0.1:{fe}
    mode http
    stick-table type ip size 100 expire 60s store conn_cur,conn_cnt,http_req_cnt,http_req_rate(10s),http_err_cnt,sess_cnt
    tcp-request connection track-sc1 src
    http-request deny if {{ path /deny }}
    http-request return status 200 content-type text/plain lf-string "cur=%[sc1_conn_cur] req=%[sc_http_req_cnt(1)] rate=%[sc1_http_req_rate] err=%[sc1_http_err_cnt] sess=%[src_sess_cnt] t0=%[sc_tracked(0)] t1=%[sc1_tracked] n=%[table_cnt] a=%[table_avl] in=%[src,in_table(web)] cnt=%[src,table_http_req_cnt(web)]" if {{ path /show }}
    default_backend app
backend app
    mode http
    server a 127.0.0.1:{a}
"""

    def scenario(ports, d):
        fe = ports["fe"]
        ka = socket.create_connection(("127.0.0.1", fe), timeout=5)
        out = {"ex": [exchange(fe, p, conn=ka) for p in ("/", "/deny", "/show", "/", "/show")]}
        out["open"] = table_view(cli(d, "show table web\n"))
        ka.close()
        wait_for(lambda: "conn_cur=0" in cli(d, "show table web\n"), 10, "conn_cur back to 0")
        out["closed"] = table_view(cli(d, "show table web\n"))
        return out

    got = both(cfg, scenario, [HttpBackend("a")])
    # (the readiness probe's empty connection counts too: one request and one error, as a 400)
    assert got["ex"][4][1].startswith("cur=1 req=6 rate=6 err=2 "), got


def tx_status_from_path(c):
    """Answers with the status the path names (/404 -> 404), 200 otherwise."""
    code = int(c.req.path[1:]) if c.req.path[1:].isdigit() else 200
    c.send(b"HTTP/1.1 %d X\r\ncontent-length: 0\r\n\r\n" % code)


@test
def server_errors_and_response_trackers():
    # 4xx answers of the server are errors (http_err_*), 5xx other than 501/505 failures
    # (http_fail_*); an http-response tracker counts the request and its answer.
    cfg = """
frontend web
    bind 127.0.0.1:{fe}
    mode http
    stick-table type ip size 100 expire 60s store http_req_cnt,http_err_cnt,http_err_rate(10s),http_fail_cnt,http_fail_rate(10s)
    http-request track-sc0 src
    http-response track-sc1 src table resp
    default_backend app
backend resp
    stick-table type ip size 100 expire 60s store http_req_cnt,http_err_cnt,http_fail_cnt,conn_cnt
backend app
    mode http
    server a 127.0.0.1:{a}
"""

    def scenario(ports, d):
        fe = ports["fe"]
        out = {"codes": [status_of(fe, "/%d" % c) for c in (200, 404, 400, 500, 501, 503, 505, 302)]}
        out["web"] = table_view(cli(d, "show table web\n"))
        out["resp"] = table_view(cli(d, "show table resp\n"))
        return out

    got = both(cfg, scenario, [Server("a", [serve(tx_status_from_path)])])
    assert got["web"][1].endswith("http_req_cnt=8 http_err_cnt=2 http_err_rate(10000)=2 http_fail_cnt=2 "
                                  "http_fail_rate(10000)=2"), got


@test
def two_threads_count_exactly():
    # nbthread 2: connections land on both threads, which count on the same entries.
    cfg = """
frontend web
    bind 127.0.0.1:{fe}
    mode http
    stick-table type string len 16 size 100 expire 60s store http_req_cnt,conn_cnt,conn_cur,gpc0
    http-request track-sc0 req.hdr(x-k)
    http-request sc-inc-gpc0(0)
    default_backend app
backend app
    mode http
    server a 127.0.0.1:{a}
"""

    def worker(fe, key, n, errors):
        try:
            for _ in range(n):
                s = socket.create_connection(("127.0.0.1", fe), timeout=10)
                s.sendall(("GET / HTTP/1.1\r\nhost: t\r\nx-k: %s\r\nconnection: close\r\n\r\n" % key).encode())
                data = b""
                while True:
                    d = s.recv(65536)
                    if not d:
                        break
                    data += d
                s.close()
                if not data.startswith(b"HTTP/1.1 200"):
                    errors.append(data[:40])
        except OSError as e:
            errors.append(e)

    def scenario(ports, d):
        import threading
        errors = []
        ts = [threading.Thread(target=worker, args=(ports["fe"], "k%d" % (i % 2), 40, errors)) for i in range(6)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        assert not errors, errors[:3]
        wait_for(lambda: "conn_cur=1" not in cli(d, "show table web\n"), 10, "every stream ended")
        return table_view(cli(d, "show table web\n"))

    got = both(cfg, scenario, [HttpBackend("a")], head=HEAD.replace("global\n", "global\n    nbthread 2\n"))
    assert got[1].endswith("key=k0 use=0 exp=<live> gpc0=120 conn_cnt=120 conn_cur=0 http_req_cnt=120"), got
    assert got[2].endswith("key=k1 use=0 exp=<live> gpc0=120 conn_cnt=120 conn_cur=0 http_req_cnt=120"), got


@test
def tcp_conn_cur_limit():
    # tcp-request connection track-sc1 src + reject over 2 concurrent connections; conn_cur goes
    # down when a tracked connection ends.
    cfg = """
frontend ft
    bind 127.0.0.1:{fe}
    mode tcp
    stick-table type ip size 100 expire 60s store conn_cur,conn_cnt,sess_cnt,sess_rate(10s)
    tcp-request connection track-sc1 src
    tcp-request connection reject if {{ sc1_conn_cur gt 2 }}
    default_backend be
backend be
    mode tcp
    server s 127.0.0.1:{b}
"""

    def opened(fe):
        """(socket, whether the server's greeting came): a rejected connection is reset."""
        s = socket.socket()
        s.settimeout(5)
        try:
            s.connect(("127.0.0.1", fe))
            return s, s.recv(1) == b"b"
        except OSError:
            return s, False

    def scenario(ports, d):
        fe = ports["fe"]
        conns = [opened(fe) for _ in range(3)]
        out = {"accepted": [ok for _, ok in conns]}
        out["t1"] = table_view(cli(d, "show table ft\n"))
        for s, _ in conns[:2]:
            s.close()
        conns[2][0].close()
        wait_for(lambda: "conn_cur=0" in cli(d, "show table ft\n"), 10, "conn_cur back to 0")
        c4 = opened(fe)
        out["again"] = c4[1]
        out["t2"] = table_view(cli(d, "show table ft\n"))
        c4[0].close()
        return out

    got = both(cfg, scenario, [Backend("b", mode="hold")])
    assert got["accepted"] == [True, True, False] and got["again"], got


# Every counter the sc*/src_* fetches and the table_* converters read, in each of their forms
# (scN_*, sc_*(N), src_*, table_*(name)): the lists are HAProxy 2.6's.
SC_COUNTERS = ("bytes_in_rate bytes_out_rate clr_gpc0 clr_gpc1 conn_cnt conn_cur conn_rate get_gpc0 get_gpc1 "
               "get_gpt0 gpc0_rate gpc1_rate http_err_cnt http_err_rate http_fail_cnt http_fail_rate http_req_cnt "
               "http_req_rate inc_gpc0 inc_gpc1 kbytes_in kbytes_out sess_cnt sess_rate tracked trackers").split()
SRC_COUNTERS = [c for c in SC_COUNTERS if c not in ("tracked", "trackers")] + ["updt_conn_cnt"]
TABLE_CONVERTERS = ("bytes_in_rate bytes_out_rate conn_cnt conn_cur conn_rate gpc0 gpc0_rate gpc1 gpc1_rate gpt0 "
                    "http_err_cnt http_err_rate http_fail_cnt http_fail_rate http_req_cnt http_req_rate kbytes_in "
                    "kbytes_out server_id sess_cnt sess_rate trackers").split()
# Every data type lbc stores (not yet the bytes_* ones, refused by `lbc run`: their fetches answer
# as HAProxy's do for a table without them); the rates over a day, so that no period ends between
# the two runs.
STORE_ALL = ("gpc0,gpc1,gpt0,gpc0_rate(1d),gpc1_rate(1d),conn_cnt,conn_cur,conn_rate(1d),sess_cnt,sess_rate(1d),"
             "http_req_cnt,http_req_rate(1d),http_err_cnt,http_err_rate(1d),http_fail_cnt,http_fail_rate(1d),"
             "server_id")


@test
def every_counter_fetch_and_converter():
    # track-sc0/1/2 into three tables, sc-inc-gpc0/1, then every fetch and converter in the
    # response (one header per form: HAProxy evaluates a format left to right, as lbc does; the
    # inc/clr ones change what the next ones read). Four requests: three connections, then two
    # requests on one keep-alive connection.
    def fmt(names):
        return '"%s"' % "|".join("%%[%s]" % n for n in names)

    hdrs = []
    for n in (0, 1, 2):
        hdrs.append(("X-Sc%d" % n, fmt("sc%d_%s" % (n, c) for c in SC_COUNTERS)))
        hdrs.append(("X-Sc-%d" % n, fmt("sc_%s(%d)" % (c, n) for c in SC_COUNTERS)))
    hdrs.append(("X-Src", fmt("src_%s" % c for c in SRC_COUNTERS)))
    hdrs.append(("X-Src-T1", fmt("src_%s(t1)" % c for c in SRC_COUNTERS if c != "updt_conn_cnt")))
    hdrs.append(("X-Table", fmt("src,table_%s(web)" % c for c in TABLE_CONVERTERS)))
    hdrs.append(("X-Table-App", fmt(["src,table_server_id(app)", "table_cnt(web)", "table_avl(t2)",
                                        "sc_trackers(0,t1)", "sc1_trackers(web)", "src,in_table(t2)"])))
    rules = "\n".join("    http-response set-header %s %s" % h for h in hdrs)
    cfg = """
frontend web
    bind 127.0.0.1:{fe}
    mode http
    stick-table type ip size 100 expire 60s store %s
    http-request track-sc0 src
    http-request track-sc1 src table t1
    http-request track-sc2 src table t2
    http-request sc-inc-gpc1(1) if {{ path /inc }}
    http-request sc-inc-gpc0(2) if {{ path /inc }}
%s
    default_backend app
backend t1
    stick-table type ip size 100 expire 60s store %s
backend t2
    stick-table type ip size 50 expire 60s store %s
backend app
    mode http
    stick-table type ip size 10 expire 60s
    stick on src
    server a 127.0.0.1:{a}
""" % (STORE_ALL, rules.replace("{", "{{").replace("}", "}}"), STORE_ALL, STORE_ALL)

    def scenario(ports, d):
        fe = ports["fe"]
        out = []
        for path in ("/", "/inc", "/x"):
            out.append(headers_of(fe, path))
        ka = socket.create_connection(("127.0.0.1", fe), timeout=5)
        out.append(headers_of(fe, "/inc", ka))
        out.append(headers_of(fe, "/", ka))
        ka.close()
        return out

    got = both(cfg, scenario, [HttpBackend("a")])
    first = dict(got[0])
    # the first request: one connection, one request, tracked in all three tables
    sc0 = dict(zip(SC_COUNTERS, first["x-sc0"].split("|")))
    assert sc0["conn_cnt"] == "1" and sc0["tracked"] == "1" and sc0["trackers"] == "1", first
    # table_trackers counts its own lookup's reference, as HAProxy's does
    assert first["x-table"].split("|")[TABLE_CONVERTERS.index("trackers")] == "2", first


def headers_of(port, path, conn=None):
    """One HTTP/1.1 request: its status and the response's X-* headers, in order, as (lower-case name, value)."""
    head, _ = raw_exchange(port, path, conn=conn)
    lines = head.decode().split("\r\n")
    out = [("status", lines[0][9:12])]
    for ln in lines[1:]:
        k, _, v = ln.partition(":")
        if k.lower().startswith("x-"):
            out.append((k.lower(), v.strip()))
    return out


def main():
    global ARGS
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--proxy", default=os.path.join(here, "../../build/lbc") + " run")
    ap.add_argument("--only", default="")
    ap.add_argument("--build", default="", help="lbc binary: serve with `lbc build` executables")
    ARGS = ap.parse_args()
    if ARGS.build:
        ARGS.proxy = "%s %s %s" % (sys.executable, os.path.join(here, "build_run.py"), ARGS.build)
    if not shutil.which("socat"):
        print("socat is needed")
        return 1
    return run_tests(TESTS, ARGS.only)


if __name__ == "__main__":
    sys.exit(main())

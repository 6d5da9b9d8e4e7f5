#!/usr/bin/env python3
# The stats socket (issue 12): every command lbc supports is driven through `socat` against
# haproxy 2.6 and lbc serving the same configuration after the same traffic, and the answers are
# compared with counters, times and addresses masked; operator state changes must move traffic.
# usage: cli_test.py [--proxy "CMD"] [--build LBC] [--only NAME,...]
import argparse
import os
import re
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Backend, Proxy, connect_name, free_port, run_tests, wait_for  # noqa: E402
from http_tcp_rules_test import HttpBackend, request, sample_config  # noqa: E402

ARGS = None
TESTS = []
HAPROXY = "/usr/sbin/haproxy"


def test(fn):
    TESTS.append(fn)
    return fn


def cli(sock, text, timeout=3):
    """What the socket answers to `text` (socat, as an operator would run it)."""
    r = subprocess.run(["socat", "-t", str(timeout), "unix-connect:" + sock, "stdio"], input=text.encode(),
                       capture_output=True, timeout=timeout + 10)
    return r.stdout.decode()


def proxies():
    if not os.path.exists(HAPROXY):
        raise AssertionError("%s is needed for this comparison" % HAPROXY)
    if not shutil.which("socat"):
        raise AssertionError("socat is needed")
    return (("haproxy", HAPROXY + " -db -f"), ("lbc", ARGS.proxy))


# ---- masking: what may differ between the two processes ---------------------------------------------

# show stat columns compared as they are; the others only for being empty or not (counters of
# bytes, HTTP codes, times, rates, which lbc does not all keep yet).
STAT_EXACT = {"pxname", "svname", "qcur", "scur", "slim", "status", "weight", "act", "bck", "pid", "iid", "sid",
              "type", "check_status", "check_rise", "check_fall", "check_health", "addr", "mode", "algo",
              "uweight", "check_desc"}


def stat_view(text):
    lines = [ln for ln in text.split("\n") if ln]
    assert lines and lines[0].startswith("# pxname,"), text
    cols = lines[0][2:].split(",")
    rows = []
    for ln in lines[1:]:
        vals = ln.split(",")
        assert len(vals) == len(cols), (len(vals), len(cols), ln)
        rows.append(tuple(v if c in STAT_EXACT else ("<v>" if v else "") for c, v in zip(cols, vals)))
    return lines[0], rows


def servers_state_view(text):
    out = []
    for ln in text.split("\n"):
        f = ln.split(" ")
        if len(f) == 25 and not ln.startswith("#"):
            f[9] = "<t>"  # srv_time_since_last_change
        out.append(" ".join(f))
    return out


def table_view(text):
    # the entry's address and its remaining time (within a few seconds of each other)
    return [re.sub(r"^0x[0-9a-f]+:", "<p>:", re.sub(r"exp=(\d+)", lambda m: "exp~%d" % (int(m.group(1)) // 10000),
                                                        ln)) for ln in text.split("\n")]


def info_view(text, typed=False):
    if typed:
        # position, name and type (HAProxy's tags of some rates vary between its runs)
        return [ln.split(":")[0] + ":" + ln.split(":")[2] if ln.count(":") >= 3 else ln for ln in text.split("\n")]
    return [ln.split(":", 1)[0] for ln in text.split("\n")]


# ---- the sample: samples/sticky_http_https.cfg with its stats socket ---------------------------------

def sample_with_socket(d):
    tmpl = sample_config()
    return tmpl.replace("global\n", "global\n    stats socket unix@%s/admin.sock level admin mode 600\n"
                        "    stats socket unix@%s/user.sock level user\n"
                        "    stats socket unix@%s/oper.sock level operator\n"
                        "    stats timeout 5s\n" % (d, d, d), 1)


def run_sample(scenario):
    """Runs `scenario(sockdir, ports)` on the sample under haproxy and lbc after the same traffic."""
    got = {}
    # The same servers for both (their addresses appear in the answers).
    servers = [HttpBackend("h1"), HttpBackend("h2"), Backend("t1"), Backend("t2")]
    for label, cmd in proxies():
        d = tempfile.mkdtemp(prefix="lbc-cli-")
        ports = {"fe": free_port(), "fe2": free_port()}
        cfg = sample_with_socket(d).format(**ports)
        for srv, old in zip(servers, ("8001", "8002", "9001", "9002")):
            cfg = cfg.replace("127.0.0.1:%s" % old, "127.0.0.1:%d" % srv.port)
        p = Proxy(cmd, cfg, ports["fe"])
        try:
            time.sleep(1.5)  # the first health checks have run
            for src in ("127.0.0.1", "127.0.0.2"):
                connect_name(ports["fe2"], src=src)
            for src in ("127.0.0.2", "127.0.0.1", "127.0.0.5"):
                request(ports["fe"], src=src)
            time.sleep(0.3)
            got[label] = scenario(d, ports)
        finally:
            p.stop()
            shutil.rmtree(d, ignore_errors=True)
    for s in servers:
        s.stop()
    return got


def diff(a, b):
    """The first differing element of two nested values, as a short path."""
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        for i, (x, y) in enumerate(zip(a, b)):
            if x != y:
                return "[%d]%s" % (i, diff(x, y))
        return " lengths %d != %d" % (len(a), len(b))
    return ": lbc %r, haproxy %r" % (a, b)


def compare(got, *keys):
    bad = ["%s%s" % (k, diff(got["lbc"][k], got["haproxy"][k])) for k in keys or got["lbc"].keys()
           if got["lbc"][k] != got["haproxy"][k]]
    assert not bad, "\n".join(bad)


@test
def show_commands_match_haproxy():
    def scenario(d, ports):
        a = d + "/admin.sock"
        return {
            "backend": cli(a, "show backend\n"),
            "stat": stat_view(cli(a, "show stat\n")),
            "servers": servers_state_view(cli(a, "show servers state\n")),
            "servers_one": servers_state_view(cli(a, "show servers state bk_https\n")),
            "servers_none": cli(a, "show servers state nope\n"),
            "tables": cli(a, "show table\n"),
            "table": table_view(cli(a, "show table bk_https\n")),
            "table_none": cli(a, "show table nope\n"),
            "info": info_view(cli(a, "show info\n")),
            "info_typed": info_view(cli(a, "show info typed\n"), typed=True),
            "version": len(cli(a, "show version\n").split("\n")),
            "help": cli(a, "help\n"),
            "weight": cli(a, "get weight bk_http/s1\n"),
            "mode": oct(stat.S_IMODE(os.stat(a).st_mode)),
        }

    got = run_sample(scenario)
    lbc, ha = got["lbc"], got["haproxy"]
    # help: haproxy lists every command; lbc the lines of those it implements, word for word.
    lh, hh = lbc.pop("help").split("\n"), ha.pop("help").split("\n")
    assert lh[0] == hh[0] and lh[-2:] == ["", ""], lh
    missing = [ln for ln in lh if ln not in hh]
    assert not missing, missing
    compare(got)
    # the three clients of the traffic, learnt by bk_https (two over TCP, one over HTTP)
    assert lbc["table"][0].endswith("used:3") and len(lbc["table"]) == 6, lbc["table"]
    assert "key=127.0.0.1 " in lbc["table"][1] and "key=127.0.0.5 " in lbc["table"][3], lbc["table"]
    assert lbc["mode"] == "0o600"


@test
def one_shot_and_interactive_modes():
    def scenario(d, ports):
        a = d + "/admin.sock"
        return {
            "semicolons": cli(a, "show backend;show backend ; show backend\n"),
            "prompt": cli(a, "prompt\nshow backend\nprompt\nshow backend\n"),
            "prompt_quit": cli(a, "prompt\nshow backend\nquit\nshow backend\n"),
            "no_newline": cli(a, "show backend"),
            "two_lines": cli(a, "show backend\nshow backend\n"),
            "escaped": cli(a, "show\\ backend\n").startswith("Unknown command"),
        }

    compare(run_sample(scenario))


@test
def levels_and_errors_match_haproxy():
    def scenario(d, ports):
        a, u, o = d + "/admin.sock", d + "/user.sock", d + "/oper.sock"
        out = {}
        for name, sock in (("user", u), ("oper", o)):
            for cmd in ("set server bk_http/s1 state maint", "disable server bk_http/s1",
                        "enable server bk_http/s1", "set weight bk_http/s1 2", "show table bk_https",
                        "get weight bk_http/s1", "show backend"):
                out[name + ": " + cmd] = table_view(cli(sock, cmd + "\n"))
        for cmd in ("set server bk_http/nope state ready", "set server nope/s1 state ready", "get weight bk_http",
                    "set weight bk_http/s1 300", "set weight bk_http/s1 -5%", "set server bk_http/s1 state bogus",
                    "set server bk_http/s1", "set server bk_http/s1 weight 7", "get weight bk_http/s1",
                    "set weight bk_http/s1 50%", "get weight bk_http/s1", "set weight bk_http/s1 1"):
            out[cmd] = cli(a, cmd + "\n")
        return out

    compare(run_sample(scenario))


@test
def state_changes_match_haproxy():
    def scenario(d, ports):
        a = d + "/admin.sock"
        out = {}
        for cmd in ("set server bk_http/s1 state maint", "set server bk_https/s2 state drain",
                    "set server bk_https/s1 weight 3", "disable server bk_http/s2"):
            out[cmd] = cli(a, cmd + "\n")
            out[cmd + " / stat"] = stat_view(cli(a, "show stat\n"))
            out[cmd + " / servers"] = servers_state_view(cli(a, "show servers state\n"))
        for cmd in ("enable server bk_http/s2", "set server bk_http/s1 state ready",
                    "set server bk_https/s2 state ready"):
            out[cmd] = cli(a, cmd + "\n")
        out["after"] = servers_state_view(cli(a, "show servers state\n"))
        return out

    compare(run_sample(scenario))


ROUND_ROBIN = """global
    stats socket unix@{d}/admin.sock level admin
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend fe
    bind 127.0.0.1:{fe}
    default_backend be
backend be
    balance roundrobin
    server s1 127.0.0.1:{s1}
    server s2 127.0.0.1:{s2}
"""


@test
def maint_moves_traffic_off_a_server():
    got = {}
    for label, cmd in proxies():
        d = tempfile.mkdtemp(prefix="lbc-cli-")
        s1, s2 = HttpBackend("s1"), HttpBackend("s2")
        fe = free_port()
        p = Proxy(cmd, ROUND_ROBIN.format(d=d, fe=fe, s1=s1.port, s2=s2.port), fe)
        a = d + "/admin.sock"
        try:
            seen = []

            def burst(n=4):
                seen.append(" ".join(request(fe).split()[0] for _ in range(n)))

            burst()
            for c in ("set server be/s1 state maint", "set server be/s1 state ready", "disable server be/s2",
                      "enable server be/s2", "set server be/s2 state drain", "set server be/s2 state ready",
                      "set weight be/s1 0", "set weight be/s1 1", "set server be/s2 weight 3"):
                assert cli(a, c + "\n") == "\n", c
                burst(8 if "weight 3" in c else 4)
            got[label] = seen
        finally:
            p.stop()
            s1.stop()
            s2.stop()
            shutil.rmtree(d, ignore_errors=True)
    # Which servers a burst reached and how often (the round-robin position after a server
    # comes back is HAProxy's tree detail, not compared).
    counts = {k: [" ".join(sorted(b.split())) for b in v] for k, v in got.items()}
    assert counts["lbc"] == counts["haproxy"], got
    assert got["lbc"][1] == "s2 s2 s2 s2" and got["lbc"][3] == "s1 s1 s1 s1", got
    assert got["lbc"][5] == "s1 s1 s1 s1" and got["lbc"][7] == "s2 s2 s2 s2", got


@test
def a_stats_socket_alone_starts():
    # No frontend at all: the process starts and answers on its socket; a stale socket file from
    # a previous run is replaced.
    d = tempfile.mkdtemp(prefix="lbc-cli-")
    try:
        stale = socket.socket(socket.AF_UNIX)
        stale.bind(d + "/admin.sock")
        stale.close()
        p = Proxy(ARGS.proxy, "global\n    stats socket %s/admin.sock level admin\n" % d)
        try:
            wait_for(lambda: cli(d + "/admin.sock", "show backend\n", timeout=1) == "# name\n\n", 20,
                     "the stats socket")
            assert cli(d + "/admin.sock", "show info\n").startswith("Name: ")
        finally:
            p.stop()
    finally:
        shutil.rmtree(d, ignore_errors=True)


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
    return run_tests(TESTS, ARGS.only)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
# `option dontlog-normal` (only errors are logged) and `option log-separate-errors` (errors at level
# err instead of info), on HTTP (httplog) and TCP (tcplog) frontends: haproxy 2.6 and lbc serve the
# same configuration and traffic, their lines (`format short`: the priority stays visible) read
# from a unix datagram socket the test owns must be equal once dates, ports and timers are masked.
# A case that must not log is followed by one that must: the next line received is the latter.
# usage: log_levels_test.py [--proxy "CMD"] [--haproxy PATH]
import argparse
import os
import shlex
import socket
import subprocess
import sys
import tempfile
from textwrap import dedent

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import free_port, wait_for  # noqa: E402
from log_formats_test import Backend, exchange, get, idle, listening, mask  # noqa: E402

CFG = """\
    global
        log unix@{log} format short local0
        stats socket {admin} level admin
    defaults
        log global
        timeout connect 500ms
        timeout client 5s
        timeout server 5s
        retries 1
    frontend sep
        mode http
        option httplog
        option log-separate-errors
        bind 127.0.0.1:{sep}
        http-request deny if {{ path /deny }}
        use_backend down if {{ path /down }}
        default_backend app
    frontend quiet
        mode http
        option httplog
        option dontlog-normal
        option log-separate-errors
        bind 127.0.0.1:{quiet}
        http-request deny if {{ path /deny }}
        http-request return status 404 if {{ path /missing }}
        use_backend down if {{ path /down }}
        default_backend app
    frontend tquiet
        mode tcp
        option tcplog
        option dontlog-normal
        bind 127.0.0.1:{tquiet}
        default_backend tapp
    frontend tquiet2
        mode tcp
        option tcplog
        option dontlog-normal
        option log-separate-errors
        bind 127.0.0.1:{tquiet2}
        default_backend tdown
    backend app
        mode http
        server a 127.0.0.1:{srv}
    backend down
        mode http
        server d 127.0.0.1:{closed}
    backend tapp
        mode tcp
        server t 127.0.0.1:{srv}
    backend tdown
        mode tcp
        server d 127.0.0.1:{closed}
    """

# (name, frontend, what the client does, whether a line comes)
CASES = [
    ("separate: served is info", "sep", lambda p: exchange(p, get("/")), True),
    ("separate: denied is err", "sep", lambda p: exchange(p, get("/deny")), True),
    ("separate: 503 is err", "sep", lambda p: exchange(p, get("/down")), True),
    ("dontlog-normal: served", "quiet", lambda p: exchange(p, get("/")), False),
    ("dontlog-normal: 404 return", "quiet", lambda p: exchange(p, get("/missing")), False),
    ("dontlog-normal: denied", "quiet", lambda p: exchange(p, get("/deny")), True),
    ("dontlog-normal: 503", "quiet", lambda p: exchange(p, get("/down")), True),
    ("dontlog-normal tcp: served", "tquiet", lambda p: exchange(p, get("/tcp"), shut=True), False),
    ("dontlog-normal tcp: server down", "tquiet2", lambda p: exchange(p, b"x"), True),
]


def run(cmd, tmp, name):
    backend = Backend()
    closed = free_port()
    ports = {fe: free_port() for fe in ("sep", "quiet", "tquiet", "tquiet2")}
    log_path = os.path.join(tmp, name + ".log.sock")
    admin = os.path.join(tmp, name + ".admin.sock")
    logs = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    logs.bind(log_path)
    logs.settimeout(10)
    cfg = os.path.join(tmp, name + ".cfg")
    with open(cfg, "w") as f:
        f.write(dedent(CFG).format(log=log_path, admin=admin, srv=backend.port, closed=closed,
                                   **ports))
    proc = subprocess.Popen(cmd + [cfg], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    got = []
    try:
        wait_for(lambda: proc.poll() is None and listening(ports.values()), 20, name + " to listen")
        for case, fe, act, logs_it in CASES:
            wait_for(lambda: idle(admin), 10, name + " to close the previous case's connections")
            act(ports[fe])
            if logs_it:  # the next line is this case's: a case before it that logged would show here
                try:
                    got.append((case, logs.recv(65536).decode().rstrip("\n")))
                except socket.timeout:
                    raise AssertionError("%s: no log line for %s" % (name, case))
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=20)
        logs.close()
        backend.sock.close()
        if err.strip():
            print("%s stderr:\n%s" % (name, err))
    return got


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--proxy", default=os.path.join(here, "../../build/lbc") + " run")
    ap.add_argument("--haproxy", default="/usr/sbin/haproxy")
    args = ap.parse_args()
    if not os.path.exists(args.haproxy):
        print("haproxy 2.6 (%s) is needed for this comparison" % args.haproxy)
        return 1
    tmp = tempfile.mkdtemp(prefix="lbc-loglevel-")
    ref = run([args.haproxy, "-db", "-f"], tmp, "haproxy")
    lbc = run(shlex.split(args.proxy), tmp, "lbc")
    bad = 0
    strip = lambda line: mask(line[line.index(">") + 1:]) if line.startswith("<") else mask(line)  # noqa: E731
    for (case, want), (_, have) in zip(ref, lbc):
        ok = want[:want.index(">") + 1] == have[:have.index(">") + 1] and strip(want) == strip(have)
        bad += not ok
        print("%s %-34s %s" % ("ok  " if ok else "FAIL", case, have))
        if not ok:
            print("     haproxy: %s\n     lbc:     %s" % (want, have))
    if len(ref) != len(lbc):
        print("FAIL: %d lines from haproxy, %d from lbc" % (len(ref), len(lbc)))
        bad += 1
    # the levels themselves (`format short` writes the level alone): info is 6, err 3
    prios = [line[:line.index(">") + 1] for _, line in lbc]
    if prios != ["<6>", "<3>", "<3>", "<3>", "<3>", "<3>"]:
        print("FAIL: priorities %r" % prios)
        bad += 1
    print("all passed" if not bad else "%d failed" % bad)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

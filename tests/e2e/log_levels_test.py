#!/usr/bin/env python3
# `option dontlog-normal` (only errors are logged) and `option log-separate-errors` (errors at level
# err instead of info), on HTTP (httplog) and TCP (tcplog) frontends, and `option
# http-ignore-probes` (no 408, no line for a connection that sent nothing): haproxy 2.6 and lbc serve the
# same configuration and traffic, their lines (`format short`: the priority stays visible) read
# from a unix datagram socket the test owns must be equal once dates, ports and timers are masked.
# A case that must not log is followed by one that must: the next line received is the latter.
# usage: log_levels_test.py [--proxy "CMD"] [--haproxy PATH]
import os
import shlex
import socket
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from log_formats_test import compare, exchange, get, head, mask, parse_args, run  # noqa: E402

CFG = head("short") + """\
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
    frontend probes
        mode http
        option httplog
        option http-ignore-probes
        timeout http-request 300ms
        bind 127.0.0.1:{probes}
        default_backend app
    frontend noprobes
        mode http
        option httplog
        timeout http-request 300ms
        bind 127.0.0.1:{noprobes}
        default_backend app
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

# (name, frontend, what the client does, lines it logs)
CASES = [
    ("separate: served is info", "sep", lambda p: exchange(p, get("/")), 1),
    ("separate: denied is err", "sep", lambda p: exchange(p, get("/deny")), 1),
    ("separate: 503 is err", "sep", lambda p: exchange(p, get("/down")), 1),
    ("dontlog-normal: served", "quiet", lambda p: exchange(p, get("/")), 0),
    ("dontlog-normal: 404 return", "quiet", lambda p: exchange(p, get("/missing")), 0),
    ("dontlog-normal: denied", "quiet", lambda p: exchange(p, get("/deny")), 1),
    ("dontlog-normal: 503", "quiet", lambda p: exchange(p, get("/down")), 1),
    ("dontlog-normal tcp: served", "tquiet", lambda p: exchange(p, get("/tcp"), shut=True), 0),
    ("dontlog-normal tcp: server down", "tquiet2", lambda p: exchange(p, b"x"), 1),
    # option http-ignore-probes: a connection that sends nothing gets no 408 and no line
    ("ignore-probes: closed at once", "probes", lambda p: socket.create_connection(("127.0.0.1", p)).close(), 0),
    ("ignore-probes: timed out", "probes", lambda p: nothing(exchange(p, b"")), 0),
    ("ignore-probes: served", "probes", lambda p: exchange(p, get("/")), 1),
    ("without it: timed out", "noprobes", lambda p: exchange(p, b"").startswith(b"HTTP/1.1 408") or fail(), 1),
]


def nothing(answer):
    assert answer == b"", answer


def fail():
    raise AssertionError("no 408 to a connection that sent nothing")


def level(line):
    return line[:line.index(">") + 1]


def same(want, have):
    return level(want) == level(have) and mask(want[len(level(want)):]) == mask(have[len(level(have)):])


def main():
    args = parse_args()
    if not os.path.exists(args.haproxy):
        print("haproxy 2.6 (%s) is needed for this comparison" % args.haproxy)
        return 1
    tmp = tempfile.mkdtemp(prefix="lbc-loglevel-")
    # a case that logs nothing is followed by one that logs: the next line received is the latter's
    ref = run([args.haproxy, "-db", "-f"], tmp, "haproxy", CFG, CASES)
    lbc = run(shlex.split(args.proxy), tmp, "lbc", CFG, CASES)
    bad = compare(ref, lbc, same)
    # the levels themselves (`format short` writes the level alone): info is 6, err 3
    if [level(line) for _, line in lbc] != ["<6>", "<3>", "<3>", "<3>", "<3>", "<3>", "<6>", "<6>"]:
        print("FAIL: levels %r" % [level(line) for _, line in lbc])
        bad += 1
    print("all passed" if not bad else "%d failed" % bad)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
# End-to-end tests of cookie persistence (`cookie` in a backend, `cookie` on its servers): every
# mode's answers to a list of requests compared byte for byte with haproxy 2.6's.
# usage: http_cookie_test.py [--proxy "CMD" | --build LBC] [--haproxy PATH] [--only NAME,...]
import os
import sys
from textwrap import dedent

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Proxy, Server, collector, fill, free_port, haproxy_available, http_checked, main  # noqa: E402
from http_common import compared, raw, without_date  # noqa: E402

TESTS = []
test = collector(TESTS)

MODES = {"ins": "SRV insert indirect nocache httponly secure domain .example.com domain .x.org attr SameSite=Lax",
         "insd": "SRV insert", "post": "SRV insert postonly nocache", "pres": "SRV insert indirect preserve nocache",
         "pfx": "JS prefix", "rw": "SRV rewrite", "nc": "SRV insert nocache"}

COOKIE_HEAD = """\
    global
        maxconn 100
    defaults
        mode http
        timeout connect 2s
        timeout client 5s
        timeout server 5s
    frontend fe
        bind 127.0.0.1:{fe}
        use_backend %[path,field(2,/)]
    """
# one backend per mode, named after it (/ins/1 goes to backend ins)
COOKIE_BACKEND = """\
    backend {name}
        cookie {cookie}
        server a 127.0.0.1:{a} cookie ca
        server b 127.0.0.1:{b} cookie cb
    """
NO_SERVER_COOKIE = """\
    backend nock
        cookie SRV insert
        server a 127.0.0.1:{a}
    """


def cookie_config():
    return dedent(COOKIE_HEAD) + "".join(fill(dedent(COOKIE_BACKEND), name=be, cookie=opts)
                                         for be, opts in MODES.items()) + dedent(NO_SERVER_COOKIE)


def requests():
    """For each backend the same requests: cookies valid, unknown, repeated, in several headers, and
    (X-Resp: what the server adds to its answer) Set-Cookie and cache headers from the server."""
    reqs = []

    def req(path, hdrs="", method="GET"):
        reqs.append(("%s %s HTTP/1.1\r\nHost: x\r\n%sConnection: close\r\n\r\n" % (method, path, hdrs)).encode())

    for be in list(MODES) + ["nock"]:
        req("/%s/1" % be)
        req("/%s/2" % be, "Cookie: SRV=cb\r\n")
        req("/%s/3" % be, "Cookie: x=1; SRV=cb; y=2\r\n")
        req("/%s/4" % be, "Cookie: SRV=cb; y=2\r\nCookie: z=3\r\n")
        req("/%s/5" % be, "Cookie: SRV=zzz\r\n")
        req("/%s/6" % be, "", "POST")
        req("/%s/7" % be, "Cookie: SRV=ca\r\nX-Resp: Set-Cookie: SRV=srvset; path=/\r\n")
        req("/%s/8" % be, "X-Resp: Set-Cookie: SRV=srvset; path=/|Cache-Control: max-age=60\r\n")
        req("/%s/9" % be, "X-Resp: Cache-Control: private|ETag: x\r\n")
        req("/%s/10" % be, "Cookie: JS=cb~abc; SRV=cb\r\nX-Resp: Set-Cookie: JS=xyz; path=/|Set-Cookie: other=1\r\n")
        req("/%s/11" % be, "Cookie: JS=abc\r\nX-Resp: Set-Cookie: JS=xyz|Set-Cookie: SRV=foo\r\n")
        req("/%s/12" % be, "Cookie: a=1;SRV=cb;b=2, c=3\r\nX-Resp: Expires: x\r\n")
        req("/%s/13" % be, "X-Resp: Pragma: no-cache|Last-Modified: x\r\n", "HEAD")
        req("/%s/14" % be, "Cookie: SRV=\r\nX-Resp: Cache-Control: max-age=0\r\n")
        req("/%s/15" % be, "Cookie: SRV=cb|abcde\r\n")
        req("/%s/16" % be, "Cookie: SRV=cb, SRV=ca\r\nX-Resp: Cache-Control: no-cache=\"set-cookie\", max-age=5\r\n")
        req("/%s/17" % be, "Cookie: JS=ca~q; JS=cb~r\r\n", "POST")
    return reqs


@test
def cookie_persistence_matches_haproxy():
    if not haproxy_available():
        raise AssertionError("/usr/sbin/haproxy is needed for this comparison")
    a, b = Server("a", http_checked()), Server("b", http_checked())
    reqs = requests()
    outs = {}
    try:
        for name, cmd in compared(haproxy_first=True):
            fe = free_port()
            p = Proxy(cmd, fill(cookie_config(), fe=fe, a=a.port, b=b.port), fe)
            try:
                outs[name] = [without_date(raw(fe, r)) for r in reqs]
            finally:
                p.stop()
        diffs = [(r, h, lb) for r, h, lb in zip(reqs, outs["haproxy"], outs["lbc"]) if h != lb]
        assert not diffs, diffs[:3]
        assert sum(b"set-cookie: SRV=c" in o for o in outs["lbc"]) > 20  # the comparison saw insertions
    finally:
        a.stop()
        b.stop()


if __name__ == "__main__":
    sys.exit(main(TESTS))

#!/usr/bin/env python3
# End-to-end tests of option abortonclose in HTTP mode, each with and without the option and
# compared with haproxy 2.6 (same configuration, same checks, the log lines included): a client
# that closes while its request is queued, while the answer is awaited, while the server
# connection is being made.
# usage: http_abortonclose_test.py [--proxy "CMD" | --build LBC] [--haproxy PATH] [--only NAME,...]
import os
import re
import socket
import sys
from textwrap import dedent

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Proxy, Server, collector, fill, free_port, main, rxhead, send, until_told, wait_for  # noqa: E402
from http_common import compared, raw, read_all, stopped_clean  # noqa: E402

TESTS = []
test = collector(TESTS)

LOGGED = """\
    global
        log stdout format raw local0
        maxconn 200
    defaults
        mode http
        log global
        option httplog
        timeout connect {connect}
        timeout client 10s
        timeout server 10s
        timeout queue 10s
        {options}
    listen l
        bind 127.0.0.1:{fe}
        server h 127.0.0.1:{h} maxconn 1
    """


def logged(fe, h, options, connect="2s"):
    return fill(dedent(LOGGED), fe=fe, h=h, connect=connect, options="\n    ".join(options) or "# no option")


def held():
    """Answers each request at once (Connection: close), a request for /hold* only once the test
    calls go(); the answers that could not be written are in failed_sends."""
    return Server("h", [rxhead, until_told(lambda r: r.line.startswith("GET /hold")),
                        send(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok")])


@test
def abortonclose_drops_a_queued_request_the_client_closed():
    # One request holds the only slot; a second one is queued and its client half-closes. With
    # the option it never reaches the server (the client is closed without an answer, logged CQ);
    # without it the request is served once the slot frees, as HTTP wants. A third request, queued
    # after, proves the second is not still waiting in the queue.
    for label, proxy in compared():
        for option in (True, False):
            srv = held()
            fe = free_port()
            p = Proxy(proxy, logged(fe, srv.port, ["option abortonclose"] if option else []), fe)
            late = False
            try:
                c1 = socket.create_connection(("127.0.0.1", fe))
                c1.sendall(b"GET /hold HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
                wait_for(lambda: srv.lines(), 10, "the first request at the server")
                c2 = socket.create_connection(("127.0.0.1", fe))
                c2.settimeout(10)
                c2.sendall(b"GET /q HTTP/1.1\r\nhost: x\r\n\r\n")
                c2.shutdown(socket.SHUT_WR)
                if option:
                    # closed, unanswered, while still queued. haproxy sometimes notices a FIN that
                    # came right behind the request only when the request leaves the queue (then
                    # aborts it all the same): for it alone, the slot is freed after a generous wait.
                    c2.settimeout(3 if label == "haproxy" else 10)
                    try:
                        assert read_all(c2) == b"", label
                    except socket.timeout:
                        if label != "haproxy":
                            raise
                        late = True
                    c2.settimeout(10)
                srv.go()
                if late:
                    assert read_all(c2) == b"", label
                got1 = read_all(c1)
                assert got1.endswith(b"ok"), (label, got1)
                if not option:
                    # The queued request takes the freed slot; a third request sent before it got
                    # there could take the slot first (haproxy under load: seen under ASan's CI).
                    wait_for(lambda: len(srv.lines()) >= 2, 10, "the queued request at the server")
                got3 = raw(fe, b"GET /third HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
                assert got3.endswith(b"ok"), (label, got3)
                want = ["GET /hold HTTP/1.1"] + ([] if option else ["GET /q HTTP/1.1"]) + ["GET /third HTTP/1.1"]
                assert srv.lines() == want, (label, option, srv.lines())
                if not option:
                    got2 = read_all(c2)
                    assert got2.startswith(b"HTTP/1.1 200 OK\r\n") and got2.endswith(b"ok"), (label, got2)
                c1.close()
                c2.close()
            finally:
                stopped_clean(p, label)
                srv.stop()
            line = [ln for ln in p.out.splitlines() if '"GET /q ' in ln]
            assert len(line) == 1, (label, p.out)
            if option:  # no server, -1 status, nothing sent, client closed while queued
                want = r" l/(<NOSRV>|h) 0/\d+/-1/-1/\d+ -1 0 - - C[QC]-- " if late else r" l/<NOSRV> 0/\d+/-1/-1/\d+ -1 0 - - CQ-- "
                assert re.search(want, line[0]), (label, line)
            else:
                assert re.search(r" l/h 0/\d+/\d+/\d+/\d+ 200 \d+ - - ---- ", line[0]), (label, line)


@test
def abortonclose_client_closing_while_the_response_is_awaited_gets_400():
    # The request is at the server; the client half-closes before the answer: with the option the
    # client gets a 400 and the server connection is reset (CH); without it the answer comes.
    for label, proxy in compared():
        for option in (True, False):
            srv = held()
            fe = free_port()
            p = Proxy(proxy, logged(fe, srv.port, ["option abortonclose"] if option else []), fe)
            try:
                c = socket.create_connection(("127.0.0.1", fe))
                c.settimeout(10)
                c.sendall(b"GET /hold HTTP/1.1\r\nhost: x\r\n\r\n")
                wait_for(lambda: srv.lines(), 10, "the request at the server")
                c.shutdown(socket.SHUT_WR)
                if option:
                    got = read_all(c)
                    assert got.startswith(b"HTTP/1.1 400 Bad request\r\n") and b"connection: close\r\n" in got, got
                    srv.go()
                    wait_for(lambda: srv.failed_sends, 10, "the server's answer to fail")
                else:
                    srv.go()
                    got = read_all(c)
                    assert got.startswith(b"HTTP/1.1 200 OK\r\n") and got.endswith(b"ok"), (label, got)
                c.close()
            finally:
                stopped_clean(p, label)
                srv.stop()
            line = [ln for ln in p.out.splitlines() if '"GET /hold ' in ln]
            assert len(line) == 1, (label, p.out)
            want = r" l/h 0/0/\d+/-1/\d+ 400 \d+ - - CH-- " if option else r" l/h 0/0/\d+/\d+/\d+ 200 \d+ - - ---- "
            assert re.search(want, line[0]), (label, line)


@test
def abortonclose_drops_a_connection_attempt_the_client_closed():
    # The server never acknowledges the connection: with the option, the client's half-close ends
    # the attempt at once (CC, no answer); without it the client waits for timeout connect (503).
    for label, proxy in compared():
        for option in (True, False):
            # a listener whose accept queue is full: connection attempts to it stay unacknowledged
            u = Server("u", backlog=0, accept=False)
            u.fill_backlog(3)  # the queue (backlog 0 holds one) and a pending handshake
            fe = free_port()
            options = (["option abortonclose"] if option else []) + ["retries 0"]
            p = Proxy(proxy, logged(fe, u.port, options, connect="1500ms"), fe)
            try:
                c = socket.create_connection(("127.0.0.1", fe))
                c.settimeout(10)
                c.sendall(b"GET /c HTTP/1.1\r\nhost: x\r\n\r\n")
                c.shutdown(socket.SHUT_WR)
                got = read_all(c)
                if option:
                    assert got == b"", (label, got)
                else:
                    assert got.startswith(b"HTTP/1.1 503 Service Unavailable\r\n"), (label, got)
                c.close()
            finally:
                stopped_clean(p, label)
                u.stop()
            line = [ln for ln in p.out.splitlines() if '"GET /c ' in ln]
            assert len(line) == 1, (label, p.out)
            want = r" l/h 0/0/-1/-1/\d+ -1 0 - - CC-- " if option else r" l/h 0/0/-1/-1/\d+ 503 \d+ - - sC-- "
            assert re.search(want, line[0]), (label, line)


if __name__ == "__main__":
    sys.exit(main(TESTS))

#!/usr/bin/env python3
# End-to-end tests of TCP proxying (issue 3) over real loopback sockets.
# usage: tcp_test.py [--proxy "CMD" | --build LBC] [--haproxy PATH] [--only NAME,...] [--soak N]
# CMD is the proxy command the configuration path is appended to (default: build/lbc run; e.g.
# "build/lbc run --engine=interp"). --build LBC runs `LBC build CFG -o BIN` for each configuration
# and then serves with BIN (the ahead-of-time engine).
import argparse
import hashlib
import os
import random
import signal
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (run_tests, Backend, Proxy, can_connect, connect_name, free_port, head, probe_section,  # noqa: E402
                     recv_all, recv_exact, wait_for)

ARGS = None
TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


class Setup:
    """Backends + a proxy for one configuration body; `{name}` in the body is replaced by the
    port of backend `name`, `{fe}` by the frontend port."""

    def __init__(self, body, backends=(), cmd=None, defaults="", global_extra="", extra_args=(), ready=True,
                 pass_fds=(), fe=None):
        self.backends = {b.name: b for b in backends}
        self.fe = fe or free_port()
        probe_be = Backend("probe")
        self.backends["probe"] = probe_be
        self.probe = free_port()
        ports = {n: b.port for n, b in self.backends.items()}
        ports["fe"] = self.fe
        self.ports = ports
        cfg = head(defaults, global_extra) + body.format(**ports) + "\n" + probe_section(self.probe, probe_be.port)
        self.ours = cmd is None or cmd == ARGS.proxy  # haproxy, run for comparison, exits 143 on SIGTERM
        self.proxy = Proxy(cmd or ARGS.proxy, cfg, self.probe if ready else None, extra_args, pass_fds)

    def close(self):
        code = self.proxy.stop()
        for b in self.backends.values():
            b.stop()
        # a clean stop exits 0; sanitizer reports (ASan, UBSan, LSan at exit) fail the test
        err = self.proxy.err
        assert not self.ours or code == 0 and "Sanitizer" not in err and "runtime error" not in err, (code, err[-3000:])
        return code


def listen(name, lines, balance="roundrobin"):
    return "listen %s\n    bind 127.0.0.1:{fe}\n    balance %s\n%s\n" % (name, balance,
                                                                        "\n".join("    " + l for l in lines))


# ---- balancing ---------------------------------------------------------------------------------

@test
def roundrobin_sequence_matches_haproxy():
    for weights in ([3, 2, 1], [5, 1, 1, 2], [1, 1, 1], [7, 3]):
        names = ["s%d" % i for i in range(len(weights))]
        servers = ["server %s 127.0.0.1:{%s} weight %d" % (n, n, w) for n, w in zip(names, weights)]
        seqs = {}
        for label, cmd in (("lbc", ARGS.proxy), ("haproxy", ARGS.haproxy + " -db -f")):
            st = Setup(listen("rr", servers), [Backend(n) for n in names], cmd=cmd)
            try:
                seqs[label] = [connect_name(st.fe) for _ in range(3 * sum(weights))]
            finally:
                st.close()
        assert seqs["lbc"] == seqs["haproxy"], "weights %s: lbc %s haproxy %s" % (weights, seqs["lbc"],
                                                                                   seqs["haproxy"])


@test
def static_rr_follows_weights():
    st = Setup(listen("srr", ["server a 127.0.0.1:{a} weight 2", "server b 127.0.0.1:{b} weight 1"], "static-rr"),
               [Backend("a"), Backend("b")])
    try:
        seq = [connect_name(st.fe) for _ in range(9)]
        assert seq.count("a") == 6 and seq.count("b") == 3, seq
    finally:
        st.close()


@test
def leastconn_with_long_lived_connections():
    st = Setup(listen("lc", ["server a 127.0.0.1:{a}", "server b 127.0.0.1:{b}"], "leastconn"),
               [Backend("a", "hold"), Backend("b", "hold")])
    try:
        held = []
        for _ in range(4):
            s = socket.create_connection(("127.0.0.1", st.fe))
            held.append((s, recv_exact(s, 1).decode()))
        names = [n for _, n in held]
        assert names.count("a") == 2 and names.count("b") == 2, names
        # close both connections of a: the next two go to a, which now has none
        for s, n in held:
            if n == "a":
                s.close()
        wait_for(lambda: sum(1 for e in st.backends["a"].events if e == ("closed",)) == 2, 5, "a's closes")
        more = []
        for _ in range(2):
            s = socket.create_connection(("127.0.0.1", st.fe))
            more.append((s, recv_exact(s, 1).decode()))
        assert [n for _, n in more] == ["a", "a"], more
        for s, _ in held + more:
            s.close()
    finally:
        st.close()


@test
def source_hash_is_sticky_and_matches_haproxy():
    # Every source address keeps its server, and reaches the one haproxy 2.6 picks with the same
    # configuration (map or consistent ring, with and without avalanche, unequal weights).
    srcs = ["127.0.0.%d" % i for i in range(1, 25)] + ["127.1.2.3", "127.200.0.9"]
    for hash_type in ("map-based", "consistent", "consistent sdbm", "consistent wt6 avalanche",
                      "map-based sdbm avalanche"):
        picks = {}
        for label, cmd in (("lbc", ARGS.proxy), ("haproxy", ARGS.haproxy + " -db -f")):
            st = Setup(listen("src", ["hash-type " + hash_type] +
                              ["server %s 127.0.0.1:{%s} weight %d" % (n, n, w)
                               for n, w in (("a", 1), ("b", 2), ("c", 3))], "source"),
                       [Backend("a"), Backend("b"), Backend("c")], cmd=cmd)
            try:
                seen = {}
                for src in srcs:
                    names = {connect_name(st.fe, src=src) for _ in range(3)}
                    assert len(names) == 1 and "" not in names, (label, hash_type, src, names)
                    seen[src] = names.pop()
                picks[label] = seen
            finally:
                st.close()
        diff = {s: (picks["lbc"][s], picks["haproxy"][s]) for s in srcs if picks["lbc"][s] != picks["haproxy"][s]}
        assert not diff, "hash-type %s: lbc and haproxy differ on %s" % (hash_type, diff)
        # neighbouring addresses spread, except on a ring without avalanche (close keys, close points)
        if hash_type != "consistent sdbm":
            assert len(set(picks["lbc"].values())) >= 2, (hash_type, picks["lbc"])


@test
def random_uses_every_server():
    st = Setup(listen("rnd", ["server a 127.0.0.1:{a}", "server b 127.0.0.1:{b}", "server c 127.0.0.1:{c} disabled"],
                      "random"), [Backend("a"), Backend("b"), Backend("c")])
    try:
        seen = [connect_name(st.fe) for _ in range(40)]
        assert set(seen) == {"a", "b"}, seen  # never the disabled one
    finally:
        st.close()


@test
def first_fills_servers_in_id_order():
    st = Setup(listen("first", ["server b 127.0.0.1:{b} maxconn 2 id 2", "server a 127.0.0.1:{a} maxconn 2 id 1"],
                      "first"), [Backend("a", "hold"), Backend("b", "hold")])
    try:
        held, names = [], []
        for _ in range(4):  # one after the other: each is served before the next arrives
            s = socket.create_connection(("127.0.0.1", st.fe))
            held.append(s)
            names.append(recv_exact(s, 1).decode())
        assert names == ["a", "a", "b", "b"], names
        for s in held:
            s.close()
    finally:
        st.close()


@test
def backup_only_when_all_actives_are_down():
    dead = free_port()  # nothing listens there: its check fails
    st = Setup(listen("bk", ["server a 127.0.0.1:{a}", "server bk 127.0.0.1:{bk} backup"]),
               [Backend("a"), Backend("bk")])
    try:
        assert {connect_name(st.fe) for _ in range(6)} == {"a"}
    finally:
        st.close()
    st = Setup(listen("bk", ["server a 127.0.0.1:{a} disabled", "server bk 127.0.0.1:{bk} backup",
                             "server bk2 127.0.0.1:{bk2} backup"]), [Backend("a"), Backend("bk"), Backend("bk2")])
    try:
        # HAProxy without 'option allbackups': only the first backup serves
        assert {connect_name(st.fe) for _ in range(6)} == {"bk"}
    finally:
        st.close()
    st = Setup(listen("bk", ["server a 127.0.0.1:%d check inter 100 fall 1 rise 1" % dead,
                             "server bk 127.0.0.1:{bk} backup"]), [Backend("bk")])
    try:
        # the check takes `a` down; from then on the backup takes over
        wait_for(lambda: connect_name(st.fe) == "bk", 10, "the backup to take over")
        assert {connect_name(st.fe) for _ in range(5)} == {"bk"}
    finally:
        st.close()


@test
def check_brings_server_back_up():
    port = free_port()
    st = Setup(listen("hc", ["server a 127.0.0.1:%d check inter 100 fall 1 rise 2" % port,
                             "server b 127.0.0.1:{b} check inter 100"]), [Backend("b")])
    try:
        wait_for(lambda: {connect_name(st.fe) for _ in range(4)} == {"b"}, 10, "a to go down")
        a = Backend("a", port=port)
        wait_for(lambda: "a" in {connect_name(st.fe) for _ in range(4)}, 10, "a to come back")
        a.stop()
    finally:
        st.close()


# ---- queues ------------------------------------------------------------------------------------

@test
def queue_250_clients_maxconn_30():
    st = Setup(listen("q", ["server s 127.0.0.1:{s} maxconn 30"]), [Backend("s", "count", hold_s=0.05)],
               defaults="    timeout queue 60s")
    try:
        results = []
        lock = threading.Lock()

        def client():
            try:
                s = socket.create_connection(("127.0.0.1", st.fe), timeout=60)
                s.sendall(b"x")
                r = recv_all(s, 60)
                s.close()
            except OSError as e:
                r = repr(e).encode()
            with lock:
                results.append(r)

        threads = [threading.Thread(target=client) for _ in range(250)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(90)
        be = st.backends["s"]
        assert len(results) == 250 and all(r == b"s" for r in results), \
            "rejected: %d" % sum(1 for r in results if r != b"s")
        assert be.peak <= 30, "peak %d" % be.peak
        assert be.peak >= 20, "peak %d: the queue did not fill the server" % be.peak
    finally:
        st.close()


@test
def timeout_queue_closes_the_client():
    st = Setup(listen("tq", ["server s 127.0.0.1:{s} maxconn 1"]), [Backend("s", "hold")],
               defaults="    timeout queue 300")
    try:
        a = socket.create_connection(("127.0.0.1", st.fe))
        assert recv_exact(a, 1) == b"s"
        t0 = time.monotonic()
        b = socket.create_connection(("127.0.0.1", st.fe))
        assert recv_all(b, 10) == b""
        took = time.monotonic() - t0
        assert 0.25 <= took < 5, took
        # the freed slot takes the next waiter
        c = socket.create_connection(("127.0.0.1", st.fe))
        a.close()
        assert recv_exact(c, 1, 5) == b"s"
        c.close()
    finally:
        st.close()



@test
def abortonclose_drops_a_queued_connection_the_client_closed():
    # The only slot is held; a second client sends data and half-closes while queued. With
    # option abortonclose it is closed (cleanly: its data was read) and never reaches the server;
    # without it its data and FIN go to the server once the slot frees. Same checks on haproxy.
    for cmd in (ARGS.proxy, ARGS.haproxy + " -db -f"):
        for option in (True, False):
            lines = ["server s 127.0.0.1:{s} maxconn 1"] + (["option abortonclose"] if option else [])
            srv = Backend("s", "hold")
            st = Setup(listen("aoc", lines), [srv], cmd=cmd, defaults="    timeout queue 10s")
            try:
                a = socket.create_connection(("127.0.0.1", st.fe))
                assert recv_exact(a, 1) == b"s"
                b = socket.create_connection(("127.0.0.1", st.fe))
                b.sendall(b"queued data")
                b.shutdown(socket.SHUT_WR)
                if option:
                    assert recv_all(b, 10) == b"", cmd  # closed while queued, no reset
                a.close()
                if not option:
                    assert recv_all(b, 10) == b"s", cmd  # served once the slot freed
                c = socket.create_connection(("127.0.0.1", st.fe))
                assert recv_exact(c, 1) == b"s", cmd
                # a still-queued b would have reached the server before c
                assert srv.accepted == (2 if option else 3), (cmd, option, srv.accepted)
                c.close()
                b.close()
            finally:
                st.close()



@test
def queued_connection_reset_by_its_client_never_reaches_the_server():
    # A client that resets while queued leaves the queue, with or without option abortonclose
    # (HAProxy's back_may_abort_req in TCP mode). The proxy closing its descriptor for that client
    # says the reset was seen; then the slot frees and the next client gets it.
    for cmd in (ARGS.proxy, ARGS.haproxy + " -db -f"):
        for option in (True, False):
            lines = ["server s 127.0.0.1:{s} maxconn 1"] + (["option abortonclose"] if option else [])
            srv = Backend("s", "hold")
            st = Setup(listen("rst", lines), [srv], cmd=cmd, defaults="    timeout queue 10s")
            try:
                a = socket.create_connection(("127.0.0.1", st.fe))
                assert recv_exact(a, 1) == b"s"
                b = socket.create_connection(("127.0.0.1", st.fe))
                b.sendall(b"queued data")
                port = "%04X" % b.getsockname()[1]

                def proxy_end():  # the proxy's descriptor for b: (fd, socket inode) or None
                    for fd, what in st.proxy.fd_snapshot().items():
                        if what.startswith("tcp ") and what.split("->")[1].startswith("0100007F:" + port):
                            return fd, os.readlink("/proc/%d/fd/%d" % (st.proxy.pid, fd))
                    return None

                wait_for(lambda: proxy_end() is not None, 10, "the proxy to accept the queued client")
                fd, link = proxy_end()

                def closed():
                    try:
                        return os.readlink("/proc/%d/fd/%d" % (st.proxy.pid, fd)) != link
                    except OSError:
                        return True

                b.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                b.close()
                wait_for(closed, 10, "the proxy to close the reset client")
                a.close()
                c = socket.create_connection(("127.0.0.1", st.fe))
                assert recv_exact(c, 1) == b"s", cmd
                assert srv.accepted == 2, (cmd, option, srv.accepted)
                c.close()
            finally:
                st.close()


# ---- timeouts ----------------------------------------------------------------------------------

def closed_after(sock, lo, hi):
    t0 = time.monotonic()
    try:
        data = recv_all(sock, hi + 5)
    except ConnectionResetError:
        data = b""
    took = time.monotonic() - t0
    assert lo <= took < hi, "closed after %.2fs, expected [%s, %s)" % (took, lo, hi)
    return data


@test
def timeout_connect():
    # A listener with a full accept queue drops SYNs: connecting to it hangs.
    full = socket.socket()
    full.bind(("127.0.0.1", 0))
    full.listen(0)
    port = full.getsockname()[1]
    fillers = []
    for _ in range(4):
        f = socket.socket()
        f.setblocking(False)
        f.connect_ex(("127.0.0.1", port))
        fillers.append(f)
    st = Setup(listen("tc", ["server s 127.0.0.1:%d" % port, "retries 0"]), [],
               defaults="    timeout connect 300")
    try:
        s = socket.create_connection(("127.0.0.1", st.fe))
        assert closed_after(s, 0.25, 5) == b""
    finally:
        st.close()
        full.close()
        for f in fillers:
            f.close()


@test
def timeout_client_and_server():
    st = Setup(listen("tcl", ["server s 127.0.0.1:{s}", "timeout client 300", "timeout server 10s"]),
               [Backend("s", "hold")])
    try:
        s = socket.create_connection(("127.0.0.1", st.fe))
        assert closed_after(s, 0.25, 5) == b"s"
    finally:
        st.close()
    st = Setup(listen("tsv", ["server s 127.0.0.1:{s}", "timeout client 10s", "timeout server 300"]),
               [Backend("s", "hold")])
    try:
        s = socket.create_connection(("127.0.0.1", st.fe))
        assert closed_after(s, 0.25, 5) == b"s"
    finally:
        st.close()


@test
def timeout_activity_keeps_connection():
    st = Setup(listen("tact", ["server s 127.0.0.1:{s}", "timeout client 400", "timeout server 400"]),
               [Backend("s")])
    try:
        s = socket.create_connection(("127.0.0.1", st.fe))
        assert recv_exact(s, 1) == b"s"
        for i in range(8):  # 8 x 150 ms of activity: longer than the timeout, never idle that long
            s.sendall(b"ping")
            assert recv_exact(s, 4) == b"ping"
            time.sleep(0.15)  # idle time below the timeout, the thing tested
        s.close()
    finally:
        st.close()


@test
def timeout_tunnel():
    st = Setup(listen("tt", ["server s 127.0.0.1:{s}", "timeout client 100ms", "timeout server 100ms",
                             "timeout tunnel 600"]), [Backend("s", "hold")])
    try:
        s = socket.create_connection(("127.0.0.1", st.fe))
        assert closed_after(s, 0.5, 5) == b"s"
    finally:
        st.close()


@test
def timeout_client_fin_and_server_fin():
    st = Setup(listen("tcf", ["server s 127.0.0.1:{s}", "timeout client-fin 300", "timeout server 20s"]),
               [Backend("s", "ignore_eof")])
    try:
        s = socket.create_connection(("127.0.0.1", st.fe))
        s.shutdown(socket.SHUT_WR)
        # the server keeps its side open; the half-closed client side expires after client-fin
        assert closed_after(s, 0.25, 5) == b""
    finally:
        st.close()
    st = Setup(listen("tsf", ["server s 127.0.0.1:{s}", "timeout server-fin 300", "timeout client 20s"]),
               [Backend("s", "greet_shut")])
    try:
        t0 = time.monotonic()
        s = socket.create_connection(("127.0.0.1", st.fe))
        assert recv_all(s) == b"s"  # the server's FIN is forwarded at once
        # the half-closed server side then expires after server-fin: the server sees the close
        be = st.backends["s"]
        wait_for(lambda: ("got", 0) in be.events, 5, "the server side to be closed")
        assert time.monotonic() - t0 >= 0.25
        s.close()
    finally:
        st.close()


# ---- retries and redispatch --------------------------------------------------------------------

@test
def retries_and_redispatch_with_a_refusing_server():
    dead = free_port()
    st = Setup(listen("rd", ["server bad 127.0.0.1:%d" % dead, "server good 127.0.0.1:{good}", "retries 2",
                             "option redispatch"]), [Backend("good")], defaults="    timeout connect 200")
    try:
        assert [connect_name(st.fe) for _ in range(10)] == ["good"] * 10
    finally:
        st.close()
    st = Setup(listen("nord", ["server bad 127.0.0.1:%d" % dead, "server good 127.0.0.1:{good}", "retries 1"]),
               [Backend("good")], defaults="    timeout connect 200")
    try:
        t0 = time.monotonic()
        seq = [connect_name(st.fe) for _ in range(4)]
        assert sorted(seq) == ["", "", "good", "good"], seq  # bad's turns fail after their retry
        assert time.monotonic() - t0 >= 0.35  # two turn-arounds of min(timeout connect, 1s)
    finally:
        st.close()


# ---- data path ---------------------------------------------------------------------------------

@test
def half_close_client_first():
    st = Setup(listen("hc1", ["server s 127.0.0.1:{s}"]), [Backend("s")])
    try:
        s = socket.create_connection(("127.0.0.1", st.fe))
        s.sendall(b"hello world")
        s.shutdown(socket.SHUT_WR)
        assert recv_all(s) == b"shello world"
    finally:
        st.close()


@test
def half_close_server_first():
    st = Setup(listen("hc2", ["server s 127.0.0.1:{s}"]), [Backend("s", "greet_shut")])
    try:
        s = socket.create_connection(("127.0.0.1", st.fe))
        assert recv_all(s) == b"s"  # the server's FIN arrived
        s.sendall(b"z" * 100000)  # the other direction still flows
        s.shutdown(socket.SHUT_WR)
        be = st.backends["s"]
        wait_for(lambda: ("got", 100000) in be.events, 10, "the server to get every byte")
        s.close()
    finally:
        st.close()


@test
def large_transfers_are_byte_exact():
    st = Setup(listen("big", ["server e 127.0.0.1:{e}", "server k 127.0.0.1:{k} weight 0"]),
               [Backend("e"), Backend("k", "sink")])
    try:
        payload = os.urandom(3 * 1024 * 1024 + 123)
        s = socket.create_connection(("127.0.0.1", st.fe))
        got = bytearray()

        def reader():
            got.extend(recv_all(s, 60))

        t = threading.Thread(target=reader)
        t.start()
        s.sendall(payload)
        s.shutdown(socket.SHUT_WR)
        t.join(60)
        assert bytes(got) == b"e" + payload, "echo mismatch: %d vs %d bytes" % (len(got), len(payload) + 1)
    finally:
        st.close()
    st = Setup(listen("up", ["server k 127.0.0.1:{k}"]), [Backend("k", "sink")])
    try:
        payload = os.urandom(2 * 1024 * 1024 + 7)
        s = socket.create_connection(("127.0.0.1", st.fe))
        s.sendall(payload)
        s.shutdown(socket.SHUT_WR)
        assert recv_all(s, 60).decode() == hashlib.sha256(payload).hexdigest()
    finally:
        st.close()


@test
def slow_reader_backpressure_bounds_memory():
    st = Setup(listen("bp", ["server s 127.0.0.1:{s}"]), [Backend("s", "stream")], global_extra="    nbthread 1")
    try:
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        s.connect(("127.0.0.1", st.fe))
        assert recv_exact(s, 1) == b"s"
        rss0 = st.proxy.rss_kb()
        time.sleep(1.0)  # the server pushes as fast as it can while nobody reads
        grew = st.proxy.rss_kb() - rss0
        assert grew < 8 * 1024, "RSS grew by %d KiB with a stalled reader" % grew
        n = len(recv_exact(s, 4 * 1024 * 1024, 30))  # and the stream still flows once read
        assert n == 4 * 1024 * 1024
        s.close()
    finally:
        st.close()


@test
def client_reset_releases_the_server_side():
    st = Setup(listen("rst", ["server s 127.0.0.1:{s}"]), [Backend("s", "stream")])
    try:
        s = socket.create_connection(("127.0.0.1", st.fe))
        recv_exact(s, 100000)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()  # RST
        be = st.backends["s"]
        wait_for(lambda: any(e[0] == "peer_gone" for e in be.events), 10, "the server side to be released")
    finally:
        st.close()


@test
def server_reset_releases_the_client_side():
    port = free_port()
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(8)
    st = Setup(listen("rst2", ["server s 127.0.0.1:%d" % port]), [])
    try:
        s = socket.create_connection(("127.0.0.1", st.fe))
        c, _ = srv.accept()
        c.sendall(b"y" * 100000)
        assert len(recv_exact(s, 100000)) == 100000
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        c.close()
        s.settimeout(10)
        try:
            while s.recv(65536):
                pass
        except ConnectionResetError:
            pass
    finally:
        srv.close()
        st.close()


# ---- listeners ---------------------------------------------------------------------------------

@test
def listener_forms():
    p6, pw, pu = free_port(), free_port(), free_port()
    # The port range comes from below the kernel's ephemeral range (32768-60999 by default), so
    # no other test's bind(0) or outgoing connection can take pr+1 or pr+2 between this check and
    # the proxy's bind (that race made this test fail now and then).
    pr = random.randrange(20000, 32000, 3)
    while not all(can_bind(pr + i) for i in range(3)):
        pr = random.randrange(20000, 32000, 3)
    sock_path = os.path.join("/tmp", "lbc-e2e-%d.sock" % os.getpid())
    inherited = socket.socket()
    inherited.bind(("127.0.0.1", 0))
    inherited.listen(16)
    pf = inherited.getsockname()[1]
    body = ("frontend multi\n    bind [::1]:%d\n    bind :%d\n    bind 127.0.0.1:%d-%d\n    bind unix@%s\n"
            "    bind fd@%d\n    bind :::%d v6only\n    default_backend be\n"
            "backend be\n    server s 127.0.0.1:{s}\n") % (p6, pw, pr, pr + 2, sock_path, inherited.fileno(), pu)
    st = Setup(body, [Backend("s")], pass_fds=(inherited.fileno(),))
    try:
        assert connect_name(p6, "::1") == "s"
        assert connect_name(pw, "127.0.0.1") == "s"
        for i in range(3):
            assert connect_name(pr + i) == "s"
        u = socket.socket(socket.AF_UNIX)
        u.connect(sock_path)
        assert recv_exact(u, 1) == b"s"
        u.close()
        assert connect_name(pf) == "s"
        assert connect_name(pu, "::1") == "s"
        assert not can_connect(pu, "127.0.0.1"), "v6only listener accepted IPv4"
    finally:
        st.close()
        inherited.close()
    pv = free_port()
    st = Setup("frontend v4v6\n    bind :::%d v4v6\n    default_backend be\nbackend be\n    server s 127.0.0.1:{s}\n"
               % pv, [Backend("s")])
    try:
        assert connect_name(pv, "127.0.0.1") == "s" and connect_name(pv, "::1") == "s"
    finally:
        st.close()


def can_bind(port):
    try:
        with socket.socket() as s:
            s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False


@test
def frontend_maxconn_pauses_and_resumes():
    body = "frontend f\n    bind 127.0.0.1:{fe}\n    maxconn 2\n    default_backend be\nbackend be\n" \
           "    server s 127.0.0.1:{s}\n"
    st = Setup(body, [Backend("s", "hold")])
    try:
        a = socket.create_connection(("127.0.0.1", st.fe))
        b = socket.create_connection(("127.0.0.1", st.fe))
        assert recv_exact(a, 1) == b"s" and recv_exact(b, 1) == b"s"
        c = socket.create_connection(("127.0.0.1", st.fe))  # sits in the backlog: not served
        c.settimeout(0.5)
        try:
            got = c.recv(1)
        except socket.timeout:
            got = None
        assert got is None, "a third connection was served above maxconn"
        a.close()
        assert recv_exact(c, 1, 5) == b"s"
        b.close()
        c.close()
    finally:
        st.close()


# ---- process -----------------------------------------------------------------------------------

@test
def graceful_stop_lets_connections_finish():
    for sig in (signal.SIGTERM, signal.SIGUSR1):
        st = Setup(listen("gs", ["server s 127.0.0.1:{s}"]), [Backend("s")])
        s = socket.create_connection(("127.0.0.1", st.fe))
        assert recv_exact(s, 1) == b"s"
        st.proxy.proc.send_signal(sig)
        wait_for(lambda: not can_connect(st.fe), 10, "listeners to close")
        s.sendall(b"still here")
        assert recv_exact(s, 10) == b"still here"
        assert st.proxy.proc.poll() is None
        s.close()
        assert st.proxy.proc.wait(10) == 0
        st.close()


@test
def hard_stop_after_cuts_connections():
    st = Setup(listen("hs", ["server s 127.0.0.1:{s}"]), [Backend("s", "hold")],
               global_extra="    hard-stop-after 500")
    s = socket.create_connection(("127.0.0.1", st.fe))
    assert recv_exact(s, 1) == b"s"
    t0 = time.monotonic()
    st.proxy.proc.send_signal(signal.SIGTERM)
    assert st.proxy.proc.wait(10) == 0
    assert 0.4 <= time.monotonic() - t0 < 5
    st.close()


@test
def daemon_and_pidfile():
    pidfile = os.path.join("/tmp", "lbc-e2e-%d.pid" % os.getpid())
    if os.path.exists(pidfile):
        os.unlink(pidfile)
    st = Setup(listen("dm", ["server s 127.0.0.1:{s}"]), [Backend("s")], extra_args=("-D", "-p", pidfile),
               ready=False)
    assert st.proxy.proc.wait(20) == 0  # the parent returns once the daemon is started
    wait_for(lambda: os.path.exists(pidfile) and open(pidfile).read().strip().isdigit(), 10, "the pidfile")
    pid = int(open(pidfile).read())
    try:
        wait_for(lambda: can_connect(st.fe), 10, "the daemon to accept")
        assert connect_name(st.fe) == "s"
        assert os.getsid(pid) == pid, "the daemon is not a session leader"
    finally:
        os.kill(pid, signal.SIGTERM)
        wait_for(lambda: not os.path.exists("/proc/%d" % pid) or
                 open("/proc/%d/stat" % pid).read().split()[2] == "Z", 10, "the daemon to exit")
        for b in st.backends.values():
            b.stop()
        os.unlink(pidfile)


@test
def startup_errors_name_the_line():
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    port = busy.getsockname()[1]
    cfg = head() + "frontend f\n    bind 127.0.0.1:%d\n    default_backend be\nbackend be\n    server s 127.0.0.1:1\n" % port
    p = Proxy(ARGS.proxy, cfg, expect_fail=True)
    busy.close()
    assert p.proc.returncode == 1 and "test.cfg:11" in p.err and "Address already in use" in p.err, p.err
    cfg = head() + "listen l\n    bind 127.0.0.1:%d\n    server s no-such-host.invalid:80\n" % free_port()
    p = Proxy(ARGS.proxy, cfg, expect_fail=True)
    assert p.proc.returncode == 1 and "test.cfg:12" in p.err and "no-such-host.invalid" in p.err, p.err
    cfg = head() + "listen l\n    bind unix@/proc/lbc-cannot-be-here.sock\n    server s 127.0.0.1:1\n"
    p = Proxy(ARGS.proxy, cfg, expect_fail=True)
    assert p.proc.returncode == 1 and "test.cfg:11" in p.err and "cannot bind" in p.err, p.err


@test
def unsupported_configurations_are_refused():
    cases = [
        ("listen l\n    mode http\n    bind 127.0.0.1:1\n    balance uri\n    hash-type map-based none\n"
         "    server s 127.0.0.1:1\n", "'hash-type ... none'"),
        ("listen l\n    bind 127.0.0.1:1\n    stick-table type ip size 1k store conn_cur\n    stick on src\n"
         "    server s 127.0.0.1:1\n", "'store conn_cur' in a stick-table"),
        ("listen l\n    bind 127.0.0.1:1\n    stick-table type ip size 1k\n"
         "    tcp-request connection track-sc0 src\n    server s 127.0.0.1:1\n", "(sticky counters)"),
    ]
    for body, needle in cases:
        p = Proxy(ARGS.proxy, head() + body, expect_fail=True)
        assert p.proc.returncode == 1 and needle in p.err and "test.cfg:1" in p.err and "^" in p.err, p.err


# ---- compiled rules: tcp-request / tcp-response, backend selection, stick tables ----------------

def send_name(port, data, src=None, want=64, timeout=5.0):
    """Connects, sends `data`, returns what comes back (the backend's name, then its echo) until
    `want` bytes, the close or a reset."""
    s = socket.socket()
    s.settimeout(timeout)
    if src:
        s.bind((src, 0))
    got = b""
    try:
        s.connect(("127.0.0.1", port))  # a reset may already come back here
        if data:
            s.sendall(data)
        while len(got) < want:
            d = s.recv(want - len(got))
            if not d:
                break
            got += d
    except (ConnectionResetError, BrokenPipeError):
        pass
    s.close()
    return got


@test
def use_backend_on_src_in_tcp_mode():
    body = ("frontend f\n    bind 127.0.0.1:{fe}\n    use_backend b2 if {{ src 127.0.0.2 }}\n"
            "    default_backend b1\n"
            "backend b1\n    server a 127.0.0.1:{a}\nbackend b2\n    server b 127.0.0.1:{b}\n")
    st = Setup(body, [Backend("a"), Backend("b")])
    try:
        assert [connect_name(st.fe, src="127.0.0.2") for _ in range(3)] == ["b"] * 3
        assert [connect_name(st.fe, src="127.0.0.1") for _ in range(3)] == ["a"] * 3
    finally:
        st.close()


@test
def use_backend_on_payload_waits_for_the_data():
    # The rules wait (inspect-delay) for 5 bytes; "hello" goes to b2, anything else to b1, and the
    # inspected bytes are forwarded to the server first (the echo proves it).
    body = ("frontend f\n    bind 127.0.0.1:{fe}\n    tcp-request inspect-delay 5s\n"
            "    tcp-request content accept if {{ req.payload(0,5) -m found }}\n"
            "    use_backend b2 if {{ req.payload(0,5) -m bin 68656c6c6f }}\n    default_backend b1\n"
            "backend b1\n    server a 127.0.0.1:{a}\nbackend b2\n    server b 127.0.0.1:{b}\n")
    st = Setup(body, [Backend("a"), Backend("b")])
    try:
        for data, name in ((b"hello world", "b"), (b"howdy there", "a")):
            s = socket.create_connection(("127.0.0.1", st.fe))
            s.settimeout(5)
            s.sendall(data[:2])  # two pieces: the first is not enough to decide
            s.sendall(data[2:])
            got = recv_exact(s, 1 + len(data))
            s.close()
            assert got == name.encode() + data, (data, got)
    finally:
        st.close()


def client_hello(sni):
    """The bytes of a real TLS ClientHello (Python's OpenSSL) naming `sni`."""
    import ssl
    ctx = ssl.create_default_context()
    out, inc = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname=sni)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read()


@test
def use_backend_on_req_ssl_sni():
    body = ("frontend f\n    bind 127.0.0.1:{fe}\n    tcp-request inspect-delay 5s\n"
            "    tcp-request content accept if {{ req_ssl_hello_type 1 }}\n"
            "    use_backend b2 if {{ req_ssl_sni -i api.example.com }}\n    default_backend b1\n"
            "backend b1\n    server a 127.0.0.1:{a}\nbackend b2\n    server b 127.0.0.1:{b}\n")
    st = Setup(body, [Backend("a"), Backend("b")])
    try:
        for sni, name in (("API.example.com", "b"), ("www.example.com", "a"), ("api.example.com", "b")):
            hello = client_hello(sni)
            s = socket.create_connection(("127.0.0.1", st.fe))
            s.settimeout(5)
            s.sendall(hello)
            got = recv_exact(s, 1 + len(hello))
            s.close()
            assert got == name.encode() + hello, (sni, got[:1])
    finally:
        st.close()


@test
def tcp_request_connection_reject():
    body = ("listen l\n    bind 127.0.0.1:{fe}\n    tcp-request connection reject if {{ src 127.0.0.2 }}\n"
            "    server a 127.0.0.1:{a}\n")
    st = Setup(body, [Backend("a")])
    try:
        before = st.backends["a"].accepted
        for _ in range(3):
            assert send_name(st.fe, b"x", src="127.0.0.2") == b""
        assert connect_name(st.fe) == "a"
        assert st.backends["a"].accepted == before + 1, "a rejected connection reached the server"
    finally:
        st.close()


@test
def tcp_request_content_reject_and_accept():
    body = ("listen l\n    bind 127.0.0.1:{fe}\n    tcp-request inspect-delay 5s\n"
            "    tcp-request content reject if {{ req.payload(0,4) -m bin 42414421 }}\n"
            "    tcp-request content accept if {{ req.len ge 4 }}\n    server a 127.0.0.1:{a}\n")
    st = Setup(body, [Backend("a")])
    try:
        before = st.backends["a"].accepted
        assert send_name(st.fe, b"BAD!rest") == b""
        assert st.backends["a"].accepted == before
        assert send_name(st.fe, b"good", want=5) == b"agood"
    finally:
        st.close()


@test
def inspect_delay_expiry_turns_miss_into_fail():
    # "he" never reaches 5 bytes: the payload condition waits (MISS) until the delay ends, then
    # fails, so the default backend gets the connection, with the 2 bytes, after ~1s; and a
    # `reject` after a waiting accept fires once the delay is over.
    body = ("frontend f\n    bind 127.0.0.1:{fe}\n    tcp-request inspect-delay 1s\n"
            "    tcp-request content accept if {{ req.payload(0,5) -m bin 68656c6c6f }}\n"
            "    use_backend b2 if {{ req.payload(0,5) -m bin 68656c6c6f }}\n    default_backend b1\n"
            "backend b1\n    server a 127.0.0.1:{a}\nbackend b2\n    server b 127.0.0.1:{b}\n"
            "listen strict\n    bind 127.0.0.1:{strict}\n    tcp-request inspect-delay 1s\n"
            "    tcp-request content accept if {{ req.payload(0,5) -m bin 68656c6c6f }}\n"
            "    tcp-request content reject\n    server b 127.0.0.1:{b}\n")
    strict = free_port()
    st = Setup(body.replace("{strict}", str(strict)), [Backend("a"), Backend("b")])
    try:
        s = socket.create_connection(("127.0.0.1", st.fe))
        s.settimeout(10)
        t0 = time.monotonic()
        s.sendall(b"he")
        got = recv_exact(s, 3)
        waited = time.monotonic() - t0
        s.close()
        assert got == b"ahe", got
        assert 0.8 <= waited <= 5, waited
        s = socket.create_connection(("127.0.0.1", strict))
        s.settimeout(10)
        t0 = time.monotonic()
        s.sendall(b"he")
        try:
            d = s.recv(16)
        except ConnectionResetError:
            d = b""
        waited = time.monotonic() - t0
        s.close()
        assert d == b"" and 0.8 <= waited <= 5, (d, waited)
    finally:
        st.close()


@test
def tcp_response_content_on_the_first_server_data():
    # Response rules run once the server is there, on its first bytes, which are held until they
    # decide: a reject closes the client without them (the server did get the connection). With
    # an inspect delay, a hello type that the first byte of a TLS record (0x16) alone cannot
    # give waits (MISS) and fails at the end (a non-TLS first byte fails at once, as HAProxy).
    tls_like = Backend("\x16")
    body = ("listen l\n    bind 127.0.0.1:{fe}\n"
            "    tcp-response content reject if {{ src 127.0.0.2 }}\n    server a 127.0.0.1:{a}\n"
            "listen slow\n    bind 127.0.0.1:{slow}\n    tcp-response inspect-delay 1s\n"
            "    tcp-response content accept if {{ rep_ssl_hello_type 2 }}\n"
            "    tcp-response content reject\n    server t 127.0.0.1:%d\n" % tls_like.port)
    slow = free_port()
    st = Setup(body.replace("{slow}", str(slow)), [Backend("a")])
    try:
        before = st.backends["a"].accepted
        assert send_name(st.fe, b"", src="127.0.0.2", want=1) == b""
        wait_for(lambda: st.backends["a"].accepted == before + 1, 5, "the server to get the connection")
        assert send_name(st.fe, b"", want=1) == b"a"
        t0 = time.monotonic()
        assert send_name(slow, b"", want=1) == b""
        assert 0.8 <= time.monotonic() - t0 <= 5, time.monotonic() - t0
    finally:
        st.close()
        tls_like.stop()


@test
def stick_on_src_keeps_clients_on_their_server():
    body = ("listen l\n    bind 127.0.0.1:{fe}\n    balance roundrobin\n"
            "    stick-table type ip size 100 expire 1m\n    stick on src\n"
            "    server a 127.0.0.1:{a}\n    server b 127.0.0.1:{b}\n")
    st = Setup(body, [Backend("a"), Backend("b")])
    try:
        first = {src: connect_name(st.fe, src=src) for src in ("127.0.0.2", "127.0.0.3", "127.0.0.4")}
        # round robin alone would alternate; each source keeps the server it got first
        assert sorted(set(first.values())) == ["a", "b"], first
        for _ in range(3):
            for src, name in first.items():
                assert connect_name(st.fe, src=src) == name, (src, name)
    finally:
        st.close()


@test
def stick_match_ignores_a_down_server():
    # The learnt server goes away (its check fails): the client is balanced to the other one
    # and sticks there from then on (store-request updates the entry).
    body = ("listen l\n    bind 127.0.0.1:{fe}\n    balance roundrobin\n"
            "    stick-table type ip size 10\n    stick on src\n"
            "    server a 127.0.0.1:{a} check inter 200 fall 1 rise 1\n"
            "    server b 127.0.0.1:{b} check inter 200 fall 1 rise 1\n")
    st = Setup(body, [Backend("a"), Backend("b")])
    try:
        name = connect_name(st.fe, src="127.0.0.5")
        other = "b" if name == "a" else "a"
        st.backends[name].stop()
        wait_for(lambda: connect_name(st.fe, src="127.0.0.5") == other, 10, "the client to move to " + other)
        assert [connect_name(st.fe, src="127.0.0.5") for _ in range(3)] == [other] * 3
    finally:
        st.close()


def tls_servers(names_ports):
    """openssl s_server per (name, port), each with its own certificate (CN=name), session IDs
    (no tickets) so a resumed session proves the same server answered."""
    import subprocess
    import tempfile
    d = tempfile.mkdtemp(prefix="lbc-e2e-tls-")
    procs = []
    for name, port in names_ports:
        key, crt = os.path.join(d, name + ".key"), os.path.join(d, name + ".crt")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + name, "-days",
                        "1", "-keyout", key, "-out", crt], check=True, capture_output=True)
        procs.append(subprocess.Popen(["openssl", "s_server", "-accept", str(port), "-cert", crt, "-key", key,
                                       "-www", "-no_ticket", "-quiet"], stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL))
    wait_for(lambda: all(can_connect(p) for _, p in names_ports), 10, "the TLS servers")
    return d, procs


def s_client(port, sess_in=None, sess_out=None):
    """One TLS 1.2 handshake; returns (server CN, reused)."""
    import subprocess
    argv = ["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, "-tls1_2"]
    if sess_in:
        argv += ["-sess_in", sess_in]
    if sess_out:
        argv += ["-sess_out", sess_out]
    r = subprocess.run(argv, input="", capture_output=True, text=True, timeout=20)
    import re
    m = re.search(r"subject=CN\s*=\s*(\w+)", r.stdout)
    return (m.group(1) if m else None), ("Reused, TLS" in r.stdout)


# ---- samples -----------------------------------------------------------------------------------

# ---- samples -----------------------------------------------------------------------------------

SAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../samples")


@test
def samples_tcp_mysql_leastconn():
    # samples/aloha_tcp_mysql.cfg as written: frontend :8336, servers on 8306 and 8307.
    s1, s2 = Backend("s1", "hold", port=8306), Backend("s2", "hold", port=8307)
    p = Proxy(ARGS.proxy, open(os.path.join(SAMPLES, "aloha_tcp_mysql.cfg")).read(), 8336)
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
        p = Proxy(ARGS.proxy, open(os.path.join(SAMPLES, "https_passthrough.cfg")).read(), 8443)
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
        p = Proxy(ARGS.proxy, open(os.path.join(SAMPLES, "ssl_session_id_affinity.cfg")).read(), 8443)
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


# ---- soak ----------------------------------------------------------------------------------------

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
            load(ARGS.soak)
            fds_back("fds back to %d" % fd0)
            rss1 = st.proxy.rss_kb()
            assert rss1 <= rss0 * 1.10 + 2048, "RSS %d KiB -> %d KiB" % (rss0, rss1)
            print("    soak: %d connections, fds %d, RSS %d -> %d KiB" % (ARGS.soak, fd0, rss0, rss1))
        finally:
            st.close()
    finally:
        echo.kill()
        echo.wait()


def main():
    global ARGS
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--proxy", default=os.path.join(here, "../../build/lbc") + " run")
    ap.add_argument("--haproxy", default="/usr/sbin/haproxy")
    ap.add_argument("--build", default="", help="lbc binary: serve with `lbc build` executables")
    ap.add_argument("--only", default="")
    ap.add_argument("--soak", type=int, default=100000)
    ARGS = ap.parse_args()
    if ARGS.build:
        ARGS.proxy = "%s %s %s" % (sys.executable, os.path.join(here, "build_run.py"), ARGS.build)
    return run_tests(TESTS, ARGS.only)


if __name__ == "__main__":
    sys.exit(main())

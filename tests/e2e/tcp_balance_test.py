#!/usr/bin/env python3
# End-to-end tests of TCP proxying (issue 3), balancing: roundrobin, static-rr, leastconn, source,
# random, first, backup servers, health checks bringing a server back, retries and redispatch.
# usage: tcp_balance_test.py [--proxy "CMD" | --build LBC] [--haproxy PATH] [--only NAME,...] [--soak N]
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Backend, ENV, collector, connect_name, free_port, main, recv_exact, wait_for  # noqa: E402
from tcp_common import Setup, add_args, listen  # noqa: E402

TESTS = []
test = collector(TESTS)


@test
def roundrobin_sequence_matches_haproxy():
    for weights in ([3, 2, 1], [5, 1, 1, 2], [1, 1, 1], [7, 3]):
        names = ["s%d" % i for i in range(len(weights))]
        servers = ["server %s 127.0.0.1:{%s} weight %d" % (n, n, w) for n, w in zip(names, weights)]
        seqs = {}
        for label, cmd in (("lbc", ENV.proxy), ("haproxy", ENV.haproxy + " -db -f")):
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
        for label, cmd in (("lbc", ENV.proxy), ("haproxy", ENV.haproxy + " -db -f")):
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


if __name__ == "__main__":
    sys.exit(main(TESTS, add_args))

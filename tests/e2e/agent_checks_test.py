#!/usr/bin/env python3
# End-to-end tests of agent checks (agent-check, agent-port, agent-inter, agent-addr, agent-send,
# no-agent-check): lbc and haproxy 2.6 run the same configuration against the same agent stubs, the
# agents' answers walk through weights, up/down/stopped/fail, ready/drain/maint, comments, errors,
# maxconn and broken answers, and after each one the servers' states and weights (`show servers
# state`, `show stat`), the traffic distribution and the state-change lines must agree.
# usage: agent_checks_test.py [--proxy "CMD" | --build LBC] [--haproxy PATH] [--only NAME,...]
import os
import shutil
import socket
import sys
import tempfile
import threading
from textwrap import dedent

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ENV, LoggedProxy, collector, fill, free_port, haproxy_available, main, wait_for  # noqa: E402
from http_common import compared  # noqa: E402
from tcp_checks_test import Stub, state_messages  # noqa: E402

TESTS = []
test = collector(TESTS)


class Agent(Stub):
    """An agent: each connection gets `answer` (bytes), then what the proxy sends (agent-send) is
    read and the connection closed. `served` counts the connections answered with the current
    answer, so a test knows when a proxy has seen it (the second one started: the first was
    handled, as a server's checks run one after the other)."""

    def __init__(self, answer=b"up\n"):
        self.served, self.agent_sent = 0, b""  # (Stub.received is the chunks Stub itself read)
        self.lock = threading.Lock()
        super().__init__(greeting=answer, answers=[b""])

    @property
    def answer(self):
        return self.greeting

    def set(self, answer):
        with self.lock:
            self.greeting, self.served = answer, 0

    def seen(self, n=2):
        wait_for(lambda: self.served >= n, 10, "agent on %d to answer %r %d times" % (self.port, self.answer, n))

    def _serve(self, c, greeting, answers):
        with self.lock:
            if greeting is self.greeting:
                self.served += 1
        try:
            if greeting:
                c.sendall(greeting)
            c.settimeout(0.05)
            d = c.recv(100)
            with self.lock:
                self.agent_sent += d
        except OSError:
            pass
        finally:
            c.close()


def served_by(port):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as c:
        c.settimeout(5)
        try:
            return c.recv(100).strip().decode()
        except OSError:
            return ""


def distribution(fe, n=30):
    out = {}
    for _ in range(n):
        k = served_by(fe)
        out[k] = out.get(k, 0) + 1
    return dict(sorted(out.items()))


def cli(path, cmd):
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(5)
        s.connect(path)
        s.sendall(cmd.encode() + b"\n")
        data = b""
        while True:
            d = s.recv(65536)
            if not d:
                break
            data += d
    return data.decode()


STATE_FIELDS = ["srv_name", "srv_op_state", "srv_admin_state", "srv_uweight", "srv_iweight", "srv_check_status",
                "srv_check_health", "srv_check_state", "srv_agent_state", "srv_check_port",
                "srv_check_addr", "srv_agent_addr", "srv_agent_port"]
STAT_FIELDS = ["svname", "status", "weight", "check_status", "check_code", "agent_status", "agent_code",
               "check_desc", "agent_desc", "last_agt", "agent_rise", "agent_fall", "agent_health"]


def snapshot(sock):
    """The servers' lines of `show servers state` and `show stat`, in the fields compared, with
    what varies from run to run masked (a check in progress)."""
    lines = cli(sock, "show servers state app").splitlines()
    head = lines[1].lstrip("# ").split()
    out = []
    for ln in lines[2:]:
        if not ln.strip():
            continue
        row = dict(zip(head, ln.split()))
        row["srv_agent_state"] = str(int(row["srv_agent_state"]) & ~1)  # in progress
        row["srv_check_state"] = str(int(row["srv_check_state"]) & ~1)
        row["srv_agent_port"] = "0" if row["srv_agent_port"] == "0" else "PORT"
        out.append(" ".join(row[f] for f in STATE_FIELDS))
    csv = cli(sock, "show stat").splitlines()
    head = csv[0].lstrip("# ").split(",")
    for ln in csv[1:]:
        row = dict(zip(head, ln.split(",")))
        if row.get("pxname") != "app" or row.get("svname") in ("BACKEND", "FRONTEND"):
            continue
        if row["agent_status"].startswith("* "):  # in progress: HAProxy has cleared its description
            row["agent_status"], row["last_agt"] = row["agent_status"][2:], "~"
        row["check_status"] = row["check_status"].replace("* ", "")
        out.append(",".join(row[f] for f in STAT_FIELDS))
    return out


def cycle(snap):
    """One round of the usable servers' weights (a whole number of roundrobin cycles)."""
    total = 0
    for ln in snap:
        f = ln.split(" ")
        if len(f) == len(STATE_FIELDS) and f[1] == "2" and f[2] == "0":
            total += int(f[3])
    return total or 10


# What both configurations share: a TCP frontend in front of backend `app`.
HEAD = r"""
    defaults
        mode tcp
        timeout connect 2s
        timeout client 5s
        timeout server 5s
        timeout check 2s
    frontend fe
        bind 127.0.0.1:{fe}
        default_backend app
    """

CFG = r"""
    global
        stats socket {sock} level admin
""" + HEAD + r"""
    backend app
        balance roundrobin
        default-server agent-check
        server s1 127.0.0.1:{p1} weight 10 agent-port {a1} agent-inter 100 agent-send "hello\n"
        server s2 127.0.0.1:{p2} weight 10 check inter 100 agent-port {a2} agent-addr 127.0.0.1
        server s3 127.0.0.1:{p3} weight 10 no-agent-check agent-port {a2}
    """

# (agent, answer, with a traffic count)
STEPS = [
    ("a1", b"50%\n", True),
    ("a1", b"down\n", True),
    ("a1", b"up\n", True),
    ("a1", b"drain\n", True),
    ("a1", b"ready\n", False),
    ("a1", b"maint\n", True),
    ("a1", b"ready\n", False),
    ("a1", b"down # busy now\n", False),
    ("a1", b"up 100%\n", False),
    ("a1", b"foo\n", False),
    ("a1", b"stopped\n", False),
    ("a1", b"fail\n", False),
    ("a1", b"75% UP\n", True),
    ("a1", b"maxconn:3\n", False),
    ("a1", b"0%\n", True),
    ("a1", b"100%,drain\n", False),
    ("a1", b"maint\n", False),
    ("a1", b"drain\n", False),
    ("a1", b"ready up #fine\n", False),
    ("a1", b"", False),
    ("a1", b"up", False),
    ("a1", b"up\r\n", False),
    ("a2", b"down\n", True),
    ("a2", b"up\n", True),
    ("a2", b"stopped\tdrain\n", False),
    ("a2", b"ready,up\n", True),
]


def close(a, b):
    """The same servers got traffic, each within one connection of the other's count (a weight
    change may shift where a roundrobin cycle starts)."""
    if a is None or b is None:
        return a == b
    return set(a) == set(b) and all(abs(a[k] - b[k]) <= 1 for k in a)


def same(a, b):
    """Snapshots agree; "~" (what a check in progress hides) matches anything."""
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        sep = "," if "," in x else " "
        fx, fy = x.split(sep), y.split(sep)
        if len(fx) != len(fy) or any(u != v and "~" not in (u, v) for u, v in zip(fx, fy)):
            return False
    return True


@test
def agent_check_matches_haproxy():
    if not haproxy_available():
        raise AssertionError("/usr/sbin/haproxy is needed for this comparison")
    got = {}
    for name, cmd in compared(haproxy_first=True):
        agents = {"a1": Agent(), "a2": Agent()}
        servers = [Stub(greeting=n + b"\n", answers=[]) for n in (b"s1", b"s2", b"s3")]
        d = tempfile.mkdtemp(prefix="lbc-agent-")
        sock = os.path.join(d, "admin.sock")
        fe = free_port()
        cfg = fill(dedent(CFG), fe=fe, sock=sock, p1=servers[0].port, p2=servers[1].port, p3=servers[2].port,
                   a1=agents["a1"].port, a2=agents["a2"].port)
        p = LoggedProxy(cmd, cfg, fe)
        steps = []
        try:
            for a in agents.values():
                a.seen(4)  # the health check has risen to its top too
            snap = snapshot(sock)
            steps.append(("start", snap, distribution(fe, cycle(snap))))
            for key, answer, traffic in STEPS:
                agents[key].set(answer)
                agents[key].seen()
                snap = snapshot(sock)
                steps.append((key + " " + answer.decode(), snap, distribution(fe, cycle(snap)) if traffic else None))
            code = p.stop()
            assert name == "haproxy" or code == 0, (code, p.lines("err")[-20:])
            got[name] = (steps, state_messages(p.lines("err")), agents["a1"].agent_sent[:12])
        finally:
            if p.proc.poll() is None:
                p.proc.kill()
            for a in agents.values():
                a.stop()
            for s in servers:
                s.stop()
            shutil.rmtree(d, ignore_errors=True)
    lbc, ha = got["lbc"], got["haproxy"]
    for (what, snap_l, dist_l), (_, snap_h, dist_h) in zip(lbc[0], ha[0]):
        assert same(snap_l, snap_h), "after %r:\nlbc:\n%s\nhaproxy:\n%s" % (what, "\n".join(snap_l), "\n".join(snap_h))
        assert close(dist_l, dist_h), "after %r: traffic lbc %s, haproxy %s" % (what, dist_l, dist_h)
    assert lbc[1] == ha[1], "lbc:\n%s\nhaproxy:\n%s" % ("\n".join(lbc[1]), "\n".join(ha[1]))
    assert lbc[2] == ha[2] == b"hello\nhello\n", (lbc[2], ha[2])
    assert any("via agent : down (busy now)" in ln for ln in lbc[1]), lbc[1]


LOGGED = HEAD + r"""
    backend app
        option log-health-checks
        server s1 127.0.0.1:{p1} check inter 100 fall 2 rise 2
        server s2 127.0.0.1:{p2} check inter 100 agent-check agent-port {a2} agent-inter 100
    """


@test
def log_health_checks_matches_haproxy():
    """option log-health-checks: a line per check result that changes a check's status or health
    ("Health check for server ... failed, ..., status: 1/2 UP"), the agent's too, and the state
    changes without their reason; compared with haproxy 2.6 line for line."""
    if not haproxy_available():
        raise AssertionError("/usr/sbin/haproxy is needed for this comparison")
    got = {}
    for name, cmd in compared(haproxy_first=True):
        agent = Agent()
        s1, s2 = Stub(greeting=b"s1\n", answers=[]), Stub(greeting=b"s2\n", answers=[])
        fe = free_port()
        p = LoggedProxy(cmd, fill(dedent(LOGGED), fe=fe, p1=s1.port, p2=s2.port, a2=agent.port), fe)
        try:
            agent.seen(3)
            p.wait_line("Health check for server app/s1 succeeded")
            s1.stop()
            p.wait_line("Server app/s1 is DOWN")
            s1.start()
            p.wait_line("Server app/s1 is UP")
            for answer in (b"down\n", b"up\n", b"foo\n", b"50%\n", b"up\n", b"", b"stopped #gone\n", b"up\n"):
                agent.set(answer)
                agent.seen()
            code = p.stop()
            assert name == "haproxy" or code == 0, (code, p.lines("err")[-20:])
            lines = state_messages(p.lines("err"))
            # the first checks' order at start-up is the scheduler's: compared as a set
            first = next(i for i, ln in enumerate(lines) if "failed" in ln)
            got[name] = sorted(lines[:first]) + lines[first:]
        finally:
            if p.proc.poll() is None:
                p.proc.kill()
            agent.stop()
            s1.stop()
            s2.stop()
    assert got["lbc"] == got["haproxy"], "lbc:\n%s\nhaproxy:\n%s" % ("\n".join(got["lbc"]), "\n".join(got["haproxy"]))
    assert any("Agent check for server app/s2 failed" in ln for ln in got["lbc"]), got["lbc"]


if __name__ == "__main__":
    sys.exit(main(TESTS))

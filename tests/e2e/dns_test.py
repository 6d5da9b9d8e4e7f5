#!/usr/bin/env python3
# DNS resolution at run time (issue 15): `resolvers` sections, server `resolvers`, `init-addr`,
# `hold`. A real DNS server on loopback (dnsmasq, whose hosts file the test rewrites and re-reads
# with SIGHUP), and a small DNS server written here for the answers dnsmasq cannot make
# (truncated, malicious, for another ID, none at all). haproxy 2.6 and lbc go through the same
# sequence of DNS changes; after each one the test waits until the stats socket's
# `show servers state` shows the new address (a readiness signal, never a sleep), checks that new
# connections reach the server at that address, and finally compares what both processes said
# (stderr, pid masked).
# usage: dns_test.py [--proxy "CMD"] [--only NAME,...]
import argparse
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Backend, Proxy, free_port, run_tests, wait_for  # noqa: E402

ARGS = None
TESTS = []
HAPROXY = "/usr/sbin/haproxy"
DNSMASQ = "/usr/sbin/dnsmasq"


def test(fn):
    TESTS.append(fn)
    return fn


def proxies():
    for tool in (HAPROXY, DNSMASQ):
        if not os.path.exists(tool):
            raise AssertionError("%s is needed for this test (tools/install-deps)" % tool)
    if not shutil.which("socat"):
        raise AssertionError("socat is needed")
    return (("haproxy", HAPROXY + " -db -f"), ("lbc", ARGS.proxy))


def cli(sock, text, timeout=3):
    r = subprocess.run(["socat", "-t", str(timeout), "unix-connect:" + sock, "stdio"], input=text.encode(),
                       capture_output=True, timeout=timeout + 10)
    return r.stdout.decode()


def server_state(sock, name):
    """(address, admin bits) of server `name` in `show servers state`."""
    for ln in cli(sock, "show servers state\n").split("\n"):
        f = ln.split(" ")
        if len(f) > 6 and f[3] == name and not ln.startswith("#"):
            return f[4], int(f[6])
    return None


def wait_state(sock, name, addr, admin=None, timeout=15):
    def ok():
        st = server_state(sock, name)
        return st is not None and st[0] == addr and (admin is None or st[1] == admin)
    wait_for(ok, timeout, "server %s at %s (admin %s): last %s" % (name, addr, admin, server_state(sock, name)))


def reached(port):
    """The name of the backend a new connection reaches ('' when the proxy closes it)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.settimeout(5)
            return s.recv(64).decode()
    except OSError:
        return ""


def masked(err):
    return [re.sub(r"\(\d+\)", "(PID)", ln) for ln in err.split("\n") if "(" in ln and ") :" in ln]


class Dnsmasq:
    def __init__(self, d):
        self.port = free_port()
        self.hosts = os.path.join(d, "hosts")
        self.srv = os.path.join(d, "srv.conf")
        self.set_hosts({})
        with open(self.srv, "w"):
            pass
        self.proc = subprocess.Popen(
            [DNSMASQ, "--keep-in-foreground", "--no-resolv", "--no-hosts", "--addn-hosts=" + self.hosts,
             "--port=%d" % self.port, "--listen-address=127.0.0.1", "--bind-interfaces", "--local=/test/",
             "--conf-file=/dev/null", "--pid-file=", "--user=" + ("root" if os.getuid() == 0 else "nobody"),
             "--log-facility=" + os.path.join(d, "dnsmasq.log")],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        wait_for(self.answers, 10, "dnsmasq to answer on port %d" % self.port)

    def answers(self):
        if self.proc.poll() is not None:
            raise AssertionError("dnsmasq exited: " + self.proc.stderr.read())
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(0.2)
            s.sendto(struct.pack(">HHHHHH", 1, 0x100, 1, 0, 0, 0) + b"\x05probe\x04test\x00\x00\x01\x00\x01",
                     ("127.0.0.1", self.port))
            try:
                return len(s.recv(512)) >= 12
            except OSError:
                return False

    def set_hosts(self, names):
        with open(self.hosts, "w") as f:
            for name, ips in names.items():
                for ip in ips:
                    f.write("%s %s\n" % (ip, name))
        if getattr(self, "proc", None):
            self.proc.send_signal(signal.SIGHUP)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


def qname(msg):
    """The question's name and type of a query (no compression in queries)."""
    pos, labels = 12, []
    while msg[pos]:
        labels.append(msg[pos + 1:pos + 1 + msg[pos]].decode())
        pos += 1 + msg[pos]
    return ".".join(labels), struct.unpack(">H", msg[pos + 1:pos + 3])[0], pos + 5


class StubDns:
    """A DNS server for what dnsmasq cannot send. `mode`: ok (A records of self.ips), truncated
    (TC set), loop (a compression pointer to itself), badid (the answer for another ID), badname
    (the answer for another name), silent (no answer), nx."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.mode, self.ips = "ok", []
        self.queries = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                msg, peer = self.sock.recvfrom(4096)
            except OSError:
                return
            self.queries += 1
            reply = self.answer(msg)
            if reply:
                self.sock.sendto(reply, peer)

    def answer(self, msg):
        qid = struct.unpack(">H", msg[:2])[0]
        name, qtype, end = qname(msg)
        question = msg[12:end]
        mode = self.mode
        if mode == "silent":
            return None
        if mode == "badname":
            question = b"\x05other\x04test\x00" + struct.pack(">HH", qtype, 1)
        rid = (qid + 1) & 0xffff if mode == "badid" else qid
        if mode == "nx":
            return struct.pack(">HHHHHH", rid, 0x8583, 1, 0, 0, 0) + question
        if mode == "truncated":
            return struct.pack(">HHHHHH", rid, 0x8780, 1, 0, 0, 0) + question
        ips = self.ips if qtype == 1 else []
        if mode == "loop":
            rec = struct.pack(">H", 0xC000 | (12 + len(question))) + struct.pack(">HHIH", 1, 1, 30, 4) + bytes(4)
            return struct.pack(">HHHHHH", rid, 0x8580, 1, 1, 0, 0) + question + rec
        recs = b"".join(b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 30, 4) + socket.inet_aton(ip) for ip in ips)
        return struct.pack(">HHHHHH", rid, 0x8580, 1, len(ips), 0, 0) + question + recs

    def stop(self):
        self.sock.close()


SERVER = "server s1 app.test:%d resolvers dns init-addr none"


def config(sock, fe_port, be_port, ns_port, hold="hold nx 1s\n    hold other 1s\n    hold timeout 1s",
           server=None, ns="", extra=""):
    return """global
    stats socket %s level admin
defaults
    mode tcp
    timeout connect 1s
    timeout client 5s
    timeout server 5s
resolvers dns
    nameserver ns1 %s127.0.0.1:%d
    resolve_retries 2
    timeout resolve 200ms
    timeout retry 200ms
    %s%s
listen fe
    bind 127.0.0.1:%d
    %s
""" % (sock, ns, ns_port, hold, extra, fe_port, (server or SERVER) % be_port)


def run_both(dns_factory, sequence, server=None, ns="", extra="", only=None):
    """Runs `sequence(proxy, dns, port, sock)` against haproxy and lbc, each with a fresh DNS
    server; returns {name: masked stderr lines}."""
    said = {}
    for name, cmd in proxies():
        if only and name != only:
            continue
        d = tempfile.mkdtemp(prefix="lbc-dns-")
        dns = dns_factory(d)
        sock = os.path.join(d, "cli.sock")
        port = free_port()
        p = Proxy(cmd, config(sock, port, BE_PORT, dns.port, server=server, ns=ns, extra=extra), ready_port=port)
        try:
            sequence(name, dns, port, sock)
        finally:
            p.stop()
            dns.stop()
        said[name] = masked(p.err)
    return said


BE_PORT = None
BACKENDS = {}


def backends():
    global BE_PORT
    if not BACKENDS:
        BE_PORT = free_port()
        for ip in ("127.0.0.2", "127.0.0.3"):
            BACKENDS[ip] = Backend("at-" + ip, mode="name", port=BE_PORT, host=ip)


def changes(name, dns, port, sock):
    """An address that changes, disappears (NXDOMAIN) and comes back; traffic follows."""
    wait_state(sock, "s1", "-", 32)  # init-addr none: no address yet, in maintenance
    dns.set_hosts({"app.test": ["127.0.0.2"]})
    wait_state(sock, "s1", "127.0.0.2", 0)
    assert reached(port) == "at-127.0.0.2", name
    dns.set_hosts({"app.test": ["127.0.0.3"]})
    wait_state(sock, "s1", "127.0.0.3", 0)
    assert reached(port) == "at-127.0.0.3", name
    dns.set_hosts({})  # NXDOMAIN (dnsmasq is authoritative for .test): maintenance after `hold nx`
    wait_state(sock, "s1", "-", 32)
    assert reached(port) == "", name
    dns.set_hosts({"app.test": ["127.0.0.2"]})
    wait_state(sock, "s1", "127.0.0.2", 0)
    assert reached(port) == "at-127.0.0.2", name


@test
def address_changes_disappears_and_comes_back():
    backends()
    said = run_both(Dnsmasq, changes)
    assert said["lbc"] == said["haproxy"], "\nhaproxy: %s\nlbc:     %s" % (said["haproxy"], said["lbc"])
    assert any("changed its IP from 127.0.0.2 to 127.0.0.3 by dns/ns1." in ln for ln in said["lbc"]), said["lbc"]


@test
def tcp_nameserver():
    """The same over TCP (`tcp@`). lbc only: haproxy keeps its TCP connection to dnsmasq open, and
    the dnsmasq process serving it (forked per connection) never sees the hosts file change."""
    backends()
    said = run_both(Dnsmasq, changes, ns="tcp@", only="lbc")
    assert any("changed its IP from 127.0.0.2 to 127.0.0.3 by dns/ns1." in ln for ln in said["lbc"]), said["lbc"]


@test
def resolve_options():
    """The server's resolve-* options and a larger payload (EDNS0) on the same sequence."""
    backends()
    said = run_both(Dnsmasq, changes, extra="\n    accepted_payload_size 1232",
                    server="server s1 app.test:%d resolvers dns init-addr none resolve-prefer ipv4 "
                           "resolve-net 127.0.0.0/8,10.0.0.0/8 resolve-opts allow-dup-ip,ignore-weight")
    assert said["lbc"] == said["haproxy"], "\nhaproxy: %s\nlbc:     %s" % (said["haproxy"], said["lbc"])


@test
def parse_resolv_conf():
    """parse-resolv-conf adds the system's nameservers (unreachable from the test's network
    namespace) beside dnsmasq: valid answers still move traffic; the NXDOMAIN step ends as a
    timeout there, since the unreachable one never answers."""
    backends()
    said = run_both(Dnsmasq, changes, extra="\n    parse-resolv-conf", only="lbc")
    assert any("changed its IP from 127.0.0.2 to 127.0.0.3 by dns/ns1." in ln for ln in said["lbc"]), said["lbc"]


@test
def bad_answers_are_refused():
    """Truncated, malicious, misaddressed and missing answers are no answer: the server keeps its
    address for `hold other`/`hold timeout`, then goes to maintenance; a valid answer brings it back."""
    backends()

    def stub(_):
        return StubDns()

    def sequence(name, dns, port, sock):
        dns.ips = ["127.0.0.2"]
        wait_state(sock, "s1", "127.0.0.2", 0)
        for mode in ("truncated", "loop", "badname", "badid", "silent", "nx"):
            dns.mode = mode
            wait_state(sock, "s1", "-", 32)
            assert reached(port) == "", (name, mode)
            dns.mode, dns.ips = "ok", ["127.0.0.3"]
            wait_state(sock, "s1", "127.0.0.3", 0)
            assert reached(port) == "at-127.0.0.3", (name, mode)
            dns.ips = ["127.0.0.2"]
            wait_state(sock, "s1", "127.0.0.2", 0)

    said = run_both(stub, sequence)
    assert said["lbc"] == said["haproxy"], "\nhaproxy: %s\nlbc:     %s" % ("\n".join(said["haproxy"]),
                                                                       "\n".join(said["lbc"]))


@test
def server_template_follows_the_records():
    """server-template: one slot per address of the name, the others in maintenance; slots fill
    and empty as records come and go, and traffic goes to the filled ones."""
    backends()

    def addrs(sock):
        return sorted(server_state(sock, "srv%d" % i)[0] for i in (1, 2, 3))

    def spread(port):
        return sorted({reached(port) for _ in range(8)})

    def sequence(name, dns, port, sock):
        dns.set_hosts({"app.test": ["127.0.0.2", "127.0.0.3"]})
        wait_for(lambda: addrs(sock) == ["-", "127.0.0.2", "127.0.0.3"], 15, "two slots filled")
        assert spread(port) == ["at-127.0.0.2", "at-127.0.0.3"], name
        dns.set_hosts({"app.test": ["127.0.0.3"]})
        wait_for(lambda: addrs(sock) == ["-", "-", "127.0.0.3"], 15, "one slot left")
        assert spread(port) == ["at-127.0.0.3"], name
        dns.set_hosts({"app.test": ["127.0.0.2", "127.0.0.3"]})
        wait_for(lambda: addrs(sock) == ["-", "127.0.0.2", "127.0.0.3"], 15, "two slots again")
        assert spread(port) == ["at-127.0.0.2", "at-127.0.0.3"], name

    said = run_both(Dnsmasq, sequence, server="server-template srv 3 app.test:%d resolvers dns init-addr none")
    assert said["lbc"] == said["haproxy"], "\nhaproxy: %s\nlbc:     %s" % ("\n".join(said["haproxy"]),
                                                                       "\n".join(said["lbc"]))


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--proxy", default="build/lbc run")
    ap.add_argument("--only", default="")
    ARGS = ap.parse_args()
    sys.exit(run_tests(TESTS, ARGS.only))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
# End-to-end tests of TCP health checks (option tcp-check with tcp-check connect/send/send-binary/
# expect/comment, option redis-check, and the protocol checks smtpchk, mysql-check, pgsql-check,
# ldap-check, ssl-hello-chk, spop-check): servers taken down and brought back, the state-change messages compared line for line
# with haproxy 2.6's, and traffic avoiding a down server.
# usage: tcp_checks_test.py [--proxy "CMD" | --build LBC] [--haproxy PATH] [--only NAME,...]
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
from textwrap import dedent

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ENV, LoggedProxy, collector, fill, free_port, haproxy_available, main, wait_for  # noqa: E402
from http_common import compared  # noqa: E402

TESTS = []
test = collector(TESTS)


class Stub:
    """A TCP server whose answers the test sets: `greeting` is sent on accept, then each chunk read
    gets the next of `answers`; when they are used up the connection is closed (so a check waiting
    for more bytes ends on the close, never on a timer)."""

    def __init__(self, greeting=b"", answers=(b"OK\r\n",)):
        self.greeting, self.answers = greeting, list(answers)
        self.received = []  # every chunk read, in order
        self.port = free_port()
        self.sock = None
        self.start()

    def start(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", self.port))
        self.sock.listen(64)
        threading.Thread(target=self._accept, args=(self.sock,), daemon=True).start()

    def _accept(self, lsock):
        while True:
            try:
                c, _ = lsock.accept()
            except OSError:
                return
            greeting, answers = self.current()
            threading.Thread(target=self._serve, args=(c, greeting, list(answers)), daemon=True).start()

    def current(self):
        return self.greeting, self.answers

    def _serve(self, c, greeting, answers):
        try:
            if greeting:
                c.sendall(greeting)
            for a in answers:
                got = c.recv(4096)
                if not got:
                    break
                self.received.append(got)
                if a:
                    c.sendall(a)
        except OSError:
            pass
        finally:
            c.close()

    def stop(self):
        """Stops listening: connections are refused until start(). (shutdown wakes the accept.)"""
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


def state_messages(lines):
    """The state-change lines, with what varies from run to run (pid, check duration) masked."""
    out = []
    for ln in lines:
        if "Server " in ln or "has no server available" in ln or " check for " in ln:
            ln = re.sub(r"\(\d+\) : ", "(PID) : ", ln)
            out.append(re.sub(r"check duration: \d+ms", "check duration: Nms", ln))
    return out


# Every server starts up (health = rise); the test then breaks and repairs them one at a time,
# waiting for each message, so both proxies see the same sequence.
CFG = r"""
    defaults
        mode tcp
        timeout connect 2s
        timeout client 5s
        timeout server 5s
        timeout check 5s
    frontend fe
        bind 127.0.0.1:{fe}
        default_backend idle
    # The readiness probe's connection goes here: none of the checked servers counts it as active.
    backend idle
    backend t1
        option tcp-check
        tcp-check comment "hello step"
        tcp-check send "HELLO\r\n"
        tcp-check expect string OK
        server s1 127.0.0.1:{p1} check inter 100 fall 1 rise 1
    backend t2
        option tcp-check
        tcp-check send-binary 50494e470d0a
        tcp-check expect binary 2b504f4e47
        server s1 127.0.0.1:{p2} check inter 100 fall 1 rise 1
    backend t3
        option tcp-check
        tcp-check expect ! string BAD
        server s1 127.0.0.1:{p3} check inter 100 fall 1 rise 1
    backend t4
        option tcp-check
        tcp-check send "A\r\n"
        tcp-check expect rstring ^O[K]
        tcp-check send "B\r\n"
        tcp-check comment "second answer"
        tcp-check expect string YES
        server s1 127.0.0.1:{p4} check inter 100 fall 1 rise 1
    backend t5
        option tcp-check
        tcp-check connect port {p5}
        tcp-check send "HELLO\r\n"
        tcp-check expect string OK comment mycomment
        server s1 127.0.0.1:{dead} check inter 100 fall 1 rise 1
    backend t6
        option tcp-check
        server s1 127.0.0.1:{p6} check inter 100 fall 1 rise 1
    backend t7
        option tcp-check
        tcp-check send "HELLO\r\n"
        tcp-check expect rbinary ^4F4B
        server s1 127.0.0.1:{p7} check inter 100 fall 1 rise 1
    backend r1
        option redis-check
        server s1 127.0.0.1:{r1} check inter 100 fall 1 rise 1
    """


@test
def tcp_check_transitions_are_reported_as_haproxy():
    if not haproxy_available():
        raise AssertionError("/usr/sbin/haproxy is needed for this comparison")
    got = {}
    for name, cmd in compared(haproxy_first=True):
        s = {
            "p1": Stub(), "p2": Stub(answers=[b"+PONG\r\n"]), "p3": Stub(greeting=b"fine\r\n", answers=[]),
            "p4": Stub(answers=[b"OK\r\n", b"YES\r\n"]), "p5": Stub(), "p6": Stub(), "p7": Stub(),
            "r1": Stub(answers=[b"+PONG\r\n"]),
        }
        fe = free_port()
        cfg = fill(dedent(CFG), fe=fe, dead=free_port(), **{k: v.port for k, v in s.items()})
        p = LoggedProxy(cmd, cfg, fe)
        try:
            def wait_next(text):  # one more line with `text` than before
                n = sum(text in ln for ln in p.lines("err"))
                return lambda: wait_for(lambda: sum(text in ln for ln in p.lines("err")) > n, 10, text)

            def flip(key, down, up, expect_down, expect_up, restart=False):
                st = s[key]
                went_down, came_up = wait_next(expect_down), wait_next(expect_up)
                if restart:
                    st.stop()
                else:
                    st.greeting, st.answers = down
                went_down()
                if restart:
                    st.start()
                else:
                    st.greeting, st.answers = up
                came_up()

            flip("p1", (b"", [b"NO\r\n"]), (b"", [b"OK\r\n"]), "Server t1/s1 is DOWN", "Server t1/s1 is UP")
            flip("p1", (b"", [b""]), (b"", [b"OK\r\n"]), "Server t1/s1 is DOWN", "Server t1/s1 is UP")
            flip("p2", (b"", [b"-PANG\r\n"]), (b"", [b"+PONG\r\n"]), "Server t2/s1 is DOWN", "Server t2/s1 is UP")
            flip("p3", (b"BAD\r\n", []), (b"fine\r\n", []), "Server t3/s1 is DOWN", "Server t3/s1 is UP")
            flip("p4", (b"", [b"OK\r\n", b"NO\r\n"]), (b"", [b"OK\r\n", b"YES\r\n"]), "Server t4/s1 is DOWN",
                 "Server t4/s1 is UP")
            flip("p4", (b"", [b"KO\r\n"]), (b"", [b"OK\r\n", b"YES\r\n"]), "Server t4/s1 is DOWN",
                 "Server t4/s1 is UP")
            flip("p5", None, None, "Server t5/s1 is DOWN", "Server t5/s1 is UP", restart=True)
            flip("p5", (b"", [b"NO\r\n"]), (b"", [b"OK\r\n"]), "Server t5/s1 is DOWN", "Server t5/s1 is UP")
            flip("p6", None, None, "Server t6/s1 is DOWN", "Server t6/s1 is UP", restart=True)
            flip("p7", (b"", [b"NO\r\n"]), (b"", [b"OK\r\n"]), "Server t7/s1 is DOWN", "Server t7/s1 is UP")
            flip("r1", (b"", [b"-ERR nope\r\n"]), (b"", [b"+PONG\r\n"]), "Server r1/s1 is DOWN", "Server r1/s1 is UP")
            flip("r1", (b"", [b""]), (b"", [b"+PONG\r\n"]), "Server r1/s1 is DOWN", "Server r1/s1 is UP")
            flip("r1", None, None, "Server r1/s1 is DOWN", "Server r1/s1 is UP", restart=True)
            code = p.stop()
            assert name == "haproxy" or code == 0, (code, p.lines("err")[-20:])
            got[name] = state_messages(p.lines("err"))
        finally:
            if p.proc.poll() is None:
                p.proc.kill()
            for v in s.values():
                v.stop()
    # the ports differ between the runs
    norm = {k: [re.sub(r"port \d+", "port N", ln) for ln in v] for k, v in got.items()}
    assert norm["lbc"] == norm["haproxy"], "lbc:\n%s\nhaproxy:\n%s" % ("\n".join(norm["lbc"]),
                                                                      "\n".join(norm["haproxy"]))
    text = "\n".join(got["lbc"])
    assert "TCPCHK did not match content 'OK' at step 3" in text, text
    assert "Redis server is ok" in text, text


def served_by(port):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as c:
        c.settimeout(5)
        try:
            return c.recv(100)
        except OSError:
            return b""


class Named(Stub):
    """A stub that greets traffic with its name: health checks read it too ("expect string")."""

    def __init__(self, name):
        super().__init__(greeting=name.encode() + b" ready\r\n", answers=[])


@test
def traffic_avoids_a_server_failing_its_tcp_check():
    a, b = Named("a"), Named("b")
    fe = free_port()
    p = LoggedProxy(ENV.proxy, fill(dedent(r"""
        defaults
            mode tcp
            timeout connect 2s
            timeout client 5s
            timeout server 5s
        frontend fe
            bind 127.0.0.1:{fe}
            default_backend app
        backend app
            option tcp-check
            tcp-check expect string ready
            server a 127.0.0.1:{a} check inter 100 fall 1 rise 1
            server b 127.0.0.1:{b} check inter 100 fall 1 rise 1
        """), fe=fe, a=a.port, b=b.port), fe)
    try:
        assert {served_by(fe)[:1] for _ in range(6)} == {b"a", b"b"}
        a.greeting = b"a busy\r\n"
        p.wait_line("Server app/a is DOWN")
        assert all(served_by(fe).startswith(b"b") for _ in range(6))
        a.greeting = b"a ready\r\n"
        p.wait_line("Server app/a is UP")
        wait_for(lambda: {served_by(fe)[:1] for _ in range(6)} == {b"a", b"b"}, 10, "a serving again")
        assert p.stop() == 0
    finally:
        if p.proc.poll() is None:
            p.proc.kill()
        a.stop()
        b.stop()


def redis_server():
    return shutil.which("redis-server")


@test
def redis_check_against_a_real_redis():
    """option redis-check with a real redis-server: stopped, the server goes down; restarted, up."""
    if not redis_server():
        print("SKIP redis_check_against_a_real_redis: redis-server is not installed (tools/install-deps)")
        return
    got = {}
    for name, cmd in compared(haproxy_first=True):
        port, fe = free_port(), free_port()
        d = tempfile.mkdtemp(prefix="lbc-redis-")

        def start_redis():
            r = subprocess.Popen([redis_server(), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                  "--appendonly", "no", "--dir", d], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
            wait_for(lambda: _pong(port), 10, "redis-server to answer")
            return r

        r = start_redis()
        p = LoggedProxy(cmd, fill(dedent("""
            defaults
                mode tcp
                timeout connect 2s
                timeout client 5s
                timeout server 5s
            frontend fe
                bind 127.0.0.1:{fe}
                default_backend redis
            backend redis
                option redis-check
                server r 127.0.0.1:{port} check inter 100 fall 1 rise 1
            """), fe=fe, port=port), fe)
        try:
            # traffic through the proxy reaches redis
            with socket.create_connection(("127.0.0.1", fe), timeout=5) as c:
                c.sendall(b"PING\r\n")
                assert c.recv(100) == b"+PONG\r\n"
            r.terminate()
            r.wait(10)
            p.wait_line("Server redis/r is DOWN")
            r = start_redis()
            p.wait_line("Server redis/r is UP")
            code = p.stop()
            assert name == "haproxy" or code == 0, (code, p.lines("err")[-20:])
            got[name] = state_messages(p.lines("err"))
        finally:
            if p.proc.poll() is None:
                p.proc.kill()
            r.terminate()
            r.wait(10)
            shutil.rmtree(d, ignore_errors=True)
    assert got["lbc"] == got.get("haproxy", got["lbc"]), got
    assert "Redis server is ok" in "\n".join(got["lbc"]), got


def _pong(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as c:
            c.sendall(b"PING\r\n")
            return c.recv(100).startswith(b"+PONG")
    except OSError:
        return False


# ---- the protocol checks (smtpchk, mysql-check, pgsql-check, ldap-check, ssl-hello-chk, spop-check) -
# Each runs against a stub speaking the protocol from its specification; the stub's script (what it
# sends on accept, then the answer to each chunk it reads) is switched between a healthy server and
# a failing one. The state-change messages, the bytes the check sent, and the check's columns of
# `show stat` and `show servers state` right after each change are compared with haproxy 2.6's.


class ProtoStub(Stub):
    """A Stub whose script (greeting, answers) is one attribute, switched atomically."""

    def __init__(self, script):
        self.script = script
        super().__init__(*script)

    def current(self):
        return self.script


def cli(sock, text):
    r = subprocess.run(["socat", "-t", "3", "unix-connect:" + sock, "stdio"], input=text.encode(),
                       capture_output=True, timeout=10)
    return r.stdout.decode(errors="replace")


def check_columns(sock, backend):
    """The check's columns of `show stat` and `show servers state` for backend/s1."""
    out = {}
    lines = cli(sock, "show stat\n").splitlines()
    if not lines:  # the socket is not listening yet
        return out
    head = lines[0].lstrip("# ").split(",")
    for ln in lines[1:]:
        row = dict(zip(head, ln.split(",")))
        if row.get("pxname") == backend and row.get("svname") == "s1":
            out.update({k: row[k] for k in ("status", "check_status", "check_code", "check_desc", "check_health",
                                                 "last_chk")})
    for ln in cli(sock, "show servers state %s\n" % backend).splitlines():
        f = ln.split(" ")
        if len(f) > 13 and f[1] == backend and f[3] == "s1":
            out.update(srv_op_state=f[5], srv_check_status=f[10], srv_check_result=f[11],
                       srv_check_health=f[12], srv_check_state=f[13])
    return out


PROTO_CFG = r"""
    global
        stats socket {sock} level admin
    defaults
        mode tcp
        timeout connect 2s
        timeout client 5s
        timeout server 5s
        timeout check 5s
    frontend fe
        bind 127.0.0.1:{fe}
        default_backend idle
    backend idle
    """


def compare_proto_check(backends, flips, mask=lambda chunk: chunk):
    """`backends`: {name: (option line, healthy script)}; `flips`: [(backend, failing script)], each
    taking that backend's server down then back up; `mask` hides what differs from run to run in the
    bytes the check sent. Returns lbc's messages."""
    if not haproxy_available():
        raise AssertionError("/usr/sbin/haproxy is needed for this comparison")
    if not shutil.which("socat"):
        raise AssertionError("socat is needed")
    got, sent, cols = {}, {}, {}
    for name, cmd in compared(haproxy_first=True):
        stubs = {b: ProtoStub(script) for b, (_, script) in backends.items()}
        fe = free_port()
        sock = os.path.join(tempfile.mkdtemp(prefix="lbc-proto-"), "stats.sock")
        cfg = fill(dedent(PROTO_CFG), fe=fe, sock=sock)
        for b, (opt, _) in backends.items():
            cfg += "backend %s\n    %s\n    server s1 127.0.0.1:%d check inter 100 fall 1 rise 1\n" % (
                b, opt, stubs[b].port)
        p = LoggedProxy(cmd, cfg, fe)
        cols[name] = []
        try:
            def count(text):
                return sum(text in ln for ln in p.lines("err"))

            for b in backends:  # every server up and checked once
                wait_for(lambda: check_columns(sock, b).get("check_status") in ("L7OK", "L6OK"), 10, b + " checked")
                cols[name].append((b, "initial", check_columns(sock, b)))
            for b, bad in flips:
                st, good = stubs[b], backends[b][1]
                n_down, n_up = count("Server %s/s1 is DOWN" % b), count("Server %s/s1 is UP" % b)
                st.script = bad
                wait_for(lambda: count("Server %s/s1 is DOWN" % b) > n_down, 10, b + " down")
                cols[name].append((b, "down", check_columns(sock, b)))
                st.script = good
                wait_for(lambda: count("Server %s/s1 is UP" % b) > n_up, 10, b + " up")
                cols[name].append((b, "up", check_columns(sock, b)))
            code = p.stop()
            assert name == "haproxy" or code == 0, (code, p.lines("err")[-20:])
            got[name] = state_messages(p.lines("err"))
            sent[name] = {b: [mask(c) for c in st.received[:3]] for b, st in stubs.items()}
        finally:
            if p.proc.poll() is None:
                p.proc.kill()
            for st in stubs.values():
                st.stop()
    assert got["lbc"] == got["haproxy"], "lbc:\n%s\nhaproxy:\n%s" % ("\n".join(got["lbc"]), "\n".join(got["haproxy"]))
    assert sent["lbc"] == sent["haproxy"], sent
    assert cols["lbc"] == cols["haproxy"], "lbc:\n%s\nhaproxy:\n%s" % (
        "\n".join(map(str, cols["lbc"])), "\n".join(map(str, cols["haproxy"])))
    return "\n".join(got["lbc"])


SMTP_OK = (b"220 mx ESMTP ready\r\n", [b"250 mx hello\r\n", b"221 2.0.0 bye\r\n"])


@test
def smtpchk_transitions_are_reported_as_haproxy():
    """option smtpchk: a 5xx or a garbage greeting, a multi-line greeting, a refused HELO/EHLO, a
    refused QUIT, a close take the server down (HAProxy's codes and texts); the good dialogue (220,
    250 or a multi-line 250, 221) brings it back."""
    text = compare_proto_check(
        {"b0": ("option smtpchk", SMTP_OK),
         "b1": ("option smtpchk EHLO example.org", (b"220 mx\r\n", [b"250-mx\r\n250-SIZE 100\r\n250 OK\r\n",
                                                                     b"221 bye\r\n"]))},
        [("b0", (b"554 no service here\r\n", [])),
         ("b0", (b"garbage\r\n", [])),
         ("b0", (b"220-mx first line\r\n220 mx\r\n", [b"250 ok\r\n", b"221 bye\r\n"])),
         ("b0", (b"220 mx\r\n", [b"502 5.5.2 not implemented\r\n"])),
         ("b0", (b"220 mx\r\n", [b"250 ok\r\n", b"500 no\r\n"])),
         ("b0", (b"220 mx\r\n", [b""])),
         ("b1", (b"220 mx\r\n", [b"250-mx\r\n550 EHLO refused\r\n"])),
         ("b1", (b"220 mx\r\n", [b"250 mx\r\n", b""]))])
    assert 'code: 554, info: "no service here"' in text, text
    assert 'Layer7 check passed, code: 221, info: "bye"' in text, text


def mysql_packet(seq, payload):
    return struct.pack("<I", len(payload))[:3] + bytes([seq]) + payload


# A protocol 10 initial handshake (server version, connection id, scramble, capabilities, charset,
# status, the auth plugin), an OK packet, an error packet (code, SQL state, message).
MYSQL_HS = mysql_packet(0, b"\x0a" + b"5.7.42-stub\x00" + struct.pack("<I", 7) + b"abcdefgh\x00" +
                        struct.pack("<HBHHB", 0xf7ff, 0x21, 2, 0x81ff, 21) + b"\x00" * 10 + b"ijklmnopqrst\x00" +
                        b"mysql_native_password\x00")
MYSQL_OK = mysql_packet(2, b"\x00\x00\x00\x02\x00\x00\x00")


def mysql_error(seq, code, msg):
    return mysql_packet(seq, b"\xff" + struct.pack("<H", code) + b"#28000" + msg)


@test
def mysql_check_transitions_are_reported_as_haproxy():
    """option mysql-check: without a user (the handshake alone) and with one (the 4.1 and 4.0
    authentication packets and COM_QUIT, an OK packet expected): error packets (code and message),
    truncated and garbage packets take the server down, as in HAProxy."""
    text = compare_proto_check(
        {"b0": ("option mysql-check", (MYSQL_HS, [])),
         "b1": ("option mysql-check user haproxy", (MYSQL_HS, [MYSQL_OK])),
         "b2": ("option mysql-check user check pre-41", (MYSQL_HS, [MYSQL_OK]))},
        [("b0", (mysql_error(0, 1130, b"Host is not allowed to connect"), [])),
         ("b0", (MYSQL_HS[:20], [])),
         ("b1", (MYSQL_HS, [mysql_error(2, 1045, b"Access denied for user 'haproxy'")])),
         ("b1", (MYSQL_HS, [b""])),
         ("b1", (b"\x01\x00\x00\x00\x41", [b""])),  # read what the check sends before the close
         ("b2", (MYSQL_HS, [mysql_error(2, 1045, b"Access denied")]))])
    assert "code: 1045, info: \"#28000Access denied for user 'haproxy'\"" in text, text


def pg_message(kind, body):
    return kind + struct.pack(">I", len(body) + 4) + body


PG_OK = pg_message(b"R", struct.pack(">I", 0))  # AuthenticationOk
PG_MD5 = pg_message(b"R", struct.pack(">I", 5) + b"salt")  # AuthenticationMD5Password


@test
def pgsql_check_transitions_are_reported_as_haproxy():
    """option pgsql-check user <name>: a StartupMessage, an authentication request ('R') expected;
    an ErrorResponse ('E', its severity reported), another message, a short answer, a close take
    the server down, as in HAProxy."""
    text = compare_proto_check(
        {"b0": ("option pgsql-check user haproxy", (b"", [PG_OK])),
         "b1": ("option pgsql-check user app", (b"", [PG_MD5]))},
        [("b0", (b"", [pg_message(b"E", b"SFATAL\x00VFATAL\x00C28000\x00Mno pg_hba.conf entry\x00\x00")])),
         ("b0", (b"", [pg_message(b"N", b"SNOTICE\x00\x00")])),
         ("b0", (b"", [b"R\x00"])),
         ("b1", (b"", [b""]))])
    assert 'info: "FATAL"' in text, text
    assert "PostgreSQL unknown error" in text, text


def ldap_bind_response(code):
    return bytes([0x30, 0x0c, 0x02, 0x01, 0x01, 0x61, 0x07, 0x0a, 0x01, code, 0x04, 0x00, 0x04, 0x00])


@test
def ldap_check_transitions_are_reported_as_haproxy():
    """option ldap-check: an anonymous bind request, a bind response expected: a result code other
    than 0, an answer that is no LDAP message or no bind response, a close take the server down, as
    in HAProxy."""
    text = compare_proto_check(
        {"b0": ("option ldap-check", (b"", [ldap_bind_response(0)]))},
        [("b0", (b"", [ldap_bind_response(49)])),
         ("b0", (b"", [b"\x31" + ldap_bind_response(0)[1:]])),
         ("b0", (b"", [ldap_bind_response(0)[:5] + b"\x62" + ldap_bind_response(0)[6:]])),
         ("b0", (b"", [b""]))])
    assert "code: 49" in text, text


# A TLS server's first record: a handshake (0x16) or an alert (0x15), here a ServerHelloDone.
SSL_HELLO = b"\x16\x03\x01\x00\x04\x0e\x00\x00\x00"


@test
def ssl_hello_chk_transitions_are_reported_as_haproxy():
    """option ssl-hello-chk: an SSLv3 CLIENT HELLO (its time field masked), a handshake or an alert
    record expected (Layer6 check passed); an HTTP answer to it, an application data record, a close take the
    server down (Layer6 invalid response), as in HAProxy."""
    text = compare_proto_check(
        {"b0": ("option ssl-hello-chk", (b"", [SSL_HELLO]))},
        [("b0", (b"", [b"HTTP/1.1 400 Bad Request\r\n\r\n"])),
         ("b0", (b"", [b"\x17\x03\x01\x00\x01\x00"])),
         ("b0", (b"", [b""]))],
        mask=lambda c: c[:11] + b"TIME" + c[15:])
    assert "Layer6 invalid response" in text and "Layer6 check passed" in text, text


def spop_varint(i):
    """SPOP's variable-length integer (the SPOE specification's encoding)."""
    if i < 240:
        return bytes([i])
    out = [(i | 240) & 0xff]
    i = (i - 240) >> 4
    while i >= 128:
        out.append((i | 128) & 0xff)
        i = (i - 128) >> 7
    return bytes(out + [i])


def spop_str(s):
    return spop_varint(len(s)) + s


def spop_frame(ftype, items):
    """A frame: type, flags (FIN), stream-id and frame-id 0, then key/typed-value items; its length
    first."""
    body = bytes([ftype]) + b"\x00\x00\x00\x01\x00\x00" + b"".join(spop_str(k) + v for k, v in items)
    return struct.pack(">I", len(body)) + body


def spop_hello(version=b"2.0", max_frame=16380, caps=b""):
    items = [(b"version", b"\x08" + spop_str(version))]
    if max_frame is not None:
        items.append((b"max-frame-size", b"\x03" + spop_varint(max_frame)))
    items.append((b"capabilities", b"\x08" + spop_str(caps)))
    return spop_frame(101, items)


@test
def spop_check_transitions_are_reported_as_haproxy():
    """option spop-check: a HAPROXY-HELLO frame with "healthcheck", an AGENT-HELLO expected; an
    unsupported version, a missing or bad max-frame-size, an AGENT-DISCONNECT (its status code's
    reason), another frame, a close take the server down, as in HAProxy."""
    text = compare_proto_check(
        {"b0": ("option spop-check", (b"", [spop_hello(caps=b"pipelining,async")]))},
        [("b0", (b"", [spop_hello(version=b"1.0")])),
         ("b0", (b"", [spop_hello(max_frame=None)])),
         ("b0", (b"", [spop_hello(max_frame=100)])),
         ("b0", (b"", [spop_frame(102, [(b"status-code", b"\x03" + spop_varint(2)),
                                        (b"message", b"\x08" + spop_str(b"bye"))])])),
         ("b0", (b"", [spop_frame(103, [])])),
         ("b0", (b"", [b""]))])
    assert "unsupported version" in text and "a timeout occurred" in text, text


if __name__ == "__main__":
    sys.exit(main(TESTS))

#!/usr/bin/env python3
# End-to-end tests of TCP health checks (option tcp-check with tcp-check connect/send/send-binary/
# expect/comment, option redis-check): servers taken down and brought back, the state-change
# messages compared line for line with haproxy 2.6's, and traffic avoiding a down server.
# usage: tcp_checks_test.py [--proxy "CMD" | --build LBC] [--haproxy PATH] [--only NAME,...]
import os
import re
import shutil
import socket
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
            threading.Thread(target=self._serve, args=(c, self.greeting, list(self.answers)), daemon=True).start()

    @staticmethod
    def _serve(c, greeting, answers):
        try:
            if greeting:
                c.sendall(greeting)
            for a in answers:
                if not c.recv(4096):
                    break
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
        default_backend t1
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


if __name__ == "__main__":
    sys.exit(main(TESTS))

#!/usr/bin/env python3
# Process-wide global keywords (issue 12), each against haproxy 2.6 on the same configuration:
# `grace`: after SIGUSR1 the proxy still accepts and serves for the grace period, then stops
# accepting (soft stop) and exits once its connections are done; SIGTERM does not wait for it.
# `node` and `description`: what `show info` prints for them (set, and node unset: the host name).
# usage: process_globals_test.py [--proxy "CMD"] [--haproxy PATH]
import argparse
import os
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import free_port, wait_for  # noqa: E402

GRACE_MS = 1500
CFG = """global
    grace {grace}ms
    stats socket {sock}
    {ident}
defaults
    mode tcp
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend f
    bind 127.0.0.1:{fe}
    default_backend b
backend b
    server s 127.0.0.1:{srv}
"""


def echo_server():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(64)
    return s


def served(fe, srv_sock):
    """A connection through the proxy reaches the server: True; refused: False."""
    try:
        c = socket.create_connection(("127.0.0.1", fe), timeout=5)
    except ConnectionRefusedError:
        return False
    with c:
        c.sendall(b"ping")
        srv_sock.settimeout(5)
        conn, _ = srv_sock.accept()
        with conn:
            assert conn.recv(4) == b"ping"
    return True


def listening(port):
    with open("/proc/net/tcp") as f:
        next(f)
        return any(line.split()[3] == "0A" and int(line.split()[1].rsplit(":", 1)[1], 16) == port for line in f)


def check(name, cmd, tmp, sig):
    srv = echo_server()
    fe = free_port()
    cfg = os.path.join(tmp, "%s-%d.cfg" % (name, sig))
    with open(cfg, "w") as f:
        f.write(CFG.format(grace=GRACE_MS, fe=fe, srv=srv.getsockname()[1], sock=cfg + ".sock", ident=""))
    p = subprocess.Popen(cmd + [cfg], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: p.poll() is None and listening(fe), 20, name + " to listen")
        t0 = time.monotonic()
        p.send_signal(sig)
        if sig == signal.SIGUSR1:
            assert served(fe, srv), name + ": not serving right after SIGUSR1 (grace period)"
        wait_for(lambda: not listening(fe), 10, name + " to stop accepting")
        stopped = time.monotonic() - t0
        p.wait(10)
        if sig == signal.SIGUSR1:
            assert stopped >= GRACE_MS / 1000 - 0.1, "%s: stopped accepting after %.2fs" % (name, stopped)
        else:
            assert stopped < GRACE_MS / 1000 - 0.3, "%s: SIGTERM waited %.2fs" % (name, stopped)
        print("ok  %s %s: stopped accepting after %.2fs" % (name, signal.Signals(sig).name, stopped))
    finally:
        if p.poll() is None:
            p.kill()
        p.communicate()
        srv.close()


def show_info(sock):
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(10)
        s.connect(sock)
        s.sendall(b"show info\n")
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return data.decode()
            data += chunk


def identity_lines(name, cmd, tmp, ident):
    """show info's node/description lines under `ident` (global lines)."""
    srv = echo_server()
    fe = free_port()
    cfg = os.path.join(tmp, "%s-ident-%d.cfg" % (name, len(ident)))
    with open(cfg, "w") as f:
        f.write(CFG.format(grace=GRACE_MS, fe=fe, srv=srv.getsockname()[1], sock=cfg + ".sock", ident=ident))
    p = subprocess.Popen(cmd + [cfg], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: p.poll() is None and listening(fe) and os.path.exists(cfg + ".sock"), 20, name)
        info = show_info(cfg + ".sock")
        return [ln for ln in info.split("\n") if ln.split(":")[0] in ("node", "description")]
    finally:
        p.kill()
        p.communicate()
        srv.close()


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--proxy", default=os.path.join(here, "../../build/lbc") + " run")
    ap.add_argument("--haproxy", default="/usr/sbin/haproxy")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="lbc-grace-")
    runs = [("lbc", shlex.split(args.proxy))]
    if os.path.exists(args.haproxy):
        runs.insert(0, ("haproxy", [args.haproxy, "-db", "-f"]))
    for name, cmd in runs:
        for sig in (signal.SIGUSR1, signal.SIGTERM):
            check(name, cmd, tmp, sig)
    for ident in ("", "node lb-1.example_a\n    description The  front   door"):
        got = {name: identity_lines(name, cmd, tmp, ident) for name, cmd in runs}
        if "haproxy" in got:
            assert got["lbc"] == got["haproxy"], got
        print("ok  show info with %r: %s" % (ident, got["lbc"]))
    print("all passed")


if __name__ == "__main__":
    main()

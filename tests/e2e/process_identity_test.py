#!/usr/bin/env python3
# Issue 12's operator acceptance: Debian's stock /etc/haproxy/haproxy.cfg (chroot /var/lib/haproxy,
# user/group haproxy, daemon, ssl-default-*, errorfiles, `log /dev/log`, an admin `stats socket`)
# plus a frontend/backend starts in the background as root, drops to haproxy:haproxy inside
# /var/lib/haproxy, serves and logs a request, and answers `show info` on its admin socket. Only
# the stats socket path and the log targets are changed, to paths the test owns. The same checks
# run against haproxy 2.6 (the reference), `lbc run -D` and a `lbc build` executable run with -D;
# a chroot that fails is reported by the process the operator started, which exits 1.
#
# A unix log target is resolved at each send, inside the chroot (HAProxy opens one datagram socket
# and sendmsg()s to the path every time; Debian's rsyslog serves /var/lib/haproxy/dev/log for
# that reason): the test's log socket lives in a directory of its own under /var/lib/haproxy and
# the configuration names it as the jailed process sees it.
#
# usage: process_identity_test.py LBC [--haproxy PATH]   (exits 77, skipped, when not root)
import argparse
import grp
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import free_port, wait_for  # noqa: E402

STOCK = "/etc/haproxy/haproxy.cfg"
JAIL = "/var/lib/haproxy"
SKIP = 77


def skip(why):
    print("SKIP: " + why)
    sys.exit(SKIP)


def config(stock, admin, log_path, fe, srv, numeric=None):
    """The stock file with its stats socket and log targets moved; a frontend/backend added.
    numeric=(uid, gid, pidfile): `uid`/`gid` instead of `user`/`group`, and a `pidfile` line."""
    out = []
    for line in stock.split("\n"):
        words = line.split()
        if numeric and words[:1] == ["user"]:
            line = "\tuid %d" % numeric[0]
        elif numeric and words[:1] == ["group"]:
            line = "\tgid %d\n\tpidfile %s" % (numeric[1], numeric[2])
        elif words[:2] == ["stats", "socket"]:
            line = line.replace(words[2], admin)
        elif words[:1] == ["log"] and len(words) > 1 and words[1] == "/dev/log":
            line = line.replace("/dev/log", log_path)
        out.append(line)
    out += ["", "frontend web", "\tbind 127.0.0.1:%d" % fe, "\tdefault_backend app", "",
            "backend app", "\tserver s1 127.0.0.1:%d" % srv, ""]
    return "\n".join(out)


class HttpServer:
    """Answers every request with 200 and a small body, one connection at a time."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            with c:
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = c.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello")


def get(port):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"GET /jailed HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                return data
            data += chunk


def admin(path, cmd):
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(10)
        s.connect(path)
        s.sendall(cmd.encode() + b"\n")
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return data.decode()
            data += chunk


def status_ids(pid, field):
    for line in open("/proc/%d/status" % pid):
        if line.startswith(field + ":"):
            return line.split()[1:]
    raise AssertionError("no %s in /proc/%d/status" % (field, pid))


def check(name, cmd, tmp, jail_dir, uid, gid, numeric=False):
    """Starts cmd(pidfile, config) (which daemonizes) on the stock configuration and checks the daemon.
    numeric: the configuration says `uid N`, `gid N` and `pidfile PATH`; cmd gets pidfile None."""
    fe = free_port()
    srv = HttpServer()
    admin_sock = os.path.join(tmp, name + ".sock")
    pidfile = os.path.join(tmp, name + ".pid")
    log_name = name + ".log"
    logs = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    logs.bind(os.path.join(jail_dir, log_name))
    os.chmod(os.path.join(jail_dir, log_name), 0o666)  # the daemon sends as user haproxy
    logs.settimeout(10)
    cfg = os.path.join(tmp, name + ".cfg")
    with open(cfg, "w") as f:
        f.write(config(open(STOCK).read(), admin_sock, "/" + os.path.basename(jail_dir) + "/" + log_name,
                       fe, srv.port, (uid, gid, pidfile) if numeric else None))
    r = subprocess.run(cmd(None if numeric else pidfile, cfg), capture_output=True, timeout=120)
    assert r.returncode == 0, "%s: start-up failed (%d): %s" % (name, r.returncode, r.stderr.decode())
    # The parent returned: the daemon is serving (lbc's parent waits for that; haproxy's does not).
    wait_for(lambda: os.path.exists(pidfile) and open(pidfile).read().strip().isdigit(), 10, name + "'s pidfile")
    pid = int(open(pidfile).read().split()[0])
    try:
        wait_for(lambda: os.path.exists(admin_sock), 10, name + "'s admin socket")
        assert status_ids(pid, "Uid") == [str(uid)] * 4, (name, status_ids(pid, "Uid"))
        assert status_ids(pid, "Gid") == [str(gid)] * 4, (name, status_ids(pid, "Gid"))
        assert status_ids(pid, "Groups") == [], (name, status_ids(pid, "Groups"))
        assert os.readlink("/proc/%d/root" % pid) == JAIL, (name, os.readlink("/proc/%d/root" % pid))
        reply = get(fe)
        assert reply.startswith(b"HTTP/1.1 200") and reply.endswith(b"hello"), (name, reply)
        line = logs.recv(65536).decode()
        assert "web app/s1 " in line and '"GET /jailed HTTP/1.1"' in line and " 200 " in line, (name, line)
        assert line.startswith("<134>"), (name, line)  # local0.info, as the stock `log /dev/log local0`
        info = admin(admin_sock, "show info")
        assert "\nPid: %d\n" % pid in info, (name, info[:400])
        assert info.startswith("Name: "), (name, info[:400])
        print("ok  %s: uid/gid %d/%d%s, root %s, request served and logged, show info answered" %
              (name, uid, gid, " (uid/gid/pidfile lines)" if numeric else "", JAIL))
    finally:
        os.kill(pid, signal.SIGTERM)
        wait_for(lambda: not os.path.exists("/proc/%d" % pid) or
                 open("/proc/%d/stat" % pid).read().split()[2] == "Z", 20, name + " to exit")
        logs.close()
        srv.sock.close()


def jail_failure(name, cmd, tmp):
    """A chroot that fails is reported by the process the operator started, which exits 1."""
    cfg = os.path.join(tmp, name + "-bad.cfg")
    with open(cfg, "w") as f:
        f.write(config(open(STOCK).read(), os.path.join(tmp, name + "-bad.sock"), "/dev/log", free_port(),
                       free_port()).replace("chroot /var/lib/haproxy", "chroot /nonexistent-lbc-jail"))
    r = subprocess.run(cmd(os.path.join(tmp, name + "-bad.pid"), cfg), capture_output=True, timeout=120)
    err = r.stderr.decode()
    assert r.returncode == 1 and "Cannot chroot(/nonexistent-lbc-jail)." in err, (name, r.returncode, err)
    print("ok  %s: a failing chroot exits 1 with %r" % (name, err.strip().split("\n")[-1]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("lbc")
    ap.add_argument("--haproxy", default="/usr/sbin/haproxy")
    args = ap.parse_args()
    if os.geteuid() != 0:
        skip("the daemon must start as root to chroot and change its identity")
    if not os.path.exists(STOCK) or not os.path.isdir(JAIL):
        skip("Debian's haproxy package (%s, %s) is not installed" % (STOCK, JAIL))
    try:
        uid, gid = pwd.getpwnam("haproxy").pw_uid, grp.getgrnam("haproxy").gr_gid
    except KeyError:
        skip("no user/group haproxy")
    tmp = tempfile.mkdtemp(prefix="lbc-identity-")
    jail_dir = tempfile.mkdtemp(prefix="lbc-e2e-", dir=JAIL)
    os.chmod(jail_dir, 0o755)
    try:
        if os.path.exists(args.haproxy):
            check("haproxy", lambda p, c: [args.haproxy, "-D", "-p", p, "-f", c], tmp, jail_dir, uid, gid)
        lbc_run = lambda p, c: [args.lbc, "run", "-D", "-p", p, c]  # noqa: E731
        check("lbc-run", lbc_run, tmp, jail_dir, uid, gid)
        # `uid`, `gid` and `pidfile` in the global section instead of user/group and -p
        if os.path.exists(args.haproxy):
            check("haproxy-numeric", lambda p, c: [args.haproxy, "-D", "-f", c], tmp, jail_dir, uid, gid,
                  numeric=True)
        check("lbc-run-numeric", lambda p, c: [args.lbc, "run", "-D", c], tmp, jail_dir, uid, gid,
              numeric=True)
        jail_failure("lbc-run", lbc_run, tmp)
        # build_run.py builds the configuration into an executable and execs it with the flags.
        build_run = os.path.join(os.path.dirname(os.path.abspath(__file__)), "build_run.py")
        check("lbc-build", lambda p, c: [sys.executable, build_run, args.lbc, "-D", "-p", p, c], tmp, jail_dir,
              uid, gid)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(jail_dir, ignore_errors=True)
    print("all passed")


if __name__ == "__main__":
    main()

# What the HTTP e2e files share: the proxy set up from a configuration body, curl and raw-socket
# clients, haproxy's own pages, and the list of proxies a comparison runs (lbc, and haproxy 2.6
# where it is installed). The backends are harness.Server scripts.
import re
import socket
import subprocess
from textwrap import dedent

from harness import ENV, Proxy, fill, free_port, haproxy_available, indent

FORBIDDEN = (b"HTTP/1.1 403 Forbidden\r\ncontent-length: 93\r\ncache-control: no-cache\r\n"
             b"content-type: text/html\r\n\r\n<html><body><h1>403 Forbidden</h1>\n"
             b"Request forbidden by administrative rules.\n</body></html>\n")
FORBIDDEN_CLOSE = FORBIDDEN.replace(b"content-type: text/html\r\n", b"content-type: text/html\r\nconnection: close\r\n")
TIMEOUT_408 = (b"HTTP/1.1 408 Request Time-out\r\nContent-length: 110\r\nCache-Control: no-cache\r\n"
               b"Connection: close\r\nContent-Type: text/html\r\n\r\n<html><body><h1>408 Request Time-out</h1>\n"
               b"Your browser didn't send a complete request in time.\n</body></html>\n")
BAD_REQUEST_400 = (b"HTTP/1.1 400 Bad request\r\nContent-length: 90\r\nCache-Control: no-cache\r\n"
                   b"Connection: close\r\nContent-Type: text/html\r\n\r\n<html><body><h1>400 Bad request</h1>\n"
                   b"Your browser sent an invalid request.\n</body></html>\n")

HEAD = dedent("""\
    global
        maxconn 200
    defaults
        mode http
        timeout connect 2s
        timeout client 10s
        timeout server 10s
    """)


class Setup:
    """Backends + lbc for one configuration body: `{fe}` is the frontend's port, `{name}` the port
    of the server of that name, `{closed}` a port nobody listens on, `{p}` for each name in
    `more_ports` a free port (self.ports[p]); `defaults` adds lines to the defaults section."""

    def __init__(self, body, servers=(), defaults="", more_ports=()):
        self.fe = free_port()
        self.servers = {s.name: s for s in servers}
        self.ports = {k: v.port for k, v in self.servers.items()}
        self.ports.update({k: free_port() for k in more_ports + ("closed",)}, fe=self.fe)
        cfg = HEAD + (indent(dedent(defaults)) if defaults else "") + fill(dedent(body), **self.ports)
        self.proxy = Proxy(ENV.proxy, cfg, self.fe)

    def url(self, path="/"):
        return "http://127.0.0.1:%d%s" % (self.fe, path)

    def close(self):
        code = self.proxy.stop()
        for s in self.servers.values():
            s.stop()
        err = self.proxy.err
        assert code == 0 and "Sanitizer" not in err and "runtime error" not in err, (code, err[-3000:])


def curl(*args):
    r = subprocess.run(["curl", "-s", "--max-time", "10"] + list(args), capture_output=True, timeout=30)
    return r.stdout


def raw(port, data, timeout=10):
    """Sends `data` on a new connection and returns all that comes back until the close."""
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(timeout)
    s.sendall(data)
    out = b""
    while True:
        try:
            d = s.recv(65536)
        except (ConnectionResetError, socket.timeout):
            break
        if not d:
            break
        out += d
    s.close()
    return out


def read_to_eof(s, timeout=10):
    """Everything the proxy sends until it closes; fails if it keeps the connection open."""
    s.settimeout(timeout)
    out = b""
    while True:
        try:
            d = s.recv(65536)
        except ConnectionResetError:
            break
        except socket.timeout:
            raise AssertionError("the proxy kept the connection open: %r" % out)
        if not d:
            break
        out += d
    s.close()
    return out


def read_all(s):
    out = b""
    while True:
        d = s.recv(65536)
        if not d:
            return out
        out += d


def get(path, extra=""):
    """A request for `path` that asks for the connection to close, with extra header lines."""
    return ("GET %s HTTP/1.1\r\nHost: a\r\n%sConnection: close\r\n\r\n" % (path, extra)).encode()


def compared(haproxy_first=False):
    """(label, command) of the proxies a comparison runs: lbc, and haproxy where it is installed."""
    both = [("lbc", ENV.proxy)] + ([("haproxy", ENV.haproxy + " -db -f")] if haproxy_available() else [])
    return both[::-1] if haproxy_first else both


def stopped_clean(p, label):
    """Stops the proxy; lbc must exit 0 without sanitizer reports (haproxy exits 143 on SIGTERM)."""
    code = p.stop()
    if label != "haproxy":
        assert code == 0 and "Sanitizer" not in p.err and "runtime error" not in p.err, (code, p.err[-3000:])


def without_date(resp):
    return re.sub(rb"\r\ndate: [^\r]*", b"", resp)

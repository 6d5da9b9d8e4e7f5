# What the TCP e2e files share: the proxy set up from a configuration body (with a readiness
# probe section), the listen section helper, and the clients and TLS servers several files use.
# The backends are harness.Backend (TCP modes of harness.Server).
import os
import socket
import time
from textwrap import dedent

from harness import Backend, ENV, Proxy, can_connect, fill, free_port, head, probe_section, recv_all, wait_for


class Setup:
    """Backends + a proxy for one configuration body (a heredoc: its indentation is removed);
    `{name}` in the body is replaced by the port of backend `name`, `{fe}` by the frontend port,
    other braces (ACLs' `{ src ... }`) stay as written."""

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
        cfg = head(defaults, global_extra) + fill(dedent(body), **ports) + "\n" + probe_section(self.probe, probe_be.port)
        self.ours = cmd is None or cmd == ENV.proxy  # haproxy, run for comparison, exits 143 on SIGTERM
        self.proxy = Proxy(cmd or ENV.proxy, cfg, self.probe if ready else None, extra_args, pass_fds)

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


def closed_after(sock, lo, hi):
    t0 = time.monotonic()
    try:
        data = recv_all(sock, hi + 5)
    except ConnectionResetError:
        data = b""
    took = time.monotonic() - t0
    assert lo <= took < hi, "closed after %.2fs, expected [%s, %s)" % (took, lo, hi)
    return data


def can_bind(port):
    try:
        with socket.socket() as s:
            s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False


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


SAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../samples")


def add_args(ap):
    ap.add_argument("--soak", type=int, default=100000, help="connections of the soak")

# What the TLS e2e files share: certificates made here with openssl (two CAs, server and client
# leaves, a CRL revoking one client), the scriptable backend behind TLS, and the clients
# (openssl s_client and curl) with what they report.
import os
import re
import ssl
import subprocess
import tempfile
import threading

from harness import Conn, Server, can_connect, free_port, http_echo, wait_for
from http_common import curl

CA_CONF = """\
[ca]
default_ca = lbc
[lbc]
database = index.txt
default_md = sha256
default_crl_days = 30
"""


class Pki:
    """A CA, a second unrelated CA, leaf certificates signed by the first (PEM: chain + key), client
    certificates and a CRL that revokes one of them."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="lbc-tls-")
        self.ca = self._ca("ca", "lbc test CA")
        self.other_ca = self._ca("other", "another CA")
        self.site = self.leaf("site", "localhost", ["localhost", "a.example"])
        self.b = self.leaf("b", "b.example", ["b.example"])
        self.backend = self.leaf("backend", "localhost", ["localhost"])
        self.client = self.leaf("client", "client", ["client.example"])
        self.revoked = self.leaf("revoked", "revoked", ["revoked.example"])
        self.crl = self._crl("revoked")

    def _run(self, *args):
        subprocess.run(["openssl"] + list(args), check=True, capture_output=True, cwd=self.dir)

    def _ca(self, name, cn):
        self._run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                  "-keyout", name + ".key", "-out", name + ".pem", "-days", "30", "-subj", "/CN=" + cn)
        return os.path.join(self.dir, name + ".pem")

    def leaf(self, name, cn, sans):
        ext = os.path.join(self.dir, name + ".ext")
        with open(ext, "w") as f:
            f.write("subjectAltName=" + ",".join("DNS:" + s for s in sans) + "\n")
        self._run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                  name + ".key", "-out", name + ".csr", "-subj", "/CN=" + cn)
        self._run("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                  "-out", name + ".crt", "-days", "30", "-extfile", ext)
        pem = os.path.join(self.dir, name + ".pem")
        with open(pem, "w") as out:
            for part in (name + ".crt", name + ".key"):
                with open(os.path.join(self.dir, part)) as f:
                    out.write(f.read())
        return pem

    def _crl(self, revoked):
        """The first CA's CRL, listing the certificate `revoked`."""
        with open(os.path.join(self.dir, "ca.cnf"), "w") as f:
            f.write(CA_CONF)
        open(os.path.join(self.dir, "index.txt"), "w").close()
        self._run("ca", "-config", "ca.cnf", "-keyfile", "ca.key", "-cert", "ca.pem", "-revoke", revoked + ".crt")
        self._run("ca", "-config", "ca.cnf", "-keyfile", "ca.key", "-cert", "ca.pem", "-gencrl", "-out", "crl.pem")
        return os.path.join(self.dir, "crl.pem")

    def path(self, name):
        return os.path.join(self.dir, name)


PKI = None


def pki():
    global PKI
    if PKI is None:
        PKI = Pki()
    return PKI


class TlsServer(Server):
    """The scriptable backend behind TLS (the handshake runs in the connection's thread).
    `max_version` caps the versions it speaks; `client_ca` makes it require a client certificate
    signed by that CA."""

    def __init__(self, name, pem, script=None, max_version=None, client_ca=None):
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(pem)
        if max_version:
            self.ctx.maximum_version = max_version
        if client_ca:
            self.ctx.verify_mode = ssl.CERT_REQUIRED
            self.ctx.load_verify_locations(client_ca)
        self.handshakes = []  # the TLS version of each connection that completed one
        self.sessions = []  # per completed handshake: (version, cipher, resumed, client certificate's CN)
        super().__init__(name, script if script is not None else http_echo())

    def _accept(self, lsock):
        while True:
            try:
                s, _ = lsock.accept()
            except OSError:
                return
            threading.Thread(target=self._wrap, args=(s,), daemon=True).start()

    def _wrap(self, s):
        try:
            s.settimeout(10)
            t = self.ctx.wrap_socket(s, server_side=True)
        except (OSError, ssl.SSLError):
            s.close()
            return
        peer = t.getpeercert()
        cn = dict(x[0] for x in peer["subject"]).get("commonName") if peer else None
        with self.lock:
            self.handshakes.append(t.version())
            self.sessions.append((t.version(), t.cipher()[0], t.session_reused, cn))
            c = Conn(self, t, len(self.conns) + 1)
            self.conns.append(c)
        self._run(c)


def https(fe, path="/", name="localhost", *extra):
    return curl("--cacert", pki().ca, "--resolve", "%s:%d:127.0.0.1" % (name, fe), *extra,
                "https://%s:%d%s" % (name, fe, path))


def s_client(fe, *args, data=b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"):
    r = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % fe, "-CAfile", pki().ca, "-ign_eof"] +
                       list(args), input=data, capture_output=True, timeout=20)
    return r.stdout.decode(errors="replace")


def negotiated(out):
    """What s_client's output says was agreed: "TLSv1.3 TLS_AES_256_GCM_SHA384", or "refused"
    when no handshake completed."""
    m = re.search(r"^New, (\S+), Cipher is (\S+)", out, re.M) or re.search(r"^Reused, (\S+), Cipher is (\S+)", out,
                                                                           re.M)
    if not m or m.group(2) == "(NONE)":
        return "refused"
    return "%s %s" % (m.group(1), m.group(2))


class SessionServer:
    """`openssl s_server -www` speaking TLSv1.2 without a session cache: a session resumes only
    by ticket, and each answer's page says "New, ..." or "Reused, ..." of its handshake."""

    def __init__(self, pem):
        self.port = free_port()
        self.proc = subprocess.Popen(["openssl", "s_server", "-accept", "127.0.0.1:%d" % self.port, "-cert", pem,
                                      "-no_cache", "-www", "-tls1_2", "-quiet"], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        wait_for(lambda: can_connect(self.port), 10, "openssl s_server")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


def handshake_kind(page):
    """"New" or "Reused" from an s_server -www page, "none" without one."""
    m = re.search(rb"^(New|Reused), TLSv", page, re.M)
    return m.group(1).decode() if m else "none"

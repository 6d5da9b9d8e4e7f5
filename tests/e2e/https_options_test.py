#!/usr/bin/env python3
# End-to-end tests of the TLS options of binds, servers and the global section, each under lbc and
# haproxy 2.6 with the same clients (openssl s_client, curl): the global defaults (ca-base,
# crt-base, ssl-default-{bind,server}-*, ssl-server-verify), a bind's ciphers, cipher suites,
# version bounds and no-* switches, tickets, prefer-client-ciphers, strict-sni, client certificates
# (verify optional and required, ca-file, crl-file), and a server's ciphers, version bounds, client
# certificate, no-ssl-reuse, tickets and no-ssl; ssl_bc and ssl_fc_alpn in headers; which options
# the ssl-default-*-options lists take. Every outcome is asserted for lbc and compared with
# haproxy's. Certificates are made here (tls_common.py).
# usage: https_options_test.py [--proxy "CMD" | --build LBC] [--haproxy PATH] [--only NAME,...]
import json
import os
import re
import shlex
import ssl
import subprocess
import sys
import tempfile
from textwrap import dedent

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ENV, Proxy, Server, collector, fill, free_port, http_echo, main, wait_for  # noqa: E402
from http_common import compared, curl, stopped_clean  # noqa: E402
from tls_common import SessionServer, TlsServer, handshake_kind, negotiated, pki, s_client  # noqa: E402

TESTS = []
test = collector(TESTS)

HEAD = """\
    global
        maxconn 200
        nbthread 1
    {globals}
    defaults
        mode http
        timeout connect 2s
        timeout client 10s
        timeout server 10s
    """


def start(cmd, body, fe, globals_="", **ports):
    cfg = fill(dedent(HEAD), globals=globals_) + fill(dedent(body), fe=fe, **ports)
    return Proxy(cmd, cfg, fe)


def compare(seen, expected):
    """lbc's outcomes are the expected ones, and haproxy's (where it ran) are lbc's."""
    for k, want in expected.items():
        assert seen["lbc"][k] == want, (k, seen["lbc"][k], want, seen)
    if "haproxy" in seen:
        diff = {k: (v, seen["haproxy"][k]) for k, v in seen["lbc"].items() if seen["haproxy"][k] != v}
        assert not diff, ("lbc, haproxy", diff)


def ticket(fe, *args):
    """Whether a TLSv1.2 handshake got a session ticket."""
    out = s_client(fe, "-tls1_2", *args)
    assert negotiated(out) != "refused", out
    return "TLS session ticket:" in out


def resumption(fe):
    """How a second TLSv1.2 handshake offering the first one's session went: "New" or "Reused"."""
    path = os.path.join(tempfile.mkdtemp(prefix="lbc-sess-"), "s.pem")
    assert negotiated(s_client(fe, "-tls1_2", "-sess_out", path)) != "refused"
    m = re.search(r"^(New|Reused), ", s_client(fe, "-tls1_2", "-sess_in", path), re.M)
    return m.group(1) if m else "refused"


def code(out):
    return out.decode() or "none"


def h(body, name):
    return dict((k.lower(), v) for k, v in json.loads(body)["headers"]).get(name)


# ---- the global section ------------------------------------------------------------------------------

GLOBALS = """\
    ca-base {dir}
    crt-base {dir}
    ssl-default-bind-ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384
    ssl-default-bind-ciphersuites TLS_CHACHA20_POLY1305_SHA256
    ssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets prefer-client-ciphers
    ssl-default-server-ciphers ECDHE-ECDSA-AES256-GCM-SHA384
    ssl-default-server-options ssl-max-ver TLSv1.2 no-tls-tickets
    ssl-server-verify none
"""

DEFAULTS = """\
    frontend web
        bind 127.0.0.1:{fe} ssl crt site.pem ca-file ca.pem verify optional
        use_backend tickets if { path_beg /tickets }
        default_backend app
    backend tickets
        server t 127.0.0.1:{t} ssl
    backend app
        # ssl_bc needs the server connection: haproxy (and lbc) refuse it in http-request rules.
        http-response set-header X-Bc %[ssl_bc]
        server s 127.0.0.1:{s} ssl
    """


@test
def global_defaults_apply_to_binds_and_servers():
    seen = {}
    for label, cmd in compared():
        s = TlsServer("s", pki().backend)
        t = SessionServer(pki().backend)
        fe = free_port()
        # ca-base and crt-base: the bind names its files relatively; ssl-server-verify none: the
        # server line has no ca-file (haproxy refuses one that must verify without it).
        p = start(cmd, DEFAULTS, fe, fill(dedent(GLOBALS), dir=pki().dir), s=s.port, t=t.port)
        try:
            resp = curl("-si", "--cacert", pki().ca, "https://localhost:%d/g" % fe).decode()
            seen[label] = dict(
                tls13=negotiated(s_client(fe, "-tls1_3")),
                # prefer-client-ciphers: the client's order picks among the bind's ciphers.
                tls12=negotiated(s_client(fe, "-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256:"
                                          "ECDHE-ECDSA-AES256-GCM-SHA384")),
                tls12_other_order=negotiated(s_client(fe, "-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384:"
                                                      "ECDHE-ECDSA-AES128-GCM-SHA256")),
                other_cipher=negotiated(s_client(fe, "-tls1_2", "-cipher", "ECDHE-ECDSA-CHACHA20-POLY1305")),
                other_suite=negotiated(s_client(fe, "-tls1_3", "-ciphersuites", "TLS_AES_128_GCM_SHA256")),
                tls11=negotiated(s_client(fe, "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0")),
                ticket=ticket(fe),
                # verify optional with ca-file (under ca-base): a client certificate is accepted.
                client_crt=code(curl("-o", "/dev/null", "-w", "%{http_code}", "--cacert", pki().ca, "--cert",
                                     pki().client, "https://localhost:%d/c" % fe)),
                backend_saw=s.sessions[0][:2] if s.sessions else None,
                # ssl-default-server-options no-tls-tickets: no ticket to resume the second connection with.
                server_tickets=[handshake_kind(curl("--cacert", pki().ca, "https://localhost:%d/tickets" % fe))
                                for _ in range(2)],
                bc_response=re.search(r"(?im)^x-bc: (\S*)", resp).group(1))
        finally:
            stopped_clean(p, label)
            s.stop()
            t.stop()
    compare(seen, dict(tls13="TLSv1.3 TLS_CHACHA20_POLY1305_SHA256", tls12="TLSv1.2 ECDHE-ECDSA-AES128-GCM-SHA256",
                       tls12_other_order="TLSv1.2 ECDHE-ECDSA-AES256-GCM-SHA384", server_tickets=["New", "New"],
                       other_cipher="refused", other_suite="refused", tls11="refused", ticket=False,
                       client_crt="200", backend_saw=("TLSv1.2", "ECDHE-ECDSA-AES256-GCM-SHA384"),
                       bc_response="1"))


# ---- bind options ------------------------------------------------------------------------------------

BINDS = """\
    frontend web
        bind 127.0.0.1:{fe} ssl crt {site} ciphers ECDHE-ECDSA-AES256-GCM-SHA384 ciphersuites TLS_AES_128_GCM_SHA256 alpn http/1.1 no-tls-tickets
        bind 127.0.0.1:{v12} ssl crt {site} ssl-min-ver TLSv1.2 ssl-max-ver TLSv1.2
        bind 127.0.0.1:{v13} ssl crt {site} no-sslv3 no-tlsv10 no-tlsv11 no-tlsv12
        bind 127.0.0.1:{no13} ssl crt {site} no-tlsv13
        bind 127.0.0.1:{sni} ssl crt {b} strict-sni
        bind 127.0.0.1:{pcc} ssl crt {site} ciphers ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256 prefer-client-ciphers
        bind 127.0.0.1:{opt} ssl crt {site} ca-file {ca} verify optional
        bind 127.0.0.1:{req} ssl crt {site} ca-file {ca} verify required crl-file {crl}
        http-request set-header X-Alpn %[ssl_fc_alpn]
        http-request return status 200 content-type text/plain lf-string "%[ssl_fc_protocol] %[ssl_fc_cipher]\\n" if { path /tls }
        default_backend app
    backend app
        server a 127.0.0.1:{a}
    """


def curl_tls(port, *args, path="/tls", name="localhost"):
    """What curl got: the body, or "failed" when it had no answer (handshake refused)."""
    out = curl("--cacert", pki().ca, "--resolve", "%s:%d:127.0.0.1" % (name, port), *args,
               "https://%s:%d%s" % (name, port, path))
    return out.decode() or "failed"


@test
def bind_options_as_haproxy():
    seen = {}
    for label, cmd in compared():
        a = Server("a", http_echo())
        ports = {k: free_port() for k in ("fe", "v12", "v13", "no13", "sni", "pcc", "opt", "req")}
        p = start(cmd, BINDS, ports["fe"], a=a.port, site=pki().site, b=pki().b, ca=pki().ca, crl=pki().crl,
                  **{k: v for k, v in ports.items() if k != "fe"})
        fe, v12, v13, no13, sni, pcc, opt, req = (ports[k] for k in ("fe", "v12", "v13", "no13", "sni", "pcc", "opt",
                                                                       "req"))
        cert = ("--cert", pki().client)
        try:
            seen[label] = dict(
                # ciphers and ciphersuites replace OpenSSL's lists.
                ciph12=negotiated(s_client(fe, "-tls1_2")),
                ciph12_other=negotiated(s_client(fe, "-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256")),
                ciph12_server_order=negotiated(s_client(v12, "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256:"
                                                        "ECDHE-ECDSA-AES256-GCM-SHA384")),
                ciph12_client_order=negotiated(s_client(pcc, "-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256:"
                                                        "ECDHE-ECDSA-AES256-GCM-SHA384")),
                ciph13=negotiated(s_client(fe, "-tls1_3")),
                ciph13_other=negotiated(s_client(fe, "-tls1_3", "-ciphersuites", "TLS_AES_256_GCM_SHA384")),
                alpn=h(curl_tls(fe, path="/alpn"), "x-alpn"),
                no_tickets=ticket(fe),
                tickets=ticket(v12),  # the default: a ticket is issued
                resumed_by_id=resumption(fe),  # without tickets, the session cache still resumes
                # ssl-min-ver/ssl-max-ver and the no-* switches.
                v12_default=curl_tls(v12),
                v12_tls13=curl_tls(v12, "--tlsv1.3"),
                v12_capped=curl_tls(v12, "--tlsv1.2", "--tls-max", "1.2"),
                v13_tls12=negotiated(s_client(v13, "-tls1_2")),
                v13_default=negotiated(s_client(v13)).split()[0],
                no13_default=negotiated(s_client(no13)).split()[0],
                no13_tls13=negotiated(s_client(no13, "-tls1_3")),
                # strict-sni: a name the certificates cover, none, another one.
                sni_named=negotiated(s_client(sni, "-servername", "b.example")).split()[0],
                sni_none=negotiated(s_client(sni, "-noservername")),
                sni_unknown=negotiated(s_client(sni, "-servername", "unknown.example")),
                # verify optional: with or without a certificate; a certificate of another CA is refused.
                opt_none=curl_tls(opt, path="/x").startswith("{"),
                opt_cert=curl_tls(opt, *cert, path="/x").startswith("{"),
                opt_s_client=negotiated(s_client(opt, "-tls1_2", "-cert", pki().client)).split()[0],
                # verify required with a CRL: a certificate is needed and the revoked one is refused.
                req_none=curl_tls(req, path="/x").startswith("{"),
                req_cert=curl_tls(req, *cert, path="/x").startswith("{"),
                req_revoked=curl_tls(req, "--cert", pki().revoked, path="/x").startswith("{"))
        finally:
            stopped_clean(p, label)
            a.stop()
    compare(seen, dict(ciph12="TLSv1.2 ECDHE-ECDSA-AES256-GCM-SHA384", ciph12_other="refused",
                       ciph12_server_order="TLSv1.2 ECDHE-ECDSA-AES256-GCM-SHA384",
                       ciph12_client_order="TLSv1.2 ECDHE-ECDSA-AES128-GCM-SHA256",
                       ciph13="TLSv1.3 TLS_AES_128_GCM_SHA256", ciph13_other="refused", alpn="http/1.1",
                       no_tickets=False, tickets=True, resumed_by_id="Reused", v12_tls13="failed", v13_tls12="refused", v13_default="TLSv1.3",
                       no13_default="TLSv1.2", no13_tls13="refused", sni_named="TLSv1.3", sni_none="refused",
                       sni_unknown="refused", opt_none=True, opt_cert=True, opt_s_client="TLSv1.2", req_none=False,
                       req_cert=True, req_revoked=False))
    assert re.match(r"TLSv1\.2 ECDHE-ECDSA-AES256-GCM-SHA384\n$", seen["lbc"]["v12_default"]), seen["lbc"]
    assert seen["lbc"]["v12_capped"] == seen["lbc"]["v12_default"], seen["lbc"]


# ---- server options ----------------------------------------------------------------------------------

SERVERS = """\
    frontend web
        bind 127.0.0.1:{fe}
        use_backend ciph if { path_beg /ciph }
        use_backend crt if { path_beg /crt }
        use_backend nocrt if { path_beg /nocrt }
        use_backend max12 if { path_beg /max12 }
        use_backend min13 if { path_beg /min13 }
        use_backend reuse if { path_beg /reuse }
        use_backend noreuse if { path_beg /noreuse }
        use_backend tickets if { path_beg /tickets }
        default_backend plain
    backend ciph
        server s 127.0.0.1:{s} ssl verify none ciphers ECDHE-ECDSA-CHACHA20-POLY1305 ssl-max-ver TLSv1.2
    backend crt
        server c 127.0.0.1:{c} ssl verify required ca-file {ca} crt {client}
    backend nocrt
        server c 127.0.0.1:{c} ssl verify required ca-file {ca} ssl-max-ver TLSv1.2
    backend max12
        server t 127.0.0.1:{t} ssl verify none ssl-max-ver TLSv1.2
    backend min13
        server t 127.0.0.1:{t} ssl verify none ssl-min-ver TLSv1.3
    backend reuse
        http-reuse never
        server r 127.0.0.1:{r} ssl verify none ssl-max-ver TLSv1.2
    backend noreuse
        http-reuse never
        server n 127.0.0.1:{n} ssl verify none ssl-max-ver TLSv1.2 no-ssl-reuse
    backend tickets
        server k 127.0.0.1:{k} ssl verify none
    backend plain
        default-server ssl verify none
        server o 127.0.0.1:{o} no-ssl
    """


def status(fe, path):
    return code(curl("-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:%d%s" % (fe, path)))


@test
def server_options_as_haproxy():
    seen = {}
    for label, cmd in compared():
        s = TlsServer("s", pki().backend)
        c = TlsServer("c", pki().backend, client_ca=pki().ca)  # requires a client certificate
        t = TlsServer("t", pki().backend, max_version=ssl.TLSVersion.TLSv1_2)  # TLSv1.2 only
        r, n = TlsServer("r", pki().backend), TlsServer("n", pki().backend)
        o = Server("o", http_echo())
        k = SessionServer(pki().backend)  # resumes by ticket only
        fe = free_port()
        p = start(cmd, SERVERS, fe, s=s.port, c=c.port, t=t.port, r=r.port, n=n.port, o=o.port, k=k.port, ca=pki().ca,
                  client=pki().client)
        try:
            got = dict(ciph=status(fe, "/ciph"), crt=status(fe, "/crt"), nocrt=status(fe, "/nocrt"),
                       max12=status(fe, "/max12"), min13=status(fe, "/min13"), nossl=status(fe, "/plain"))
            # Two connections one after the other (http-reuse never): the second resumes the
            # first's session unless no-ssl-reuse.
            for path in ("/reuse/1", "/reuse/2", "/noreuse/1", "/noreuse/2"):
                got[path] = status(fe, path)
            got["tickets"] = [handshake_kind(curl("http://127.0.0.1:%d/tickets" % fe)) for _ in range(2)]
            wait_for(lambda: len(r.sessions) == 2 and len(n.sessions) == 2, 5, "the reuse handshakes")
            got.update(ciph_saw=s.sessions[0][:2] if s.sessions else None,
                       crt_saw=[x[3] for x in c.sessions], max12_saw=[x[0] for x in t.sessions],
                       reuse_saw=[x[2] for x in r.sessions], noreuse_saw=[x[2] for x in n.sessions],
                       nossl_saw=o.lines())
            seen[label] = got
        finally:
            stopped_clean(p, label)
            for x in (s, c, t, r, n, o, k):
                x.stop()
    # nocrt: under TLSv1.2 the server refuses the missing certificate inside the handshake: a failed
    # connection's 503. (Under TLSv1.3 its alert comes after the proxy's side of the handshake
    # completed, racing with the request: 502 or 503 by timing, for haproxy as for lbc.)
    compare(seen, {"ciph": "200", "crt": "200", "nocrt": "503", "max12": "200", "min13": "503", "nossl": "200",
                   "/reuse/1": "200", "/reuse/2": "200", "/noreuse/1": "200", "/noreuse/2": "200",
                   "ciph_saw": ("TLSv1.2", "ECDHE-ECDSA-CHACHA20-POLY1305"), "crt_saw": ["client"],
                   "max12_saw": ["TLSv1.2"], "reuse_saw": [False, True], "noreuse_saw": [False, False],
                   "tickets": ["New", "Reused"],
                   "nossl_saw": ["GET /plain HTTP/1.1"]})


# ---- the options lists of the global section ---------------------------------------------------------

BIND_OPTIONS = ["no-sslv3", "no-tlsv10", "no-tlsv11", "no-tlsv12", "no-tlsv13", "force-tlsv12", "force-tlsv13",
                "no-tls-tickets", "prefer-client-ciphers", "ssl-min-ver TLSv1.2", "ssl-max-ver TLSv1.3"]


LISTENER = """\
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend web
    bind 127.0.0.1:8443
    default_backend app
backend app
    server a 127.0.0.1:8080
"""


@test
def default_options_lists_accept_what_haproxy_does():
    """Each option alone on ssl-default-bind-options / ssl-default-server-options: lbc checks the
    configuration as haproxy -c does (both accept it, or both refuse it)."""
    seen = {}
    d = tempfile.mkdtemp(prefix="lbc-tlsopts-")
    lbc_check = [ENV.build or shlex.split(ENV.proxy)[0], "check"]
    for label, cmd in compared():
        check = lbc_check if label == "lbc" else [ENV.haproxy, "-c", "-f"]
        for which in ("bind", "server"):
            for opt in BIND_OPTIONS + ["no-ca-names", "ssl-min-ver TLSv1.4"]:
                path = os.path.join(d, "t.cfg")
                with open(path, "w") as f:
                    f.write("global\n    ssl-default-%s-options %s\n" % (which, opt) + LISTENER)
                r = subprocess.run(check + [path], capture_output=True, timeout=30)
                seen.setdefault(label, {})[(which, opt)] = r.returncode == 0
    lbc = seen["lbc"]
    for opt in BIND_OPTIONS:
        assert lbc[("bind", opt)], opt
    if "haproxy" in seen:
        diff = {k: (v, seen["haproxy"][k]) for k, v in lbc.items() if seen["haproxy"][k] != v}
        assert not diff, ("lbc, haproxy", diff)


if __name__ == "__main__":
    sys.exit(main(TESTS))

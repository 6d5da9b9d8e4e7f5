#!/usr/bin/env python3
# The stats page (issue 12): `stats enable|uri|realm|auth|refresh|admin` served by haproxy 2.6 and
# lbc on the same configuration, compared with curl: status codes and headers, basic
# authentication (401 with the realm), the `;csv` export (columns as `show stat`'s, counters
# masked), `;json`, and the admin form's POST putting a server into maintenance, after which
# traffic avoids it. Then headless Chromium (when installed): a screenshot of lbc's page written
# into the build directory, and the maintenance form driven in the browser.
# usage: stats_page_test.py [--proxy "CMD"] [--shots DIR] [--only NAME,...]
import argparse
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cli_test import stat_view  # noqa: E402
from harness import Proxy, free_port, run_tests, wait_for  # noqa: E402
from http_tcp_rules_test import HttpBackend  # noqa: E402

ARGS = None
TESTS = []
HAPROXY = "/usr/sbin/haproxy"


def test(fn):
    TESTS.append(fn)
    return fn


CONFIG = """
global
    maxconn 1000
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend fe
    bind 127.0.0.1:{fe}
    default_backend be
backend be
    balance roundrobin
    server s1 127.0.0.1:{s1}
    server s2 127.0.0.1:{s2}
listen st
    bind 127.0.0.1:{st}
    stats enable
    stats uri /stats
    stats realm Hello\\ There
    stats auth admin:secret
    stats refresh 5s
    stats admin if TRUE
listen ro
    bind 127.0.0.1:{ro}
    stats uri /
    stats scope be
listen lg
    bind 127.0.0.1:{lg}
    stats uri /
    stats hide-version
    stats show-node nodeA
    stats show-desc my farm
    stats show-legends
listen ru
    bind 127.0.0.1:{ru}
    stats uri /
    stats http-request deny if {{ req.hdr(x-deny) -m found }}
    stats http-request allow if {{ req.hdr(x-allow) -m found }}
    stats http-request auth realm Other if {{ req.hdr(x-auth) -m found }}
"""


class Answer:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body


def http(port, path, auth=None, data=None, headers=()):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), data=data)
    for k, v in headers:
        req.add_header(k, v)
    if auth:
        req.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *a, **k):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(req, timeout=10) as r:
            return Answer(r.status, {k.lower(): v for k, v in r.headers.items()}, r.read())
    except urllib.error.HTTPError as e:
        return Answer(e.code, {k.lower(): v for k, v in e.headers.items()}, e.read())


def farm():
    servers = [HttpBackend("s1"), HttpBackend("s2")]
    return servers


def start(cmd, servers):
    ports = {"fe": free_port(), "st": free_port(), "ro": free_port(), "ru": free_port(), "lg": free_port(),
             "s1": servers[0].port,
             "s2": servers[1].port}
    p = Proxy(cmd, CONFIG.format(**ports), ports["st"])
    wait_for(lambda: all(_connects(ports[k]) for k in ("fe", "ro")), 10, "the listeners")
    return p, ports


def _connects(port):
    import socket
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def both(scenario):
    """scenario(ports) under haproxy and lbc with the same servers: {label: result}."""
    if not os.path.exists(HAPROXY):
        raise AssertionError("%s is needed for this comparison" % HAPROXY)
    servers = farm()
    got = {}
    try:
        for label, cmd in (("haproxy", HAPROXY + " -db -f"), ("lbc", ARGS.proxy)):
            p, ports = start(cmd, servers)
            try:
                got[label] = scenario(ports)
            finally:
                p.stop()
    finally:
        for s in servers:
            s.stop()
    return got


def backends_hit(port, n=8):
    out = []
    for _ in range(n):
        a = http(port, "/")
        out.append(a.body.decode().split(" ")[0] if a.status == 200 else str(a.status))
    return out


# ---- curl-level comparisons ---------------------------------------------------------------------------

@test
def test_status_auth_and_headers():
    def scenario(ports):
        st = ports["st"]
        out = []
        for path, auth in (("/stats", None), ("/stats", "admin:wrong"), ("/stats", "admin:secret"),
                           ("/stats;csv", "admin:secret"), ("/stats;json", "admin:secret"),
                           ("/stats;norefresh", "admin:secret"), ("/other", "admin:secret")):
            a = http(st, path, auth)
            out.append((path, auth, a.status, a.headers.get("www-authenticate"), a.headers.get("content-type"),
                        a.headers.get("refresh"), a.headers.get("cache-control")))
        a = http(ports["ro"], "/")
        out.append(("ro", a.status, a.headers.get("content-type"), b"<a class=px href=\"#be\">" in a.body,
                    b"#fe\"" in a.body))
        return out
    got = both(scenario)
    assert got["lbc"] == got["haproxy"], "\nlbc:     %s\nhaproxy: %s" % (got["lbc"], got["haproxy"])


@test
def test_stats_http_request_rules():
    def scenario(ports):
        out = []
        for hdrs, auth in (((), None), ((("x-deny", "1"),), None), ((("x-allow", "1"),), None),
                           ((("x-auth", "1"),), "u:p"), ((), None), ((("x-deny", "1"), ("x-allow", "1")), None)):
            a = http(ports["ru"], "/", auth, headers=hdrs)
            out.append((hdrs, auth, a.status, a.headers.get("www-authenticate"), a.headers.get("content-type"),
                        len(a.body) if a.status != 200 else "page"))
        return out
    got = both(scenario)
    assert got["lbc"] == got["haproxy"], "\nlbc:     %s\nhaproxy: %s" % (got["lbc"], got["haproxy"])


@test
def test_display_options():
    def scenario(ports):
        page = http(ports["lg"], "/").body.decode()
        plain = http(ports["st"], "/stats", "admin:secret").body.decode()
        csv = http(ports["lg"], "/;csv").body.decode()
        addr = [ln.split(",")[73] for ln in csv.split("\n") if ln.startswith("be,s1,")]
        algo = [ln.split(",")[76] for ln in csv.split("\n") if ln.startswith("be,BACKEND,")]
        return ("version" in page.split("</h1>")[0], "version" in plain.split("</h1>")[0],
                " on nodeA: my farm</h2>" in page, "HAProxy on nodeA</title>" in page, addr[0].startswith("127.0.0.1:"), algo)
    got = both(scenario)
    assert got["lbc"] == got["haproxy"], "\nlbc:     %s\nhaproxy: %s" % (got["lbc"], got["haproxy"])


@test
def test_csv_and_json_exports():
    def scenario(ports):
        for _ in range(4):
            http(ports["fe"], "/")
        csv = http(ports["st"], "/stats;csv", "admin:secret").body.decode()
        scoped = http(ports["ro"], "/;csv").body.decode()
        js = json.loads(http(ports["st"], "/stats;json", "admin:secret").body)
        rows = [(r[0]["objType"], {f["field"]["name"]: f["value"]["value"] for f in r}["svname"]) for r in js]
        return stat_view(csv), stat_view(scoped), rows
    got = both(scenario)
    for i, what in enumerate(("csv", "scoped csv", "json rows")):
        assert got["lbc"][i] == got["haproxy"][i], "%s\nlbc:     %s\nhaproxy: %s" % (what, got["lbc"][i],
                                                                                     got["haproxy"][i])


@test
def test_post_maintenance_moves_traffic():
    def scenario(ports):
        before = sorted(set(backends_hit(ports["fe"])))
        csv = http(ports["st"], "/stats;csv", "admin:secret").body.decode()
        iid = [ln.split(",")[27] for ln in csv.split("\n") if ln.startswith("be,BACKEND")][0]
        a = http(ports["st"], "/stats", "admin:secret", data=("s=s1&action=maint&b=%%23%s" % iid).encode())
        post = (a.status, a.headers.get("location"), a.headers.get("content-type"))
        after = sorted(set(backends_hit(ports["fe"])))
        page = http(ports["st"], "/stats;st=DONE", "admin:secret").body
        banner = b"Action processed successfully." in page
        denied = http(ports["ro"], "/", data=b"s=s2&action=maint&b=be")
        ready = http(ports["st"], "/stats", "admin:secret", data=b"s=s1&action=ready&b=be")
        back = sorted(set(backends_hit(ports["fe"])))
        return before, post, after, banner, (denied.status, denied.headers.get("location")), \
            ready.headers.get("location"), back
    got = both(scenario)
    assert got["lbc"] == got["haproxy"], "\nlbc:     %s\nhaproxy: %s" % (got["lbc"], got["haproxy"])
    assert got["lbc"][2] == ["s2"], got["lbc"]


# ---- headless Chromium ----------------------------------------------------------------------------------

def chromium():
    for name in ("chromium", "chromium-browser"):
        if shutil.which(name):
            return shutil.which(name)
    return None


BROWSER_CONFIG_EXTRA = """
listen open
    bind 127.0.0.1:{op}
    stats uri /
    stats admin if TRUE
"""


def lbc_with_open_page():
    servers = farm()
    ports = {"fe": free_port(), "st": free_port(), "ro": free_port(), "ru": free_port(), "lg": free_port(),
             "op": free_port(),
             "s1": servers[0].port, "s2": servers[1].port}
    p = Proxy(ARGS.proxy, (CONFIG + BROWSER_CONFIG_EXTRA).format(**ports), ports["op"])
    return p, ports, servers


def browser_args(profile):
    return [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=" + profile,
            "--no-first-run", "--disable-dev-shm-usage"]


@test
def test_browser_screenshot():
    if not chromium():
        print("SKIP test_browser_screenshot: chromium is not installed (tools/install-deps)")
        return
    p, ports, servers = lbc_with_open_page()
    profile = tempfile.mkdtemp(prefix="lbc-chromium-")
    shot = os.path.join(ARGS.shots, "stats_page.png")
    try:
        if os.path.exists(shot):
            os.unlink(shot)
        subprocess.run(browser_args(profile) + ["--window-size=1400,900", "--screenshot=" + shot,
                                                "http://127.0.0.1:%d/" % ports["op"]],
                       capture_output=True, timeout=90)
        assert os.path.exists(shot), "no screenshot written"
        with open(shot, "rb") as f:
            png = f.read()
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10000, len(png)
        dom = subprocess.run(browser_args(profile) + ["--dump-dom", "http://127.0.0.1:%d/" % ports["op"]],
                             capture_output=True, timeout=90, text=True).stdout
        assert 'name="s" value="s1"' in dom and "Statistics Report" in dom, dom[:500]
        print("screenshot: %s (%d bytes)" % (shot, len(png)))
    finally:
        p.stop()
        for s in servers:
            s.stop()
        shutil.rmtree(profile, ignore_errors=True)


class Devtools:
    """The DevTools protocol of a headless Chromium over its websocket (python3-websocket)."""

    def __init__(self, profile):
        self.proc = subprocess.Popen(browser_args(profile) + ["--remote-debugging-port=0", "about:blank"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = os.path.join(profile, "DevToolsActivePort")
        wait_for(lambda: os.path.exists(port_file) and open(port_file).read().count("\n") >= 1, 60,
                 "chromium's DevTools port")
        port = int(open(port_file).read().split("\n")[0])
        targets = json.loads(urllib.request.urlopen("http://127.0.0.1:%d/json" % port, timeout=10).read())
        page = [t for t in targets if t["type"] == "page"][0]
        import websocket
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=30)
        self.n = 0

    def call(self, method, **params):
        self.n += 1
        self.ws.send(json.dumps({"id": self.n, "method": method, "params": params}))
        while True:
            m = json.loads(self.ws.recv())
            if m.get("id") == self.n:
                return m.get("result", {})

    def eval(self, expr):
        r = self.call("Runtime.evaluate", expression=expr, returnByValue=True, awaitPromise=True)
        return r.get("result", {}).get("value")

    def close(self):
        self.ws.close()
        self.proc.terminate()
        self.proc.wait(timeout=20)


@test
def test_browser_maintenance_form():
    if not chromium():
        print("SKIP test_browser_maintenance_form: chromium is not installed (tools/install-deps)")
        return
    try:
        import websocket  # noqa: F401
    except ImportError:
        sys.path.append("/usr/lib/python3/dist-packages")  # Debian's python3-websocket, from another python3
    try:
        import websocket  # noqa: F401,F811
    except ImportError:
        print("SKIP test_browser_maintenance_form: python3-websocket is not installed (tools/install-deps)")
        return
    p, ports, servers = lbc_with_open_page()
    profile = tempfile.mkdtemp(prefix="lbc-chromium-")
    dt = None
    try:
        assert sorted(set(backends_hit(ports["fe"]))) == ["s1", "s2"]
        dt = Devtools(profile)
        url = "http://127.0.0.1:%d/" % ports["op"]
        dt.call("Page.navigate", url=url)
        wait_for(lambda: dt.eval("document.readyState") == "complete" and
                 dt.eval("!!document.querySelector('input[value=s1]')"), 30, "the stats page")
        # Check s1, choose "Set state to MAINT", press Apply: the browser posts the form.
        dt.eval("document.querySelector('input[name=s][value=s1]').click();"
                "var f = document.querySelector('input[value=s1]').form;"
                "f.querySelector('select[name=action]').value = 'maint';"
                "f.querySelector('input[type=submit]').click(); true")
        wait_for(lambda: (dt.eval("location.href") or "").endswith(";st=DONE") and
                 dt.eval("document.readyState") == "complete", 30, "the redirect after the POST")
        assert dt.eval("document.body.innerText.includes('Action processed successfully.')")
        row = dt.eval("document.querySelector('input[value=s1]').closest('tr').className")
        assert row == "maintain", row
        assert sorted(set(backends_hit(ports["fe"]))) == ["s2"]
    finally:
        if dt:
            dt.close()
        p.stop()
        for s in servers:
            s.stop()
        shutil.rmtree(profile, ignore_errors=True)


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--proxy", default="lbc run")
    ap.add_argument("--shots", default=".")
    ap.add_argument("--only", default="")
    ARGS = ap.parse_args()
    return run_tests(TESTS, ARGS.only)


if __name__ == "__main__":
    sys.exit(main())

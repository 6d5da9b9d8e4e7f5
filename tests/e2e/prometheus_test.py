#!/usr/bin/env python3
# `http-request use-service prometheus-exporter` (issue 12): lbc's exporter against haproxy 2.6's
# on the same configuration after the same traffic (every metric lbc exports is one haproxy exports,
# with the same HELP and TYPE lines and labels; states and configured values equal), then Debian's
# Prometheus scraping lbc: `up == 1` and a counter that moved, through its HTTP API, bounded in time.
# usage: prometheus_test.py [--proxy "CMD"] [--only NAME,...]
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
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
    server s1 127.0.0.1:{s1}
    server s2 127.0.0.1:{s2}
    server s3 127.0.0.1:{s3} disabled
frontend prom
    bind 127.0.0.1:{prom}
    http-request use-service prometheus-exporter if {{ path /metrics }}
"""


def get(port, path):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=10) as r:
            return r.status, r.headers.get("content-type"), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("content-type"), e.read().decode()


def start(cmd, servers):
    ports = {"fe": free_port(), "prom": free_port(), "s1": servers[0].port, "s2": servers[1].port,
             "s3": servers[2].port}
    p = Proxy(cmd, CONFIG.format(**ports), ports["prom"])
    wait_for(lambda: get(ports["fe"], "/")[0] == 200, 10, "the frontend")
    return p, ports


# Values compared as they are (the others are counters or times: compared for presence).
EXACT = re.compile(r"_(status|weight|uweight|active_servers|backup_servers|limit_sessions|current_queue|"
                   r"nbproc|relative_process_id)$")


def parse(text):
    meta, samples = {}, {}
    for ln in text.split("\n"):
        if ln.startswith("# HELP ") or ln.startswith("# TYPE "):
            name = ln.split(" ")[2]
            meta.setdefault(name, []).append(ln)
        elif ln:
            key, value = ln.rsplit(" ", 1)
            samples[key] = value
    return meta, samples


@test
def test_metrics_as_haproxy():
    if not os.path.exists(HAPROXY):
        raise AssertionError("%s is needed for this comparison" % HAPROXY)
    servers = [HttpBackend("s1"), HttpBackend("s2"), HttpBackend("s3")]
    got = {}
    try:
        for label, cmd in (("haproxy", HAPROXY + " -db -f"), ("lbc", ARGS.proxy)):
            p, ports = start(cmd, servers)
            try:
                for _ in range(5):
                    get(ports["fe"], "/")
                status, ctype, body = get(ports["prom"], "/metrics")
                scoped = get(ports["prom"], "/metrics?scope=backend")[2]
                got[label] = (status, ctype, parse(body), parse(scoped), get(ports["prom"], "/other")[0])
            finally:
                p.stop()
    finally:
        for s in servers:
            s.stop()
    h, lb = got["haproxy"], got["lbc"]
    assert lb[0] == h[0] == 200 and lb[1] == h[1], (lb[:2], h[:2])
    assert lb[4] == h[4], (lb[4], h[4])
    for i in (2, 3):
        hmeta, hs = h[i]
        lmeta, ls = lb[i]
        assert lmeta, "lbc exported nothing"
        for name, lines in lmeta.items():
            assert hmeta.get(name) == lines, "%s\nlbc:     %s\nhaproxy: %s" % (name, lines, hmeta.get(name))
        for key, v in ls.items():
            assert key in hs, "lbc's %s is not haproxy's" % key
            name = key.split("{")[0]
            if EXACT.search(name):
                assert v == hs[key], "%s: lbc %s, haproxy %s" % (key, v, hs[key])
        # Every sample of a metric lbc exports is there (no proxy or server missing).
        for key in hs:
            if key.split("{")[0] in lmeta:
                assert key in ls, "haproxy's %s is missing" % key
    # The counters moved the same way.
    k = 'haproxy_frontend_sessions_total{proxy="fe"}'
    assert lb[2][1][k] == h[2][1][k], (lb[2][1][k], h[2][1][k])


PROM_CONFIG = """
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: lbc
    metrics_path: /metrics
    static_configs:
      - targets: ['127.0.0.1:{prom}']
"""


def query(port, expr):
    url = "http://127.0.0.1:%d/api/v1/query?query=%s" % (port, urllib.parse.quote(expr))
    with urllib.request.urlopen(url, timeout=10) as r:
        res = json.loads(r.read())["data"]["result"]
    return [float(x["value"][1]) for x in res]


@test
def test_prometheus_scrapes_lbc():
    prom = shutil.which("prometheus")
    if not prom:
        print("SKIP test_prometheus_scrapes_lbc: Debian's prometheus is not installed (tools/install-deps)")
        return
    servers = [HttpBackend("s1"), HttpBackend("s2"), HttpBackend("s3")]
    p, ports = start(ARGS.proxy, servers)
    d = tempfile.mkdtemp(prefix="lbc-prom-")
    web = free_port()
    with open(os.path.join(d, "prometheus.yml"), "w") as f:
        f.write(PROM_CONFIG.format(**ports))
    pr = subprocess.Popen([prom, "--config.file=" + os.path.join(d, "prometheus.yml"),
                           "--storage.tsdb.path=" + os.path.join(d, "data"),
                           "--web.listen-address=127.0.0.1:%d" % web],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        def ready():
            if pr.poll() is not None:
                raise AssertionError("prometheus exited: %s" % pr.stderr.read()[-2000:])
            try:
                return urllib.request.urlopen("http://127.0.0.1:%d/-/ready" % web, timeout=2).status == 200
            except OSError:
                return False
        wait_for(ready, 60, "prometheus to be ready")
        wait_for(lambda: query(web, 'up{job="lbc"}') == [1.0], 60, "up == 1")
        expr = 'haproxy_frontend_sessions_total{proxy="fe"}'
        wait_for(lambda: query(web, expr), 30, "a first sample of %s" % expr)
        before = query(web, expr)[0]
        for _ in range(7):
            get(ports["fe"], "/")
        wait_for(lambda: query(web, expr)[0] >= before + 7, 30, "%s to move by 7" % expr)
        assert query(web, 'haproxy_server_status{proxy="be",server="s3",state="MAINT"}') == [1.0]
    finally:
        pr.terminate()
        try:
            pr.wait(timeout=20)
        except subprocess.TimeoutExpired:
            pr.kill()
        p.stop()
        for s in servers:
            s.stop()
        shutil.rmtree(d, ignore_errors=True)


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--proxy", default="lbc run")
    ap.add_argument("--only", default="")
    ARGS = ap.parse_args()
    return run_tests(TESTS, ARGS.only)


if __name__ == "__main__":
    sys.exit(main())

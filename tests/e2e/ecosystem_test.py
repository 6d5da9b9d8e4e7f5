#!/usr/bin/env python3
# Operators' tools against lbc's stats socket, unchanged Debian packages (issue 12):
# prometheus-haproxy-exporter --haproxy.scrape-uri=unix:<socket> exports lbc's metrics (the same
# metric names as for haproxy 2.6 on the same configuration) and Prometheus scrapes both it and
# lbc's native exporter (`up == 1`, a counter that moved); hatop, driven under tmux, shows the
# proxies (its screen is captured into the build directory). A tool not installed is skipped.
# usage: ecosystem_test.py [--proxy "CMD"] [--shots DIR] [--only NAME,...]
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
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
    stats socket {sock} level admin
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
frontend prom
    bind 127.0.0.1:{prom}
    http-request use-service prometheus-exporter if {{ path /metrics }}
"""


def get(port, path="/"):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


class Farm:
    """The proxy (lbc or haproxy) with its servers and stats socket."""

    def __init__(self, cmd):
        self.dir = tempfile.mkdtemp(prefix="lbc-eco-")
        self.servers = [HttpBackend("s1"), HttpBackend("s2")]
        self.ports = {"fe": free_port(), "prom": free_port(), "s1": self.servers[0].port,
                      "s2": self.servers[1].port, "sock": os.path.join(self.dir, "admin.sock")}
        self.sock = self.ports["sock"]
        self.proxy = Proxy(cmd, CONFIG.format(**self.ports), self.ports["fe"])
        wait_for(lambda: os.path.exists(self.sock), 10, "the stats socket")

    def stop(self):
        self.proxy.stop()
        for s in self.servers:
            s.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class Exporter:
    def __init__(self, sock):
        self.port = free_port()
        self.proc = subprocess.Popen(["prometheus-haproxy-exporter", "--haproxy.scrape-uri=unix:" + sock,
                                      "--web.listen-address=127.0.0.1:%d" % self.port],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def ready():
            try:
                return get(self.port, "/metrics")[0] == 200
            except OSError:
                return False
        wait_for(ready, 30, "prometheus-haproxy-exporter")

    def samples(self):
        out = {}
        for ln in get(self.port, "/metrics")[1].split("\n"):
            if ln.startswith("haproxy_") and " " in ln:
                k, v = ln.rsplit(" ", 1)
                out[k] = v
        return out

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=20)


def need(tool):
    if shutil.which(tool):
        return True
    print("SKIP: %s is not installed (tools/install-deps)" % tool)
    return False


@test
def test_haproxy_exporter_reads_lbc():
    if not need("prometheus-haproxy-exporter"):
        return
    got = {}
    for label, cmd in (("haproxy", HAPROXY + " -db -f"), ("lbc", ARGS.proxy)):
        if label == "haproxy" and not os.path.exists(HAPROXY):
            raise AssertionError("%s is needed for this comparison" % HAPROXY)
        farm = Farm(cmd)
        ex = None
        try:
            ex = Exporter(farm.sock)
            before = ex.samples()
            for _ in range(3):
                get(farm.ports["fe"])
            after = ex.samples()
            got[label] = (before, after)
        finally:
            if ex:
                ex.stop()
            farm.stop()
    before, after = got["lbc"]
    assert after.get("haproxy_up") == "1", after.get("haproxy_up")
    assert after.get("haproxy_exporter_csv_parse_failures_total") == "0"
    k = 'haproxy_frontend_sessions_total{frontend="fe"}'
    assert float(after[k]) >= float(before[k]) + 3, (before[k], after[k])
    assert after['haproxy_server_up{backend="be",server="s1"}'] == "1"
    def names(s):
        # the exporter's own build line and haproxy's version line carry the product's name
        return {re.sub(r"\{.*", "", k) for k in s if not k.startswith(("haproxy_exporter_build_info",
                                                                         "haproxy_version_info"))}
    assert names(after) == names(got["haproxy"][1]), names(after) ^ names(got["haproxy"][1])


PROM_CONFIG = """
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: exporter
    static_configs:
      - targets: ['127.0.0.1:{exporter}']
  - job_name: native
    static_configs:
      - targets: ['127.0.0.1:{prom}']
"""


def query(port, expr):
    url = "http://127.0.0.1:%d/api/v1/query?query=%s" % (port, urllib.parse.quote(expr))
    with urllib.request.urlopen(url, timeout=10) as r:
        return sorted(float(x["value"][1]) for x in json.loads(r.read())["data"]["result"])


@test
def test_prometheus_scrapes_exporter_and_native():
    if not need("prometheus-haproxy-exporter") or not need("prometheus"):
        return
    farm = Farm(ARGS.proxy)
    ex = pr = None
    d = tempfile.mkdtemp(prefix="lbc-prom-")
    try:
        ex = Exporter(farm.sock)
        web = free_port()
        with open(os.path.join(d, "prometheus.yml"), "w") as f:
            f.write(PROM_CONFIG.format(exporter=ex.port, prom=farm.ports["prom"]))
        pr = subprocess.Popen(["prometheus", "--config.file=" + os.path.join(d, "prometheus.yml"),
                               "--storage.tsdb.path=" + os.path.join(d, "data"),
                               "--web.listen-address=127.0.0.1:%d" % web],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        def ready():
            try:
                return get(web, "/-/ready")[0] == 200
            except OSError:
                return False
        wait_for(ready, 60, "prometheus to be ready")
        wait_for(lambda: query(web, "up") == [1.0, 1.0], 60, "up == 1 for both jobs")
        fe_ex = 'haproxy_frontend_sessions_total{job="exporter",frontend="fe"}'
        fe_nat = 'haproxy_frontend_sessions_total{job="native",proxy="fe"}'
        wait_for(lambda: query(web, fe_ex) and query(web, fe_nat), 30, "first samples")
        b_ex, b_nat = query(web, fe_ex)[0], query(web, fe_nat)[0]
        for _ in range(5):
            get(farm.ports["fe"])
        wait_for(lambda: query(web, fe_ex)[0] >= b_ex + 5 and query(web, fe_nat)[0] >= b_nat + 5, 30,
                 "both counters to move by 5")
    finally:
        if pr:
            pr.terminate()
            pr.wait(timeout=20)
        if ex:
            ex.stop()
        farm.stop()
        shutil.rmtree(d, ignore_errors=True)


@test
def test_hatop_shows_the_proxies():
    if not need("hatop") or not need("tmux"):
        return
    farm = Farm(ARGS.proxy)
    server = "lbc-hatop-%d" % os.getpid()
    tmux = ["tmux", "-L", server]
    try:
        get(farm.ports["fe"])
        subprocess.run(tmux + ["new-session", "-d", "-x", "160", "-y", "40", "hatop -s " + farm.sock], check=True)
        screen = {"text": ""}

        def shows():
            screen["text"] = subprocess.run(tmux + ["capture-pane", "-p"], capture_output=True,
                                            text=True).stdout
            return all(w in screen["text"] for w in (">>> fe", ">>> be", "s1", "s2", "BACKEND", "FRONTEND"))
        wait_for(shows, 30, "hatop to show the proxies")
        with open(os.path.join(ARGS.shots, "hatop_screen.txt"), "w") as f:
            f.write(screen["text"])
        assert re.search(r"BACKEND\s+2 UP", screen["text"]), screen["text"]
    finally:
        subprocess.run(tmux + ["kill-server"], capture_output=True)
        farm.stop()


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

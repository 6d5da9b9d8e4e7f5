"""The mode-http scenarios of tools/bench/run, driven by wrk (Debian's wrk 4) against lbc_testsrv
`http` backends. CPU per request is the proxy's utime+stime over the run divided by the requests wrk
completed (as in tcp.py)."""

import re
import resource
import subprocess

from benchlib.procs import _affinity
from tcp import Metric, _busy

_UNITS = {"us": 1.0, "ms": 1e3, "s": 1e6, "m": 60e6}


def _lat_us(text):
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    return float(m.group(1)) * _UNITS[m.group(2)] if m else None


def parse_wrk(out):
    """requests, seconds, p50/p99 µs and the error counts of `wrk --latency` output."""
    r = {}
    m = re.search(r"(\d+) requests in ([\d.]+)(\w+)", out)
    if m:
        r["requests"] = int(m.group(1))
        r["elapsed_s"] = _lat_us(m.group(2) + m.group(3)) / 1e6
    for pct, key in (("50", "latency_p50_us"), ("99", "latency_p99_us")):
        m = re.search(r"^\s+%s(?:\.000)?%%\s+(\S+)" % pct, out, re.M)
        if m:
            r[key] = _lat_us(m.group(1))
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    r["non2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    r["socket_errors"] = sum(map(int, m.groups())) if m else 0
    return r


class Http:
    warmup = True
    metrics = [
        Metric("req_per_s", "requests/s", "higher", "{:.0f}"),
        Metric("cpu_us_per_req", "proxy CPU µs per request", "lower", "{:.1f}"),
        Metric("busy_pct", "proxy CPU busy % of nbthread cores", "n/a", "{:.0f}"),
        Metric("load_cpu_us_per_req", "wrk + backend CPU µs per request", "n/a", "{:.1f}"),
        Metric("latency_p50_us", "latency p50 µs", "lower", "{:.0f}"),
        Metric("latency_p99_us", "latency p99 µs", "lower", "{:.0f}"),
    ]

    def __init__(self, args, name, close=False, rules=0, track=False):
        self.name = name
        self.close = close
        self.rules = rules
        self.track = track
        self.connections = args.connections or 32
        what = "a new connection per request (Connection: close)" if close else "keep-alive"
        self.summary = f"GET / with a small response, {what}" + (
            f", {rules} use_backend rules walked per request" if rules else "") + (
            ", track-sc0 src + an http_req_rate check per request" if track else "")

    def backend_args(self):
        return ["http"]

    def loadgen_desc(self, threads):
        return (f"wrk -c {self.connections} -t {threads} --latency"
                + (" -H 'Connection: close'" if self.close else ""))

    def wrk_cmd(self, ctx, proxy, duration):
        """The wrk command line and its preexec_fn."""
        threads = max(1, min(ctx.loadgen_threads, self.connections))
        cmd = ["wrk", "-c", str(self.connections), "-t", str(threads), "-d", f"{max(1, round(duration))}s",
               "--latency", f"http://127.0.0.1:{proxy.port}/"]
        if self.close:
            cmd[1:1] = ["-H", "Connection: close"]
        return cmd, _affinity(ctx.other_cpus)

    def measure(self, ctx, proxy, duration):
        cmd, preexec = self.wrk_cmd(ctx, proxy, duration)
        cpu0, back0 = proxy.cpu(), ctx.backend.cpu()
        ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)  # only wrk is reaped during the call
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60, preexec_fn=preexec)
        ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu1, back1 = proxy.cpu(), ctx.backend.cpu()
        wrk_cpu = (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)
        load_cpu = wrk_cpu + back1 - back0
        r = parse_wrk(p.stdout)
        if p.returncode != 0 or not r.get("requests"):
            return {"ok": False, "error": f"wrk: exit {p.returncode}: {(p.stderr or p.stdout)[:300]}"}
        if r["non2xx"] or r["socket_errors"] > 0 and not self.close:
            return {"ok": False, "error": f"wrk: {r['non2xx']} non-2xx, {r['socket_errors']} socket errors"}
        return {"ok": True, "req_per_s": r["requests"] / r["elapsed_s"], "requests": r["requests"],
                "cpu_s": cpu1 - cpu0, "cpu_us_per_req": (cpu1 - cpu0) / r["requests"] * 1e6,
                "busy_pct": _busy(cpu1 - cpu0, r["elapsed_s"], ctx),
                "load_cpu_us_per_req": load_cpu / r["requests"] * 1e6,
                # in the --json file only: the two halves of the load side
                "wrk_cpu_us_per_req": wrk_cpu / r["requests"] * 1e6,
                "backend_cpu_us_per_req": (back1 - back0) / r["requests"] * 1e6,
                "latency_p50_us": r.get("latency_p50_us"), "latency_p99_us": r.get("latency_p99_us"),
                "socket_errors": r["socket_errors"]}


SCENARIOS = {
    "http-ka": lambda a: Http(a, "http-ka"),
    "http-close": lambda a: Http(a, "http-close", close=True),
    "http-track": lambda a: Http(a, "http-track", track=True),
}
for _n in (1, 100, 1000, 10000):
    SCENARIOS[f"http-rules-{_n}"] = (lambda n: lambda a: Http(a, f"http-rules-{n}", rules=n))(_n)

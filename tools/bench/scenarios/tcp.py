"""The mode-tcp scenarios of tools/bench/run. Each says which backend to start, how to load one proxy
run, and which figures it yields; the driver does the alternation, the medians and the table.

CPU per request is the proxy's utime+stime (/proc/PID/stat, all its threads) over the run divided by
the work done: steadier than wall-clock rates on a shared machine."""

import subprocess
from dataclasses import dataclass

from benchlib.procs import run_loadgen, start_loadgen


# The load generator connects from 127.0.0.1..127.0.0.8 in turn: towards the proxy's one address and
# port, a single source address gets only ~14,000 new ports per second (see BACKEND_HOSTS in config.py).
LOADGEN_SOURCES = 8


@dataclass
class Metric:
    key: str
    label: str
    better: str  # "higher" or "lower"
    spec: str  # format of one value


def _failed(code, results, stderr, what):
    if not results:
        return f"{what}: no result (exit {code}): {stderr[:300]}"
    r = results[-1]
    if code != 0 or r.get("errors", 0):
        return f"{what}: exit {code}, errors {r.get('error_kinds')}: {stderr[:300]}"
    return None


def _busy(cpu_s, wall_s, ctx):
    """How much of its nbthread cores the proxy used: near 100 means the proxy was the bottleneck; well
    below means the load generator or the backend was (the proxy's rate is then a lower bound)."""
    return cpu_s / wall_s / ctx.args.threads * 100 if wall_s else None


class TcpConn:
    name = "tcp-conn"
    summary = "a new connection per small echo exchange (connect, send, read the echo, close)"
    warmup = True
    metrics = [
        Metric("conn_per_s", "connections/s", "higher", "{:.0f}"),
        Metric("cpu_us_per_conn", "proxy CPU µs per connection", "lower", "{:.1f}"),
        Metric("busy_pct", "proxy CPU busy % of nbthread cores", "n/a", "{:.0f}"),
        Metric("load_cpu_us_per_conn", "load generator + backend CPU µs per connection", "n/a", "{:.1f}"),
        Metric("latency_p50_us", "latency p50 µs", "lower", "{:.0f}"),
        Metric("latency_p99_us", "latency p99 µs", "lower", "{:.0f}"),
    ]

    def __init__(self, args):
        self.concurrency = args.concurrency or 32
        self.message = args.message_size or 64

    def backend_args(self):
        return ["echo"]

    def loadgen_desc(self, threads):
        return (f"lbc_loadgen conn --concurrency {self.concurrency} --message-size {self.message} "
                f"--sources {LOADGEN_SOURCES}, {threads} thread(s)")

    def measure(self, ctx, proxy, duration):
        cmd = [ctx.loadgen, "conn", "--target", f"127.0.0.1:{proxy.port}", "--duration", str(duration),
               "--threads", str(ctx.loadgen_threads), "--concurrency", str(self.concurrency),
               "--message-size", str(self.message), "--sources", str(LOADGEN_SOURCES)]
        cpu0, back0 = proxy.cpu(), ctx.backend.cpu()
        code, results, stderr, lg_cpu = run_loadgen(cmd, ctx.other_cpus, duration + 60)
        cpu1, back1 = proxy.cpu(), ctx.backend.cpu()
        err = _failed(code, results, stderr, "lbc_loadgen conn")
        if err:
            return {"ok": False, "error": err}
        r = results[-1]
        return {"ok": True, "conn_per_s": r["conn_per_s"], "connections": r["connections"],
                "cpu_s": cpu1 - cpu0, "cpu_us_per_conn": (cpu1 - cpu0) / r["connections"] * 1e6,
                "busy_pct": _busy(cpu1 - cpu0, r["elapsed_s"], ctx),
                "load_cpu_us_per_conn": (lg_cpu + back1 - back0) / r["connections"] * 1e6,
                "latency_p50_us": r["latency_p50_us"], "latency_p99_us": r["latency_p99_us"]}


class TcpStream:
    name = "tcp-stream"
    warmup = True
    metrics = [
        Metric("gbit_per_s", "throughput Gbit/s", "higher", "{:.2f}"),
        Metric("cpu_ms_per_gb", "proxy CPU ms per GB", "lower", "{:.1f}"),
        Metric("busy_pct", "proxy CPU busy % of nbthread cores", "n/a", "{:.0f}"),
        Metric("load_cpu_ms_per_gb", "load generator + backend CPU ms per GB", "n/a", "{:.1f}"),
    ]
    source_bytes = 128 << 20  # down: per connection, ~0.1 s at 10 Gbit/s, so the overrun is small

    def __init__(self, args):
        self.connections = args.connections or 4
        self.direction = args.direction
        self.summary = (f"bulk transfer over {self.connections} connections, "
                        + ("client to a sink (upload)" if self.direction == "up"
                           else f"source to client (download, {self.source_bytes >> 20} MiB per connection)")
                        + ", every byte count verified")

    def backend_args(self):
        return ["sink"] if self.direction == "up" else ["source", str(self.source_bytes)]

    def loadgen_desc(self, threads):
        return f"lbc_loadgen stream --direction {self.direction} --connections {self.connections}, {threads} thread(s)"

    def measure(self, ctx, proxy, duration):
        threads = min(ctx.loadgen_threads, self.connections)
        cmd = [ctx.loadgen, "stream", "--target", f"127.0.0.1:{proxy.port}", "--duration", str(duration),
               "--threads", str(threads), "--connections", str(self.connections),
               "--direction", self.direction]
        if self.direction == "down":
            cmd += ["--bytes", str(self.source_bytes)]
        cpu0, back0 = proxy.cpu(), ctx.backend.cpu()
        code, results, stderr, lg_cpu = run_loadgen(cmd, ctx.other_cpus, duration + 60)
        cpu1, back1 = proxy.cpu(), ctx.backend.cpu()
        err = _failed(code, results, stderr, "lbc_loadgen stream")
        if err:
            return {"ok": False, "error": err}
        r = results[-1]
        gb = r["bytes"] / 1e9
        return {"ok": True, "gbit_per_s": r["gbit_per_s"], "bytes": r["bytes"], "cpu_s": cpu1 - cpu0,
                "cpu_ms_per_gb": (cpu1 - cpu0) * 1000 / gb if gb else None,
                "busy_pct": _busy(cpu1 - cpu0, r["wall_s"], ctx),
                "load_cpu_ms_per_gb": (lg_cpu + back1 - back0) * 1000 / gb if gb else None}


class TcpIdle:
    name = "tcp-idle"
    warmup = False  # every run starts a fresh proxy and measures from its own baseline
    metrics = [
        Metric("rss_delta_kib", "proxy RSS growth KiB", "lower", "{:.0f}"),
        Metric("rss_per_conn_bytes", "proxy RSS bytes per connection", "lower", "{:.0f}"),
        Metric("cpu_us_per_conn", "proxy CPU µs per connection (establishing)", "lower", "{:.1f}"),
        Metric("rss_base_kib", "proxy RSS before connecting KiB", "lower", "{:.0f}"),
    ]

    def __init__(self, args):
        self.set_connections(args.connections or 10000)

    def set_connections(self, n):
        self.connections = n
        self.summary = (f"{self.connections} idle connections, each established through the proxy by one echo "
                        "exchange, then held; RSS = VmRSS while holding minus VmRSS before connecting")

    def backend_args(self):
        return ["echo"]

    def loadgen_desc(self, threads):
        return f"lbc_loadgen idle --connections {self.connections}, 1 thread"

    def measure(self, ctx, proxy, duration):
        import json
        cmd = [ctx.loadgen, "idle", "--target", f"127.0.0.1:{proxy.port}", "--connections",
               str(self.connections), "--timeout", "30", "--sources", str(LOADGEN_SOURCES)]
        base = proxy.rss()
        cpu0 = proxy.cpu()
        lg = start_loadgen(cmd, ctx.other_cpus)
        line = lg.stdout.readline()  # "established": the loadgen's own timeouts bound this wait
        held_rss = proxy.rss() if proxy.alive() else None
        cpu1 = proxy.cpu() if proxy.alive() else None
        try:
            # closing its stdin lets the loadgen verify the held connections and exit
            rest, stderr = lg.communicate(input="", timeout=120)
        except subprocess.TimeoutExpired:
            lg.kill()
            rest, stderr = lg.communicate()
        try:
            first = json.loads(line)
            last = json.loads(rest.strip().splitlines()[-1])
        except (ValueError, IndexError):
            return {"ok": False, "error": f"lbc_loadgen idle: no result (exit {lg.returncode}): {stderr[:300]}"}
        if lg.returncode != 0 or held_rss is None or first["connections"] != self.connections:
            return {"ok": False, "error": f"lbc_loadgen idle: exit {lg.returncode}, established "
                                          f"{first.get('connections')}, alive {last.get('alive')}, "
                                          f"errors {last.get('error_kinds')}: {stderr[:300]}"}
        delta = held_rss - base
        return {"ok": True, "rss_base_kib": base, "rss_held_kib": held_rss, "rss_delta_kib": delta,
                "rss_per_conn_bytes": delta * 1024 / self.connections, "cpu_s": cpu1 - cpu0,
                "cpu_us_per_conn": (cpu1 - cpu0) / self.connections * 1e6,
                "establish_s": first["establish_s"]}


SCENARIOS = {"tcp-conn": TcpConn, "tcp-stream": TcpStream, "tcp-idle": TcpIdle}

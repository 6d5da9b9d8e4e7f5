"""Medians, the side-by-side table and the machine description."""

import os
import platform
import statistics
import subprocess
import time


def median(values):
    return statistics.median(values) if values else None


def fmt(value, spec):
    return "n/a" if value is None else spec.format(value)


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def lscpu_field(name):
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    except OSError:
        return None
    for line in out.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == name:
            return value.strip()
    return None


def machine(haproxy):
    model = lscpu_field("Model name") or platform.processor() or "unknown CPU"
    cpus = lscpu_field("CPU(s)") or str(os.cpu_count())
    hypervisor = lscpu_field("Hypervisor vendor")
    try:
        hv = subprocess.run([haproxy, "-v"], capture_output=True, text=True).stdout.splitlines()[0]
    except (OSError, IndexError):
        hv = "haproxy version unknown"
    for cmd, pick in ((["wrk", "-v"], lambda out: out.split()[1] if out.startswith("wrk ") else None),
                      (["nginx", "-v"], lambda out: out.split("/", 1)[1].strip() if "/" in out else None)):
        try:
            p = subprocess.run(cmd, capture_output=True, text=True)
            version = pick((p.stdout + p.stderr).strip().splitlines()[0])
        except (OSError, IndexError):
            version = None
        if version:
            hv += f", {cmd[0]} {version}"
    load = " ".join(open("/proc/loadavg").read().split()[:3])
    virt = f", {hypervisor} guest" if hypervisor else ""
    return (f"{cpus} CPUs ({model}{virt}), Linux {platform.release()} {platform.machine()}, {hv}, "
            f"{time.strftime('%Y-%m-%d %H:%M %Z')}, load average {load}")


def table(metrics, results, proxies):
    """Markdown rows: metric, median per proxy, ratio lbc/haproxy."""
    rows = ["| metric | " + " | ".join(f"{p} median" for p in proxies) + " | lbc/haproxy |",
            "|---|" + "---:|" * (len(proxies) + 1)]
    for m in metrics:
        meds = {p: median([r[m.key] for r in results.get(p, []) if r.get("ok")]) for p in proxies}
        better = f" ({m.better} is better)" if m.better in ("higher", "lower") else ""
        rows.append(f"| {m.label}{better} | " +
                    " | ".join(fmt(meds[p], m.spec) for p in proxies) + " | " +
                    fmt(ratio(meds.get("lbc"), meds.get("haproxy")), "{:.2f}") + " |")
    return "\n".join(rows)


def counts_table(results, proxies):
    """Markdown rows of `--counts`: each kernel event's median count per request (or connection)."""
    events = sorted({e for p in proxies for r in results.get(p, []) for e in r.get("per_unit", {})})
    rows = ["| kernel events per request (proxy: perf stat; tcp: /proc/net, machine-wide) | " + " | ".join(proxies) + " |",
            "|---|" + "---:|" * len(proxies)]
    for e in events:
        meds = [median([r["per_unit"][e] for r in results.get(p, []) if e in r.get("per_unit", {})]) for p in proxies]
        rows.append(f"| {e} | " + " | ".join(fmt(m, "{:.2f}") for m in meds) + " |")
    return "\n".join(rows)

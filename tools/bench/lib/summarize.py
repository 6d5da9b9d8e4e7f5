#!/usr/bin/env python3
"""One markdown table from several `tools/bench/run ... --json FILE` results, for docs/benchmarks.md:
a row per figure (median of each proxy's valid runs, ratio lbc/haproxy), and the range of each.
Files of the same scenario (one command run in several sittings) are pooled: the median of all runs.
usage: summarize.py RESULT.json..."""

import json
import os
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "scenarios"))

from http import SCENARIOS as HTTP  # noqa: E402
from nginx import SCENARIOS as NGINX  # noqa: E402
from tcp import SCENARIOS as TCP  # noqa: E402

SCENARIOS = {**TCP, **HTTP, **NGINX}


class _Args:
    concurrency = message_size = connections = nginx_headers = nginx_keepalive_requests = None
    direction = "up"


def main():
    print("| scenario | figure | lbc | haproxy 2.6 | lbc/haproxy | lbc range | haproxy range |")
    print("|---|---|---:|---:|---:|---:|---:|")
    pooled = {}
    for path in sys.argv[1:]:
        data = json.load(open(path))
        key = (data["scenario"], data.get("direction", "up"))
        if key in pooled:
            for proxy, runs in data["results"].items():
                pooled[key]["results"].setdefault(proxy, []).extend(runs)
        else:
            pooled[key] = data
    for data in pooled.values():
        args = _Args()
        args.direction = data.get("direction", "up")
        scenario = SCENARIOS[data["scenario"]](args)
        name = data["scenario"] + (f" {args.direction}" if data["scenario"] == "tcp-stream" else "")
        for i, m in enumerate(scenario.metrics):
            cells = {}
            for proxy in ("lbc", "haproxy"):
                vals = [r[m.key] for r in data["results"].get(proxy, []) if r.get("ok") and r.get(m.key) is not None]
                med = statistics.median(vals) if vals else None
                rng = f"{m.spec.format(min(vals))}–{m.spec.format(max(vals))}" if vals else "–"
                cells[proxy] = (med, rng)
            lm, hm = cells["lbc"][0], cells["haproxy"][0]
            ratio = f"{lm / hm:.2f}" if lm is not None and hm else "–"
            better = f" ({m.better} is better)" if m.better in ("higher", "lower") else ""
            fmt = lambda v: "pending" if v is None else m.spec.format(v)  # noqa: E731
            print(f"| {name if i == 0 else ''} | {m.label}{better} | {fmt(lm)} | {fmt(hm)} | {ratio} | "
                  f"{cells['lbc'][1]} | {cells['haproxy'][1]} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

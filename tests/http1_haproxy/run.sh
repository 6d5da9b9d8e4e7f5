#!/usr/bin/env bash
# Differential check of lbc's HTTP/1 parser against haproxy 2.6: every raw request (and backend
# response) of corpus.txt goes through a real haproxy in front of a tiny backend, and through
# lbc_http1_probe; their verdicts (forward, or the status) must agree except for the deliberate
# differences of known_differences.txt (explained in README.md).
# usage: run.sh PROBE
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ $# -eq 1 ] || { echo "usage: $0 PROBE" >&2; exit 2; }
command -v haproxy >/dev/null || { echo "haproxy not installed" >&2; exit 1; }
exec python3 "$here/harness.py" "$here/corpus.txt" --probe "$1" --known "$here/known_differences.txt"

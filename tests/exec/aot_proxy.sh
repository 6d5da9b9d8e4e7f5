#!/usr/bin/env bash
# The e2e harness's proxy command for the AOT engine: `aot_proxy.sh LBC OUTDIR [RUN FLAGS...] CONFIG`
# builds CONFIG with `lbc build` into a standalone executable in OUTDIR and execs it with the
# flags `lbc run` would get, so the harness watches the built proxy's own process (pid, fds, RSS).
# OUTDIR keeps only the most recent executables, so repeated runs do not fill the disk.
set -euo pipefail
LBC=$1
OUT=$2
shift 2
cfg=${!#}
flags=("${@:1:$#-1}")
mkdir -p "$OUT"
ls -1t "$OUT" 2>/dev/null | tail -n +20 | while read -r old; do rm -f "$OUT/$old"; done
bin="$OUT/proxy-$(sha1sum "$cfg" | cut -c1-16)"
"$LBC" build "$cfg" -o "$bin" >&2
exec "$bin" "${flags[@]}"

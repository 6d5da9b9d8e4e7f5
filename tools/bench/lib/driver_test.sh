#!/usr/bin/env bash
# ctest bench_driver: tools/bench/run end to end with real haproxy, without depending on `lbc run`.
# Two stand-ins for lbc: one that runs haproxy on the same configuration (both columns and a ratio
# must appear, every run valid), one that exits 2 like a build without `lbc run` (haproxy alone is
# measured and the output says lbc is not available). Short runs; no figure is asserted.
# usage: driver_test.sh BUILD_DIR
set -u
BUILD=$1
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RUN="$HERE/../run"
HAPROXY=${HAPROXY:-/usr/sbin/haproxy}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/lbc-bench-driver.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
fail=0

cat > "$TMP/lbc-haproxy" <<EOS
#!/bin/sh
[ "\$1" = run ] || exit 2
exec "$HAPROXY" -db -f "\$2"
EOS
cat > "$TMP/lbc-missing" <<'EOS'
#!/bin/sh
echo "lbc: 'run' is not available yet in this version: only 'lbc check' is" >&2
exit 2
EOS
chmod +x "$TMP/lbc-haproxy" "$TMP/lbc-missing"

expect() {  # expect NAME FILE REGEX: the output must match
    if ! grep -Eq -- "$3" "$2"; then
        echo "FAIL: $1: no line matching /$3/ in:"; sed 's/^/    /' "$2"; fail=1
    fi
}

both() {  # both SCENARIO ARGS...: stand-in lbc = haproxy; all runs valid, both medians and a ratio
    local s=$1; shift
    if ! "$RUN" "$s" --build "$BUILD" --lbc "$TMP/lbc-haproxy" --runs 1 --no-warmup "$@" \
            >"$TMP/$s.out" 2>"$TMP/$s.err"; then
        echo "FAIL: $s with two proxies exited non-zero"; cat "$TMP/$s.out" "$TMP/$s.err"; fail=1
    fi
    expect "$s" "$TMP/$s.out" '^\| [^|]+ \| [0-9.]+ \| [0-9.]+ \| [0-9.]+ \|$'
}

both tcp-conn --duration 0.5
both tcp-stream --duration 0.5
both tcp-idle --connections 300
# nginx (its own instance in a temp dir) and wrk pinned with taskset: the scenario of standard tools
if command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; then
    both wrk-nginx --duration 1
    expect wrk-nginx "$TMP/wrk-nginx.out" '^\| wrk \+ backend CPU µs per request \| [0-9.]+ \| [0-9.]+ \|'
else
    echo "bench driver: nginx not installed, wrk-nginx skipped"
fi

if ! "$RUN" tcp-conn --build "$BUILD" --lbc "$TMP/lbc-missing" --runs 1 --duration 0.5 \
        >"$TMP/missing.out" 2>"$TMP/missing.err"; then
    echo "FAIL: an unavailable lbc must not fail the haproxy measurement"; cat "$TMP/missing.out" "$TMP/missing.err"
    fail=1
fi
expect missing "$TMP/missing.out" '^lbc: not available \(lbc run exited 2\)$'
expect missing "$TMP/missing.out" '^\| connections/s \(higher is better\) \| n/a \| [0-9]+ \| n/a \|$'

[ $fail = 0 ] && echo "bench driver: ok"
exit $fail

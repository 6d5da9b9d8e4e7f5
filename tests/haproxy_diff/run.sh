#!/usr/bin/env bash
# Differential test: compare lbc's verdict with haproxy's (`haproxy -c`) on every
# case in tests/haproxy_diff/cases/, and both with the case's `# expect:` line.
#
# usage: run.sh LBC_BINARY [HAPROXY_BINARY]
#
#   LBC_BINARY      run as `LBC_BINARY check CASE`; exit 0 = valid, 1 = invalid
#                   (2 is also read as invalid, mirroring haproxy's "no listener"
#                   exit code); anything else (panic, signal, timeout) is an error.
#   HAPROXY_BINARY  defaults to `haproxy` from PATH (the corpus was recorded with
#                   Debian's HAProxy 2.6). A missing haproxy is a failure, not a skip.
#
# Environment exported to both tools (the cases refer to these):
#   LBC_TEST_FILES  absolute path of tests/haproxy_diff/files
#   LBC_TEST_TMP    a scratch directory (pidfile / stats socket paths)
#   LBC_TEST_CERT   a throw-away self-signed cert+key PEM generated here
# Optional: HAPROXY_DIFF_TIMEOUT (seconds per tool run, default 60).
#
# Prints one line per failing case and, last, exactly one summary line:
#   haproxy-diff: N passed, M failed
# Exits non-zero if M > 0 or if fewer than 100 cases ran.
set -euo pipefail

MIN_CASES=100

usage() {
    echo "usage: $0 LBC_BINARY [HAPROXY_BINARY]" >&2
    exit 2
}
die() {
    echo "haproxy-diff: ERROR: $*" >&2
    exit 1
}

[[ $# -ge 1 && $# -le 2 ]] || usage
lbc_arg=$1
haproxy_arg=${2:-haproxy}

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
cases_dir=$here/cases
files_dir=$here/files

haproxy_bin=$(command -v -- "$haproxy_arg" 2>/dev/null) \
    || die "haproxy binary '$haproxy_arg' not found (install haproxy 2.6 or pass its path)"
[[ -x $haproxy_bin ]] || die "haproxy binary '$haproxy_bin' is not executable"
lbc_bin=$(command -v -- "$lbc_arg" 2>/dev/null) \
    || die "lbc binary '$lbc_arg' not found"
[[ -x $lbc_bin ]] || die "lbc binary '$lbc_bin' is not executable"
command -v openssl >/dev/null 2>&1 || die "openssl is required to generate the test certificate"
[[ -d $cases_dir ]] || die "cases directory '$cases_dir' not found"
[[ -d $files_dir ]] || die "files directory '$files_dir' not found"

workdir=$(mktemp -d "${TMPDIR:-/tmp}/haproxy-diff.XXXXXX")
cleanup() { rm -rf -- "$workdir"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Throw-away self-signed certificate (never committed).
mkdir -p -- "$workdir/tmp"
if ! openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 1 \
        -keyout "$workdir/key.pem" -out "$workdir/crt.pem" >"$workdir/openssl.log" 2>&1; then
    cat -- "$workdir/openssl.log" >&2
    die "openssl failed to generate the test certificate"
fi
cat -- "$workdir/crt.pem" "$workdir/key.pem" >"$workdir/cert.pem"

export LBC_TEST_FILES=$files_dir
export LBC_TEST_TMP=$workdir/tmp
export LBC_TEST_CERT=$workdir/cert.pem

timeout_secs=${HAPROXY_DIFF_TIMEOUT:-60}
runner=()
if command -v timeout >/dev/null 2>&1; then
    runner=(timeout -- "$timeout_secs")
fi

# run_tool OUTFILE CMD... -> prints the exit code. stdin is /dev/null and fd 99
# is closed so that `bind fd@99` cases are deterministic.
run_tool() {
    local out=$1 rc=0
    shift
    ${runner[@]+"${runner[@]}"} "$@" </dev/null >"$out" 2>&1 99>&- || rc=$?
    echo "$rc"
}

# First meaningful line of a tool's output (empty -> "(no output)").
first_line() {
    local line
    line=$(grep -m1 -v -e '^[[:space:]]*$' -e '^\[NOTICE\]' -- "$1" || true)
    line=${line//$'\r'/}
    [[ -n $line ]] || line="(no output)"
    printf '%s' "${line:0:300}"
}

# haproxy -q prints nothing, so for diagnostics re-run without -q and keep the
# first ALERT (or, failing that, the first WARNING / last line).
haproxy_diag() {
    local case=$1 out=$workdir/haproxy.diag line
    run_tool "$out" "$haproxy_bin" -c -f "$case" >/dev/null
    line=$(grep -m1 '^\[ALERT\]' -- "$out" || true)
    [[ -n $line ]] || line=$(grep -m1 '^\[WARNING\]' -- "$out" || true)
    [[ -n $line ]] || line=$(grep -v -e '^[[:space:]]*$' -- "$out" | tail -n1 || true)
    line=${line//"$case"/CASE}
    [[ -n $line ]] || line="(no output)"
    printf '%s' "${line:0:300}"
}

passed=0
failed=0
total=0

shopt -s nullglob
case_files=("$cases_dir"/*.cfg)
shopt -u nullglob

for case in "${case_files[@]}"; do
    total=$((total + 1))
    name=${case##*/}

    expect=$(sed -n '1s/^#[[:space:]]*expect:[[:space:]]*\([a-z]*\).*$/\1/p' -- "$case")
    if [[ $expect != valid && $expect != invalid ]]; then
        failed=$((failed + 1))
        echo "FAIL $name: first line is not '# expect: valid' or '# expect: invalid'"
        continue
    fi

    h_rc=$(run_tool "$workdir/haproxy.out" "$haproxy_bin" -c -q -f "$case")
    if [[ $h_rc == 0 ]]; then
        h_verdict=valid
    elif [[ $h_rc == 124 && ${#runner[@]} -gt 0 ]]; then
        h_verdict="error(timeout)"
    else
        h_verdict=invalid
    fi

    l_rc=$(run_tool "$workdir/lbc.out" "$lbc_bin" check "$case")
    case $l_rc in
        0) l_verdict=valid ;;
        1 | 2) l_verdict=invalid ;; # 2: haproxy's own "no listener" exit code
        124) l_verdict="error(timeout)" ;;
        *) l_verdict="error(exit $l_rc)" ;;
    esac

    if [[ $h_verdict == "$expect" && $l_verdict == "$expect" ]]; then
        passed=$((passed + 1))
        continue
    fi

    failed=$((failed + 1))
    problems=()
    [[ $h_verdict == "$expect" ]] || problems+=("haproxy!=expect")
    [[ $l_verdict == "$expect" ]] || problems+=("lbc!=expect")
    [[ $h_verdict == "$l_verdict" ]] || problems+=("lbc!=haproxy")
    h_line=$(haproxy_diag "$case")
    l_line=$(first_line "$workdir/lbc.out")
    echo "FAIL $name [${problems[*]}]: expect=$expect haproxy=$h_verdict(rc=$h_rc) lbc=$l_verdict | haproxy: $h_line | lbc: $l_line"
done

if ((total < MIN_CASES)); then
    echo "haproxy-diff: ERROR: only $total cases found in $cases_dir (need at least $MIN_CASES)" >&2
fi

echo "haproxy-diff: $passed passed, $failed failed"

if ((failed > 0 || total < MIN_CASES)); then
    exit 1
fi
exit 0

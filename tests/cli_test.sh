#!/usr/bin/env bash
# The command line: HAProxy's -c -f form, directories, exit codes, --strict, JSON on stdout.
set -uo pipefail
lbc=$1
here=$(cd "$(dirname "$0")/cli" && pwd)
pass=0 fail=0
check() {  # description expected-rc command...
  local what=$1 want=$2
  shift 2
  "$@" >/tmp/lbc-cli.out 2>/tmp/lbc-cli.err
  local rc=$?
  if [ "$rc" = "$want" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL $what: exit $rc, want $want"; cat /tmp/lbc-cli.err; fi
}
check "version" 0 "$lbc" --version
check "help" 0 "$lbc" help
check "no command" 2 "$lbc"
check "unknown command" 2 "$lbc" frobnicate
check "run refuses balance uri in mode http (exit 1, config line named)" 1 "$lbc" run "$here/run_refused.cfg"
check "-c -f DIR loads *.cfg in order" 0 "$lbc" -c -f "$here/dir"
check "-c -f FILE -f FILE" 0 "$lbc" -c -f "$here/dir/10-front.cfg" -f "$here/dir/20-back.cfg"
check "files in the other order: the backend misses the defaults' timeouts" 1 \
  "$lbc" check --strict "$here/dir/20-back.cfg" "$here/dir/10-front.cfg"
check "only the frontend: unknown backend" 1 "$lbc" -c -f "$here/dir/10-front.cfg"
check "warnings alone pass" 0 "$lbc" check "$here/warning.cfg"
check "--strict fails on warnings" 1 "$lbc" check --strict "$here/warning.cfg"
check "missing file" 1 "$lbc" check "$here/no-such.cfg"
"$lbc" check --format=json "$here/warning.cfg" 2>/dev/null | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["warnings"]==1, d' \
  && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL json on stdout"; }
"$lbc" -c -q -f "$here/dir" | grep -q . && { fail=$((fail + 1)); echo "FAIL -q prints"; } || pass=$((pass + 1))
# `lbc route` shows the reply HAProxy 2.6 would send: Set-Cookie bytes of redirect set-/clear-cookie.
routes() {  # description expected-line route-args...
  local what=$1 want=$2
  shift 2
  if "$lbc" route "$here/redirect_cookies.cfg" "$@" 2>&1 | grep -qxF -- "$want"; then pass=$((pass + 1)); else
    fail=$((fail + 1)); echo "FAIL $what: no line '$want'"; fi
}
routes "redirect set-cookie" "  Set-Cookie: SESS=1; path=/;" 'GET /a'
routes "redirect clear-cookie" "  Set-Cookie: SESS=; path=/; Max-Age=0;" 'GET /b'
routes "return without a body" "verdict: return (in http-request f) 201" 'GET /c'
echo "cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

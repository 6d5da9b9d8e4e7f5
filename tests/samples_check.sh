#!/usr/bin/env bash
# Every configuration in samples/ must pass `lbc check --strict` (no error, no warning).
set -uo pipefail
lbc=$1 dir=$2
# TLS samples read their certificate from LBC_SAMPLE_CERT: make a throwaway one.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 1 -keyout "$tmp/k.pem" -out "$tmp/c.pem" 2>/dev/null
cat "$tmp/c.pem" "$tmp/k.pem" > "$tmp/cert.pem"
export LBC_SAMPLE_CERT="$tmp/cert.pem"
pass=0 fail=0
for f in "$dir"/*.cfg; do
  if out=$("$lbc" check --strict "$f" 2>&1); then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    echo "FAIL $f"
    echo "$out" | sed 's/^/    /'
  fi
done
echo "samples: $pass passed, $fail failed"
[ "$pass" -gt 0 ] && [ "$fail" -eq 0 ]

#!/bin/bash
# The seeds' routing decisions through `lbc route`, under every engine this build has:
#   news content switching: path_beg /user, path_beg /profile, method POST -> APPLICATION, else CACHE
#   acl routing: hdr(Host) -i api.example.com -> api_backend, path_beg /static/ -> static_backend, else web_backend
#   aloha http2: redirect scheme https unless { ssl_fc }; ssl termination: code 301 if !{ ssl_fc }
set -u
LBC=$1
SAMPLES=$2
ENGINES=${LBC_ROUTE_ENGINES:-interp}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/key.pem" -out "$tmp/cert.pem" -days 1 -subj /CN=localhost \
  >/dev/null 2>&1 && cat "$tmp/key.pem" >> "$tmp/cert.pem"
export LBC_SAMPLE_CERT="$tmp/cert.pem"
fail=0
n=0
# expect ENGINE CFG 'EXPECTED LINE' route-args...
expect() {
  local engine=$1 cfg=$2 want=$3
  shift 3
  local out
  out=$("$LBC" route "$SAMPLES/$cfg" --engine="$engine" "$@" 2>&1)
  n=$((n + 1))
  if ! grep -qxF -- "$want" <<<"$out"; then
    echo "FAIL [$engine] lbc route $cfg $*: expected line '$want' in:"
    sed 's/^/    /' <<<"$out"
    fail=1
  fi
}
for e in $ENGINES; do
  news=news_content_switching.cfg
  expect "$e" $news 'backend: APPLICATION' 'GET /user/42'
  expect "$e" $news 'backend: APPLICATION' 'GET /user'
  expect "$e" $news 'backend: APPLICATION' 'GET /profile?id=3'
  expect "$e" $news 'backend: APPLICATION' 'POST /index.html'
  expect "$e" $news 'backend: CACHE' 'GET /index.html'
  expect "$e" $news 'backend: CACHE' 'post /x'    # method is case-sensitive
  expect "$e" $news 'backend: APPLICATION' 'GET /users'
  expect "$e" $news "  $SAMPLES/$news:24  public: use_backend APPLICATION" 'POST /'
  expect "$e" $news "  $SAMPLES/$news:25  public: default_backend CACHE" 'GET /'
  acl=acl_routing.cfg
  expect "$e" $acl 'backend: api_backend' 'GET /static/x.png' -H 'Host: api.example.com'
  expect "$e" $acl 'backend: api_backend' 'GET /' -H 'Host: API.Example.COM'
  expect "$e" $acl 'backend: static_backend' 'GET /static/x.png' -H 'Host: www.example.com'
  expect "$e" $acl 'backend: web_backend' 'GET /static' -H 'Host: www.example.com'
  expect "$e" $acl 'backend: web_backend' 'GET /' -H 'Host: api.example.com.evil'
  expect "$e" $acl 'backend: web_backend' 'GET /'
  h2=aloha_http2.cfg
  expect "$e" $h2 'verdict: redirect (in http-request www) 302' 'GET /a?b=1' -H 'Host: example.com'
  expect "$e" $h2 '  Location: https://example.com/a?b=1' 'GET /a?b=1' -H 'Host: example.com'
  expect "$e" $h2 'verdict: forward' 'GET /a' -H 'Host: example.com' --ssl
  tls=ssl_termination.cfg
  expect "$e" $tls 'verdict: redirect (in http-request https_frontend) 301' 'GET /x' -H 'Host: example.com'
  expect "$e" $tls '  Location: https://example.com/x' 'GET /x' -H 'Host: example.com'
  expect "$e" $tls 'verdict: forward' 'GET /x' -H 'Host: example.com' --ssl
done
# An unknown engine is an error, not a silent fallback.
if "$LBC" route "$SAMPLES/acl_routing.cfg" --engine=nope 'GET /' >/dev/null 2>&1; then
  echo "FAIL: --engine=nope accepted"
  fail=1
fi
[ $fail = 0 ] && echo "route_seeds: $n checks passed (engines: $ENGINES)"
exit $fail

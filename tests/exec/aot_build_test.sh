#!/usr/bin/env bash
# `lbc build` end to end: a standalone executable (runner main in place of the runtime's) that
# makes the routing decisions of the back-end issue's examples, links neither LLVM nor ANTLR, and
# the --emit kinds.
set -euo pipefail
LBC=$1
RUNNER=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cat >"$dir/route.cfg" <<'CFG'
defaults
  mode http
  timeout client 1s
  timeout server 1s
  timeout connect 1s
frontend fe
  bind :8080
  acl app path_beg /user
  acl app path_beg /profile
  acl app method POST
  http-request set-path /v2%[path] if { path_beg /old }
  use_backend api if { hdr(Host) -i api.example.com }
  use_backend APPLICATION if app
  use_backend static if { path_beg /static/ }
  default_backend CACHE
backend APPLICATION
  server s 127.0.0.1:1
backend CACHE
  server s 127.0.0.1:2
backend api
  server s 127.0.0.1:3
backend static
  server s 127.0.0.1:4
CFG
"$LBC" build "$dir/route.cfg" -o "$dir/route" --main="$RUNNER" --no-resolve
printf '%s\n' 'fe GET /user/1' 'fe POST /x' 'fe GET /x Host:API.example.com' 'fe GET /static/a' 'fe GET /x' \
  'fe GET /old/user' >"$dir/in"
"$dir/route" <"$dir/in" >"$dir/out"
cat >"$dir/want" <<'OUT'
hook=0 backend=APPLICATION uri=/user/1
hook=0 backend=APPLICATION uri=/x
hook=0 backend=api uri=/x
hook=0 backend=static uri=/static/a
hook=0 backend=CACHE uri=/x
hook=0 backend=CACHE uri=/v2/old/user
OUT
diff -u "$dir/want" "$dir/out"
if ldd "$dir/route" | grep -Ei 'llvm|antlr'; then
  echo "FAIL: the built executable depends on LLVM or ANTLR"
  exit 1
fi
for kind in obj asm llvm; do
  "$LBC" build "$dir/route.cfg" --emit=$kind -o "$dir/route.$kind" --no-resolve
  test -s "$dir/route.$kind"
done
file "$dir/route.obj" | grep -q 'ELF.*relocatable'
grep -q 'lbc_compiled_program' "$dir/route.asm"
grep -q '@lbc_compiled_program = ' "$dir/route.llvm"
# Rules codegen knows can never run are reported (sema reports the ones after an unconditional
# final rule; codegen adds conditions that are always false).
cat >"$dir/dead.cfg" <<'CFG'
defaults
  mode http
  timeout client 1s
  timeout server 1s
  timeout connect 1s
frontend fe
  bind :8080
  http-request deny if { always_false }
  use_backend b if { always_true }
  use_backend b if { path /x }
  default_backend b
backend b
  server s 127.0.0.1:1
CFG
"$LBC" build "$dir/dead.cfg" --emit=obj -o "$dir/dead.o" --no-resolve 2>"$dir/warn"
grep -q 'dead.cfg:8:3: warning: this rule can never run: its condition is always false' "$dir/warn"
grep -q "dead.cfg:10:.*warning: this 'use_backend' rule can never run: an earlier one always matches" "$dir/warn"
echo "aot_build: ok"

#!/usr/bin/env bash
# Golden diagnostics: for each tests/diag/cases/NAME.cfg, `lbc check` (run from the case
# directory, so paths print as NAME.cfg) must print exactly NAME.expected, whose last line is
# the exit status. A first line `# lbc-args: ...` adds options. UPDATE=1 rewrites the files.
set -uo pipefail
lbc=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/cases"
export LBC_TEST_FILES="$here/files"
pass=0 fail=0
for cfg in *.cfg; do
  name=${cfg%.cfg}
  args=$(sed -n '1s/^# lbc-args: //p' "$cfg")
  # shellcheck disable=SC2086
  # The files directory prints as ${LBC_TEST_FILES}, so the goldens hold in any checkout.
  actual=$("$lbc" check $args "$cfg" 2>&1 | sed "s|$LBC_TEST_FILES|\${LBC_TEST_FILES}|g"; echo "exit: ${PIPESTATUS[0]}")
  if [ "${UPDATE:-0}" = 1 ]; then
    printf '%s\n' "$actual" > "$name.expected"
  fi
  if [ -f "$name.expected" ] && [ "$actual" = "$(cat "$name.expected")" ]; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    echo "FAIL $cfg"
    diff -u "$name.expected" <(printf '%s\n' "$actual") | head -30 | sed 's/^/    /'
  fi
done
echo "diag-golden: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -ge 60 ]

#!/usr/bin/env bash
# Runs lbc_fuzz_config: first over every saved reproducer in tests/fuzz/regressions (each must
# now pass), then (unless SECONDS_TO_FUZZ is 0) as a coverage-guided fuzzer for that many
# seconds. Fails if any reproducer still fails or the fuzzer finds a crash, leak, UB, timeout
# or out-of-memory (libFuzzer exits non-zero).
#
# usage: run.sh FUZZER SOURCE_DIR WORK_DIR SECONDS_TO_FUZZ [extra libFuzzer flags...]
#
# Nothing is written to the source tree: new corpus entries go to WORK_DIR/corpus (listed first,
# the only directory libFuzzer writes to), crash artifacts to WORK_DIR/artifacts/. The seed
# directories (tests/haproxy_diff/cases, tests/diag/cases, samples, tests/fuzz/seeds) are
# read in place. The fuzzer runs in an empty WORK_DIR/cwd so relative file names in the
# configurations (errorfile, crt, -f ...) resolve to nothing. WORK_DIR/corpus is kept between
# runs (the corpus grows); delete WORK_DIR to start over.
set -uo pipefail

[ $# -ge 4 ] || { echo "usage: $0 FUZZER SOURCE_DIR WORK_DIR SECONDS [flags...]" >&2; exit 2; }
fuzzer=$(realpath "$1")
src=$(realpath "$2")
work=$3
secs=$4
shift 4

mkdir -p "$work/corpus" "$work/artifacts" "$work/cwd"
work=$(realpath "$work")
cd "$work/cwd" || exit 2

# halt_on_error: a UBSan report must fail the run, not scroll past.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:handle_abort=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"

status=0

# 1. Saved reproducers: given as files, libFuzzer runs each once and exits.
regressions=()
if [ -d "$src/tests/fuzz/regressions" ]; then
  while IFS= read -r -d '' f; do regressions+=("$f"); done \
    < <(find "$src/tests/fuzz/regressions" -type f ! -name 'README*' ! -name '.*' -print0 | sort -z)
fi
if [ ${#regressions[@]} -gt 0 ]; then
  echo "fuzz: replaying ${#regressions[@]} reproducer(s) from tests/fuzz/regressions"
  : > "$work/regressions.log"
  for f in "${regressions[@]}"; do
    # One process per file: libFuzzer stops at the first failing input of a list.
    if ! "$fuzzer" -timeout=10 -rss_limit_mb=2048 "$f" > "$work/regression.out" 2>&1; then
      echo "FAIL ${f#"$src"/}"
      grep -E 'ERROR: |runtime error|what\(\)|lbc fuzz:|^ +#[0-9]+ .* in (lbc|\(anonymous)' "$work/regression.out" \
        | head -8 | cut -c1-200 | sed 's/^/    /'
      status=1
    fi
    cat "$work/regression.out" >> "$work/regressions.log"
  done
  [ $status -eq 0 ] || echo "fuzz: saved reproducer(s) fail again (full log: $work/regressions.log)"
fi

# 2. Fuzzing.
if [ "$secs" != 0 ]; then
  seeds=()
  for d in "$src/tests/haproxy_diff/cases" "$src/tests/diag/cases" "$src/samples" "$src/tests/fuzz/seeds"; do
    [ -d "$d" ] && seeds+=("$d")
  done
  echo "fuzz: fuzzing for ${secs}s (corpus $work/corpus, artifacts $work/artifacts/)"
  "$fuzzer" "$work/corpus" "${seeds[@]}" \
    -dict="$src/tests/fuzz/config.dict" \
    -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$work/artifacts/" -print_final_stats=1 "$@" > "$work/fuzz.log" 2>&1
  rc=$?
  grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)|^stat::' "$work/fuzz.log" | tail -12
  if [ $rc -ne 0 ]; then
    tail -80 "$work/fuzz.log"
    echo "fuzz: libFuzzer exited $rc: see $work/fuzz.log; reproducers are in $work/artifacts/"
    echo "fuzz: minimize with: $fuzzer -minimize_crash=1 -runs=10000 -exact_artifact_path=OUT ARTIFACT"
    status=1
  fi
fi
exit $status

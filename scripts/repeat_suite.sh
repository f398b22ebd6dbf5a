#!/usr/bin/env bash
# Run the README's test command (./scripts/test.sh) N times in a row: the "several runs green" evidence.
#
#   ./scripts/repeat_suite.sh N [PYTEST ARGS]     e.g. ./scripts/repeat_suite.sh 5
#                                                      ./scripts/repeat_suite.sh 3 tests/hardening
#
# Prints one line per run (green/red, pytest's passed/failed/error/skipped counts, duration, the failed
# test ids) and a summary line; every run's full output is kept in test-artifacts/repeat-suite/<stamp>/.
# Exits 0 only when every run was green.
set -uo pipefail
cd "$(dirname "$0")/.."

if [[ $# -lt 1 || ! $1 =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: $0 N [PYTEST ARGS]   (N: how many runs, 1 or more)" >&2
  exit 2
fi
runs=$1
shift

logs="test-artifacts/repeat-suite/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$logs"

# The count of one outcome ("passed", "failed"...) in pytest's final summary line, 0 when absent.
count() {
  local summary=$1 outcome=$2
  grep -oE "[0-9]+ ${outcome}" <<<"$summary" | head -n1 | grep -oE '^[0-9]+' || echo 0
}

green=0
suite_started=$(date +%s)
for ((run = 1; run <= runs; run++)); do
  log="$logs/run-$run.log"
  started=$(date +%s)
  ./scripts/test.sh "$@" >"$log" 2>&1
  status=$?
  seconds=$(($(date +%s) - started))
  # pytest's last line: "==== 267 passed, 3 skipped, 1 warning in 480.12s (0:08:00) ====".
  summary=$(grep -E '^=+ [0-9]+ [a-z]+.* in [0-9.]+s' "$log" | tail -n1)
  passed=$(count "$summary" passed)
  failed=$(count "$summary" failed)
  errors=$(count "$summary" "errors?")
  skipped=$(count "$summary" skipped)
  failures=$(grep -E '^(FAILED|ERROR) ' "$log" | awk '{print $2}' | paste -sd' ' -)
  if [[ $status -eq 0 ]]; then
    verdict=green
    green=$((green + 1))
  elif [[ -z $summary ]]; then
    verdict="red (exit $status before pytest's summary: ruff, mypy or setup; see $log)"
  else
    verdict="red (exit $status)"
  fi
  printf 'run %d/%d: %s: %s passed, %s failed, %s errors, %s skipped in %d s%s\n' \
    "$run" "$runs" "$verdict" "$passed" "$failed" "$errors" "$skipped" "$seconds" \
    "${failures:+; failed: $failures}"
done
total=$(($(date +%s) - suite_started))
printf 'summary: %d of %d runs green, %d red, %d s in all; logs in %s\n' \
  "$green" "$runs" "$((runs - green))" "$total" "$logs"
[[ $green -eq $runs ]]

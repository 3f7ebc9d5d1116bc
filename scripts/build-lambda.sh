#!/usr/bin/env bash
# Builds the Lambda packages: dist/rolekeeper-<arch>.zip for arm64 and
# amd64, each holding `bootstrap` (runtime provided.al2023) with its exec
# bit. The build is reproducible: static (CGO_ENABLED=0), -trimpath, no
# build id, the commit's own VCS stamp (revision and commit time, which
# `rolekeeper version` prints), fixed zip timestamps; two builds of one commit give
# byte-identical zips (scripts/check-reproducible.sh proves it).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-dist}"
version="${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}"
mkdir -p "$out"
for arch in arm64 amd64; do
  mkdir -p "$out/$arch"
  CGO_ENABLED=0 GOOS=linux GOARCH="$arch" go build -trimpath -buildvcs=auto -tags lambda.norpc \
    -ldflags "-s -w -buildid= -X main.version=$version" -o "$out/$arch/bootstrap" ./cmd/rolekeeper
  go run ./scripts/lambdazip -o "$out/rolekeeper-$arch.zip" "$out/$arch/bootstrap"
  printf '%s: bootstrap %s bytes, zip %s bytes, sha256 %s\n' "$arch" \
    "$(stat -c %s "$out/$arch/bootstrap")" "$(stat -c %s "$out/rolekeeper-$arch.zip")" \
    "$(sha256sum "$out/rolekeeper-$arch.zip" | cut -d' ' -f1)"
done

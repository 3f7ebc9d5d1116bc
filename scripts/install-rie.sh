#!/usr/bin/env bash
# Installs the AWS Lambda Runtime Interface Emulator (a Go module) into
# $(go env GOPATH)/bin, where the Lambda tests find it. Built from source
# through the Go module proxy; nothing is downloaded into the repository.
set -euo pipefail
version=v0.0.0-20261030222936-bef5c4ba774d
bin="$(go env GOPATH)/bin/aws-lambda-rie"
if [ -x "$bin" ] && [ "$(cat "$bin.version" 2>/dev/null)" = "$version" ]; then
  echo "$bin"
  exit 0
fi
GOFLAGS=-buildvcs=false go install "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$version"
echo "$version" > "$bin.version"
echo "$bin"

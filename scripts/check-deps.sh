#!/usr/bin/env bash
# The engine knows nothing of AWS: `go list -deps` of the engine packages
# names no AWS package, and the pure ones (spec, state, plan, credentials)
# name no PostgreSQL driver either (plan quotes identifiers itself); the
# binary links no generated Secrets Manager, SSM or Lambda client. A design review that runs in CI.
set -euo pipefail
cd "$(dirname "$0")/.."
fail=0
for p in spec state catalog plan apply verify connect sandbox credentials; do
  if bad=$(go list -deps "./$p" | grep -E '^github.com/aws/'); then
    echo "check-deps: ./$p pulls in AWS packages:"; echo "$bad" | sed 's/^/  /'; fail=1
  fi
done
for p in spec state plan credentials; do
  if bad=$(go list -deps "./$p" | grep -E '^github.com/jackc/pgx'); then
    echo "check-deps: ./$p (pure) pulls in the PostgreSQL driver:"; echo "$bad" | sed 's/^/  /'; fail=1
  fi
done
# The generated AWS service clients are test-only (internal/awstest's
# conformance tests): the binary calls those APIs through package awscall,
# since linking them costs every process their initialisation (issue 14).
if bad=$(go list -deps ./cmd/rolekeeper | grep -E '^github.com/aws/aws-sdk-go-v2/service/(secretsmanager|ssm|lambda)(/|$)'); then
  echo "check-deps: ./cmd/rolekeeper links generated AWS service clients (test-only; use package awscall):"; echo "$bad" | sed 's/^/  /'; fail=1
fi
[ "$fail" = 0 ] && echo "check-deps: the engine packages import no AWS package; spec, state, plan and credentials no driver; the binary no generated SSM, Secrets Manager or Lambda client"
exit "$fail"

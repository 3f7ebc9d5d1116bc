#!/usr/bin/env bash
# The engine knows nothing of AWS: `go list -deps` of the engine packages
# names no AWS package, and the pure ones (spec, state, plan, credentials)
# name no PostgreSQL driver either (plan quotes identifiers itself). A design review that runs in CI.
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
[ "$fail" = 0 ] && echo "check-deps: the engine packages import no AWS package; spec, state, plan and credentials no driver"
exit "$fail"

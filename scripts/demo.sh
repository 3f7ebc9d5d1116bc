#!/usr/bin/env bash
# The quick start: start an RDS-shaped throwaway PostgreSQL, plan and apply
# examples/app.yaml, show that a second plan has nothing to do, prove the
# result by logging in as each user (check), then stop the server
# (rolekeeper sandbox removes it when the steps end).
set -euo pipefail
bin="${1:-bin/rolekeeper}"
spec="$(dirname "$0")/../examples/app.yaml"
exec "$bin" sandbox -- bash -c '
set -uo pipefail
bin="$1"; spec="$2"; secrets=$(mktemp -d); trap "rm -rf $secrets" EXIT
# Password users keep their secrets in a local directory here, as they
# would in Secrets Manager on AWS: every command below reads it.
export ROLEKEEPER_SECRETS_DIR="$secrets"
step() { printf "\n\033[1m\$ %s\033[0m\n" "$*"; }
echo "(secrets of password users are kept in a throwaway directory: ROLEKEEPER_SECRETS_DIR=$secrets)"
step rolekeeper plan -f examples/app.yaml
"$bin" plan -f "$spec"; code=$?
echo "(exit code $code: 2 means changes are pending)"
[ $code -eq 2 ] || exit 1
step rolekeeper apply -f examples/app.yaml
"$bin" apply -f "$spec" || exit 1
step rolekeeper plan -f examples/app.yaml
"$bin" plan -f "$spec"; code=$?
echo "(exit code $code: 0 means the database matches the spec)"
[ $code -eq 0 ] || exit 1
step rolekeeper check -f examples/app.yaml
"$bin" check -f "$spec" || exit 1
echo
echo "Demo done: the sandbox is stopped and removed."
' demo "$bin" "$spec"

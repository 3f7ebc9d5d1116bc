#!/usr/bin/env bash
# Checks the Terraform module: formatting always; where the AWS provider is
# on the machine (/opt/tf-plugins, or TF_PLUGIN_DIR), also init, validate
# (module and example) and `terraform test` with a mocked provider. Where
# it is absent, those steps are skipped, loudly: providers cannot be
# downloaded here.
set -euo pipefail
cd "$(dirname "$0")/../deploy/terraform"
export TF_CLI_CONFIG_FILE=/dev/null TF_IN_AUTOMATION=1
if ! command -v terraform >/dev/null; then
  echo "SKIPPED: terraform is not installed: no Terraform check ran" >&2
  exit 0
fi
terraform fmt -check -recursive -diff .
echo "terraform fmt: clean"
plugins="${TF_PLUGIN_DIR:-/opt/tf-plugins}"
if [ ! -d "$plugins/registry.terraform.io/hashicorp/aws" ]; then
  echo "SKIPPED: the AWS provider is not in $plugins: terraform validate and terraform test did not run" >&2
  exit 0
fi
for dir in . examples/complete examples/new-cluster; do
  ( cd "$dir" && terraform init -backend=false -input=false -no-color -plugin-dir="$plugins" >/dev/null && terraform validate -no-color )
done
terraform test -no-color

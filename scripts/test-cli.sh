#!/usr/bin/env bash
# make test-terraform-VERSION and make test-opentofu-VERSION: the acceptance
# tests (the examples' validation and the docs' snippets among them) and the
# module tests of examples/module-testing, under one Terraform or OpenTofu
# binary instead of the terraform on PATH.
#
# Usage: scripts/test-cli.sh CLI   CLI is a terraform or tofu binary: its path,
# or its name on PATH.
set -euo pipefail
cli=$(command -v "$1") || { echo "test-cli: no $1 on PATH" >&2; exit 1; }
cli=$(realpath "$cli")
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
work="$root/build/test-cli"
mkdir -p "$work"

# A CLI configuration file that exists, for every run: OpenTofu 1.12 prints
# its warning about a missing one (TF_CLI_CONFIG_FILE=~/.terraformrc on a
# machine without that file) on stdout, where terraform-exec reads the version.
: >"$work/empty.tfrc"
export TF_CLI_CONFIG_FILE="$work/empty.tfrc" CHECKPOINT_DISABLE=1

version=$("$cli" version -json | sed -n 's/^[[:space:]]*"terraform_version": "\(.*\)",\{0,1\}$/\1/p')
[ -n "$version" ] || { "$cli" version >&2; echo "test-cli: $cli did not say its version" >&2; exit 1; }
case $(basename "$cli") in
tofu*) name=OpenTofu host=registry.opentofu.org ;;
*) name=Terraform host=registry.terraform.io ;;
esac

# at_least A B: version A is B or newer.
at_least() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n 1)" = "$2" ]; }

skip=()
# examples/module-testing needs terraform test's mock_provider (Terraform
# 1.7; every OpenTofu release since the fork has it) and says so in its
# required_version, which validate checks.
module_tests=yes
if [ "$name" = Terraform ] && ! at_least "$version" 1.7.0; then
  module_tests=no
  skip=(-skip '^TestExamples_validate$/^module-testing$')
  echo "test-cli: SKIPPING under $name $version the validation and the tests of examples/module-testing: they need Terraform 1.7 or later (mock_provider in terraform test)"
fi

echo "==> $name $version: acceptance tests, examples' validation, docs' snippets"
TF_ACC=1 TF_ACC_TERRAFORM_PATH="$cli" TF_ACC_PROVIDER_HOST="$host" \
  go test -count=1 -timeout "${GO_TEST_TIMEOUT:-20m}" "${skip[@]}" ./internal/provider

if [ "$module_tests" = yes ]; then
  bash "$root/scripts/module-test.sh" "$cli"
fi

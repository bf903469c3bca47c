#!/usr/bin/env bash
# make module-test (terraform) and make test-opentofu (tofu): runs the tests of
# examples/module-testing with `<cli> test` against the local Atlas sandbox,
# loaded with the example's fixtures.
#
# Usage: scripts/module-test.sh [CLI]   CLI is terraform (default) or a tofu binary.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib.sh
source "$root/scripts/lib.sh"
cli=${1:-terraform}
module="$root/examples/module-testing"
build="$root/build"
work="$build/module-test"
mkdir -p "$build/bin" "$work"

command -v "$cli" >/dev/null || { echo "module-test: $cli is not on PATH" >&2; exit 1; }

echo "==> building the provider and the sandbox"
go build -o "$build/bin/terraform-provider-atlasexports" "$root"
go build -o "$build/bin/atlas-sandbox" "$root/cmd/atlas-sandbox"

echo "==> starting the Atlas sandbox with examples/module-testing/tests/fixtures.json"
start_sandbox "$build/bin/atlas-sandbox" "$work/sandbox.env" "$work/sandbox.log" -fixtures "$module/tests/fixtures.json"
use_dev_overrides "$work/dev.tfrc" "$build/bin"
use_sandbox_credentials "$work/sandbox.env"
export TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1

echo "==> $("$cli" version | head -n 1) test (examples/module-testing)"
"$cli" -chdir="$module" test -no-color

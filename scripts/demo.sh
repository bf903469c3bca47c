#!/usr/bin/env bash
# make demo: the provider against the local Atlas sandbox, end to end.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build"
# shellcheck source=scripts/lib.sh
source "$root/scripts/lib.sh"
mkdir -p "$build/bin" "$build/demo"

command -v terraform >/dev/null || { echo "make demo needs the terraform CLI on PATH" >&2; exit 1; }

echo "==> building the provider and the sandbox"
go build -o "$build/bin/terraform-provider-atlasexports" "$root"
go build -o "$build/bin/atlas-sandbox" "$root/cmd/atlas-sandbox"

echo "==> starting the Atlas sandbox"
start_sandbox "$build/bin/atlas-sandbox" "$build/sandbox.env" "$build/sandbox.log"
cat "$build/sandbox.log"

# A CLI config of our own, so that the user's ~/.terraformrc is never touched,
# and the sandbox's own credentials: anything else in the environment must not
# leak into the demo.
use_dev_overrides "$build/dev.tfrc" "$build/bin"
export TF_IN_AUTOMATION=1
use_sandbox_credentials "$build/sandbox.env"

rm -f "$build"/demo/*.tf
cp "$root"/examples/quickstart/*.tf "$build/demo/"
echo "==> terraform apply (examples/quickstart), log in build/demo/apply.log"
if ! terraform -chdir="$build/demo" apply -auto-approve -input=false -no-color \
  -var 'project_id=64b7e2f0c1d2a3b4c5d6e7f8' \
  -var 'cluster_names=["docs-replica-set","docs-sharded","generated","bucket-kinds"]' >"$build/demo/apply.log" 2>&1; then
  cat "$build/demo/apply.log" >&2
  exit 1
fi
grep -E '^Apply complete' "$build/demo/apply.log"
echo "==> outputs: export prefixes and URIs of the sandbox's clusters (bucket-kinds: one export per cloud, and one whose bucket is gone)"
terraform -chdir="$build/demo" output -no-color

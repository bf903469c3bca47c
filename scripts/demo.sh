#!/usr/bin/env bash
# make demo: the provider against the local Atlas sandbox, end to end.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build"
mkdir -p "$build/bin" "$build/demo"

command -v terraform >/dev/null || { echo "make demo needs the terraform CLI on PATH" >&2; exit 1; }

echo "==> building the provider and the sandbox"
go build -o "$build/bin/terraform-provider-atlasexports" "$root"
go build -o "$build/bin/atlas-sandbox" "$root/cmd/atlas-sandbox"

echo "==> starting the Atlas sandbox"
rm -f "$build/sandbox.env"
"$build/bin/atlas-sandbox" -env-file "$build/sandbox.env" >"$build/sandbox.log" 2>&1 &
sandbox_pid=$!
trap 'kill "$sandbox_pid" 2>/dev/null || true; wait "$sandbox_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  [ -s "$build/sandbox.env" ] && break
  kill -0 "$sandbox_pid" 2>/dev/null || { cat "$build/sandbox.log" >&2; echo "the sandbox did not start" >&2; exit 1; }
  sleep 0.1
done
[ -s "$build/sandbox.env" ] || { echo "the sandbox did not start within 10s" >&2; exit 1; }
cat "$build/sandbox.log"

# A CLI config of our own, so that the user's ~/.terraformrc is never touched.
cat >"$build/dev.tfrc" <<TFRC
provider_installation {
  dev_overrides {
    "registry.terraform.io/atlasexports/atlasexports" = "$build/bin"
  }
  direct {}
}
TFRC
export TF_CLI_CONFIG_FILE="$build/dev.tfrc"
export TF_IN_AUTOMATION=1

# The sandbox's own credentials; anything else in the environment must not
# leak into the demo.
unset MONGODB_ATLAS_PUBLIC_API_KEY MONGODB_ATLAS_PRIVATE_API_KEY MONGODB_ATLAS_CLIENT_ID MONGODB_ATLAS_CLIENT_SECRET
# shellcheck disable=SC1091
source "$build/sandbox.env"

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

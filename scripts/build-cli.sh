#!/usr/bin/env bash
# Builds Terraform or OpenTofu from its Go module at a release tag, for the
# version matrix of make test-compat (GNUmakefile pins the versions).
#
# Usage: scripts/build-cli.sh terraform|opentofu VERSION OUTPUT
#
# `go install MODULE@VERSION` refuses a module with replace directives
# (OpenTofu has one; Terraform 1.15 and later have ten), so each is built with
# go build in the module's folder: in a writable copy, since the module cache
# is read-only and Terraform's needs the change below (OpenTofu's would build
# in place; one way for both is simpler, and the copy takes a second).
#
# Terraform 1.15 and later: go.mod replaces nine remote-state backends
# (azure, consul, cos, gcs, kubernetes, oci, oss, pg, s3) and internal/legacy
# with folders of the repository that the module zip leaves out (they are
# modules of their own) and that the module proxy does not serve. Those
# backends are left out of internal/backend/init/init.go, the one file that
# imports them; the local backend, which the tests use, stays. Any other
# import of a missing folder fails the build, with the go command's message.
set -euo pipefail
name=$1 version=${2#v} out=$3
case $name in
terraform) module=github.com/hashicorp/terraform pkg=. ;;
opentofu) module=github.com/opentofu/opentofu pkg=./cmd/tofu ;;
*) echo "build-cli: unknown CLI $name (terraform or opentofu)" >&2; exit 2 ;;
esac

json=$(go mod download -json "$module@v$version") || { echo "$json" >&2; echo "build-cli: go mod download $module@v$version failed" >&2; exit 1; }
dir=$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p' <<<"$json")
[ -n "$dir" ] || { echo "$json" >&2; echo "build-cli: go mod download $module@v$version gave no folder" >&2; exit 1; }

work=$(mktemp -d)
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
cp -R "$dir" "$work/src"
chmod -R u+w "$work/src"

if [ "$name" = terraform ]; then
  init="$work/src/internal/backend/init/init.go"
  # "replace MODULE => ./FOLDER" lines whose folder is not in the module zip.
  sed -n 's/^replace \([^ ]*\) => \(\.\/[^ ]*\)$/\1 \2/p' "$work/src/go.mod" | while read -r path folder; do
    [ -d "$work/src/$folder" ] && continue
    # The import of the missing module names it with an alias
    # (backendS3 "github.com/.../remote-state/s3"): drop that line and the
    # map entry that calls alias.New().
    alias=$(sed -n "s|^[[:space:]]*\([A-Za-z0-9_]*\) \"$path\"\$|\1|p" "$init")
    [ -n "$alias" ] || continue
    echo "build-cli: leaving out $path ($folder is not in the module zip)"
    sed -i -e "\|\"$path\"\$|d" -e "/[[:space:]]$alias\.New(/d" "$init"
  done
fi

echo "build-cli: building $name $version from $module@v$version"
# dev=no: the release build's flag, without which the version says -dev
# (a no-op for versions that do not have it).
go -C "$work/src" build -trimpath -ldflags "-s -w -X $module/version.dev=no" -o "$(realpath -m "$out")" "$pkg"
TF_CLI_CONFIG_FILE=/dev/null "$out" version | head -n 1

#!/usr/bin/env bash
# Checks that `go run MODULE/cmd/atlas-sandbox@VERSION` works for someone who
# has only Go: the committed tree (HEAD) is served as a test version by
# a module proxy in a temporary directory (the file:// layout of
# https://go.dev/ref/mod#goproxy-protocol), then run from an empty directory.
# It fails when go.mod has a replace or exclude directive (go run @version
# refuses those) or the command needs a file outside the module. Network:
# none beyond the module cache and GOPROXY for the dependencies.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
module=github.com/atlasexports/terraform-provider-atlasexports
# A version of its own for each commit: the go command indexes a module
# version's files once (the module index in GOCACHE) and trusts the index
# ever after, as versions are immutable, so a tree served again under one
# version would be built from the files of the first.
version=v0.0.0-check.g$(git -C "$root" rev-parse --short=12 HEAD)
work=$(mktemp -d)
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT

proxy="$work/proxy/$module/@v"
mkdir -p "$proxy" "$work/empty"
# A module zip holds module@version/ and the module's files, but not those
# of the modules nested in it (tools/lint, tools/release have their own go.mod).
nested=$(git -C "$root" ls-files '*/go.mod' | xargs -r -n1 dirname | sed 's|^|:(exclude)|;s|$|/|')
# shellcheck disable=SC2086 # one pathspec a word
git -C "$root" archive --format=zip --prefix="$module@$version/" -o "$proxy/$version.zip" HEAD -- . $nested
git -C "$root" show HEAD:go.mod >"$proxy/$version.mod"
printf '{"Version":"%s","Time":"%s"}\n' "$version" "$(git -C "$root" log -1 --format=%cI HEAD)" >"$proxy/$version.info"
echo "$version" >"$proxy/list"

export GOPROXY="file://$work/proxy,$(go env GOPROXY)"
# The test version is in no checksum database.
export GONOSUMDB="$module"
# A module cache of its own would download every dependency again; the
# test version is removed from the shared cache when done.
cleanup_cache() { chmod -R u+w "$(go env GOMODCACHE)/$module@$version" 2>/dev/null || true; rm -rf "$(go env GOMODCACHE)/$module@$version" "$(go env GOMODCACHE)/cache/download/$module/@v/$version".* "$(go env GOMODCACHE)/cache/download/$module/@v/list"; }
cleanup_cache
trap 'cleanup_cache; chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT

cd "$work/empty"
out=$(go run "$module/cmd/atlas-sandbox@$version" -h 2>&1) || status=$?
# -h prints the usage (which names -fixtures) and exits 0.
if [ "${status:-0}" -ne 0 ] || ! grep -q -- '-fixtures' <<<"$out"; then
  echo "$out" >&2
  echo "check-go-run: go run $module/cmd/atlas-sandbox@$version did not print the usage (status ${status:-0})" >&2
  exit 1
fi
echo "check-go-run: go run $module/cmd/atlas-sandbox@$version works (the committed tree, from an empty directory)"

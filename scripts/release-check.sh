#!/usr/bin/env bash
# make release-check: builds a snapshot release with goreleaser (the
# .goreleaser.yml of a real release, nothing published) into build/dist, and
# checks that it holds what the Terraform Registry needs, and the sandbox's
# archives:
#  - a zip per platform the Compatibility section of README.md lists, and no
#    other: terraform-provider-atlasexports_VERSION_OS_ARCH.zip, holding the
#    binary terraform-provider-atlasexports_vVERSION (.exe on Windows) and
#    LICENSE, and nothing else;
#  - terraform-provider-atlasexports_VERSION_manifest.json, uploaded by the
#    release from terraform-registry-manifest.json, which says protocol 6.0;
#  - terraform-provider-atlasexports_VERSION_SHA256SUMS, listing every zip and
#    the manifest, and nothing else, with their right hashes;
#  - its detached signature, _SHA256SUMS.sig, valid for the signing key;
#  - atlas-sandbox_VERSION_OS_ARCH.tar.gz (.zip on Windows) for each platform
#    below, holding the atlas-sandbox binary and LICENSE, each with a .sha256
#    file that sha256sum -c accepts.
#
# A release signs SHA256SUMS with the key registered with the Registry
# (GPG_FINGERPRINT). Here a throwaway key, made for this run in a temporary
# GNUPGHOME and deleted after it, signs instead: goreleaser's signing step
# also writes the sandbox's .sha256 files, so it runs as in a release, and
# the signature is checked.
#
# Usage: scripts/release-check.sh GORELEASER
set -euo pipefail
goreleaser=$(realpath "$1")
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
name=terraform-provider-atlasexports
# The machines a module's tests run on (.goreleaser.yml, build atlas-sandbox).
sandbox_platforms="darwin_amd64 darwin_arm64 linux_amd64 linux_arm64 windows_amd64 windows_arm64"

for tool in gpg jq unzip sha256sum tar; do
  command -v "$tool" >/dev/null || { echo "release-check: needs $tool on PATH" >&2; exit 1; }
done

GNUPGHOME=$(mktemp -d /tmp/release-check-gpg.XXXXXX)
export GNUPGHOME
cleanup() {
  gpgconf --kill gpg-agent 2>/dev/null || true
  rm -rf "$GNUPGHOME"
}
trap cleanup EXIT
echo "==> a throwaway signing key in $GNUPGHOME"
gpg --batch --quiet --passphrase '' --quick-gen-key "atlasexports release-check <release-check@invalid>" rsa4096 sign 1d
GPG_FINGERPRINT=$(gpg --batch --with-colons --list-secret-keys | awk -F: '/^fpr:/ { print $10; exit }')
export GPG_FINGERPRINT

echo "==> goreleaser release --snapshot --clean"
"$goreleaser" release --snapshot --clean

dist=$root/build/dist
version=$(jq -r .version "$dist/metadata.json")
[ -n "$version" ] && [ "$version" != null ] || { echo "release-check: $dist/metadata.json names no version" >&2; exit 1; }
echo "==> checking the release $version in $dist"

status=0
fail() { echo "release-check: $*" >&2; status=1; }

# The platforms the docs promise, from README.md's Compatibility section
# (make compat-table-check keeps the provider page's list the same).
platforms=$(awk '/^## /{on = ($0 == "## Compatibility")} on' README.md |
  grep -oE '`(aix|android|darwin|dragonfly|freebsd|illumos|linux|netbsd|openbsd|plan9|solaris|windows)_[a-z0-9]+`' | tr -d '`' | sort -u)
[ -n "$platforms" ] || fail "README.md's Compatibility section lists no platform"

cd "$dist"
want_sums=""
for p in $platforms; do
  zip="${name}_${version}_${p}.zip"
  binary="${name}_v${version}"
  [ "${p%%_*}" = windows ] && binary="$binary.exe"
  if [ ! -f "$zip" ]; then
    fail "no $zip, though README.md lists $p"
    continue
  fi
  content=$(unzip -Z1 "$zip" | sort) || { fail "$zip is not a zip archive"; continue; }
  [ "$content" = "$(printf 'LICENSE\n%s' "$binary" | sort)" ] || fail "$zip holds $(echo "$content" | paste -sd' '), not $binary and LICENSE alone"
  unzip -p "$zip" LICENSE | cmp -s - "$root/LICENSE" || fail "$zip's LICENSE is not the repository's"
  want_sums+="$zip"$'\n'
done
for zip in "${name}_${version}"_*.zip; do
  p=${zip#"${name}_${version}_"}
  p=${p%.zip}
  grep -qx "$p" <<<"$platforms" || fail "$zip is for $p, which README.md does not list"
done

# goreleaser lists the manifest in SHA256SUMS (checksum.extra_files) and a
# release uploads it (release.extra_files), but a snapshot publishes nothing,
# so it is not in dist: check the file it uploads, and the name it uploads it
# under, in the configuration goreleaser ran with (dist/config.yaml).
manifest="${name}_${version}_manifest.json"
[ "$(jq -c '[.version, .metadata.protocol_versions]' "$root/terraform-registry-manifest.json")" = '[1,["6.0"]]' ] ||
  fail "terraform-registry-manifest.json does not say version 1, protocol 6.0: $(cat "$root/terraform-registry-manifest.json")"
upload=$(awk '/^[a-z_]+:/ { on = ($0 == "release:") } on' config.yaml | grep -A1 -- '- glob: terraform-registry-manifest.json$' | sed -n "s/^ *name_template: '\(.*\)'$/\1/p")
[ "$upload" = '{{ .ProjectName }}_{{ .Version }}_manifest.json' ] ||
  fail "the release does not upload terraform-registry-manifest.json as $manifest (release.extra_files: ${upload:-none})"
want_sums+="$manifest"$'\n'

sums="${name}_${version}_SHA256SUMS"
if [ ! -f "$sums" ]; then
  fail "no $sums"
else
  listed=$(awk '{ print $2 }' "$sums" | sort)
  want=$(printf '%s' "$want_sums" | sort)
  [ "$listed" = "$want" ] || fail "$sums lists
$(sed 's/^/    /' <<<"$listed")
  instead of the zips and the manifest:
$(sed 's/^/    /' <<<"$want")"
  grep -v " $manifest\$" "$sums" | sha256sum --quiet -c - || fail "$sums: a zip's hash does not match (above)"
  [ "$(awk -v f="$manifest" '$2 == f { print $1 }' "$sums")" = "$(sha256sum <"$root/terraform-registry-manifest.json" | cut -d' ' -f1)" ] ||
    fail "$sums does not give $manifest the hash of terraform-registry-manifest.json"
  if [ ! -f "$sums.sig" ]; then
    fail "no $sums.sig"
  else
    gpg --batch --quiet --verify "$sums.sig" "$sums" 2>/dev/null || fail "$sums.sig is not a valid signature of $sums"
  fi
fi

for p in $sandbox_platforms; do
  archive="atlas-sandbox_${version}_${p}.tar.gz" binary=atlas-sandbox
  if [ "${p%%_*}" = windows ]; then
    archive="atlas-sandbox_${version}_${p}.zip" binary=atlas-sandbox.exe
  fi
  if [ ! -f "$archive" ] || [ ! -f "$archive.sha256" ]; then
    fail "no $archive with its $archive.sha256"
    continue
  fi
  sha256sum --quiet -c "$archive.sha256" || fail "$archive.sha256 does not match $archive"
  case $archive in
  *.zip) content=$(unzip -Z1 "$archive") || { fail "$archive is not a zip archive"; continue; } ;;
  *) content=$(tar -tzf "$archive") || { fail "$archive is not a gzipped tar archive"; continue; } ;;
  esac
  grep -qx "$binary" <<<"$content" || fail "$archive has no $binary"
  grep -qx LICENSE <<<"$content" || fail "$archive has no LICENSE"
done

if [ $status -ne 0 ]; then
  exit $status
fi
echo "release-check: $dist holds, for $version: $(wc -l <<<"$platforms") provider zips ($(echo $platforms | sed 's/ /, /g')), each with its binary and LICENSE;" \
  "the manifest (protocol 6.0); $sums listing exactly those, with matching hashes, and its valid signature;" \
  "the sandbox archives for $(echo $sandbox_platforms | sed 's/ /, /g'), each with atlas-sandbox, LICENSE and a matching .sha256"

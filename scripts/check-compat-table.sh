#!/usr/bin/env bash
# make compat-table-check: the "## Compatibility" section of each page given
# must say exactly which versions CI tests, as pinned in GNUmakefile. The
# first page holds the table (README.md); the others (the provider page)
# sum it up and link to it:
#  - the first page's table has one row a version, "| Terraform 1.16.4 | ...
#    |", in the order of the arguments (newest Terraform, CI's terraform on
#    PATH, oldest Terraform, newest OpenTofu), and lists the release
#    platforms (`os_arch`), which make release-check compares with the
#    archives goreleaser builds;
#  - every other page names each of those versions;
#  - every x.y.z version a page names anywhere is one of those, so that a
#    sentence about an old pin cannot stay behind.
#
# Usage: scripts/check-compat-table.sh TF_NEWEST TF_CI TF_OLDEST TOFU_NEWEST TABLE_PAGE [SUMMARY_PAGE...]
set -euo pipefail
[ $# -ge 5 ] || { echo "usage: $0 TF_NEWEST TF_CI TF_OLDEST TOFU_NEWEST PAGE..." >&2; exit 2; }
pins=("Terraform $1" "Terraform $2" "Terraform $3" "OpenTofu $4")
shift 4
want=$(printf '%s\n' "${pins[@]}")
status=0
fail() { echo "compat-table-check: $*" >&2; status=1; }

table_page=$1
for page in "$@"; do
  # From the "## Compatibility" heading to the next heading of its level.
  section=$(awk '/^## /{on = ($0 == "## Compatibility")} on' "$page")
  if [ -z "$section" ]; then
    fail "$page has no '## Compatibility' section"
    continue
  fi
  rows=$(sed -n 's/^| *\(Terraform\|OpenTofu\) \([0-9][0-9.]*\)[ ,|].*/\1 \2/p' <<<"$section")
  if [ "$page" != "$table_page" ]; then
    for pin in "${pins[@]}"; do
      grep -qE "(^|[^0-9.])${pin##* }($|[^0-9.])" <<<"$section" ||
        fail "$page: the Compatibility section does not name $pin, which CI tests"
    done
  elif [ "$rows" != "$want" ]; then
    fail "$page: the Compatibility table's rows name
$(sed 's/^/    /' <<<"${rows:-(none)}")
  but CI tests (GNUmakefile: TERRAFORM_NEWEST, CI_TERRAFORM, TERRAFORM_OLDEST, OPENTOFU_NEWEST)
$(sed 's/^/    /' <<<"$want")"
  fi
  for v in $(grep -oE '(^|[^0-9.])[0-9]+\.[0-9]+\.[0-9]+($|[^0-9.])' <<<"$section" | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | sort -u); do
    if ! grep -qE " $v\$" <<<"$want"; then
      fail "$page: the Compatibility section names $v, which CI does not test (the pins are: $(echo "$want" | paste -sd, | sed 's/,/, /g'))"
    fi
  done
  if [ "$page" = "$table_page" ] && ! grep -qE '`(aix|android|darwin|dragonfly|freebsd|illumos|linux|netbsd|openbsd|plan9|solaris|windows)_[a-z0-9]+`' <<<"$section"; then
    fail "$page: the Compatibility section lists no release platform (\`linux_amd64\`, ...)"
  fi
done
[ $status -eq 0 ] && echo "compat-table-check: $table_page's table and the Compatibility sections of $* name the versions CI tests ($(echo "$want" | paste -sd, | sed 's/,/, /g'))"
exit $status

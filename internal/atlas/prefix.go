package atlas

import (
	"regexp"
	"time"
)

// Atlas names the snapshot an export job exports in the job's prefix. The
// contract's pattern is
// /exported_snapshots/{ORG-NAME}/{PROJECT-NAME}/{CLUSTER-NAME}/{SNAPSHOT-INITIATION-DATE}/{TIMESTAMP}.
// Atlas's real answers (shared/atlas-recordings) send it without the leading
// slash, with ids for the organization and project, the snapshot's createdAt
// to the minute as 2026-08-10T0327 and the job's createdAt in Unix seconds;
// the documentation's examples write the date with an offset as
// 2021-03-25T1649+0000.

// snapshotPrefix is the contract's shape (a leading slash allowed):
// exported_snapshots, three non-empty segments, the snapshot date with every
// field at its exact number of digits (time.Parse alone would take a
// one-digit hour or month) and an offset's minutes below 60 (time.Parse
// takes up to 99), and a Unix timestamp.
var snapshotPrefix = regexp.MustCompile(`^/?exported_snapshots/[^/]+/[^/]+/[^/]+/` +
	`(\d{4}-\d{2}-\d{2}T\d{4})([+-]\d{2}[0-5]\d)?/\d{1,18}$`)

// SnapshotCreatedAt is the time, to the minute and in UTC, of the snapshot
// an export job exports, read from its prefix. It is false when the prefix
// does not have exactly the contract's shape (snapshotPrefix): a prefix of
// another shape has no snapshot time rather than a guessed one.
func SnapshotCreatedAt(prefix string) (time.Time, bool) {
	m := snapshotPrefix.FindStringSubmatch(prefix)
	if m == nil {
		return time.Time{}, false
	}
	layout := "2006-01-02T1504"
	if m[2] != "" {
		layout += "-0700"
	}
	t, err := time.Parse(layout, m[1]+m[2])
	return t.UTC(), err == nil
}

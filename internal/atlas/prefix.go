package atlas

import (
	"strconv"
	"strings"
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

// snapshotDateLayouts are the two forms of the snapshot segment: without an
// offset (UTC, as Atlas sends it) and with one.
var snapshotDateLayouts = [...]string{"2006-01-02T1504", "2006-01-02T1504-0700"}

// SnapshotCreatedAt is the time, to the minute and in UTC, of the snapshot
// an export job exports, read from its prefix. It is false when the prefix
// does not have exactly the contract's shape (a leading slash allowed):
// exported_snapshots, three non-empty segments, the snapshot date in one of
// the two forms above, and a Unix timestamp. A prefix of another shape has
// no snapshot time rather than a guessed one.
func SnapshotCreatedAt(prefix string) (time.Time, bool) {
	segments := strings.Split(strings.TrimPrefix(prefix, "/"), "/")
	if len(segments) != 6 || segments[0] != "exported_snapshots" {
		return time.Time{}, false
	}
	for _, s := range segments[1:4] { // organization, project, cluster
		if s == "" {
			return time.Time{}, false
		}
	}
	if !isUnixTimestamp(segments[5]) {
		return time.Time{}, false
	}
	return parseSnapshotDate(segments[4])
}

// parseSnapshotDate reads 2026-08-10T0327 (UTC) or 2021-03-25T1649+0000 (any
// offset, which is then taken away). Every field has its exact number of
// digits: time.Parse alone would take a one-digit hour or month.
func parseSnapshotDate(s string) (time.Time, bool) {
	const dateLength, offsetLength = len("2006-01-02T1504"), len("-0700")
	layout := snapshotDateLayouts[0]
	switch len(s) {
	case dateLength:
	case dateLength + offsetLength:
		if s[dateLength] != '+' && s[dateLength] != '-' || !allDigits(s[dateLength+1:]) {
			return time.Time{}, false
		}
		layout = snapshotDateLayouts[1]
	default:
		return time.Time{}, false
	}
	if !allDigits(s[0:4]) || s[4] != '-' || !allDigits(s[5:7]) || s[7] != '-' || !allDigits(s[8:10]) || s[10] != 'T' ||
		!allDigits(s[11:15]) {
		return time.Time{}, false
	}
	t, err := time.Parse(layout, s)
	if err != nil {
		return time.Time{}, false
	}
	// time.Parse checks the offset's hours but takes minutes up to 99.
	if layout == snapshotDateLayouts[1] && s[dateLength+3] > '5' {
		return time.Time{}, false
	}
	return t.UTC(), true
}

// isUnixTimestamp reports whether s is a whole number of seconds, as Atlas
// writes the job's createdAt in the prefix.
func isUnixTimestamp(s string) bool {
	if s == "" || !allDigits(s) {
		return false
	}
	_, err := strconv.ParseInt(s, 10, 64)
	return err == nil
}

func allDigits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

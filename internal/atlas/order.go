package atlas

import (
	"cmp"
	"slices"
	"time"
)

// SortNewestFirst orders jobs by createdAt descending, ties by ID descending,
// so that jobs[0] is the latest export. Jobs without a parseable createdAt
// sort after every job that has one. The contract promises no order for the
// list, so the client never relies on the one Atlas sends.
func SortNewestFirst(jobs []ExportJob) {
	slices.SortStableFunc(jobs, func(a, b ExportJob) int {
		return cmp.Or(compareTimesNewestFirst(a.CreatedAt, b.CreatedAt), cmp.Compare(str(b.ID), str(a.ID)))
	})
}

// compareTimesNewestFirst orders RFC 3339 times newest first, the ones that
// do not parse (or are missing) last.
func compareTimesNewestFirst(a, b *string) int {
	ta, okA := parseRFC3339(a)
	tb, okB := parseRFC3339(b)
	switch {
	case okA && okB:
		return tb.Compare(ta)
	case okA:
		return -1
	case okB:
		return 1
	}
	return 0
}

func parseRFC3339(s *string) (time.Time, bool) {
	if s == nil {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, *s)
	return t, err == nil
}

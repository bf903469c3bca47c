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
	sortJobs(jobs, false)
}

// SortBySnapshotNewestFirst orders jobs by the time of the snapshot each
// exports (SnapshotCreatedAt of its prefix) descending, so that jobs[0]
// exports the newest data; ties by createdAt descending, then ID descending,
// as SortNewestFirst. A job whose snapshot time is unknown sorts after every
// job whose time is known.
func SortBySnapshotNewestFirst(jobs []ExportJob) {
	sortJobs(jobs, true)
}

// sortJobs is both orders: by snapshot first when bySnapshot, then by
// createdAt, then by ID, all descending, unknown times last.
func sortJobs(jobs []ExportJob, bySnapshot bool) {
	// Each job's times are read once, not in every comparison: reading them
	// there made a sort of 10,000 jobs take a quarter of a second
	// (BENCHMARKS.md, "Ordering by the snapshot").
	type keyed struct {
		snapshot, created       time.Time
		hasSnapshot, hasCreated bool
		job                     *ExportJob
	}
	keys := make([]keyed, len(jobs))
	for i := range jobs {
		k := &keys[i]
		k.job = &jobs[i]
		if bySnapshot {
			k.snapshot, k.hasSnapshot = SnapshotCreatedAt(str(jobs[i].Prefix))
		}
		k.created, k.hasCreated = parseRFC3339(jobs[i].CreatedAt)
	}
	slices.SortStableFunc(keys, func(a, b keyed) int {
		return cmp.Or(newestKnownFirst(a.snapshot, a.hasSnapshot, b.snapshot, b.hasSnapshot),
			newestKnownFirst(a.created, a.hasCreated, b.created, b.hasCreated), cmp.Compare(str(b.job.ID), str(a.job.ID)))
	})
	sorted := make([]ExportJob, len(jobs))
	for i, k := range keys {
		sorted[i] = *k.job
	}
	copy(jobs, sorted)
}

func parseRFC3339(s *string) (time.Time, bool) {
	if s == nil {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, *s)
	return t, err == nil
}

// newestKnownFirst orders two times, each known or not, newest first and
// the unknown ones last.
func newestKnownFirst(a time.Time, knownA bool, b time.Time, knownB bool) int {
	switch {
	case knownA && knownB:
		return b.Compare(a)
	case knownA:
		return -1
	case knownB:
		return 1
	}
	return 0
}

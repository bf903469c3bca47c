package provider

import (
	"slices"
	"testing"

	"github.com/atlasexports/terraform-provider-atlasexports/internal/atlas"
)

// selectionJob is a job with only what a selection reads: an id, a state
// ("" for none), a createdAt and a prefix with the snapshot's date (""
// for a prefix without one).
func selectionJob(id, state, createdAt, snapshot string) atlas.ExportJob {
	job := atlas.ExportJob{ID: ptr(id), CreatedAt: ptr(createdAt), Prefix: ptr("exported_snapshots/o/p/c/1786332505")}
	if state != "" {
		job.State = ptr(state)
	}
	if snapshot != "" {
		job.Prefix = ptr("exported_snapshots/o/p/c/" + snapshot + "/1786332505")
	}
	return job
}

// TestJobSelection_apply: states filter, then order, then limit, over the
// same list of jobs, which comes oldest first so that the order is the
// selection's own.
func TestJobSelection_apply(t *testing.T) {
	t.Parallel()
	jobs := []atlas.ExportJob{
		selectionJob("a", "Successful", "2026-08-01T03:28:00Z", "2026-08-01T0327"),
		selectionJob("b", "", "2026-08-02T03:28:00Z", "2026-08-02T0327"), // no state
		selectionJob("c", "Failed", "2026-08-03T03:28:00Z", "2026-08-03T0327"),
		selectionJob("d", "Successful", "2026-08-04T03:28:00Z", "2026-08-04T0327"),
		selectionJob("e", "Successful", "2026-08-05T03:28:00Z", "2026-07-01T0327"), // an old snapshot, exported last
		selectionJob("f", "InProgress", "2026-08-05T03:29:00Z", ""),                // no snapshot date
	}
	all := map[string]bool{"Queued": true, "InProgress": true, "Successful": true, "Failed": true, "Cancelled": true}
	cases := map[string]struct {
		selection jobSelection
		want      []string
	}{
		"everything, newest first":             {jobSelection{orderBy: orderByCreatedAt}, []string{"f", "e", "d", "c", "b", "a"}},
		"every documented state: none is ''":   {jobSelection{states: all, orderBy: orderByCreatedAt}, []string{"f", "e", "d", "c", "a"}},
		"one state":                            {jobSelection{states: map[string]bool{"Successful": true}, orderBy: orderByCreatedAt}, []string{"e", "d", "a"}},
		"limit after the filter":               {jobSelection{states: map[string]bool{"Successful": true}, orderBy: orderByCreatedAt, limit: 2}, []string{"e", "d"}},
		"limit 1 of a filter that keeps none":  {jobSelection{states: map[string]bool{"Cancelled": true}, orderBy: orderByCreatedAt, limit: 1}, nil},
		"limit beyond what is kept":            {jobSelection{states: map[string]bool{"Failed": true, "InProgress": true}, orderBy: orderByCreatedAt, limit: 5}, []string{"f", "c"}},
		"limit without a filter":               {jobSelection{orderBy: orderByCreatedAt, limit: 1}, []string{"f"}},
		"by snapshot, unknown snapshot last":   {jobSelection{orderBy: orderBySnapshotCreatedAt}, []string{"d", "c", "b", "a", "e", "f"}},
		"by snapshot, limit after the order":   {jobSelection{states: map[string]bool{"Successful": true}, orderBy: orderBySnapshotCreatedAt, limit: 1}, []string{"d"}},
		"by snapshot, the filter before limit": {jobSelection{states: map[string]bool{"InProgress": true}, orderBy: orderBySnapshotCreatedAt, limit: 1}, []string{"f"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			input := slices.Clone(jobs)
			got := c.selection.apply(input)
			if ids := jobIDs(got); !slices.Equal(ids, c.want) {
				t.Errorf("kept %v; want %v", ids, c.want)
			}
			if !slices.EqualFunc(input, jobs, func(a, b atlas.ExportJob) bool { return *a.ID == *b.ID }) {
				t.Errorf("apply reordered its input: %v", jobIDs(input))
			}
		})
	}
}

// A job without a state is kept by no states filter, whatever states it
// names, and by the absence of one.
func TestJobSelection_noStateMatchesNoFilter(t *testing.T) {
	t.Parallel()
	job := selectionJob("x", "", "2026-08-01T03:28:00Z", "")
	for name, states := range map[string]map[string]bool{
		"a documented state": {"Successful": true},
		"every state":        {"Queued": true, "InProgress": true, "Successful": true, "Failed": true, "Cancelled": true},
		"an empty name":      {"": true},
	} {
		if (jobSelection{states: states}).keeps(&job) {
			t.Errorf("%s: a job without a state passes the filter", name)
		}
	}
	if !(jobSelection{}).keeps(&job) {
		t.Error("without a filter, a job without a state is not kept")
	}
}

func jobIDs(jobs []atlas.ExportJob) []string {
	var ids []string
	for _, j := range jobs {
		ids = append(ids, *j.ID)
	}
	return ids
}

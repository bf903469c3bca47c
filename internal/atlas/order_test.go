package atlas

import (
	"slices"
	"testing"
)

// TestSortNewestFirst: createdAt descending to the fraction of a second,
// ties by ID descending, and jobs whose createdAt is missing or does not
// parse after every job whose createdAt does (among themselves by ID).
func TestSortNewestFirst(t *testing.T) {
	cases := map[string]struct {
		jobs []ExportJob // in the order Atlas might send them
		want []string    // the IDs, newest first
	}{
		"seconds, then ties by ID": {
			jobs: []ExportJob{
				{ID: ptr("a1"), CreatedAt: ptr("2026-01-19T03:14:51Z")},
				{ID: ptr("a3"), CreatedAt: ptr("2026-01-19T03:14:51Z")},
				{ID: ptr("a2"), CreatedAt: ptr("2026-01-19T03:14:52Z")},
				{ID: ptr("a4"), CreatedAt: ptr("2026-01-19T03:14:50Z")},
			},
			want: []string{"a2", "a3", "a1", "a4"},
		},
		// The IDs alone would order these the other way.
		"fractions of a second": {
			jobs: []ExportJob{
				{ID: ptr("b9"), CreatedAt: ptr("2026-01-19T03:14:51.2Z")},
				{ID: ptr("b1"), CreatedAt: ptr("2026-01-19T03:14:51.700Z")},
				{ID: ptr("b5"), CreatedAt: ptr("2026-01-19T03:14:51.25Z")},
			},
			want: []string{"b1", "b5", "b9"},
		},
		"time zones": {
			jobs: []ExportJob{
				{ID: ptr("c1"), CreatedAt: ptr("2026-01-19T04:14:51+02:00")}, // 02:14:51Z
				{ID: ptr("c2"), CreatedAt: ptr("2026-01-19T03:14:51Z")},
			},
			want: []string{"c2", "c1"},
		},
		"unknown times last": {
			jobs: []ExportJob{
				{ID: ptr("d1")},
				{ID: ptr("d2"), CreatedAt: ptr("yesterday")},
				{ID: ptr("d3"), CreatedAt: ptr("2020-01-01T00:00:00Z")},
				{ID: ptr("d4"), CreatedAt: ptr("")},
				{ID: ptr("d5"), CreatedAt: ptr("2026-01-01T00:00:00Z")},
			},
			want: []string{"d5", "d3", "d4", "d2", "d1"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			for _, jobs := range [][]ExportJob{tc.jobs, reversed(tc.jobs)} {
				jobs = slices.Clone(jobs)
				SortNewestFirst(jobs)
				var got []string
				for _, j := range jobs {
					got = append(got, str(j.ID))
				}
				if !slices.Equal(got, tc.want) {
					t.Errorf("sorted %v, want %v", got, tc.want)
				}
			}
		})
	}
}

func reversed[T any](s []T) []T {
	r := slices.Clone(s)
	slices.Reverse(r)
	return r
}

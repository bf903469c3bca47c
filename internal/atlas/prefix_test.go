package atlas

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestSnapshotCreatedAt: both forms of the snapshot segment, an offset taken
// away, and no time at all for a prefix of any other shape.
func TestSnapshotCreatedAt(t *testing.T) {
	t.Parallel()
	const head = "exported_snapshots/a0123456789abcdef012345a/b0123456789abcdef012345b/cluster-989/"
	cases := map[string]struct {
		prefix string
		want   string // RFC 3339; "" for no time
	}{
		"as Atlas sends it":               {head + "2026-08-10T0327/1786332505", "2026-08-10T03:27:00Z"},
		"the documentation's form":        {"/exported_snapshots/{ORG-NAME}/{PROJECT-NAME}/{CLUSTER-NAME}/2021-03-25T1649+0000/1616694179", "2021-03-25T16:49:00Z"},
		"a positive offset":               {head + "2021-03-25T1649+0200/1616694179", "2021-03-25T14:49:00Z"},
		"a negative offset, half an hour": {head + "2021-03-25T2330-0130/1616694179", "2021-03-26T01:00:00Z"},
		"an offset across a year":         {head + "2026-01-01T0030+0100/1767224000", "2025-12-31T23:30:00Z"},
		"a leading slash":                 {"/" + head + "2026-08-10T0327/1786332505", "2026-08-10T03:27:00Z"},
		"a timestamp of one digit":        {head + "2026-08-10T0327/0", "2026-08-10T03:27:00Z"},

		"empty":                         {"", ""},
		"no timestamp":                  {head + "2026-08-10T0327", ""},
		"a trailing slash":              {head + "2026-08-10T0327/1786332505/", ""},
		"one segment more":              {head + "extra/2026-08-10T0327/1786332505", ""},
		"another root":                  {"exports/a/b/c/2026-08-10T0327/1786332505", ""},
		"an empty cluster":              {"exported_snapshots/a/b//2026-08-10T0327/1786332505", ""},
		"an empty organization":         {"exported_snapshots//b/c/2026-08-10T0327/1786332505", ""},
		"two leading slashes":           {"//" + head + "2026-08-10T0327/1786332505", ""},
		"seconds in the date":           {head + "2026-08-10T032708/1786332505", ""},
		"RFC 3339 date":                 {head + "2026-08-10T03:27:00Z/1786332505", ""},
		"a Z offset":                    {head + "2026-08-10T0327Z/1786332505", ""},
		"an offset with a colon":        {head + "2026-08-10T0327+02:00/1786332505", ""},
		"an offset of 60 minutes":       {head + "2026-08-10T0327+0060/1786332505", ""},
		"an offset of 25 hours":         {head + "2026-08-10T0327+2500/1786332505", ""},
		"a one-digit hour":              {head + "2026-08-10T327/1786332505", ""},
		"a one-digit month":             {head + "2026-8-10T0327/1786332505", ""},
		"hour 24":                       {head + "2026-08-10T2400/1786332505", ""},
		"30 February":                   {head + "2026-02-30T0327/1786332505", ""},
		"a space for the T":             {head + "2026-08-10 0327/1786332505", ""},
		"a signed timestamp":            {head + "2026-08-10T0327/-1786332505", ""},
		"a timestamp in milliseconds.":  {head + "2026-08-10T0327/1786332505.123", ""},
		"a timestamp beyond int64":      {head + "2026-08-10T0327/99999999999999999999", ""},
		"a date in the timestamp place": {head + "1786332505/2026-08-10T0327", ""},
		"a placeholder for the date":    {head + "{SNAPSHOT-INITIATION-DATE}/{TIMESTAMP}", ""},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, ok := SnapshotCreatedAt(c.prefix)
			switch {
			case c.want == "" && ok:
				t.Errorf("SnapshotCreatedAt(%q) = %s; want no time", c.prefix, got)
			case c.want != "" && !ok:
				t.Errorf("SnapshotCreatedAt(%q) gives no time; want %s", c.prefix, c.want)
			case ok && got.Format(time.RFC3339) != c.want:
				t.Errorf("SnapshotCreatedAt(%q) = %s; want %s", c.prefix, got.Format(time.RFC3339), c.want)
			case ok && got.Location() != time.UTC:
				t.Errorf("SnapshotCreatedAt(%q) is in %s; want UTC", c.prefix, got.Location())
			}
		})
	}
}

// Every prefix Atlas has sent has a snapshot time, taken at most a day
// before the job was created, and the prefix's timestamp is the job's
// createdAt.
func TestSnapshotCreatedAt_recordings(t *testing.T) {
	t.Parallel()
	requireShared(t)
	seen := 0
	for _, rec := range readRecordings(t) {
		if rec.status != 200 || !strings.Contains(string(rec.body), `"prefix"`) {
			continue
		}
		var page struct {
			Results []ExportJob `json:"results"`
		}
		var job ExportJob
		if err := json.Unmarshal(rec.body, &page); err != nil || len(page.Results) == 0 {
			if err := json.Unmarshal(rec.body, &job); err != nil {
				t.Fatalf("%s: %v", rec.name, err)
			}
			page.Results = []ExportJob{job}
		}
		for _, j := range page.Results {
			seen++
			snapshot, ok := SnapshotCreatedAt(str(j.Prefix))
			if !ok {
				t.Errorf("%s: prefix %q has no snapshot time", rec.name, str(j.Prefix))
				continue
			}
			created, err := time.Parse(time.RFC3339, str(j.CreatedAt))
			if err != nil {
				t.Fatalf("%s: createdAt %q: %v", rec.name, str(j.CreatedAt), err)
			}
			if snapshot.After(created) || created.Sub(snapshot) > 24*time.Hour {
				t.Errorf("%s: snapshot %s, job created %s: not the snapshot the job exports", rec.name, snapshot, created)
			}
		}
	}
	if seen == 0 {
		t.Fatal("no recorded job has a prefix")
	}
}

// orderedJob is an export job with only what the orders read.
func orderedJob(id, createdAt, prefix string) ExportJob {
	j := ExportJob{ID: &id}
	if createdAt != "" {
		j.CreatedAt = &createdAt
	}
	if prefix != "" {
		j.Prefix = &prefix
	}
	return j
}

// TestSortBySnapshotNewestFirst: the newest snapshot first whenever its job
// was created; ties by createdAt, then id; unknown snapshot times last.
func TestSortBySnapshotNewestFirst(t *testing.T) {
	t.Parallel()
	const head = "exported_snapshots/o/p/c/"
	prefix := func(snapshot string) string { return head + snapshot + "/1786332505" }
	cases := map[string]struct {
		jobs []ExportJob
		want []string
	}{
		"an old snapshot exported last": {
			jobs: []ExportJob{
				orderedJob("a", "2026-08-13T10:00:00Z", prefix("2026-08-09T0327")),
				orderedJob("b", "2026-08-12T03:28:00Z", prefix("2026-08-12T0327")),
				orderedJob("c", "2026-08-11T03:28:00Z", prefix("2026-08-11T0327")),
			},
			want: []string{"b", "c", "a"},
		},
		"both forms and an offset compared as times": {
			jobs: []ExportJob{
				orderedJob("a", "2026-08-12T04:00:00Z", prefix("2026-08-12T0330")),
				orderedJob("b", "2026-08-12T04:00:00Z", prefix("2026-08-12T0500+0200")), // 03:00Z
				orderedJob("c", "2026-08-12T04:00:00Z", prefix("2026-08-12T0331+0000")),
			},
			want: []string{"c", "a", "b"},
		},
		"one snapshot exported twice: the newer job first": {
			jobs: []ExportJob{
				orderedJob("a", "2026-08-12T03:28:00Z", prefix("2026-08-12T0327")),
				orderedJob("b", "2026-08-14T09:00:00Z", prefix("2026-08-12T0327")),
				orderedJob("c", "2026-08-12T03:28:00.500Z", prefix("2026-08-12T0327")),
			},
			want: []string{"b", "c", "a"},
		},
		"the same snapshot and second: the greater id first": {
			jobs: []ExportJob{
				orderedJob("a1", "2026-08-12T03:28:00Z", prefix("2026-08-12T0327")),
				orderedJob("a3", "2026-08-12T03:28:00Z", prefix("2026-08-12T0327")),
				orderedJob("a2", "2026-08-12T03:28:00Z", prefix("2026-08-12T0327")),
			},
			want: []string{"a3", "a2", "a1"},
		},
		"unknown snapshot times after every known one": {
			jobs: []ExportJob{
				orderedJob("odd", "2026-09-01T00:00:00Z", "exported_snapshots/o/p/c/latest"),
				orderedJob("none", "2026-09-02T00:00:00Z", ""),
				orderedJob("old", "2020-01-01T00:00:00Z", prefix("2020-01-01T0000")),
			},
			want: []string{"old", "none", "odd"},
		},
		"unknown snapshot and created times last of all": {
			jobs: []ExportJob{
				orderedJob("z", "", ""),
				orderedJob("y", "2026-09-02T00:00:00Z", ""),
				orderedJob("x", "yesterday", prefix("2020-01-01T0000")),
			},
			want: []string{"x", "y", "z"},
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			// Every starting order gives the same result.
			for _, start := range [][]ExportJob{c.jobs, reversed(c.jobs)} {
				jobs := slices.Clone(start)
				SortBySnapshotNewestFirst(jobs)
				if got := jobIDs(jobs); !slices.Equal(got, c.want) {
					t.Errorf("from %v: %v; want %v", jobIDs(start), got, c.want)
				}
			}
		})
	}
}

func jobIDs(jobs []ExportJob) []string {
	ids := make([]string, len(jobs))
	for i, j := range jobs {
		ids[i] = str(j.ID)
	}
	return ids
}

// BenchmarkSortBySnapshotNewestFirst sorts 10,000 jobs of shuffled snapshot
// times, as a read with order_by = "snapshot_created_at" does (make bench;
// BENCHMARKS.md, "Ordering by the snapshot").
func BenchmarkSortBySnapshotNewestFirst(b *testing.B) {
	jobs := make([]ExportJob, 10000)
	for i := range jobs {
		// A fixed scatter of snapshot times over a year.
		m := (i * 7919) % 525600
		snapshot := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(m) * time.Minute)
		jobs[i] = orderedJob(fmt.Sprintf("%024x", i), snapshot.Add(90*time.Second).Format(time.RFC3339),
			"exported_snapshots/5e2211c17a3e5a48f5497de3/64b7e2f0c1d2a3b4c5d6e7f8/generated/"+
				snapshot.Format("2006-01-02T1504")+fmt.Sprintf("/%d", snapshot.Unix()))
	}
	b.ReportAllocs()
	for b.Loop() {
		SortBySnapshotNewestFirst(slices.Clone(jobs))
	}
}

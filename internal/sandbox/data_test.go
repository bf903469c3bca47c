package sandbox

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestGenerateJobs_realistic: generated jobs are deterministic for a seed,
// unique, newest first, with same-second pairs, every state, and the shapes
// Atlas gives each state.
func TestGenerateJobs_realistic(t *testing.T) {
	jobs := GenerateJobs("c1", 2000, 42)
	if !reflect.DeepEqual(jobs, GenerateJobs("c1", 2000, 42)) {
		t.Fatal("two calls with the same seed differ")
	}
	if reflect.DeepEqual(jobs, GenerateJobs("c1", 2000, 43)) {
		t.Fatal("two seeds give the same jobs")
	}
	if len(jobs) != 2000 {
		t.Fatalf("%d jobs, want 2000", len(jobs))
	}
	ids := map[string]bool{}
	states := map[string]int{}
	ties := 0
	for i, job := range jobs {
		if ids[job.ID] || len(job.ID) != 24 {
			t.Errorf("job %d: ID %q repeated or not an ObjectId", i, job.ID)
		}
		ids[job.ID] = true
		states[job.State]++
		created, err := time.Parse(time.RFC3339, job.CreatedAt)
		if err != nil {
			t.Fatalf("job %d: createdAt %q: %v", i, job.CreatedAt, err)
		}
		if i > 0 {
			switch prev := jobs[i-1].CreatedAt; {
			case prev < job.CreatedAt:
				t.Errorf("job %d is newer than job %d", i, i-1)
			case prev == job.CreatedAt:
				ties++
			}
		}
		wantPrefix := strings.Join([]string{"exported_snapshots", OrgID, ProjectID, "c1", created.Format("2006-01-02T1504"), strconv.FormatInt(created.Unix(), 10)}, "/")
		if job.Prefix != wantPrefix {
			t.Errorf("job %d: prefix %q, want %q", i, job.Prefix, wantPrefix)
		}
		if job.CustomData == nil || job.ExportBucketID == "" || job.SnapshotID == "" {
			t.Errorf("job %d: customData, exportBucketId and snapshotId are always set: %+v", i, job)
		}
		finished := job.FinishedAt != ""
		switch job.State {
		case "Queued":
			if finished || job.StateReason != nil {
				t.Errorf("job %d: a Queued job with finishedAt or stateReason: %+v", i, job)
			}
		case "InProgress":
			if finished || job.ExportStatus == nil || job.ExportStatus.ExportedCollections > job.ExportStatus.TotalCollections {
				t.Errorf("job %d: an InProgress job needs a partial exportStatus and no finishedAt: %+v", i, job)
			}
		case "Successful":
			if !finished || job.ExportStatus == nil || job.ExportStatus.ExportedCollections != job.ExportStatus.TotalCollections {
				t.Errorf("job %d: a Successful job needs finishedAt and a complete exportStatus: %+v", i, job)
			}
		case "Failed":
			if !finished || job.StateReason == nil || job.StateReason.ErrorCode == "" {
				t.Errorf("job %d: a Failed job needs finishedAt and a stateReason: %+v", i, job)
			}
		case "Cancelled":
			if !finished {
				t.Errorf("job %d: a Cancelled job needs finishedAt", i)
			}
		default:
			t.Errorf("job %d: state %q is not one of the API's", i, job.State)
		}
		if finished && job.FinishedAt < job.CreatedAt {
			t.Errorf("job %d finished before it was created", i)
		}
	}
	for _, state := range []string{"Queued", "InProgress", "Successful", "Failed", "Cancelled"} {
		if states[state] == 0 {
			t.Errorf("no %s job among %v", state, states)
		}
	}
	if ties == 0 {
		t.Error("no two jobs share a second: the ID tie-break would go untested")
	}
}

// TestSetJobs_servesNewestFirst: whatever order jobs are given in, the
// sandbox stores them newest first, same-second ties by ID descending.
func TestSetJobs_servesNewestFirst(t *testing.T) {
	s := NewEmpty()
	s.SetJobs(ProjectID, "c1", []Job{
		{ID: "000000000000000000000001", CreatedAt: "2026-01-01T00:00:00Z"},
		{ID: "000000000000000000000003", CreatedAt: "2026-01-02T00:00:00Z"},
		{ID: "000000000000000000000002", CreatedAt: "2026-01-01T00:00:00Z"},
	})
	s.InsertJobs(ProjectID, "c1", Job{ID: "000000000000000000000004", CreatedAt: "2026-01-01T12:00:00Z"})
	var got []string
	for _, j := range s.clusters[ProjectID+"/c1"] {
		got = append(got, j.ID[23:])
	}
	if strings.Join(got, "") != "3421" {
		t.Errorf("stored order %v, want 3 4 2 1", got)
	}
}

// TestReexportedJobs: newest first by createdAt, unique ids, and what the
// cluster is for: the newest job exports an older snapshot than other jobs
// do, one snapshot is exported twice under one snapshot id, and the prefixes
// use both forms of the snapshot date (and one none).
func TestReexportedJobs(t *testing.T) {
	jobs := ReexportedJobs()
	ids := map[string]bool{}
	for i, j := range jobs {
		if ids[j.ID] {
			t.Errorf("job %d: id %s repeated", i, j.ID)
		}
		ids[j.ID] = true
		if i > 0 && jobs[i-1].CreatedAt <= j.CreatedAt {
			t.Errorf("job %d (%s) is not older than job %d (%s)", i, j.CreatedAt, i-1, jobs[i-1].CreatedAt)
		}
		if (j.State == "Failed") != (j.StateReason != nil) {
			t.Errorf("job %d: state %s with stateReason %+v", i, j.State, j.StateReason)
		}
	}
	newest := jobs[0]
	if !strings.Contains(newest.Prefix, "/2026-08-09T0327/") || newest.SnapshotID != jobs[6].SnapshotID ||
		!strings.Contains(jobs[6].Prefix, "/2026-08-09T0327/") {
		t.Errorf("the newest job does not export again the snapshot of 9 August that job 6 exported: %+v, %+v", newest, jobs[6])
	}
	for _, want := range []string{
		"/reexported/2026-08-12T0527+0200/", // an offset
		"/reexported/2026-08-10T0327/",      // as the recordings
		"/reexported/1786159682",            // no snapshot date
	} {
		found := false
		for _, j := range jobs {
			found = found || strings.Contains(j.Prefix, want)
		}
		if !found {
			t.Errorf("no prefix contains %q", want)
		}
	}
	if !strings.HasPrefix(jobs[4].Prefix, "/exported_snapshots/") || !strings.Contains(jobs[4].Prefix, "/2026-08-11T0327+0000/") {
		t.Errorf("job 4's prefix %q is not the documentation's form", jobs[4].Prefix)
	}
}

// TestSeededData_eachCallerOwnsItsCopy: the seeded data is read once and
// shared, so a test that changes the jobs or buckets it was given must not
// change what the next caller, or New, gets.
func TestSeededData_eachCallerOwnsItsCopy(t *testing.T) {
	jobs, buckets := ReexportedJobs(), SeededExportBuckets()
	for i := range jobs {
		jobs[i].ExportStatus.ExportedCollections = -1
		if jobs[i].StateReason != nil {
			jobs[i].StateReason.Message = "changed"
		}
	}
	sharded := DocsShardedJobs()
	sharded[0].Components[0].ExportID = "changed"
	buckets[0]["bucketName"] = "changed"
	if got := ReexportedJobs(); got[0].ExportStatus.ExportedCollections != 12 || got[2].StateReason.Message == "changed" {
		t.Errorf("a caller's change reached the next caller: %+v", got)
	}
	if got := DocsShardedJobs(); got[0].Components[0].ExportID == "changed" {
		t.Errorf("a caller's change reached the next caller: %+v", got[0].Components)
	}
	if got := SeededExportBuckets(); got[0]["bucketName"] == "changed" {
		t.Errorf("a caller's change reached the next caller: %v", got[0])
	}
}

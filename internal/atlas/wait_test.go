package atlas

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/atlasexports/terraform-provider-atlasexports/internal/sandbox"
)

// withFastPolls polls every millisecond or two: the sandbox's clock, not
// the wait, decides how far a job has got.
func withFastPolls(progressEvery time.Duration) func(*Config) {
	return func(cfg *Config) {
		cfg.PollInterval, cfg.MaxPollInterval, cfg.ProgressEvery = time.Millisecond, 2*time.Millisecond, progressEvery
	}
}

// exportSandbox serves the seeded sandbox on a manual clock that each GET of
// an export job moves on by step, so that a job goes through its states
// poll by poll. onPoll, if set, sees the number of each such GET.
func exportSandbox(t *testing.T, l sandbox.ExportLifecycle, step time.Duration, onPoll func(n int)) (*sandbox.Server, string) {
	t.Helper()
	clock := sandbox.NewManualClock(time.Now())
	var polls atomic.Int64
	sbx, srv := seededSandbox(t, func(s *sandbox.Server) {
		s.SetClock(clock.Now)
		s.SetExportLifecycle(l)
		s.OnArrival = func(r sandbox.Request) {
			if r.Method == http.MethodGet && strings.Contains(r.Path, "/backup/exports/") && r.Auth != "none" {
				clock.Advance(step)
				if onPoll != nil {
					onPoll(int(polls.Add(1)))
				}
			}
		}
	})
	return sbx, srv.URL
}

func createTestExport(t *testing.T, client *Client) string {
	t.Helper()
	job, err := client.CreateExportJob(context.Background(), sandbox.ProjectID, sandbox.ClusterReplicaSet, testExport)
	if err != nil {
		t.Fatal(err)
	}
	return str(job.ID)
}

func TestWaitForExportJob_reportsEveryStateAndCountsThenEnds(t *testing.T) {
	_, url := exportSandbox(t, sandbox.ExportLifecycle{Queued: 2 * time.Second, InProgress: 3 * time.Second, TotalCollections: 3}, time.Second, nil)
	client := newTestClient(t, url, withFastPolls(time.Hour))
	id := createTestExport(t, client)
	var seen []string
	job, err := client.WaitForExportJob(context.Background(), sandbox.ProjectID, sandbox.ClusterReplicaSet, id, func(r WaitReport) {
		if !r.Changed {
			t.Errorf("a report without a change before ProgressEvery: %+v", r.Job)
		}
		status, _ := json.Marshal(r.Job.ExportStatus)
		seen = append(seen, str(r.Job.State)+" "+string(status))
	})
	if err != nil || str(job.State) != StateSuccessful || job.FinishedAt == nil {
		t.Fatalf("WaitForExportJob = %+v, %v; want the Successful job with its finishedAt", job, err)
	}
	want := []string{
		`Queued {"exportedCollections":0,"totalCollections":0}`,
		`InProgress {"exportedCollections":0,"totalCollections":3}`,
		`InProgress {"exportedCollections":1,"totalCollections":3}`,
		`InProgress {"exportedCollections":2,"totalCollections":3}`,
		`Successful {"exportedCollections":3,"totalCollections":3}`,
	}
	if strings.Join(seen, "\n") != strings.Join(want, "\n") {
		t.Errorf("reports:\n%s\nwant:\n%s", strings.Join(seen, "\n"), strings.Join(want, "\n"))
	}
}

// With ProgressEvery passed at every poll, each unchanged poll is reported.
func TestWaitForExportJob_reportsWhileNothingChanges(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, url := exportSandbox(t, sandbox.ExportLifecycle{Queued: time.Hour, InProgress: time.Hour}, 0, func(n int) {
		if n == 6 {
			cancel()
		}
	})
	client := newTestClient(t, url, withFastPolls(time.Nanosecond))
	id := createTestExport(t, client)
	var changed []bool
	job, err := client.WaitForExportJob(ctx, sandbox.ProjectID, sandbox.ClusterReplicaSet, id, func(r WaitReport) { changed = append(changed, r.Changed) })
	if !errors.Is(err, context.Canceled) || str(job.State) != StateQueued {
		t.Fatalf("WaitForExportJob = %+v, %v; want the Queued job and the cancellation", job, err)
	}
	if len(changed) < 5 || !changed[0] || changed[1] {
		t.Errorf("reports (changed?) %v over 5 or 6 polls of a Queued job; want the first changed, then unchanged ones", changed)
	}
}

func TestWaitForExportJob_noReportBeforeProgressEveryWithoutAChange(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, url := exportSandbox(t, sandbox.ExportLifecycle{Queued: time.Hour, InProgress: time.Hour}, 0, func(n int) {
		if n == 6 {
			cancel()
		}
	})
	client := newTestClient(t, url, withFastPolls(time.Hour))
	id := createTestExport(t, client)
	reports := 0
	_, err := client.WaitForExportJob(ctx, sandbox.ProjectID, sandbox.ClusterReplicaSet, id, func(WaitReport) { reports++ })
	if !errors.Is(err, context.Canceled) || reports != 1 {
		t.Fatalf("%d reports, err %v; want only the first poll's report, then the cancellation", reports, err)
	}
}

func TestWaitForExportJob_failedJobIsReturnedWithItsReason(t *testing.T) {
	reason := &sandbox.StateReason{ErrorCode: "EXPORT_FAILED", Message: "The IAM role cannot write to the bucket."}
	_, url := exportSandbox(t, sandbox.ExportLifecycle{Queued: time.Second, InProgress: time.Second, Outcome: StateFailed, StateReason: reason}, time.Second, nil)
	client := newTestClient(t, url, withFastPolls(time.Hour))
	job, err := client.WaitForExportJob(context.Background(), sandbox.ProjectID, sandbox.ClusterReplicaSet, createTestExport(t, client), nil)
	if err != nil || str(job.State) != StateFailed || job.StateReason == nil || str(job.StateReason.Message) != reason.Message {
		t.Fatalf("WaitForExportJob = %+v, %v; want the Failed job with its stateReason", job, err)
	}
}

// A poll that fails after its retries (Atlas down for a while) does not end
// an hour-long wait; the next one goes on.
func TestWaitForExportJob_outlastsAFailedPoll(t *testing.T) {
	sbx, url := exportSandbox(t, sandbox.ExportLifecycle{Queued: time.Second, InProgress: time.Second}, time.Second, nil)
	client := newTestClient(t, url, withFastPolls(time.Hour), withMaxRetries(1))
	id := createTestExport(t, client)
	sbx.AddFault(sandbox.Fault{Cluster: sandbox.ClusterReplicaSet, Status: http.StatusBadGateway, Times: 2})
	job, err := client.WaitForExportJob(context.Background(), sandbox.ProjectID, sandbox.ClusterReplicaSet, id, nil)
	if err != nil || str(job.State) != StateSuccessful || sbx.FaultsFired() != 2 {
		t.Fatalf("WaitForExportJob = %+v, %v after %d faults; want the Successful job after a failed poll", job, err, sbx.FaultsFired())
	}
}

func TestWaitForExportJob_missingJobFailsAtOnce(t *testing.T) {
	_, url := exportSandbox(t, sandbox.ExportLifecycle{}, 0, nil)
	client := newTestClient(t, url, withFastPolls(time.Hour))
	_, err := client.WaitForExportJob(context.Background(), sandbox.ProjectID, sandbox.ClusterReplicaSet, "0123456789abcdef01234567", nil)
	if StatusCode(err) != http.StatusNotFound {
		t.Fatalf("err = %v, want Atlas's 404", err)
	}
}

// The pace: 5 s, then half as long again after each unchanged poll, never
// more than a minute (the end is learnt within a minute of it), and 5 s
// again after a change.
func TestNextPollInterval_backsOffToAMinuteAndResetsOnChange(t *testing.T) {
	c := &Client{}
	c.setPolling(Config{})
	var got []time.Duration
	d := c.pollInterval
	for range 9 {
		got = append(got, d)
		d = c.nextPollInterval(d, false)
	}
	want := []float64{5000, 7500, 11250, 16875, 25312.5, 37968.75, 56953.125, 60000, 60000}
	for i := range want {
		if w := time.Duration(want[i] * float64(time.Millisecond)); got[i].Round(time.Millisecond) != w.Round(time.Millisecond) {
			t.Fatalf("intervals %v, want %v ms", got, want)
		}
	}
	if c.nextPollInterval(time.Minute, true) != DefaultPollInterval {
		t.Error("a change does not bring the interval back to 5s")
	}
}

package atlas

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/atlasexports/terraform-provider-atlasexports/internal/sandbox"
)

// posts counts the authenticated POSTs of export jobs the sandbox saw.
func posts(sbx *sandbox.Server) int {
	n := 0
	for _, r := range attempts(sbx) {
		if r.Method == http.MethodPost {
			n++
		}
	}
	return n
}

var testExport = ExportRequest{
	SnapshotID:     sandbox.SnapshotNewestCompleted,
	ExportBucketID: sandbox.BucketAWS,
	CustomData:     map[string]string{"pipeline": "nightly", "app": "orders"},
}

func TestCreateExportJob_queuedWithCustomData(t *testing.T) {
	sbx, srv := seededSandbox(t)
	client := newTestClient(t, srv.URL)
	job, err := client.CreateExportJob(context.Background(), sandbox.ProjectID, sandbox.ClusterReplicaSet, testExport)
	if err != nil {
		t.Fatal(err)
	}
	if str(job.State) != StateQueued || str(job.SnapshotID) != testExport.SnapshotID || str(job.ExportBucketID) != sandbox.BucketAWS {
		t.Fatalf("job = %+v, want a Queued export of the snapshot to the bucket", job)
	}
	if len(job.CustomData) != 2 || str(job.CustomData[0].Key) != "app" || str(job.CustomData[1].Value) != "nightly" {
		t.Errorf("customData = %+v, want app=orders, pipeline=nightly in key order", job.CustomData)
	}
	if posts(sbx) != 1 || sbx.ExportsCreated() != 1 {
		t.Errorf("%d POSTs, %d jobs created; want 1 and 1", posts(sbx), sbx.ExportsCreated())
	}
}

func TestCreateExportJob_rateLimitedBeforeProcessingIsSentAgain(t *testing.T) {
	sbx, srv := seededSandbox(t, func(s *sandbox.Server) {
		s.AddFault(sandbox.Fault{Cluster: sandbox.ClusterReplicaSet, Status: http.StatusTooManyRequests, RetryAfter: "0", Times: 1})
	})
	job, err := newTestClient(t, srv.URL).CreateExportJob(context.Background(), sandbox.ProjectID, sandbox.ClusterReplicaSet, testExport)
	if err != nil || job.ID == nil {
		t.Fatalf("CreateExportJob: %v", err)
	}
	if posts(sbx) != 2 || sbx.ExportsCreated() != 1 {
		t.Errorf("%d POSTs, %d jobs created; want the 429'd POST sent again: 2 and 1", posts(sbx), sbx.ExportsCreated())
	}
}

// A POST whose answer is lost may have created the job: the client finds
// it in the cluster's list instead of sending the POST again.
func TestCreateExportJob_lostAnswerFindsTheJobInsteadOfPostingAgain(t *testing.T) {
	sbx, srv := seededSandbox(t, func(s *sandbox.Server) { s.LoseCreateAnswers(1) })
	job, err := newTestClient(t, srv.URL).CreateExportJob(context.Background(), sandbox.ProjectID, sandbox.ClusterReplicaSet, testExport)
	if err != nil {
		t.Fatalf("CreateExportJob: %v", err)
	}
	if posts(sbx) != 1 || sbx.ExportsCreated() != 1 || str(job.SnapshotID) != testExport.SnapshotID || str(job.State) != StateQueued {
		t.Errorf("%d POSTs, %d jobs created, job %+v; want 1 POST, 1 job, that job found", posts(sbx), sbx.ExportsCreated(), job)
	}
}

// A 503 may come after Atlas created the job: no second POST; with no job
// in the list, the error says the outcome is unknown.
func TestCreateExportJob_serverErrorIsNotRetriedBlindly(t *testing.T) {
	sbx, srv := seededSandbox(t, func(s *sandbox.Server) {
		s.AddFault(sandbox.Fault{Cluster: sandbox.ClusterReplicaSet, Status: http.StatusServiceUnavailable, Times: 1})
	})
	_, err := newTestClient(t, srv.URL).CreateExportJob(context.Background(), sandbox.ProjectID, sandbox.ClusterReplicaSet, testExport)
	if _, ok := errors.AsType[*AmbiguousCreateError](err); !ok {
		t.Fatalf("err = %v, want an AmbiguousCreateError", err)
	}
	listed := false
	for _, r := range attempts(sbx) {
		listed = listed || (r.Method == http.MethodGet && r.Status == http.StatusOK)
	}
	if posts(sbx) != 1 || !listed {
		t.Errorf("%d POSTs, list read %v; want 1 POST, then the list read", posts(sbx), listed)
	}
}

func TestCreateExportJob_unknownBucketFailsOnce(t *testing.T) {
	sbx, srv := seededSandbox(t)
	req := testExport
	req.ExportBucketID = sandbox.BucketDeleted
	_, err := newTestClient(t, srv.URL).CreateExportJob(context.Background(), sandbox.ProjectID, sandbox.ClusterReplicaSet, req)
	if errorCodeOf(err) != "EXPORT_BUCKET_NOT_FOUND" || posts(sbx) != 1 {
		t.Fatalf("err = %v after %d POSTs, want EXPORT_BUCKET_NOT_FOUND after 1", err, posts(sbx))
	}
}

func TestActiveExport_onlyQueuedOrInProgressOfTheSnapshotAndBucket(t *testing.T) {
	_, srv := seededSandbox(t)
	client := newTestClient(t, srv.URL)
	ctx := context.Background()
	// docs-replica-set's seeded job exports 605cc9a7c1c7613f423e0f11 to
	// BucketAWS and is InProgress.
	for name, tc := range map[string]struct {
		snapshot, bucket string
		want             bool
	}{
		"same snapshot and bucket": {"605cc9a7c1c7613f423e0f11", sandbox.BucketAWS, true},
		"other bucket":             {"605cc9a7c1c7613f423e0f11", sandbox.BucketGCP, false},
		"other snapshot":           {sandbox.SnapshotNewestCompleted, sandbox.BucketAWS, false},
	} {
		t.Run(name, func(t *testing.T) {
			job, err := client.ActiveExport(ctx, sandbox.ProjectID, sandbox.ClusterReplicaSet, tc.snapshot, tc.bucket, time.Time{})
			if err != nil || (job != nil) != tc.want {
				t.Fatalf("ActiveExport = %+v, %v; want found %v", job, err, tc.want)
			}
		})
	}
}

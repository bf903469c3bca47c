package atlas

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/atlasexports/terraform-provider-atlasexports/internal/sandbox"
)

// errorCodeOf is Atlas's errorCode behind err, or "".
func errorCodeOf(err error) string {
	if apiErr, ok := errors.AsType[*APIError](err); ok {
		return apiErr.ErrorCode
	}
	return ""
}

// seededSandbox serves sandbox.New(): the seeded clusters, their snapshots
// and export buckets.
func seededSandbox(t *testing.T, configure ...func(*sandbox.Server)) (*sandbox.Server, *httptest.Server) {
	t.Helper()
	sbx := sandbox.New()
	for _, c := range configure {
		c(sbx)
	}
	return sbx, serve(t, sbx)
}

func TestListSnapshots_newestCompletedIsNotTheListsOrder(t *testing.T) {
	_, srv := seededSandbox(t)
	list, err := newTestClient(t, srv.URL).ListSnapshots(context.Background(), sandbox.ProjectID, sandbox.ClusterReplicaSet)
	if err != nil {
		t.Fatal(err)
	}
	if list.Sharded || len(list.Snapshots) != len(sandbox.SeededReplicaSetSnapshots()) {
		t.Fatalf("got %d snapshots (sharded %v), want the %d seeded replica set ones", len(list.Snapshots), list.Sharded, len(sandbox.SeededReplicaSetSnapshots()))
	}
	// The seeded list has a newer inProgress snapshot that already has its
	// createdAt, a newer failed one, a queued one without createdAt, and
	// the newest completed one neither first nor last.
	if got := NewestCompleted(list.Snapshots); got == nil || str(got.ID) != sandbox.SnapshotNewestCompleted {
		t.Errorf("NewestCompleted = %v, want %s", got, sandbox.SnapshotNewestCompleted)
	}
	if got, want := StatusSummary(list.Snapshots), "3 completed, 1 failed, 1 inProgress, 1 queued"; got != want {
		t.Errorf("StatusSummary = %q, want %q", got, want)
	}
}

func TestListSnapshots_shardedClusterFromTheShardedList(t *testing.T) {
	sbx, srv := seededSandbox(t)
	list, err := newTestClient(t, srv.URL).ListSnapshots(context.Background(), sandbox.ProjectID, sandbox.ClusterSharded)
	if err != nil {
		t.Fatal(err)
	}
	newest := NewestCompleted(list.Snapshots)
	if !list.Sharded || newest == nil || str(newest.ID) != sandbox.SnapshotShardedNewest || len(newest.Members) != 3 {
		t.Fatalf("got sharded %v, newest %+v; want the sharded list's %s with its 3 members", list.Sharded, newest, sandbox.SnapshotShardedNewest)
	}
	var sawSharded bool
	for _, r := range sbx.Requests() {
		sawSharded = sawSharded || strings.HasSuffix(r.Path, "/backup/snapshots/shardedClusters")
	}
	if !sawSharded {
		t.Error("the sharded cluster list was not requested")
	}
}

func TestListSnapshots_everyPage(t *testing.T) {
	_, srv := seededSandbox(t)
	client := newTestClient(t, srv.URL, withPaging(2, 1))
	list, err := client.ListSnapshots(context.Background(), sandbox.ProjectID, sandbox.ClusterReplicaSet)
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Snapshots) != 6 || str(NewestCompleted(list.Snapshots).ID) != sandbox.SnapshotNewestCompleted {
		t.Fatalf("got %d snapshots over pages of 2, want all 6", len(list.Snapshots))
	}
}

func TestListSnapshots_unknownClusterNamesTheRequest(t *testing.T) {
	_, srv := seededSandbox(t)
	_, err := newTestClient(t, srv.URL).ListSnapshots(context.Background(), sandbox.ProjectID, "no-such-cluster")
	if errorCodeOf(err) != "CLUSTER_NOT_FOUND" || !strings.Contains(err.Error(), "GET .../backup/snapshots") {
		t.Fatalf("err = %v, want CLUSTER_NOT_FOUND naming the snapshot list request", err)
	}
}

// Real snapshots carry frequencyType "ondemand", outside the contract's
// enum: the recorded lists decode, and their one completed snapshot is the
// newest.
func TestSnapshots_recordedListsDecode(t *testing.T) {
	requireShared(t)
	n := 0
	for _, rec := range readRecordings(t) {
		if rec.folder != "List_snapshots" || rec.status != 200 {
			continue
		}
		var page snapshotPage
		if err := json.Unmarshal(rec.body, &page); err != nil || page.Results == nil {
			t.Fatalf("%s: %v", rec.name, err)
		}
		newest := NewestCompleted(*page.Results)
		if newest == nil || str(newest.FrequencyType) != "ondemand" {
			t.Errorf("%s: newest completed = %+v, want the recorded ondemand snapshot", rec.name, newest)
		}
		n++
	}
	if n == 0 {
		t.Fatal("no recorded snapshot list")
	}
}

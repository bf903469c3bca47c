package provider

import (
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/atlasexports/terraform-provider-atlasexports/internal/sandbox"
)

// The action's tests run the terraform CLI (terraform-plugin-testing has
// no -invoke) with the provider built for it (newTerraformCLI), which polls
// every few milliseconds; the sandbox's clock moves a second on each poll of
// an export job, so that a job goes through its states poll by poll.

// exportSandbox starts a seeded sandbox whose created export jobs run as l
// says, on a clock that each GET of a job moves on by step.
func exportSandbox(t *testing.T, l sandbox.ExportLifecycle, step time.Duration) (*sandbox.Server, string) {
	t.Helper()
	clock := sandbox.NewManualClock(time.Now())
	return startSandbox(t, func(s *sandbox.Server) {
		s.SetClock(clock.Now)
		s.SetExportLifecycle(l)
		s.OnArrival = func(r sandbox.Request) {
			if r.Method == http.MethodGet && strings.Contains(r.Path, "/backup/exports/") && r.Auth != "none" {
				clock.Advance(step)
			}
		}
	})
}

// exportAction is an atlasexports_export_snapshot action named "this" of the
// sandbox project, with config lines after project_id.
func exportAction(cluster string, lines ...string) string {
	config := append([]string{attr("project_id", sandbox.ProjectID), attr("cluster_name", cluster)}, lines...)
	var b strings.Builder
	b.WriteString("\naction \"atlasexports_export_snapshot\" \"this\" {\n  config {\n")
	for _, l := range config {
		b.WriteString("    " + l + "\n")
	}
	b.WriteString("  }\n}\n")
	return b.String()
}

const invokeThis = "-invoke=action.atlasexports_export_snapshot.this"

// exportPOSTs counts the export jobs created by POST.
func exportPOSTs(sbx *sandbox.Server) int {
	n := 0
	for _, r := range sbx.Requests() {
		if r.Method == http.MethodPost && r.Auth != "none" && strings.HasSuffix(r.Path, "/backup/exports") {
			n++
		}
	}
	return n
}

var normalExport = sandbox.ExportLifecycle{Queued: 2 * time.Second, InProgress: 3 * time.Second, TotalCollections: 4}

func TestAccExportSnapshotAction_invokeExportsTheNewestCompletedSnapshotAndWaits(t *testing.T) {
	cli := actionCLI(t)
	sbx, url := exportSandbox(t, normalExport, time.Second)
	out := cli.run(t, providerBlock(url)+exportAction(sandbox.ClusterReplicaSet, attr("export_bucket_id", sandbox.BucketAWS),
		`custom_data = { pipeline = "nightly" }`), "apply", "-auto-approve", "-no-color", invokeThis)
	const prefix = `Action action.atlasexports_export_snapshot.this \(triggered by CLI\): `
	for _, want := range []string{
		prefix + `Atlas accepted export job [0-9a-f]{24} of snapshot ` + sandbox.SnapshotNewestCompleted + ` \(taken 2026-08-10T03:28:08Z\) to bucket ` + sandbox.BucketAWS + `: Queued`,
		prefix + `Export job [0-9a-f]{24}: Queued \(waited`,
		prefix + `Export job [0-9a-f]{24}: InProgress, 1 of 4 collections exported`,
		prefix + `Export job ([0-9a-f]{24}) finished Successful: snapshot ` + sandbox.SnapshotNewestCompleted +
			` \(taken 2026-08-10T03:28:08Z\) of cluster "docs-replica-set" is at s3://atlas-exports-docs/exported_snapshots/` +
			sandbox.OrgID + `/` + sandbox.ProjectID + `/docs-replica-set/2026-08-10T0328/\d+`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("the output lacks %s:\n%s", want, out)
		}
	}
	if exportPOSTs(sbx) != 1 {
		t.Errorf("%d export POSTs, want 1", exportPOSTs(sbx))
	}
}

func TestAccExportSnapshotAction_shardedCluster(t *testing.T) {
	cli := actionCLI(t)
	_, url := exportSandbox(t, normalExport, time.Second)
	out := cli.run(t, providerBlock(url)+exportAction(sandbox.ClusterSharded, attr("export_bucket_id", sandbox.BucketGCP)),
		"apply", "-auto-approve", "-no-color", invokeThis)
	if !errorText("finished Successful: snapshot "+sandbox.SnapshotShardedNewest, "is at gs://atlas-exports-gcs/exported_snapshots/").MatchString(out) {
		t.Errorf("the sharded cluster's newest snapshot was not exported to the GCS bucket:\n%s", out)
	}
}

// triggeredByResource runs the action "this" after terraform_data.load is
// created.
const triggeredByResource = `
resource "terraform_data" "load" {
  input = "2026-12-07"
  lifecycle {
    action_trigger {
      events  = [after_create]
      actions = [action.atlasexports_export_snapshot.this]
    }
  }
}
`

// An action_trigger on a terraform_data resource runs the action after the
// resource is created, in the same apply.
func TestAccExportSnapshotAction_triggeredAfterAResource(t *testing.T) {
	cli := actionCLI(t)
	sbx, url := exportSandbox(t, normalExport, time.Second)
	config := providerBlock(url) + exportAction(sandbox.ClusterReplicaSet, attr("export_bucket_id", sandbox.BucketAWS)) + triggeredByResource
	out := cli.run(t, config, "apply", "-auto-approve", "-no-color")
	if !errorText("finished Successful: snapshot "+sandbox.SnapshotNewestCompleted).MatchString(out) || exportPOSTs(sbx) != 1 {
		t.Errorf("%d export POSTs; the apply did not export and wait:\n%s", exportPOSTs(sbx), out)
	}
	// The resource is in state and unchanged: no new trigger, no new export.
	out = cli.run(t, config, "apply", "-auto-approve", "-no-color")
	if exportPOSTs(sbx) != 1 || !strings.Contains(out, "0 added, 0 changed, 0 destroyed") {
		t.Errorf("a second apply with nothing to do exported again (%d POSTs):\n%s", exportPOSTs(sbx), out)
	}
}

func TestAccExportSnapshotAction_failedJobFailsWithItsReasonAndID(t *testing.T) {
	cli := actionCLI(t)
	failing := normalExport
	failing.Outcome, failing.StateReason = "Failed", &sandbox.StateReason{ErrorCode: "EXPORT_FAILED", Message: "Access Denied writing to the bucket."}
	_, url := exportSandbox(t, failing, time.Second)
	out := cli.fail(t, providerBlock(url)+exportAction(sandbox.ClusterReplicaSet, attr("export_bucket_id", sandbox.BucketAWS)),
		"apply", "-auto-approve", "-no-color", invokeThis)
	if !errorText("Export job Failed", "Export job", "of snapshot "+sandbox.SnapshotNewestCompleted+" ended Failed.",
		"Atlas's reason: Access Denied writing to the bucket (errorCode EXPORT_FAILED)").MatchString(out) {
		t.Errorf("the failure does not give the job and Atlas's reason:\n%s", out)
	}
}

// A job that does not end within timeouts.invoke fails the invocation,
// which names the job and says it keeps running.
func TestAccExportSnapshotAction_timeoutSaysTheJobKeepsRunning(t *testing.T) {
	cli := actionCLI(t)
	_, url := exportSandbox(t, sandbox.ExportLifecycle{Queued: time.Hour, InProgress: time.Hour}, 0)
	out := cli.fail(t, providerBlock(url)+exportAction(sandbox.ClusterReplicaSet, attr("export_bucket_id", sandbox.BucketAWS),
		`timeouts = { invoke = "2s" }`), "apply", "-auto-approve", "-no-color", invokeThis)
	if !errorText("Export job did not end in time", "timeouts.invoke, 2s", "Export job", "was last Queued.",
		"The job keeps running in Atlas").MatchString(out) {
		t.Errorf("the timeout does not name the job, its state and that it keeps running:\n%s", out)
	}
}

// An export of the same snapshot to the same bucket already Queued or
// InProgress is waited on, not started again.
func TestAccExportSnapshotAction_waitsOnTheExportAlreadyRunning(t *testing.T) {
	cli := actionCLI(t)
	sbx, url := exportSandbox(t, normalExport, time.Second)
	running := sbx.StartExport(sandbox.ProjectID, sandbox.ClusterReplicaSet, sandbox.SnapshotNewestCompleted, sandbox.BucketAWS)
	out := cli.run(t, providerBlock(url)+exportAction(sandbox.ClusterReplicaSet, attr("export_bucket_id", sandbox.BucketAWS)),
		"apply", "-auto-approve", "-no-color", invokeThis)
	if exportPOSTs(sbx) != 0 || !errorText("Export job "+running.ID+" already exports snapshot "+sandbox.SnapshotNewestCompleted,
		"waiting on it instead of starting another", "Export job "+running.ID+" finished Successful").MatchString(out) {
		t.Errorf("%d POSTs; want the running job %s waited on:\n%s", exportPOSTs(sbx), running.ID, out)
	}
	// Once it has succeeded, a new invocation starts a new export.
	cli.run(t, providerBlock(url)+exportAction(sandbox.ClusterReplicaSet, attr("export_bucket_id", sandbox.BucketAWS), "wait = false"),
		"apply", "-auto-approve", "-no-color", invokeThis)
	if exportPOSTs(sbx) != 1 {
		t.Errorf("%d POSTs after the earlier export succeeded, want 1", exportPOSTs(sbx))
	}
}

// wait = false returns once Atlas accepted the job, without polling it.
func TestAccExportSnapshotAction_noWait(t *testing.T) {
	cli := actionCLI(t)
	var polls atomic.Int64
	sbx, url := exportSandbox(t, normalExport, time.Second)
	sbx.OnArrival = func(r sandbox.Request) {
		if r.Method == http.MethodGet && strings.Contains(r.Path, "/backup/exports/") {
			polls.Add(1)
		}
	}
	out := cli.run(t, providerBlock(url)+exportAction(sandbox.ClusterReplicaSet, attr("export_bucket_id", sandbox.BucketAWS), "wait = false"),
		"apply", "-auto-approve", "-no-color", invokeThis)
	if exportPOSTs(sbx) != 1 || polls.Load() != 0 || !strings.Contains(out, "Atlas accepted export job") {
		t.Errorf("%d POSTs, %d polls; want 1 and 0:\n%s", exportPOSTs(sbx), polls.Load(), out)
	}
}

// Input Atlas would refuse, or that names nothing to export, fails before
// any export is created, with an error that says what is wrong.
func TestAccExportSnapshotAction_badInputFailsBeforeAnyExport(t *testing.T) {
	cli := actionCLI(t)
	for name, tc := range map[string]struct {
		cluster string
		lines   []string
		want    []string
	}{
		"unknown cluster": {"no-such-cluster", []string{attr("export_bucket_id", sandbox.BucketAWS)},
			[]string{"Unable to list the cluster's snapshots", "CLUSTER_NOT_FOUND"}},
		"no completed snapshot": {sandbox.ClusterEmpty, []string{attr("export_bucket_id", sandbox.BucketAWS)},
			[]string{"No completed snapshot to export", `Cluster "empty"`, "has no completed snapshot (its snapshots: 1 inProgress, 1 queued)"}},
		"snapshot of another cluster": {sandbox.ClusterReplicaSet,
			[]string{attr("export_bucket_id", sandbox.BucketAWS), attr("snapshot_id", sandbox.SnapshotShardedNewest)},
			[]string{"Snapshot not found", `Cluster "docs-replica-set"`, "has no snapshot " + sandbox.SnapshotShardedNewest}},
		"snapshot not completed": {sandbox.ClusterReplicaSet,
			[]string{attr("export_bucket_id", sandbox.BucketAWS), attr("snapshot_id", sandbox.SnapshotInProgress)},
			[]string{"Snapshot not completed", "is inProgress"}},
		"bucket that does not exist": {sandbox.ClusterReplicaSet, []string{attr("export_bucket_id", sandbox.BucketDeleted)},
			[]string{"Export bucket not found", "has no export bucket " + sandbox.BucketDeleted}},
	} {
		t.Run(name, func(t *testing.T) {
			sbx, url := exportSandbox(t, normalExport, time.Second)
			sbx.SetSnapshots(sandbox.ProjectID, sandbox.ClusterEmpty,
				sandbox.Snapshot{ID: "6a7944f22c88faeba59d3590", Status: "inProgress", CreatedAt: "2026-08-10T03:28:08Z", Type: sandbox.SnapshotReplicaSet},
				sandbox.Snapshot{ID: "6a7944f22c88faeba59d3591", Status: "queued", Type: sandbox.SnapshotReplicaSet})
			out := cli.fail(t, providerBlock(url)+exportAction(tc.cluster, tc.lines...), "apply", "-auto-approve", "-no-color", invokeThis)
			if !errorText(tc.want...).MatchString(out) {
				t.Errorf("the error does not say %q:\n%s", tc.want, out)
			}
			if exportPOSTs(sbx) != 0 {
				t.Errorf("%d export POSTs, want none", exportPOSTs(sbx))
			}
		})
	}
}

// Malformed input fails at plan time, before any request.
func TestAccExportSnapshotAction_invalidConfigFailsBeforeAnyRequest(t *testing.T) {
	cli := actionCLI(t)
	for name, tc := range map[string]struct {
		lines []string
		want  string
	}{
		"bucket id":      {[]string{attr("export_bucket_id", "not-an-id")}, "must be 24 lowercase hexadecimal characters"},
		"snapshot id":    {[]string{attr("export_bucket_id", sandbox.BucketAWS), attr("snapshot_id", "ABC")}, "must be 24 lowercase hexadecimal"},
		"empty key":      {[]string{attr("export_bucket_id", sandbox.BucketAWS), `custom_data = { "" = "x" }`}, "custom_data"},
		"zero timeout":   {[]string{attr("export_bucket_id", sandbox.BucketAWS), `timeouts = { invoke = "0s" }`}, "Invalid invoke timeout"},
		"missing bucket": {nil, `The argument "export_bucket_id" is required`},
	} {
		t.Run(name, func(t *testing.T) {
			sbx, url := exportSandbox(t, normalExport, time.Second)
			out := cli.fail(t, providerBlock(url)+exportAction(sandbox.ClusterReplicaSet, tc.lines...), "apply", "-auto-approve", "-no-color", invokeThis)
			if !errorText(tc.want).MatchString(out) || len(sbx.Requests()) != 0 {
				t.Errorf("%d requests; want none and an error saying %q:\n%s", len(sbx.Requests()), tc.want, out)
			}
		})
	}
}

// A triggered action that fails fails the apply, but the resource that
// triggered it is in state and not tainted: the next apply has nothing to
// do and does not run the action again (the guide says so).
func TestAccExportSnapshotAction_failedTriggerIsNotRetriedByTheNextApply(t *testing.T) {
	cli := actionCLI(t)
	failing := normalExport
	failing.Outcome, failing.StateReason = "Failed", &sandbox.StateReason{ErrorCode: "EXPORT_FAILED", Message: "Access Denied."}
	sbx, url := exportSandbox(t, failing, time.Second)
	config := providerBlock(url) + exportAction(sandbox.ClusterReplicaSet, attr("export_bucket_id", sandbox.BucketAWS)) + triggeredByResource
	out := cli.fail(t, config, "apply", "-auto-approve", "-no-color")
	if !errorText("Export job Failed", "Access Denied").MatchString(out) {
		t.Fatalf("the triggered action's failure is not shown:\n%s", out)
	}
	out = cli.run(t, config, "plan", "-no-color", "-detailed-exitcode")
	if !strings.Contains(out, "No changes") || exportPOSTs(sbx) != 1 {
		t.Errorf("%d POSTs; want the resource in state and nothing to do:\n%s", exportPOSTs(sbx), out)
	}
}

// terraform plan -invoke shows the invocation and does not run it (the
// guide says so).
func TestAccExportSnapshotAction_planInvokeDoesNotExport(t *testing.T) {
	cli := actionCLI(t)
	sbx, url := exportSandbox(t, normalExport, time.Second)
	out := cli.run(t, providerBlock(url)+exportAction(sandbox.ClusterReplicaSet, attr("export_bucket_id", sandbox.BucketAWS)),
		"plan", "-no-color", invokeThis)
	if !strings.Contains(out, "action.atlasexports_export_snapshot.this will be invoked") || len(sbx.Requests()) != 0 {
		t.Errorf("%d requests; want the invocation planned and no request:\n%s", len(sbx.Requests()), out)
	}
}

// A POST whose answer is lost may have created the job: the action finds it
// and waits on it; a 5xx with no job to find fails, saying that Atlas may
// still create it, without a second POST.
func TestAccExportSnapshotAction_ambiguousPOSTIsNotSentAgain(t *testing.T) {
	cli := actionCLI(t)
	config := exportAction(sandbox.ClusterReplicaSet, attr("export_bucket_id", sandbox.BucketAWS))

	sbx, url := exportSandbox(t, normalExport, time.Second)
	sbx.LoseCreateAnswers(1)
	out := cli.run(t, providerBlock(url, attr("max_retries", "3"))+config, "apply", "-auto-approve", "-no-color", invokeThis)
	if exportPOSTs(sbx) != 1 || sbx.ExportsCreated() != 1 || !strings.Contains(out, "finished Successful") {
		t.Errorf("lost answer: %d POSTs, %d jobs; want the one job found and waited on:\n%s", exportPOSTs(sbx), sbx.ExportsCreated(), out)
	}

	sbx, url = exportSandbox(t, normalExport, time.Second)
	sbx.FailCreateRequests(1, http.StatusServiceUnavailable)
	out = cli.fail(t, providerBlock(url, attr("max_retries", "3"))+config, "apply", "-auto-approve", "-no-color", invokeThis)
	if exportPOSTs(sbx) != 1 || !errorText("Export job outcome unknown", "HTTP 503", "Atlas may still create the job").MatchString(out) {
		t.Errorf("503: %d POSTs; want 1 and the outcome called unknown:\n%s", exportPOSTs(sbx), out)
	}
}

// A key without the role an operation needs gets Atlas's 401
// USER_UNAUTHORIZED; the error names the request and the role.
func TestAccExportSnapshotAction_missingRoleNamesIt(t *testing.T) {
	cli := actionCLI(t)
	for name, tc := range map[string]struct {
		roles []string
		want  []string
	}{
		"no export operator": {[]string{sandbox.RoleProjectReadOnly, sandbox.RoleProjectBackupManager},
			[]string{"Unable to create the export job", "USER_UNAUTHORIZED", "(POST /api/atlas/v2/groups/{groupId}/clusters/{clusterName}/backup/exports)",
				"needs the Project Backup Export Operator role"}},
		"no backup manager": {[]string{sandbox.RoleProjectReadOnly, sandbox.RoleProjectBackupExportOperator},
			[]string{"Unable to list the cluster's export jobs", "USER_UNAUTHORIZED", "needs the Project Backup Manager role"}},
		"no read only": {[]string{sandbox.RoleProjectBackupManager, sandbox.RoleProjectBackupExportOperator},
			[]string{"Unable to list the cluster's snapshots", "USER_UNAUTHORIZED", "/backup/snapshots", "needs the Project Read Only role"}},
	} {
		t.Run(name, func(t *testing.T) {
			sbx, url := exportSandbox(t, normalExport, time.Second)
			sbx.AddKeyWithRoles("limitedk", "0b7c2d8e-1f3a-4c5b-9d6e-7f8091a2b3c4", tc.roles...)
			out := cli.fail(t, providerConfig(attr("base_url", url), attr("public_key", "limitedk"),
				attr("private_key", "0b7c2d8e-1f3a-4c5b-9d6e-7f8091a2b3c4"))+
				exportAction(sandbox.ClusterReplicaSet, attr("export_bucket_id", sandbox.BucketAWS)), "apply", "-auto-approve", "-no-color", invokeThis)
			if !errorText(tc.want...).MatchString(out) || sbx.ExportsCreated() != 0 {
				t.Errorf("%d exports created; want none and an error saying %q:\n%s", sbx.ExportsCreated(), tc.want, out)
			}
		})
	}
}

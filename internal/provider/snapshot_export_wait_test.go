package provider

import (
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/atlasexports/terraform-provider-atlasexports/internal/sandbox"
)

// The in-process provider of the acceptance tests polls export jobs every
// few milliseconds; the sandbox's clock, moved by each poll, decides how
// far a job has got (exportSandbox).
func init() { testPollInterval = "5ms" }

// waitBlock is a snapshot_export data source named "this" that waits for
// export job id of the replica set cluster.
func waitBlock(id string, extra ...string) string {
	return block(`data "atlasexports_snapshot_export" "this"`, append([]string{attr("project_id", sandbox.ProjectID),
		attr("cluster_name", sandbox.ClusterReplicaSet), attr("export_id", id), "wait_for_completion = true"}, extra...)...)
}

// A job started elsewhere in the same apply is read once it has ended,
// with its uri.
func TestSnapshotExportDataSource_waitForCompletionReadsTheEndedJob(t *testing.T) {
	sbx, url := exportSandbox(t, normalExport, time.Second)
	job := sbx.StartExport(sandbox.ProjectID, sandbox.ClusterReplicaSet, sandbox.SnapshotNewestCompleted, sandbox.BucketAWS)
	expectState(t, providerBlock(url)+waitBlock(job.ID),
		statecheck.ExpectKnownValue(exportAddr, tfjsonpath.New("state"), knownvalue.StringExact("Successful")),
		statecheck.ExpectKnownValue(exportAddr, tfjsonpath.New("finished_at"), knownvalue.NotNull()),
		statecheck.ExpectKnownValue(exportAddr, tfjsonpath.New("uri"), knownvalue.StringRegexp(
			regexp.MustCompile(`^s3://atlas-exports-docs/exported_snapshots/.*/docs-replica-set/2026-08-10T0328/\d+$`))))
}

// Without wait_for_completion, the job is read as it is.
func TestSnapshotExportDataSource_withoutWaitReadsTheJobAsItIs(t *testing.T) {
	sbx, url := exportSandbox(t, normalExport, time.Second)
	job := sbx.StartExport(sandbox.ProjectID, sandbox.ClusterReplicaSet, sandbox.SnapshotNewestCompleted, sandbox.BucketAWS)
	expectState(t, providerBlock(url)+exportBlock(sandbox.ClusterReplicaSet, job.ID),
		statecheck.ExpectKnownValue(exportAddr, tfjsonpath.New("state"), knownvalue.StringExact("Queued")))
}

func TestSnapshotExportDataSource_waitForCompletionFailedJobIsReadAsItEnded(t *testing.T) {
	failing := normalExport
	failing.Outcome, failing.StateReason = "Failed", &sandbox.StateReason{ErrorCode: "EXPORT_FAILED", Message: "Access Denied."}
	sbx, url := exportSandbox(t, failing, time.Second)
	job := sbx.StartExport(sandbox.ProjectID, sandbox.ClusterReplicaSet, sandbox.SnapshotNewestCompleted, sandbox.BucketAWS)
	expectState(t, providerBlock(url)+waitBlock(job.ID),
		statecheck.ExpectKnownValue(exportAddr, tfjsonpath.New("state"), knownvalue.StringExact("Failed")),
		statecheck.ExpectKnownValue(exportAddr, tfjsonpath.New("state_reason").AtMapKey("message"), knownvalue.StringExact("Access Denied.")))
}

// A job that does not end within timeouts.read fails the read, which names
// the job and its state and says that it keeps running.
func TestSnapshotExportDataSource_waitForCompletionTimesOut(t *testing.T) {
	sbx, url := exportSandbox(t, sandbox.ExportLifecycle{Queued: time.Hour, InProgress: time.Hour}, 0)
	job := sbx.StartExport(sandbox.ProjectID, sandbox.ClusterReplicaSet, sandbox.SnapshotNewestCompleted, sandbox.BucketAWS)
	expectError(t, providerBlock(url)+waitBlock(job.ID, `timeouts = { read = "1s" }`),
		errorText("Export job did not end in time", "(timeouts.read, 1s)", fmt.Sprintf("Export job %s", job.ID),
			"was last Queued.", "The job keeps running in Atlas"))
}

func TestSnapshotExportDataSource_waitForCompletionNeedsExportID(t *testing.T) {
	for name, tc := range map[string]struct {
		lines []string
		want  *regexp.Regexp
	}{
		"with most_recent": {[]string{"most_recent = true", "wait_for_completion = true"},
			errorText(`Attribute "most_recent" cannot be specified when "wait_for_completion" is specified`)},
		"without export_id": {[]string{"wait_for_completion = true"},
			errorText(`Attribute "export_id" must be specified when "wait_for_completion" is specified`)},
	} {
		t.Run(name, func(t *testing.T) {
			sbx, url := startSandbox(t)
			expectFailsBeforeAnyRequest(t, sbx, providerBlock(url)+block(`data "atlasexports_snapshot_export" "this"`,
				append([]string{attr("project_id", sandbox.ProjectID), attr("cluster_name", sandbox.ClusterReplicaSet)}, tc.lines...)...), tc.want)
		})
	}
}

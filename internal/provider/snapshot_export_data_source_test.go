package provider

import (
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/atlasexports/terraform-provider-atlasexports/internal/sandbox"
)

const exportAddr = "data.atlasexports_snapshot_export.this"

// exportBlock is a snapshot_export data source named "this" of the sandbox project.
func exportBlock(cluster, exportID string) string {
	return block(`data "atlasexports_snapshot_export" "this"`,
		attr("project_id", sandbox.ProjectID), attr("cluster_name", cluster), attr("export_id", exportID))
}

func TestSnapshotExportDataSource_found(t *testing.T) {
	t.Parallel()
	_, url := startSandbox(t)
	want := shardedSuccessfulJob()
	want["project_id"] = knownvalue.StringExact(sandbox.ProjectID)
	want["cluster_name"] = knownvalue.StringExact(sandbox.ClusterSharded)
	want["export_id"] = knownvalue.StringExact("606758180d97065aabbe5b85")
	var checks []statecheck.StateCheck
	for name, check := range want {
		checks = append(checks, statecheck.ExpectKnownValue(exportAddr, tfjsonpath.New(name), check))
	}
	expectState(t, providerBlock(url)+exportBlock(sandbox.ClusterSharded, "606758180d97065aabbe5b85"),
		checks...)
}

func TestSnapshotExportDataSource_notFound(t *testing.T) {
	t.Parallel()
	_, url := startSandbox(t)
	expectError(t, providerBlock(url)+exportBlock(sandbox.ClusterSharded, "0123456789abcdef01234567"),
		errorText("Unable to read the snapshot export job", `export_id = "0123456789abcdef01234567"`, "HTTP 404", "EXPORT_JOB_NOT_FOUND",
			"No export job with ID 0123456789abcdef01234567",
			"The export job, its cluster or its project does not exist", "Check export_id"))
}

func TestSnapshotExportDataSource_invalidExportIDFailsAtPlan(t *testing.T) {
	t.Parallel()
	sbx, url := startSandbox(t)
	expectFailsBeforeAnyRequest(t, sbx, providerBlock(url)+exportBlock(sandbox.ClusterSharded, "606758180D97065AABBE5B85"),
		errorText(`export_id = "606758180D97065AABBE5B85"`, "must be 24 lowercase hexadecimal characters"))
}

// The timeouts block bounds the single-job read as it does the list.
func TestSnapshotExportDataSource_readTimeout(t *testing.T) {
	t.Parallel()
	sbx, url := startSandbox(t)
	sbx.AddFault(sandbox.Fault{Hang: 30 * time.Second})
	start := time.Now()
	expectError(t, providerBlock(url, attr("request_timeout", "20s"))+
		block(`data "atlasexports_snapshot_export" "this"`, attr("project_id", sandbox.ProjectID),
			attr("cluster_name", sandbox.ClusterSharded), attr("export_id", "606758180d97065aabbe5b85"), `timeouts { read = "1s" }`),
		errorText("Unable to read the snapshot export job", "The read did not finish within its time limit (1s)", "timeouts { read"))
	if elapsed := time.Since(start); elapsed > 15*time.Second {
		t.Errorf("the read took %v; its 1s time limit must end it", elapsed)
	}
}

package provider

import (
	"context"
	"maps"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
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
	want["most_recent"] = knownvalue.Null()
	want["states"] = knownvalue.Null()
	want["order_by"] = knownvalue.Null()
	expectState(t, providerBlock(url)+exportBlock(sandbox.ClusterSharded, "606758180d97065aabbe5b85"),
		expectJob(want, sandbox.BucketAWS)...)
}

func TestSnapshotExportDataSource_notFound(t *testing.T) {
	t.Parallel()
	_, url := startSandbox(t)
	expectError(t, providerBlock(url)+exportBlock(sandbox.ClusterSharded, "0123456789abcdef01234567"),
		errorText("Unable to read the snapshot export job", `export_id = "0123456789abcdef01234567"`, "HTTP 404", "RESOURCE_NOT_FOUND",
			"Cannot find resource 0123456789abcdef01234567",
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
	expectError(t, providerBlock(url, attr("request_timeout", "20s"))+
		block(`data "atlasexports_snapshot_export" "this"`, attr("project_id", sandbox.ProjectID),
			attr("cluster_name", sandbox.ClusterSharded), attr("export_id", "606758180d97065aabbe5b85"), `timeouts { read = "1s" }`),
		errorText("Unable to read the snapshot export job", "The read did not finish within its time limit (1s)", "timeouts { read"))
	if n := sbx.FaultsFired(); n != 1 {
		t.Errorf("the hung request was tried %d times; the read's time limit ends the first", n)
	}
}

// newestExportBlock is a snapshot_export data source named "this" with
// most_recent = true, of the sandbox project.
func newestExportBlock(cluster string, extra ...string) string {
	return block(`data "atlasexports_snapshot_export" "this"`,
		append([]string{attr("project_id", sandbox.ProjectID), attr("cluster_name", cluster), "most_recent = true"}, extra...)...)
}

// expectJob checks every attribute of a snapshot_export data source's job,
// and its export bucket.
func expectJob(job map[string]knownvalue.Check, bucket string) []statecheck.StateCheck {
	checks := []statecheck.StateCheck{
		statecheck.ExpectKnownValue(exportAddr, tfjsonpath.New("export_bucket"), exportBucketCheck(bucket)),
	}
	for name, check := range job {
		checks = append(checks, statecheck.ExpectKnownValue(exportAddr, tfjsonpath.New(name), check))
	}
	return checks
}

// most_recent reads the newest job that states (by default Successful) and
// order_by choose: the newest Successful job rather than a newer Queued one;
// the re-export of an old snapshot by created_at, the export of the newest
// snapshot by snapshot_created_at (its prefix in the documentation's form
// with an offset); any state when states says so.
func TestSnapshotExportDataSource_mostRecent(t *testing.T) {
	t.Parallel()
	jobs := sandbox.ReexportedJobs()
	reexported := func(i int) (map[string]knownvalue.Check, string) {
		return jobChecks(jobs[i], reexportedSnapshots[i]), jobs[i].ExportBucketID
	}
	for name, c := range map[string]struct {
		cluster string
		extra   []string
		job     func() (map[string]knownvalue.Check, string)
	}{
		"Successful by default, not a newer Queued job": {
			cluster: sandbox.ClusterSharded, job: func() (map[string]knownvalue.Check, string) { return shardedSuccessfulJob(), sandbox.BucketAWS },
		},
		"by created_at": {
			cluster: sandbox.ClusterReexported, job: func() (map[string]knownvalue.Check, string) { return reexported(0) },
		},
		"by snapshot_created_at": {
			cluster: sandbox.ClusterReexported, extra: []string{attr("order_by", "snapshot_created_at")},
			job: func() (map[string]knownvalue.Check, string) { return reexported(3) },
		},
		"by snapshot_created_at, any state": {
			cluster: sandbox.ClusterReexported,
			extra:   []string{attr("order_by", "snapshot_created_at"), `states = ["Queued", "InProgress", "Successful", "Failed", "Cancelled"]`},
			job:     func() (map[string]knownvalue.Check, string) { return reexported(1) },
		},
		"Failed": {
			cluster: sandbox.ClusterReexported, extra: []string{`states = ["Failed"]`},
			job: func() (map[string]knownvalue.Check, string) { return reexported(2) },
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			sbx, url := startSandbox(t)
			job, bucket := c.job()
			expectState(t, providerBlock(url)+newestExportBlock(c.cluster, c.extra...), expectJob(job, bucket)...)
			if gets := bucketGETs(sbx); len(gets) != 1 || gets[bucket] == 0 {
				t.Errorf("bucket GETs %v: want only the bucket of the job read, %s", gets, bucket)
			}
		})
	}
}

// With nothing to read, most_recent fails, naming the cluster and the
// filter, saying how many jobs Atlas listed, and pointing to the list with
// limit.
func TestSnapshotExportDataSource_mostRecentWithoutMatch(t *testing.T) {
	t.Parallel()
	for name, c := range map[string]struct {
		cluster string
		extra   []string
		want    *regexp.Regexp
	}{
		"an empty cluster": {
			cluster: sandbox.ClusterEmpty,
			want: errorText("No matching snapshot export job", "most_recent = true",
				`Atlas lists no export jobs for cluster "empty" of project `+sandbox.ProjectID+`, and none is in the states ["Successful"] (most_recent's default).`,
				"atlasexports_snapshot_exports data source with the same states and limit = 1"),
		},
		"no job in the states asked for": {
			cluster: sandbox.ClusterReexported, extra: []string{`states = ["Cancelled", "Queued"]`},
			want: errorText("No matching snapshot export job",
				`Atlas lists 8 export jobs for cluster "reexported" of project `+sandbox.ProjectID+`, and none is in the states ["Cancelled", "Queued"].`,
				"limit = 1", "try(results[0].uri, null)"),
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, url := startSandbox(t)
			expectError(t, providerBlock(url)+newestExportBlock(c.cluster, c.extra...), c.want)
		})
	}
}

// Which job to read is said exactly once, and states and order_by only
// with most_recent: anything else fails at plan time, before any request.
func TestSnapshotExportDataSource_selectionFailsAtPlan(t *testing.T) {
	t.Parallel()
	const id = "606758180d97065aabbe5b85"
	for name, c := range map[string]struct {
		lines []string
		want  *regexp.Regexp
	}{
		"neither": {
			want: errorText("No export job selected", "needs export_id or most_recent = true", "Set export_id to read one export job by its ID"),
		},
		"both": {
			lines: []string{attr("export_id", id), "most_recent = true"},
			want:  errorText("Conflicting export job selection", "most_recent = true", "set only one of them"),
		},
		"most_recent = false alone": {
			lines: []string{"most_recent = false"},
			want:  errorText("No export job selected", "most_recent = false", "most_recent = false chooses no job"),
		},
		"states with export_id": {
			lines: []string{attr("export_id", id), `states = ["Successful"]`},
			want:  errorText("Argument only used with most_recent", `states = ["Successful"]`, "with export_id the job of that ID is read"),
		},
		"order_by with export_id": {
			lines: []string{attr("export_id", id), "most_recent = false", attr("order_by", "snapshot_created_at")},
			want:  errorText("Argument only used with most_recent", `order_by = "snapshot_created_at"`, "Remove order_by"),
		},
		"an unknown order": {
			lines: []string{"most_recent = true", attr("order_by", "newest")},
			want:  errorText(`order_by = "newest"`, `value must be one of: ["created_at" "snapshot_created_at"]`),
		},
		"a state in the wrong case": {
			lines: []string{"most_recent = true", `states = ["successful"]`},
			want:  errorText("Invalid export job state", `Did you mean "Successful"?`),
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			sbx, url := startSandbox(t)
			expectFailsBeforeAnyRequest(t, sbx, providerBlock(url)+block(`data "atlasexports_snapshot_export" "this"`,
				append([]string{attr("project_id", sandbox.ProjectID), attr("cluster_name", sandbox.ClusterSharded)}, c.lines...)...), c.want)
		})
	}
}

// export_id with most_recent = false reads that job, as export_id alone does.
func TestSnapshotExportDataSource_exportIDWithMostRecentFalse(t *testing.T) {
	t.Parallel()
	_, url := startSandbox(t)
	expectState(t, providerBlock(url)+block(`data "atlasexports_snapshot_export" "this"`, attr("project_id", sandbox.ProjectID),
		attr("cluster_name", sandbox.ClusterSharded), attr("export_id", "606758180d97065aabbe5b85"), "most_recent = false"),
		expectJob(shardedSuccessfulJob(), sandbox.BucketAWS)...)
}

// The selection rules through the protocol's validation, as Terraform
// calls it: an unknown value (from a resource not yet applied) is no error,
// since Terraform validates again once it is known.
func TestSnapshotExportDataSource_validateConfig(t *testing.T) {
	t.Parallel()
	server, schemas := configuredServer(t, "http://127.0.0.1:1")
	str := func(s string) tftypes.Value { return tftypes.NewValue(tftypes.String, s) }
	unknownString := tftypes.NewValue(tftypes.String, tftypes.UnknownValue)
	successful := tftypes.NewValue(tftypes.Set{ElementType: tftypes.String}, []tftypes.Value{str("Successful")})
	for name, c := range map[string]struct {
		set  map[string]tftypes.Value
		want []string // the summaries of the errors, in order
	}{
		"export_id":                         {set: map[string]tftypes.Value{"export_id": str("606758180d97065aabbe5b85")}},
		"most_recent":                       {set: map[string]tftypes.Value{"most_recent": tftypes.NewValue(tftypes.Bool, true), "states": successful}},
		"neither":                           {want: []string{"No export job selected"}},
		"an unknown export_id":              {set: map[string]tftypes.Value{"export_id": unknownString}},
		"an unknown most_recent":            {set: map[string]tftypes.Value{"most_recent": tftypes.NewValue(tftypes.Bool, tftypes.UnknownValue)}},
		"export_id and an unknown order_by": {set: map[string]tftypes.Value{"export_id": str("606758180d97065aabbe5b85"), "order_by": unknownString}},
		"export_id, states and order_by": {
			set:  map[string]tftypes.Value{"export_id": str("606758180d97065aabbe5b85"), "states": successful, "order_by": str("created_at")},
			want: []string{"Argument only used with most_recent", "Argument only used with most_recent"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			set := map[string]tftypes.Value{"project_id": str(sandbox.ProjectID), "cluster_name": str(sandbox.ClusterSharded)}
			maps.Copy(set, c.set)
			const typeName = "atlasexports_snapshot_export"
			resp, err := server.ValidateDataResourceConfig(context.Background(), &tfprotov6.ValidateDataResourceConfigRequest{
				TypeName: typeName, Config: dynamicValue(t, schemas.DataSourceSchemas[typeName], set),
			})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, d := range resp.Diagnostics {
				got = append(got, d.Summary)
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("errors %q; want %q (%v)", got, c.want, resp.Diagnostics)
			}
		})
	}
}

package provider

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/atlasexports/terraform-provider-atlasexports/internal/sandbox"
)

// bucketLocations are the addresses the seeded buckets export to, written
// out rather than computed, so that the tests check the URI logic.
var bucketLocations = map[string]string{
	sandbox.BucketAWS:              "s3://atlas-exports-docs",
	sandbox.BucketGCP:              "gs://atlas-exports-gcs",
	sandbox.BucketAzure:            "https://atlasexportsdocs.blob.core.windows.net/exportcontainer",
	sandbox.BucketAzureAccountOnly: "https://atlasexportsdocs.blob.core.windows.net/nightly",
}

// exportBucketCheck is a seeded bucket as the data sources show it: every
// attribute, other clouds' null; null for any other bucket.
func exportBucketCheck(id string) knownvalue.Check {
	for _, b := range sandbox.SeededExportBuckets() {
		if b["_id"] != id {
			continue
		}
		checks := map[string]knownvalue.Check{}
		for attr, key := range map[string]string{"id": "_id", "bucket_name": "bucketName", "cloud_provider": "cloudProvider",
			"region": "region", "iam_role_id": "iamRoleId", "service_url": "serviceUrl", "role_id": "roleId", "tenant_id": "tenantId"} {
			checks[attr] = knownvalue.Null()
			if v, ok := b[key].(string); ok {
				checks[attr] = knownvalue.StringExact(v)
			}
		}
		checks["require_private_networking"] = knownvalue.Null()
		if v, ok := b["requirePrivateNetworking"].(bool); ok {
			checks["require_private_networking"] = knownvalue.Bool(v)
		}
		return knownvalue.ObjectExact(checks)
	}
	return knownvalue.Null()
}

// exportBucketsCheck is an export_buckets map holding exactly the seeded
// buckets ids.
func exportBucketsCheck(ids ...string) knownvalue.Check {
	checks := map[string]knownvalue.Check{}
	for _, id := range ids {
		checks[id] = exportBucketCheck(id)
	}
	return knownvalue.MapExact(checks)
}

// uriCheck is the uri of a job: its bucket's location, one slash, the prefix.
func uriCheck(j sandbox.Job) knownvalue.Check {
	location, ok := bucketLocations[j.ExportBucketID]
	if !ok || j.Prefix == "" {
		return knownvalue.Null()
	}
	return knownvalue.StringExact(location + "/" + strings.TrimPrefix(j.Prefix, "/"))
}

// bucketGETs counts the authenticated GETs of each export bucket.
func bucketGETs(sbx *sandbox.Server) map[string]int {
	n := map[string]int{}
	for _, r := range sbx.Requests() {
		if id, ok := strings.CutPrefix(r.Path, "/api/atlas/v2/groups/"+sandbox.ProjectID+"/backup/exportBuckets/"); ok && r.Authenticated {
			n[id]++
		}
	}
	return n
}

// firstPages counts the authenticated page-1 requests of a cluster: one per
// read of its jobs.
func firstPages(sbx *sandbox.Server, cluster string) int {
	n := 0
	for _, r := range sbx.Requests() {
		q, _ := url.ParseQuery(r.RawQuery)
		if r.Authenticated && strings.HasSuffix(r.Path, "/clusters/"+cluster+"/backup/exports") && q.Get("pageNum") == "1" {
			n++
		}
	}
	return n
}

// Each cloud's bucket and address: AWS and both Azure forms from prefixes
// as Atlas sends them, GCP from one with the documentation's leading slash;
// the job whose bucket was deleted has no uri, and export_buckets holds the
// four buckets found, each once.
func TestExportBucket_eachCloud(t *testing.T) {
	t.Parallel()
	_, url := startSandbox(t)
	jobs := sandbox.BucketKindsJobs()
	if !strings.HasPrefix(jobs[1].Prefix, "/") || strings.HasPrefix(jobs[0].Prefix, "/") {
		t.Fatalf("the seeded prefixes no longer cover both forms: %q, %q", jobs[0].Prefix, jobs[1].Prefix)
	}
	const tail = "exported_snapshots/" + sandbox.OrgID + "/" + sandbox.ProjectID + "/bucket-kinds/"
	want := []string{
		"s3://atlas-exports-docs/" + tail + "2026-11-05T0300/1793847600",
		"gs://atlas-exports-gcs/" + tail + "2026-11-04T0300/1793761200",
		"https://atlasexportsdocs.blob.core.windows.net/exportcontainer/" + tail + "2026-11-03T0300/1793674800",
		"https://atlasexportsdocs.blob.core.windows.net/nightly/" + tail + "2026-11-02T0300/1793588400",
	}
	var checks []statecheck.StateCheck
	for i, j := range jobs {
		result := tfjsonpath.New("results").AtSliceIndex(i)
		var uri knownvalue.Check = knownvalue.Null()
		if i < len(want) {
			uri = knownvalue.StringExact(want[i])
		}
		checks = append(checks,
			statecheck.ExpectKnownValue(exportsAddr, result.AtMapKey("uri"), uri),
			statecheck.ExpectKnownValue(exportsAddr, result, knownvalue.ObjectExact(jobChecks(j, createdMinute(t, j)))))
	}
	checks = append(checks, statecheck.ExpectKnownValue(exportsAddr, tfjsonpath.New("export_buckets"),
		exportBucketsCheck(sandbox.BucketAWS, sandbox.BucketGCP, sandbox.BucketAzure, sandbox.BucketAzureAccountOnly)))
	expectState(t, providerBlock(url)+exportsBlock(sandbox.ClusterBucketKinds), checks...)
}

// The single-job data source resolves its bucket the same way, and does
// not with resolve_export_buckets = false.
func TestExportBucket_singleJob(t *testing.T) {
	t.Parallel()
	sbx, url := startSandbox(t)
	gcp := sandbox.BucketKindsJobs()[1]
	config := func(extra ...string) string {
		return providerBlock(url) + block(`data "atlasexports_snapshot_export" "this"`, append([]string{attr("project_id", sandbox.ProjectID),
			attr("cluster_name", sandbox.ClusterBucketKinds), attr("export_id", gcp.ID)}, extra...)...)
	}
	expectState(t, config(),
		statecheck.ExpectKnownValue(exportAddr, tfjsonpath.New("uri"), knownvalue.StringExact("gs://atlas-exports-gcs/"+strings.TrimPrefix(gcp.Prefix, "/"))),
		statecheck.ExpectKnownValue(exportAddr, tfjsonpath.New("export_bucket"), exportBucketCheck(sandbox.BucketGCP)))
	sbx.ResetRequests()
	expectState(t, config("resolve_export_buckets = false"),
		statecheck.ExpectKnownValue(exportAddr, tfjsonpath.New("uri"), knownvalue.Null()),
		statecheck.ExpectKnownValue(exportAddr, tfjsonpath.New("export_bucket"), knownvalue.Null()))
	if n := bucketGETs(sbx); len(n) != 0 {
		t.Errorf("bucket GETs with resolve_export_buckets = false: %v", n)
	}
}

// Every read of one provider process shares the bucket reads: two data
// sources over 3,000 jobs that cycle through three buckets read each bucket
// once per process, however many reads the process makes.
func TestExportBucket_readOncePerProcess(t *testing.T) {
	t.Parallel()
	sbx, url := startSandbox(t)
	expectState(t, providerBlock(url)+namedExportsBlock("a", sandbox.ClusterGenerated)+namedExportsBlock("b", sandbox.ClusterGenerated),
		statecheck.ExpectKnownValue("data.atlasexports_snapshot_exports.a", tfjsonpath.New("export_buckets"),
			exportBucketsCheck(sandbox.BucketAWS, sandbox.BucketGCP, sandbox.BucketAzure)))
	reads := firstPages(sbx, sandbox.ClusterGenerated)
	gets := bucketGETs(sbx)
	if reads == 0 || reads%2 != 0 || len(gets) != 3 {
		t.Fatalf("%d reads of the jobs, bucket GETs %v: want an even number of reads and three buckets", reads, gets)
	}
	for id, n := range gets {
		// Each process (terraform plan, apply, refresh...) reads both
		// data sources, and each bucket once.
		if n != reads/2 {
			t.Errorf("bucket %s: %d GETs for %d processes", id, n, reads/2)
		}
	}
}

// A 403 of a bucket read fails the read with the role that reads buckets
// and the way to go without; so does Atlas's 401 for a missing role.
// resolve_export_buckets = false
// reads no bucket, and the jobs come through with null buckets.
func TestExportBucket_refused(t *testing.T) {
	t.Parallel()
	for name, status := range map[string]int{"403": http.StatusForbidden, "401": http.StatusUnauthorized} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			sbx, url := startSandbox(t)
			body := `{"detail":"Forbidden.","error":403,"reason":"Forbidden"}`
			if status == http.StatusUnauthorized {
				body = `{"detail":"Current user is not authorized to perform this action.","error":401,` +
					`"errorCode":"USER_UNAUTHORIZED","parameters":[],"reason":"Unauthorized"}`
			}
			sbx.AddFault(sandbox.Fault{ExportBucketID: sandbox.BucketGCP, Status: status, Body: body, ContentType: "application/json"})
			expectError(t, providerBlock(url)+exportsBlock(sandbox.ClusterBucketKinds),
				errorText("Unable to read export buckets", "export bucket "+sandbox.BucketGCP, "HTTP "+name,
					"Project Read Only role", "resolve_export_buckets = false"))
			sbx.ResetRequests()
			expectState(t, providerBlock(url)+exportsBlock(sandbox.ClusterBucketKinds, "resolve_export_buckets = false"),
				statecheck.ExpectKnownValue(exportsAddr, tfjsonpath.New("results"), knownvalue.ListSizeExact(len(sandbox.BucketKindsJobs()))),
				statecheck.ExpectKnownValue(exportsAddr, tfjsonpath.New("export_buckets"), exportBucketsCheck()),
				statecheck.ExpectKnownValue(exportsAddr, tfjsonpath.New("results").AtSliceIndex(0).AtMapKey("uri"), knownvalue.Null()))
			if n := bucketGETs(sbx); len(n) != 0 {
				t.Errorf("bucket GETs with resolve_export_buckets = false: %v", n)
			}
		})
	}
}

// A bucket read refused for the address says so, not that a role is
// missing: no role helps until the address is on the access list.
func TestExportBucket_addressNotOnAccessList(t *testing.T) {
	sbx, url := startSandbox(t)
	sbx.AddFault(sandbox.Fault{ExportBucketID: sandbox.BucketGCP, Status: http.StatusForbidden, ErrorCode: "IP_ADDRESS_NOT_ON_ACCESS_LIST"})
	cli := newTerraformCLI(t)
	out := cli.fail(t, providerBlock(url)+exportsBlock(sandbox.ClusterBucketKinds), "plan", "-input=false", "-no-color")
	if !errorText("Unable to read export buckets", "IP_ADDRESS_NOT_ON_ACCESS_LIST", "Add it to the API access list").MatchString(out) {
		t.Errorf("terraform's output lacks the access list advice:\n%s", out)
	}
	for _, wrong := range []string{"Grant the role", "Project Read Only role (or higher)"} {
		if strings.Contains(out, wrong) {
			t.Errorf("terraform's output advises %q for an address Atlas refused:\n%s", wrong, out)
		}
	}
}

// A bucket read that needs a new service account token (Atlas refused the
// cached one) and cannot have it fails with the token request's error, not
// with advice about the bucket's role: the bucket's GET was never sent again.
func TestExportBucket_tokenRenewalRefused(t *testing.T) {
	t.Parallel()
	sbx, url := startSandbox(t)
	// Atlas's 401 to a token it no longer takes has no errorCode (one with
	// USER_UNAUTHORIZED is a missing role, which a new token does not fix).
	sbx.AddFault(sandbox.Fault{ExportBucketID: sandbox.BucketGCP, Status: http.StatusUnauthorized, Times: 1, ContentType: "application/json",
		Body: `{"detail":"You are not authorized for this resource.","error":401,"reason":"Unauthorized"}`})
	// The first token request (for the list) is answered; the renewal is not.
	sbx.AddFault(sandbox.Fault{TokenEndpoint: true, Status: http.StatusUnauthorized, Every: 2})
	cli := newTerraformCLI(t)
	out := cli.fail(t, serviceAccountBlock(url)+exportsBlock(sandbox.ClusterBucketKinds), "plan", "-input=false", "-no-color")
	if !errorText("Unable to read export buckets", "getting the service account token (POST /api/oauth/token)",
		"HTTP 401", "Check client_id and client_secret").MatchString(out) {
		t.Errorf("terraform's output lacks the token request's failure:\n%s", out)
	}
	for _, wrong := range []string{"Atlas refused the credentials for GET", "Grant the role"} {
		if strings.Contains(out, wrong) {
			t.Errorf("terraform's output advises %q for a token Atlas would not give:\n%s", wrong, out)
		}
	}
}

// Any other failure of a bucket read fails the read too: nothing partial.
func TestExportBucket_otherFailures(t *testing.T) {
	t.Parallel()
	sbx, url := startSandbox(t)
	sbx.AddFault(sandbox.Fault{ExportBucketID: sandbox.BucketAzure, Status: http.StatusInternalServerError})
	expectError(t, providerBlock(url, "max_retries = 1")+exportsBlock(sandbox.ClusterBucketKinds),
		errorText("Unable to read export buckets", "HTTP 500", "after 2 attempts"))
}

// limit keeps the newest jobs after the states filter; total_count is still
// Atlas's; only the kept job's bucket is read.
func TestExportBucket_limitWithStates(t *testing.T) {
	t.Parallel()
	sbx, url := startSandbox(t)
	var successful []sandbox.Job
	for _, j := range generatedJobs() {
		if j.State == "Successful" {
			successful = append(successful, j)
		}
	}
	if generatedJobs()[0].State == "Successful" {
		t.Fatal("the newest generated job is Successful: the filter before the limit would prove nothing")
	}
	expectState(t, providerBlock(url)+exportsBlock(sandbox.ClusterGenerated, `states = ["Successful"]`, "limit = 1"),
		append(expectExports(exportsAddr, sandbox.GeneratedJobs,
			knownvalue.ListExact([]knownvalue.Check{knownvalue.ObjectExact(jobChecks(successful[0], createdMinute(t, successful[0])))})),
			statecheck.ExpectKnownValue(exportsAddr, tfjsonpath.New("export_buckets"), exportBucketsCheck(successful[0].ExportBucketID)))...)
	if gets := bucketGETs(sbx); len(gets) != 1 || gets[successful[0].ExportBucketID] == 0 {
		t.Errorf("bucket GETs %v: want only the kept job's bucket, %s", gets, successful[0].ExportBucketID)
	}
	sbx.ResetRequests()
	expectState(t, providerBlock(url)+exportsBlock(sandbox.ClusterGenerated, "limit = 3"),
		expectExports(exportsAddr, sandbox.GeneratedJobs, resultsAre(generatedJobs()[:3]))...)
	if gets := bucketGETs(sbx); len(gets) != 3 {
		t.Errorf("bucket GETs %v: want the three buckets of the three jobs kept", gets)
	}
}

// limit = 0 is refused at plan time, before any request.
func TestExportBucket_limitZeroFailsAtPlan(t *testing.T) {
	t.Parallel()
	sbx, url := startSandbox(t)
	expectFailsBeforeAnyRequest(t, sbx, providerBlock(url)+exportsBlock(sandbox.ClusterGenerated, "limit = 0"),
		errorText("limit", "must be at least 1, got: 0"))
}

// An Azure bucket whose serviceUrl is not a blob.core.windows.net https URL
// is in export_buckets, but its job has a null uri, not a guessed address.
func TestExportBucket_unexpectedServiceURL(t *testing.T) {
	t.Parallel()
	_, url := startSandbox(t, func(s *sandbox.Server) {
		s.SetExportBuckets(sandbox.ProjectID, sandbox.ExportBucket{"_id": sandbox.BucketAzure, "bucketName": "exportcontainer",
			"cloudProvider": "AZURE", "roleId": "64b7e31bc1d2a3b4c5d6e902", "tenantId": "4297fc77-1592-4de8-a6d5-a8c32401df87",
			"serviceUrl": "https://atlasexportsdocs.dfs.core.windows.net/exportcontainer"})
	})
	azure := tfjsonpath.New("results").AtSliceIndex(2)
	expectState(t, providerBlock(url)+exportsBlock(sandbox.ClusterBucketKinds),
		statecheck.ExpectKnownValue(exportsAddr, azure.AtMapKey("uri"), knownvalue.Null()),
		statecheck.ExpectKnownValue(exportsAddr, tfjsonpath.New("export_buckets").AtMapKey(sandbox.BucketAzure).AtMapKey("service_url"),
			knownvalue.StringExact("https://atlasexportsdocs.dfs.core.windows.net/exportcontainer")))
}

// The diagnostics Terraform receives, through the provider's protocol
// server: one warning for all the deleted buckets, naming each once; one
// warning for an address of an unknown form; none when all is well.
func TestExportBucket_warnings(t *testing.T) {
	t.Parallel()
	otherDeleted := "64b7e30ac1d2a3b4c5d6e8fe"
	cases := map[string]struct {
		configure    func(*sandbox.Server)
		wantWarnings []string // one phrase list per warning
	}{
		"all found": {configure: func(s *sandbox.Server) { s.SetJobs(sandbox.ProjectID, "c1", sandbox.BucketKindsJobs()[:4]) }},
		"one deleted bucket": {
			configure:    func(s *sandbox.Server) { s.SetJobs(sandbox.ProjectID, "c1", sandbox.BucketKindsJobs()) },
			wantWarnings: []string{"Export buckets not found: Atlas has no export bucket " + sandbox.BucketDeleted + " (404)"},
		},
		"three deleted buckets, two jobs each": {
			configure: func(s *sandbox.Server) {
				jobs := append(sandbox.BucketKindsJobs(), sandbox.GenerateJobs("c1", 6, 3)...)
				for i := range jobs[5:] {
					jobs[5+i].ExportBucketID = []string{otherDeleted, sandbox.BucketDeleted, sandbox.BucketAWS}[i%3]
				}
				s.SetJobs(sandbox.ProjectID, "c1", jobs)
				s.DeleteExportBucket(sandbox.ProjectID, sandbox.BucketAWS)
			},
			wantWarnings: []string{"Export buckets not found: Atlas has no export bucket " + sandbox.BucketAWS + ", " + otherDeleted + ", " + sandbox.BucketDeleted + " (404)"},
		},
		"an unknown address form": {
			configure: func(s *sandbox.Server) {
				s.SetJobs(sandbox.ProjectID, "c1", sandbox.BucketKindsJobs()[:4])
				s.SetExportBuckets(sandbox.ProjectID, sandbox.ExportBucket{"_id": sandbox.BucketGCP, "bucketName": "atlas-exports-gcs", "cloudProvider": "ORACLE"})
			},
			wantWarnings: []string{"Export URI unknown: The uri of the jobs that exported to bucket " + sandbox.BucketGCP + ` is null: export bucket ` + sandbox.BucketGCP + ` has cloudProvider "ORACLE"`},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, url := startSandbox(t, tc.configure)
			diags := readThroughProtocol(t, url, map[string]tftypes.Value{"cluster_name": tftypes.NewValue(tftypes.String, "c1")})
			if len(diags) != len(tc.wantWarnings) {
				t.Fatalf("%d diagnostics, want %d warnings: %v", len(diags), len(tc.wantWarnings), diags)
			}
			for i, d := range diags {
				if got := d.Summary + ": " + d.Detail; d.Severity != tfprotov6.DiagnosticSeverityWarning || !strings.HasPrefix(got, tc.wantWarnings[i]) {
					t.Errorf("diagnostic %d: %s %q, want a warning starting %q", i, d.Severity, got, tc.wantWarnings[i])
				}
			}
		})
	}
}

// readThroughProtocol reads snapshot_exports of the sandbox project at url
// with the given attributes, through the provider's protocol server as
// Terraform does; it returns the diagnostics.
func readThroughProtocol(t *testing.T, url string, set map[string]tftypes.Value) []*tfprotov6.Diagnostic {
	t.Helper()
	srv, schemas := configuredServer(t, url)
	set["project_id"] = tftypes.NewValue(tftypes.String, sandbox.ProjectID)
	const typeName = "atlasexports_snapshot_exports"
	resp, err := srv.ReadDataSource(context.Background(), &tfprotov6.ReadDataSourceRequest{
		TypeName: typeName, Config: dynamicValue(t, schemas.DataSourceSchemas[typeName], set),
	})
	if err != nil {
		t.Fatal(err)
	}
	return resp.Diagnostics
}

// A job whose prefix is empty has no address: its uri is null, not the
// bucket's root (s3://bucket/), which a pipeline would read whole.
func TestExportBucket_emptyPrefixHasNoURI(t *testing.T) {
	t.Parallel()
	const cluster = "empty-prefix"
	sbx, url := startSandbox(t, func(s *sandbox.Server) { s.SetJobs(sandbox.ProjectID, cluster, nil) })
	sbx.AddFault(sandbox.Fault{Cluster: cluster, Status: http.StatusOK, ContentType: "application/vnd.atlas.2023-01-01+json",
		Body: `{"results":[{"id":"6a7945592c88faeba59d5e8e","exportBucketId":"` + sandbox.BucketAWS + `",` +
			`"state":"Successful","createdAt":"2026-08-10T03:28:25Z","prefix":"","customData":[],` +
			`"exportStatus":{"exportedCollections":0,"totalCollections":0}}],"totalCount":1}`})
	result := tfjsonpath.New("results").AtSliceIndex(0)
	expectState(t, providerBlock(url)+exportsBlock(cluster),
		statecheck.ExpectKnownValue(exportsAddr, result.AtMapKey("prefix"), knownvalue.StringExact("")),
		statecheck.ExpectKnownValue(exportsAddr, result.AtMapKey("uri"), knownvalue.Null()))
}

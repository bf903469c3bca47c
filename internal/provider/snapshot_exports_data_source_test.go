package provider

import (
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/atlasexports/terraform-provider-atlasexports/internal/sandbox"
)

const exportsAddr = "data.atlasexports_snapshot_exports.this"

// docsJob is a job of the documentation's examples, attribute by attribute.
// None has finished_at, custom data or state_reason; export_status is the 0
// of 0 collections that Atlas sends (and the sandbox serves) by default.
func docsJob(id, snapshotID, state, createdAt, cluster, prefixTail, snapshotCreatedAt string, components ...knownvalue.Check) map[string]knownvalue.Check {
	prefix := "exported_snapshots/" + sandbox.OrgID + "/" + sandbox.ProjectID + "/" + cluster + "/" + prefixTail
	return map[string]knownvalue.Check{
		"uri":                 knownvalue.StringExact("s3://atlas-exports-docs/" + prefix),
		"id":                  knownvalue.StringExact(id),
		"snapshot_id":         knownvalue.StringExact(snapshotID),
		"export_bucket_id":    knownvalue.StringExact("64b7e30ac1d2a3b4c5d6e800"),
		"state":               knownvalue.StringExact(state),
		"created_at":          knownvalue.StringExact(createdAt),
		"finished_at":         knownvalue.Null(),
		"prefix":              knownvalue.StringExact(prefix),
		"snapshot_created_at": knownvalue.StringExact(snapshotCreatedAt),
		"components":          knownvalue.ListExact(append([]knownvalue.Check{}, components...)),
		"custom_data":         knownvalue.ListExact([]knownvalue.Check{}),
		"export_status": knownvalue.ObjectExact(map[string]knownvalue.Check{
			"exported_collections": knownvalue.Int64Exact(0), "total_collections": knownvalue.Int64Exact(0),
		}),
		"state_reason": knownvalue.Null(),
	}
}

// shardedQueuedJob is the Queued job of the sharded cluster example.
func shardedQueuedJob() map[string]knownvalue.Check {
	return docsJob("60675896c37241327a55712f", "6067577c0d97065aabbe5a10", "Queued", "2021-04-02T17:47:02Z",
		"docs-sharded", "2021-04-02T1742/1617385622", "2021-04-02T17:42:00Z",
		component("60675896c37241327a557130", "atlas-xxxxxx-shard-0"),
		component("60675896c37241327a557132", "atlas-wnvwfd-shard-1"))
}

// shardedSuccessfulJob is the Successful job of the same example.
func shardedSuccessfulJob() map[string]knownvalue.Check {
	return docsJob("606758180d97065aabbe5b85", "6067577c0d97065aabbe5a10", "Successful", "2021-04-02T17:44:56Z",
		"docs-sharded", "2021-04-02T1742/1617385496", "2021-04-02T17:42:00Z",
		component("606758180d97065aabbe5b86", "atlas-xxxxxx-shard-0"),
		component("606758180d97065aabbe5b88", "atlas-xxxxxx-shard-1"))
}

func component(exportID, replicaSetName string) knownvalue.Check {
	return knownvalue.ObjectExact(map[string]knownvalue.Check{
		"export_id":        knownvalue.StringExact(exportID),
		"replica_set_name": knownvalue.StringExact(replicaSetName),
	})
}

// jobChecks is what a sandbox job must look like in state: every attribute,
// an absent field null, an absent list empty. snapshotCreatedAt is the
// snapshot time its prefix gives, "" for none.
func jobChecks(j sandbox.Job, snapshotCreatedAt string) map[string]knownvalue.Check {
	j = j.AsServed()
	str := func(s string) knownvalue.Check {
		if s == "" {
			return knownvalue.Null()
		}
		return knownvalue.StringExact(s)
	}
	components := []knownvalue.Check{}
	for _, c := range j.Components {
		components = append(components, component(c.ExportID, c.ReplicaSetName))
	}
	customData := []knownvalue.Check{}
	if j.CustomData != nil {
		for _, l := range *j.CustomData {
			customData = append(customData, knownvalue.ObjectExact(map[string]knownvalue.Check{
				"key": knownvalue.StringExact(l.Key), "value": knownvalue.StringExact(l.Value),
			}))
		}
	}
	var exportStatus, stateReason knownvalue.Check = knownvalue.Null(), knownvalue.Null()
	if s := j.ExportStatus; s != nil {
		exportStatus = knownvalue.ObjectExact(map[string]knownvalue.Check{
			"exported_collections": knownvalue.Int64Exact(int64(s.ExportedCollections)),
			"total_collections":    knownvalue.Int64Exact(int64(s.TotalCollections)),
		})
	}
	if r := j.StateReason; r != nil {
		stateReason = knownvalue.ObjectExact(map[string]knownvalue.Check{
			"error_code": knownvalue.StringExact(r.ErrorCode), "message": knownvalue.StringExact(r.Message),
		})
	}
	return map[string]knownvalue.Check{
		"id": str(j.ID), "snapshot_id": str(j.SnapshotID), "export_bucket_id": str(j.ExportBucketID),
		"state": str(j.State), "created_at": str(j.CreatedAt), "finished_at": str(j.FinishedAt), "prefix": str(j.Prefix),
		"snapshot_created_at": str(snapshotCreatedAt),
		"components":          knownvalue.ListExact(components), "custom_data": knownvalue.ListExact(customData),
		"export_status": exportStatus, "state_reason": stateReason, "uri": uriCheck(j),
	}
}

// createdMinute is the snapshot time of a generated or bucket-kinds job:
// the sandbox names a snapshot of the minute the job was created in its
// prefix.
func createdMinute(t *testing.T, j sandbox.Job) string {
	t.Helper()
	created, err := time.Parse(time.RFC3339, j.CreatedAt)
	if err != nil {
		t.Fatalf("job %s: createdAt %q: %v", j.ID, j.CreatedAt, err)
	}
	return created.Truncate(time.Minute).Format(time.RFC3339)
}

// newestFirst sorts jobs as the data source promises: created_at
// descending, ties by id descending.
func newestFirst(jobs []sandbox.Job) []sandbox.Job {
	sorted := slices.Clone(jobs)
	slices.SortFunc(sorted, func(a, b sandbox.Job) int {
		if c := strings.Compare(b.CreatedAt, a.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	return sorted
}

// generatedJobs are the jobs of sandbox.ClusterGenerated, seeded as
// sandbox.New seeds them, newest first.
func generatedJobs() []sandbox.Job {
	return newestFirst(sandbox.GenerateJobs(sandbox.ClusterGenerated, sandbox.GeneratedJobs, 1))
}

// resultsAre checks that results hold exactly these jobs in this order, by
// id and state (null for a job without one).
func resultsAre(jobs []sandbox.Job) knownvalue.Check {
	checks := make([]knownvalue.Check, len(jobs))
	for i, j := range jobs {
		var state knownvalue.Check = knownvalue.StringExact(j.State)
		if j.State == "" {
			state = knownvalue.Null()
		}
		checks[i] = knownvalue.ObjectPartial(map[string]knownvalue.Check{"id": knownvalue.StringExact(j.ID), "state": state})
	}
	return knownvalue.ListExact(checks)
}

// expectExports checks a snapshot_exports data source's total_count and results.
func expectExports(addr string, total int64, results knownvalue.Check) []statecheck.StateCheck {
	return []statecheck.StateCheck{
		statecheck.ExpectKnownValue(addr, tfjsonpath.New("total_count"), knownvalue.Int64Exact(total)),
		statecheck.ExpectKnownValue(addr, tfjsonpath.New("results"), results),
	}
}

// checkNewestFirst checks over state that a snapshot_exports data source
// lists its results newest first (created_at descending, ties by id
// descending, jobs without a created_at last) and no more of them than
// total_count.
func checkNewestFirst(addr string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		rs, ok := s.RootModule().Resources[addr]
		if !ok {
			return fmt.Errorf("%s is not in the state", addr)
		}
		attrs := rs.Primary.Attributes
		var n, total int
		if _, err := fmt.Sscan(attrs["results.#"], &n); err != nil {
			return fmt.Errorf("results.# is %q", attrs["results.#"])
		}
		if _, err := fmt.Sscan(attrs["total_count"], &total); err != nil {
			return fmt.Errorf("total_count is %q", attrs["total_count"])
		}
		if total < n {
			return fmt.Errorf("total_count %d is less than the %d results", total, n)
		}
		type key struct {
			created time.Time // zero when absent, which sorts last
			id      string
		}
		keys := make([]key, n)
		for i := range keys {
			keys[i].created, _ = time.Parse(time.RFC3339, attrs[fmt.Sprintf("results.%d.created_at", i)])
			keys[i].id = attrs[fmt.Sprintf("results.%d.id", i)]
		}
		for i := 1; i < n; i++ {
			a, b := keys[i-1], keys[i]
			if a.created.Before(b.created) || (a.created.Equal(b.created) && a.id < b.id) {
				return fmt.Errorf("results[%d] (%s, %v) comes before results[%d] (%s, %v): not newest first",
					i-1, a.id, a.created, i, b.id, b.created)
			}
		}
		return nil
	}
}

func TestSnapshotExportsDataSource_replicaSet(t *testing.T) {
	t.Parallel()
	sbx, url := startSandbox(t)
	expectState(t, providerBlock(url)+exportsBlock(sandbox.ClusterReplicaSet),
		expectExports(exportsAddr, 1, knownvalue.ListExact([]knownvalue.Check{
			knownvalue.ObjectExact(docsJob("605ccba3c1c7613f423e1585", "605cc9a7c1c7613f423e0f11", "InProgress",
				"2021-03-25T16:49:23Z", "docs-replica-set", "2021-03-25T1649+0000/1616694179", "2021-03-25T16:49:00Z")),
		}))...)
	// The provider and its version, then the Terraform version the framework
	// passes to Configure.
	userAgent := regexp.MustCompile(`^terraform-provider-atlasexports/test Terraform/1\.\d+\.\d+`)
	requests := sbx.Requests()
	if len(requests) == 0 {
		t.Fatal("the sandbox saw no request")
	}
	for _, r := range requests {
		if !userAgent.MatchString(r.UserAgent) {
			t.Errorf("User-Agent %q does not match %s", r.UserAgent, userAgent)
		}
	}
}

func TestSnapshotExportsDataSource_sharded(t *testing.T) {
	t.Parallel()
	_, url := startSandbox(t)
	expectState(t, providerBlock(url)+exportsBlock(sandbox.ClusterSharded),
		expectExports(exportsAddr, 2, knownvalue.ListExact([]knownvalue.Check{
			knownvalue.ObjectExact(shardedQueuedJob()),
			knownvalue.ObjectExact(shardedSuccessfulJob()),
		}))...)
}

func TestSnapshotExportsDataSource_emptyCluster(t *testing.T) {
	t.Parallel()
	_, url := startSandbox(t)
	// An empty list, not null: length() and for work without guards.
	expectState(t, providerBlock(url)+exportsBlock(sandbox.ClusterEmpty),
		expectExports(exportsAddr, 0, knownvalue.ListExact([]knownvalue.Check{}))...)
}

func TestSnapshotExportsDataSource_generated(t *testing.T) {
	t.Parallel()
	_, url := startSandbox(t)
	jobs := generatedJobs()
	accTest(t, resource.TestStep{
		Config: providerBlock(url) + exportsBlock(sandbox.ClusterGenerated),
		ConfigStateChecks: append(expectExports(exportsAddr, sandbox.GeneratedJobs, resultsAre(jobs)),
			statecheck.ExpectKnownValue(exportsAddr, tfjsonpath.New("results").AtSliceIndex(0), knownvalue.ObjectExact(jobChecks(jobs[0], createdMinute(t, jobs[0]))))),
		Check: checkNewestFirst(exportsAddr),
	})
}

func TestSnapshotExportsDataSource_statesFilter(t *testing.T) {
	t.Parallel()
	_, url := startSandbox(t)
	var ended []sandbox.Job
	for _, j := range generatedJobs() {
		if j.State == "Failed" || j.State == "Cancelled" {
			ended = append(ended, j)
		}
	}
	if len(ended) == 0 || len(ended) == sandbox.GeneratedJobs {
		t.Fatalf("%d of the generated jobs failed or were cancelled; the filter would prove nothing", len(ended))
	}
	if ended[0].State != "Failed" || ended[0].StateReason == nil {
		t.Fatalf("the newest ended job is not a failed one with a stateReason: %+v", ended[0])
	}
	successfulAddr, endedAddr := "data.atlasexports_snapshot_exports.successful", "data.atlasexports_snapshot_exports.ended"
	accTest(t, resource.TestStep{
		Config: providerBlock(url) +
			namedExportsBlock("successful", sandbox.ClusterSharded, `states = ["Successful"]`) +
			namedExportsBlock("ended", sandbox.ClusterGenerated, `states = ["Failed", "Cancelled"]`),
		// total_count counts the jobs before the filter.
		// The newest ended job is a failed one, checked whole: its state_reason
		// included.
		ConfigStateChecks: append(append(
			expectExports(successfulAddr, 2, knownvalue.ListExact([]knownvalue.Check{knownvalue.ObjectExact(shardedSuccessfulJob())})),
			expectExports(endedAddr, sandbox.GeneratedJobs, resultsAre(ended))...),
			statecheck.ExpectKnownValue(endedAddr, tfjsonpath.New("results").AtSliceIndex(0), knownvalue.ObjectExact(jobChecks(ended[0], createdMinute(t, ended[0]))))),
	})
}

// A documented state in the wrong case, an empty state and text that
// cannot be a state name fail the plan before any request.
func TestSnapshotExportsDataSource_invalidStateFailsAtPlan(t *testing.T) {
	t.Parallel()
	for name, c := range map[string]struct {
		state string
		want  string
	}{
		"wrong case":  {"successful", `"successful" is not a state: states are case-sensitive. Did you mean "Successful"?`},
		"upper case":  {"INPROGRESS", `Did you mean "InProgress"?`},
		"empty":       {"", `"" is not a state name`},
		"with spaces": {"In Progress", `"In Progress" is not a state name: Atlas's states are letters only`},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			sbx, url := startSandbox(t)
			expectFailsBeforeAnyRequest(t, sbx, providerBlock(url)+exportsBlock(sandbox.ClusterSharded, `states = ["`+c.state+`"]`),
				errorText("Invalid export job state", `states = ["`+c.state+`"]`, c.want))
		})
	}
}

// A well-formed state Atlas does not document (one it may add later) is a
// plan-time warning, and the filter selects the jobs in it: results pass
// such a state through, so the filter must reach it too. terraform plan
// shows the warning, with the provider's summary and detail.
func TestSnapshotExportsDataSource_unknownStateWarnsAndFilters(t *testing.T) {
	t.Parallel()
	const cluster, newState = "future-states", "Archived"
	jobs := sandbox.GenerateJobs(cluster, 30, 7)
	jobs[3].State, jobs[10].State = newState, newState
	_, url := startSandbox(t, func(sbx *sandbox.Server) { sbx.SetJobs(sandbox.ProjectID, cluster, jobs) })
	const typo = "Succesful" //nolint:misspell // the typo under test
	cli := newTerraformCLI(t)
	for _, c := range []struct {
		state   string
		want    []sandbox.Job
		warning []string
	}{
		{newState, newestFirst([]sandbox.Job{jobs[3], jobs[10]}),
			[]string{`Atlas documents no export job state "Archived" (the documented ones are Queued, InProgress, Successful, Failed, Cancelled).`}},
		{typo, nil, []string{`Atlas documents no export job state "` + typo + `"`, `Did you mean "Successful"?`}},
	} {
		out := cli.run(t, providerBlock(url)+exportsBlock(cluster, `states = ["`+c.state+`"]`)+
			block(`output "ids"`, "value = data.atlasexports_snapshot_exports.this.results[*].id"),
			"apply", "-auto-approve", "-input=false", "-no-color")
		if !errorText(append([]string{"Warning: Unknown export job state", `states = ["` + c.state + `"]`}, c.warning...)...).MatchString(out) {
			t.Errorf("states = [%q]: terraform apply does not show the warning:\n%s", c.state, out)
		}
		var ids []string
		cli.outputJSON(t, "ids", &ids)
		want := []string{}
		for _, j := range c.want {
			want = append(want, j.ID)
		}
		if !slices.Equal(ids, want) {
			t.Errorf("states = [%q]: results %v; want %v", c.state, ids, want)
		}
	}
}

func TestSnapshotExportsDataSource_nullStateFailsAtPlan(t *testing.T) {
	t.Parallel()
	sbx, url := startSandbox(t)
	// A null element would otherwise match no job and silently empty the results.
	expectFailsBeforeAnyRequest(t, sbx, providerBlock(url)+`
variable "states" {
  type    = list(string)
  default = ["Successful", null]
}
`+exportsBlock(sandbox.ClusterSharded, `states = var.states`),
		errorText("Null Set Value", "states = var.states", "contains a null value"))
}

func TestSnapshotExportsDataSource_invalidReadTimeoutFailsAtPlan(t *testing.T) {
	t.Parallel()
	for _, read := range []string{"0s", "-1m"} {
		t.Run(read, func(t *testing.T) {
			t.Parallel()
			sbx, url := startSandbox(t)
			expectFailsBeforeAnyRequest(t, sbx, providerBlock(url)+
				exportsBlock(sandbox.ClusterSharded, "timeouts {\n    read = \""+read+"\"\n  }"),
				errorText("Invalid read timeout", `"`+read+`" is not a positive duration`))
		})
	}
}

func TestSnapshotExportsDataSource_invalidProjectIDFailsAtPlan(t *testing.T) {
	t.Parallel()
	sbx, url := startSandbox(t)
	config := providerBlock(url) + block(`data "atlasexports_snapshot_exports" "this"`,
		attr("project_id", "NOT-A-PROJECT"), attr("cluster_name", sandbox.ClusterSharded))
	expectFailsBeforeAnyRequest(t, sbx, config, errorText(`project_id = "NOT-A-PROJECT"`, "must be 24 lowercase hexadecimal characters"))
}

func TestSnapshotExportsDataSource_invalidClusterNameFailsAtPlan(t *testing.T) {
	t.Parallel()
	for name, c := range map[string]struct{ cluster, want string }{
		"leading hyphen": {"-bad", "must contain only letters, digits and hyphens, and start with a letter or digit"},
		"underscore":     {"has_underscore", "must contain only letters, digits and hyphens, and start with a letter or digit"},
		"65 characters":  {strings.Repeat("a", 65), "string length must be between 1 and 64, got: 65"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			sbx, url := startSandbox(t)
			expectFailsBeforeAnyRequest(t, sbx, providerBlock(url)+exportsBlock(c.cluster),
				errorText(`cluster_name = "`+c.cluster+`"`, "Attribute cluster_name "+c.want))
		})
	}
}

// A 404 points at the argument Atlas could not find: terraform quotes that
// line of the configuration under the summary.
func TestSnapshotExportsDataSource_clusterNotFound(t *testing.T) {
	t.Parallel()
	_, url := startSandbox(t)
	expectError(t, providerBlock(url)+exportsBlock("no-such-cluster"),
		errorText("Unable to list snapshot export jobs", `cluster_name = "no-such-cluster"`, "HTTP 404", "CLUSTER_NOT_FOUND",
			"No cluster named no-such-cluster exists in group "+sandbox.ProjectID+". The project or cluster does not exist",
			"Check project_id and cluster_name"))
}

func TestSnapshotExportsDataSource_projectNotFound(t *testing.T) {
	t.Parallel()
	_, url := startSandbox(t)
	const project = "0123456789abcdef01234567"
	config := providerBlock(url) + block(`data "atlasexports_snapshot_exports" "this"`,
		attr("project_id", project), attr("cluster_name", sandbox.ClusterSharded))
	expectError(t, config, errorText("Unable to list snapshot export jobs", `project_id = "`+project+`"`, "HTTP 404",
		"GROUP_NOT_FOUND", "No group with ID "+project))
}

// A 403 says what to change: the access list when Atlas refused the
// address, the role otherwise.
func TestSnapshotExportsDataSource_forbidden(t *testing.T) {
	t.Parallel()
	for name, c := range map[string]struct {
		errorCode, body string
		want            *regexp.Regexp
	}{
		"address not on the access list": {
			errorCode: "IP_ADDRESS_NOT_ON_ACCESS_LIST",
			want: errorText("Unable to list snapshot export jobs", "HTTP 403", "IP_ADDRESS_NOT_ON_ACCESS_LIST",
				"Add it to the API access list of the API key or service account in use"),
		},
		"another reason": {
			body: `{"detail":"Forbidden for another reason.","error":403,"reason":"Forbidden"}`,
			want: errorText("Unable to list snapshot export jobs", "HTTP 403", "Forbidden for another reason",
				"needs the Project Backup Manager role"),
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			sbx, url := startSandbox(t)
			fault := sandbox.Fault{Status: 403, ErrorCode: c.errorCode}
			if c.body != "" {
				fault.Body, fault.ContentType = c.body, "application/json"
			}
			sbx.AddFault(fault)
			expectError(t, providerBlock(url)+exportsBlock(sandbox.ClusterSharded), c.want)
		})
	}
}

// A server (or proxy) that serves 100 jobs a page whatever itemsPerPage
// asks: the list holds every job, not the first page, and no warning or
// error says otherwise.
func TestSnapshotExportsDataSource_serverCapsPages(t *testing.T) {
	t.Parallel()
	const cluster = "capped"
	jobs := sandbox.GenerateJobs(cluster, 1234, 4)
	sbx, url := startSandbox(t, func(s *sandbox.Server) {
		s.SetJobs(sandbox.ProjectID, cluster, jobs)
		s.MaxItemsPerPage = 100
	})
	expectState(t, providerBlock(url)+exportsBlock(cluster, "resolve_export_buckets = false"),
		statecheck.ExpectKnownValue(exportsAddr, tfjsonpath.New("results"), knownvalue.ListSizeExact(len(jobs))),
		statecheck.ExpectKnownValue(exportsAddr, tfjsonpath.New("results").AtSliceIndex(0).AtMapKey("id"),
			knownvalue.StringExact(newestFirst(jobs)[0].ID)))
	if got := sbx.CountRequests(sandbox.IsListPage(cluster, 13)); got == 0 {
		t.Error("page 13 (the last of 100 jobs) was never asked for")
	}
}

// A valid key that lacks a role gets 401 USER_UNAUTHORIZED from Atlas (and
// a user outside the project NOT_IN_GROUP or USER_CANNOT_ACCESS_GROUP): the
// error names the role the list needs as well as the credential checks.
func TestSnapshotExportsDataSource_missingRole(t *testing.T) {
	t.Parallel()
	for _, code := range []string{"USER_UNAUTHORIZED", "NOT_IN_GROUP", "USER_CANNOT_ACCESS_GROUP"} {
		t.Run(code, func(t *testing.T) {
			t.Parallel()
			sbx, url := startSandbox(t)
			sbx.AddFault(sandbox.Fault{Status: 401, ContentType: "application/json",
				Body: `{"detail":"Current user is not authorized to perform this action.","error":401,"errorCode":"` + code +
					`","parameters":[],"reason":"Unauthorized"}`})
			expectError(t, providerBlock(url)+exportsBlock(sandbox.ClusterSharded),
				errorText("Unable to list snapshot export jobs", "HTTP 401", code,
					"Current user is not authorized to perform this action",
					"GET /api/atlas/v2/groups/{groupId}/clusters/{clusterName}/backup/exports",
					"needs the Project Backup Manager role", "belongs to the organization of this project",
					"In use: an API key"))
		})
	}
}

// Rate limiting, proxy failures and a hung answer are retried, and the read
// succeeds.
func TestSnapshotExportsDataSource_retriesTransientFailures(t *testing.T) {
	t.Parallel()
	for name, c := range map[string]struct {
		fault    sandbox.Fault
		provider []string
	}{
		"429 with Retry-After": {fault: sandbox.Fault{Status: 429, RetryAfter: "1"}},
		"503":                  {fault: sandbox.Fault{Status: 503}},
		"502 with HTML":        {fault: sandbox.Fault{Status: 502, HTML: true}},
		"hung answer":          {fault: sandbox.Fault{Hang: 30 * time.Second}, provider: []string{attr("request_timeout", "2s")}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			sbx, url := startSandbox(t)
			c.fault.Cluster, c.fault.Times = sandbox.ClusterSharded, 1
			sbx.AddFault(c.fault)
			expectState(t, providerBlock(url, append(c.provider, "max_retries = 2")...)+exportsBlock(sandbox.ClusterSharded),
				shardedTotal())
			if n := sbx.FaultsFired(); n != 1 {
				t.Errorf("the fault fired %d times, want 1", n)
			}
		})
	}
}

// A failure that lasts ends the read after max_retries + 1 attempts, within
// seconds, with an error that says what Atlas answered.
func TestSnapshotExportsDataSource_givesUpAfterRetries(t *testing.T) {
	t.Parallel()
	for name, c := range map[string]struct {
		fault sandbox.Fault
		want  *regexp.Regexp
	}{
		"429 for ever": {
			fault: sandbox.Fault{Status: 429},
			want: errorText("Unable to list snapshot export jobs", "HTTP 429", "RATE_LIMITED", "(after 2 attempts)",
				"Atlas kept rate-limiting the requests"),
		},
		"truncated JSON for ever": {
			fault: sandbox.Fault{Truncate: true},
			want: errorText("Unable to list snapshot export jobs", "HTTP 200 with a body that is not the expected JSON",
				"unexpected EOF", "(after 2 attempts)", "check base_url and the network path"),
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			sbx, url := startSandbox(t)
			sbx.AddFault(c.fault)
			expectError(t, providerBlock(url, "max_retries = 1")+exportsBlock(sandbox.ClusterSharded), c.want)
			if n := sbx.FaultsFired(); n != 2 {
				t.Errorf("the fault fired %d times; max_retries = 1 means 2 attempts", n)
			}
		})
	}
}

// Jobs created between two pages neither hide nor repeat a job: the provider
// reads the list again and returns each job once.
func TestSnapshotExportsDataSource_jobsCreatedWhilePaging(t *testing.T) {
	t.Parallel()
	sbx, url := startSandbox(t)
	var created []sandbox.Job
	for i := range 5 {
		at := time.Date(2027, 1, 1, 0, 0, i, 0, time.UTC)
		created = append(created, sandbox.Job{
			ID:             fmt.Sprintf("%08x%016x", at.Unix(), i),
			ExportBucketID: "64b7e30ac1d2a3b4c5d6e800",
			State:          "Queued",
			CreatedAt:      at.Format(time.RFC3339),
			Prefix:         fmt.Sprintf("exported_snapshots/%s/%s/generated/new-%d", sandbox.OrgID, sandbox.ProjectID, i),
		})
	}
	sbx.InsertAfterPage(sandbox.ProjectID, sandbox.ClusterGenerated, 1, created...)
	all := newestFirst(append(generatedJobs(), created...))
	expectState(t, providerBlock(url)+exportsBlock(sandbox.ClusterGenerated),
		append(expectExports(exportsAddr, sandbox.GeneratedJobs+5, resultsAre(all)),
			statecheck.ExpectKnownValue(exportsAddr, tfjsonpath.New("results").AtSliceIndex(0),
				knownvalue.ObjectExact(jobChecks(created[4], ""))))...)
}

func TestSnapshotExportsDataSource_readTimeout(t *testing.T) {
	t.Parallel()
	sbx, url := startSandbox(t)
	sbx.AddFault(sandbox.Fault{Hang: 30 * time.Second})
	expectError(t, providerBlock(url, attr("request_timeout", "20s"))+
		exportsBlock(sandbox.ClusterSharded, `timeouts { read = "1s" }`),
		errorText("Unable to list snapshot export jobs", "The read did not finish within its time limit (1s)", "timeouts { read"))
	if n := sbx.FaultsFired(); n != 1 {
		t.Errorf("the hung request was tried %d times; the read's time limit ends the first", n)
	}
}

// liveEnv names the variables the live Atlas test needs.
var liveEnv = []string{EnvPublicAPIKey, EnvPrivateAPIKey, "MONGODB_ATLAS_PROJECT_ID", "MONGODB_ATLAS_CLUSTER_NAME"}

// liveOptIn is set by make testacc, the one target that reaches Atlas.
const liveOptIn = "ATLASEXPORTS_LIVE_TESTS"

// TestAccLive_snapshotExports lists a real cluster's export jobs (read-only).
func TestAccLive_snapshotExports(t *testing.T) {
	// Atlas users often have these variables set: make test must not reach
	// Atlas because of them. Only make testacc opts in.
	if os.Getenv(liveOptIn) == "" {
		t.Skipf("%s is not set: skipping the live Atlas test (run make testacc to run it)", liveOptIn)
	}
	var missing []string
	for _, name := range liveEnv {
		if os.Getenv(name) == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		t.Skipf("%s not set: skipping the live Atlas test (it needs %s)", strings.Join(missing, ", "), strings.Join(liveEnv, ", "))
	}
	// Only this key pair, towards the real Atlas: not a base URL or service
	// account left in the environment by `make demo` or another setup.
	publicKey, privateKey := os.Getenv(EnvPublicAPIKey), os.Getenv(EnvPrivateAPIKey)
	clearAtlasEnv(t)
	setEnv(t, EnvPublicAPIKey, publicKey, EnvPrivateAPIKey, privateKey)
	config := providerConfig() + block(`data "atlasexports_snapshot_exports" "this"`,
		attr("project_id", os.Getenv("MONGODB_ATLAS_PROJECT_ID")), attr("cluster_name", os.Getenv("MONGODB_ATLAS_CLUSTER_NAME")))
	accTest(t, resource.TestStep{Config: config, Check: checkNewestFirst(exportsAddr)})
}

// reexportedSnapshots are the snapshot times of sandbox.ReexportedJobs, in
// their order, as each prefix names it: the recordings' form, the
// documentation's with +0000 and with +0200 (03:27 in UTC), and none.
var reexportedSnapshots = []string{
	"2026-08-09T03:27:00Z", "2026-08-13T09:27:00Z", "2026-08-13T03:27:00Z", "2026-08-12T03:27:00Z",
	"2026-08-11T03:27:00Z", "2026-08-10T03:27:00Z", "2026-08-09T03:27:00Z", "",
}

// reexportedResults checks results to be exactly these jobs of
// sandbox.ReexportedJobs, by index, in this order, every attribute of each.
func reexportedResults(indexes ...int) knownvalue.Check {
	jobs := sandbox.ReexportedJobs()
	checks := make([]knownvalue.Check, len(indexes))
	for i, index := range indexes {
		checks[i] = knownvalue.ObjectExact(jobChecks(jobs[index], reexportedSnapshots[index]))
	}
	return knownvalue.ListExact(checks)
}

// Both orders over a cluster where the snapshot of 9 August was exported
// again on 13 August: by created_at that export comes first; by
// snapshot_created_at it comes after every newer snapshot, next to the
// first export of the same snapshot, and the job whose prefix names no
// snapshot comes last. Every attribute of every job is checked, the failed
// job's state_reason and the prefixes of both forms among them, with the
// sandbox serving the jobs in each order a server may (the contract
// promises none).
func TestSnapshotExportsDataSource_orderBy(t *testing.T) {
	t.Parallel()
	for _, order := range []sandbox.JobOrder{sandbox.NewestFirst, sandbox.OldestFirst, sandbox.Shuffled} {
		t.Run("served "+order.String(), func(t *testing.T) {
			t.Parallel()
			_, url := startSandbox(t, func(s *sandbox.Server) { s.JobOrder = order })
			createdAddr, snapshotAddr := "data.atlasexports_snapshot_exports.created", "data.atlasexports_snapshot_exports.snapshot"
			expectState(t, providerBlock(url)+
				namedExportsBlock("created", sandbox.ClusterReexported)+
				namedExportsBlock("snapshot", sandbox.ClusterReexported, attr("order_by", "snapshot_created_at")),
				append(append(
					expectExports(createdAddr, 8, reexportedResults(0, 1, 2, 3, 4, 5, 6, 7)),
					expectExports(snapshotAddr, 8, reexportedResults(1, 2, 3, 4, 5, 0, 6, 7))...),
					statecheck.ExpectKnownValue(createdAddr, tfjsonpath.New("export_buckets"), exportBucketsCheck(sandbox.BucketAWS, sandbox.BucketGCP)),
					statecheck.ExpectKnownValue(snapshotAddr, tfjsonpath.New("export_buckets"), exportBucketsCheck(sandbox.BucketAWS, sandbox.BucketGCP)))...)
		})
	}
}

// order_by applies after states and before limit: the newest successful
// export by each order, and only its bucket is read.
func TestSnapshotExportsDataSource_orderByWithStatesAndLimit(t *testing.T) {
	t.Parallel()
	for name, c := range map[string]struct {
		orderBy []string
		want    knownvalue.Check
		buckets []string
	}{
		"created_at (the default)": {want: reexportedResults(0, 3), buckets: []string{sandbox.BucketAWS, sandbox.BucketGCP}},
		"created_at":               {orderBy: []string{attr("order_by", "created_at")}, want: reexportedResults(0, 3), buckets: []string{sandbox.BucketAWS, sandbox.BucketGCP}},
		"snapshot_created_at":      {orderBy: []string{attr("order_by", "snapshot_created_at")}, want: reexportedResults(3, 4), buckets: []string{sandbox.BucketAWS}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			sbx, url := startSandbox(t)
			expectState(t, providerBlock(url)+exportsBlock(sandbox.ClusterReexported, append(c.orderBy, `states = ["Successful"]`, "limit = 2")...),
				append(expectExports(exportsAddr, 8, c.want),
					statecheck.ExpectKnownValue(exportsAddr, tfjsonpath.New("export_buckets"), exportBucketsCheck(c.buckets...)))...)
			if gets := slices.Sorted(maps.Keys(bucketGETs(sbx))); !slices.Equal(gets, c.buckets) {
				t.Errorf("GETs of the buckets %v; want only those of the two jobs kept, %v", gets, c.buckets)
			}
		})
	}
}

func TestSnapshotExportsDataSource_invalidOrderByFailsAtPlan(t *testing.T) {
	t.Parallel()
	sbx, url := startSandbox(t)
	expectFailsBeforeAnyRequest(t, sbx, providerBlock(url)+exportsBlock(sandbox.ClusterReexported, attr("order_by", "snapshot")),
		errorText(`order_by = "snapshot"`, `value must be one of: ["created_at" "snapshot_created_at"], got: "snapshot"`))
}

// Jobs are ordered by their whole createdAt, fractions of a second
// included, and the jobs whose createdAt is missing or not a time come
// after every other, among themselves by id.
func TestSnapshotExportsDataSource_createdAtOrder(t *testing.T) {
	t.Parallel()
	const cluster = "odd-times"
	job := func(id, createdAt string) sandbox.Job {
		return sandbox.Job{ID: id, ExportBucketID: sandbox.BucketAWS, State: "Successful", CreatedAt: createdAt,
			Prefix: "exported_snapshots/" + sandbox.OrgID + "/" + sandbox.ProjectID + "/" + cluster + "/2026-08-31T2359/1788220799"}
	}
	quarter := job("64b7e30ac1d2a3b4c5d6e0a3", "2026-09-01T00:00:00.250Z")
	threeQuarters := job("64b7e30ac1d2a3b4c5d6e0a1", "2026-09-01T00:00:00.750Z")
	whole := job("64b7e30ac1d2a3b4c5d6e0a2", "2026-09-01T00:00:00Z")
	before := job("64b7e30ac1d2a3b4c5d6e0a0", "2026-08-31T23:59:59Z")
	missing := job("ffb7e30ac1d2a3b4c5d6e0ff", "")
	notATime := job("feb7e30ac1d2a3b4c5d6e0fe", "yesterday")
	_, url := startSandbox(t, func(s *sandbox.Server) {
		s.SetJobs(sandbox.ProjectID, cluster, []sandbox.Job{missing, quarter, before, notATime, whole, threeQuarters})
	})
	expectState(t, providerBlock(url)+exportsBlock(cluster),
		expectExports(exportsAddr, 6, resultsAre([]sandbox.Job{threeQuarters, quarter, whole, before, missing, notATime}))...)
}

// A job without a state is in no states filter, even one naming every
// state, and is listed, with a null state, without one.
func TestSnapshotExportsDataSource_jobWithoutState(t *testing.T) {
	t.Parallel()
	const cluster = "stateless"
	jobs := sandbox.GenerateJobs(cluster, 6, 9)
	stateless := jobs[2]
	stateless.State = ""
	jobs[2] = stateless
	_, url := startSandbox(t, func(s *sandbox.Server) { s.SetJobs(sandbox.ProjectID, cluster, jobs) })
	allAddr, filteredAddr := "data.atlasexports_snapshot_exports.all", "data.atlasexports_snapshot_exports.filtered"
	expectState(t, providerBlock(url)+namedExportsBlock("all", cluster)+
		namedExportsBlock("filtered", cluster, `states = ["Queued", "InProgress", "Successful", "Failed", "Cancelled"]`),
		append(expectExports(allAddr, 6, resultsAre(newestFirst(jobs))),
			expectExports(filteredAddr, 6, resultsAre(newestFirst(slices.Delete(slices.Clone(jobs), 2, 3))))...)...)
}

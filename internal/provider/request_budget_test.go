package provider

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/statecheck"

	"github.com/atlasexports/terraform-provider-atlasexports/internal/atlas"
	"github.com/atlasexports/terraform-provider-atlasexports/internal/sandbox"
)

// loadClusters are the clusters of the request budget tests: ten clusters of
// three pages each, behind an Atlas that limits a key to the provider's
// default budget of requests in flight.
const loadClusters, loadJobsEach = 10, 1200

// startLoadSandbox serves the load clusters and returns, for each, the jobs
// in the Failed state, newest first: the states filter keeps the state
// (which Terraform handles several times a step) small, while total_count
// still counts every job listed.
func startLoadSandbox(t *testing.T) (*sandbox.Server, string, []string, map[string][]sandbox.Job) {
	t.Helper()
	jobs := map[string][]sandbox.Job{}
	names := make([]string, loadClusters)
	sbx, url := startSandbox(t, func(s *sandbox.Server) {
		// Enough latency that the reads overlap as they do against Atlas.
		s.Latency = 50 * time.Millisecond
		s.MaxInFlightPerKey = atlas.DefaultMaxConcurrentRequests
		for i := range names {
			names[i] = fmt.Sprintf("load-%d", i)
			jobs[names[i]] = sandbox.GenerateJobs(names[i], loadJobsEach, uint64(100+i))
			s.SetJobs(sandbox.ProjectID, names[i], jobs[names[i]])
		}
	})
	failed := map[string][]sandbox.Job{}
	for _, name := range names {
		failed[name] = slices.DeleteFunc(newestFirst(jobs[name]), func(j sandbox.Job) bool { return j.State != "Failed" })
		if len(failed[name]) == 0 {
			t.Fatalf("no failed job among the jobs of %s", name)
		}
	}
	return sbx, url, names, failed
}

// expectWithinBudget checks that the sandbox never had to refuse a request.
func expectWithinBudget(t *testing.T, sbx *sandbox.Server) {
	t.Helper()
	if n := sbx.RateLimited(); n != 0 {
		t.Errorf("the sandbox answered %d requests with 429; want none", n)
	}
	if got := sbx.MaxInFlightOfAKey(); got > atlas.DefaultMaxConcurrentRequests {
		t.Errorf("%d requests of the key were in flight at once; want at most %d", got, atlas.DefaultMaxConcurrentRequests)
	}
}

func quotedList(names []string) string {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = fmt.Sprintf("%q", n)
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}

// TestProvider_requestBudgetIsProviderWide: Terraform reads the instances of
// a data source with count or for_each at once (ten at a time by default),
// all through one provider configuration. At the provider's defaults, the
// reads together keep within max_concurrent_requests, so an Atlas that
// limits a key to that many requests in flight never answers 429, and every
// cluster reads exactly.
func TestProvider_requestBudgetIsProviderWide(t *testing.T) {
	sbx, url, names, failed := startLoadSandbox(t)
	var checks []statecheck.StateCheck
	for i, name := range names {
		checks = append(checks, expectExports(fmt.Sprintf("%s[%d]", exportsAddr, i), loadJobsEach, resultsAre(failed[name]))...)
	}
	// count here; for_each in the test below, which terraform-plugin-testing
	// cannot take (its state shim refuses for_each keys).
	config := providerBlock(url) + block("locals", "clusters = "+quotedList(names)) +
		block(`data "atlasexports_snapshot_exports" "this"`,
			"count        = length(local.clusters)",
			attr("project_id", sandbox.ProjectID),
			"cluster_name = local.clusters[count.index]",
			`states       = ["Failed"]`)

	expectState(t, config, checks...)
	expectWithinBudget(t, sbx)
}

// TestProvider_requestBudgetForEach is the same through a for_each, as users
// write it, run with the terraform CLI directly: terraform-plugin-testing's
// state shim refuses for_each instances.
func TestProvider_requestBudgetForEach(t *testing.T) {
	sbx, url, names, failed := startLoadSandbox(t)
	config := providerBlock(url) +
		block(`data "atlasexports_snapshot_exports" "this"`,
			"for_each     = toset("+quotedList(names)+")",
			attr("project_id", sandbox.ProjectID),
			"cluster_name = each.key",
			`states       = ["Failed"]`) +
		block(`output "exports"`,
			"value = { for k, d in data.atlasexports_snapshot_exports.this : k => { total = d.total_count, ids = d.results[*].id } }")

	cli := newTerraformCLI(t)
	cli.run(t, config, "apply", "-auto-approve", "-input=false", "-no-color")
	var got map[string]struct {
		Total int      `json:"total"`
		IDs   []string `json:"ids"`
	}
	cli.outputJSON(t, "exports", &got)
	if len(got) != len(names) {
		t.Fatalf("the for_each read %d clusters; want %d", len(got), len(names))
	}
	for _, name := range names {
		want := make([]string, len(failed[name]))
		for i, j := range failed[name] {
			want[i] = j.ID
		}
		if got[name].Total != loadJobsEach {
			t.Errorf("%s: total_count %d; want %d", name, got[name].Total, loadJobsEach)
		}
		if !slices.Equal(got[name].IDs, want) {
			t.Errorf("%s: %d results, not the %d failed jobs newest first", name, len(got[name].IDs), len(want))
		}
	}
	expectWithinBudget(t, sbx)
}

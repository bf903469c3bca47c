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

// TestProvider_requestBudgetIsProviderWide: Terraform reads the instances of
// a data source with count or for_each at once (ten at a time by default),
// all through one provider configuration. At the provider's defaults, the reads together keep within
// max_concurrent_requests, so an Atlas that limits a key to that many
// requests in flight never answers 429, and every cluster reads exactly.
func TestProvider_requestBudgetIsProviderWide(t *testing.T) {
	const clusters, jobsEach = 10, 1200 // three pages of 500 each
	jobs := map[string][]sandbox.Job{}
	sbx, url := startSandbox(t, func(s *sandbox.Server) {
		// Enough latency that the reads overlap as they do against Atlas.
		s.Latency = 50 * time.Millisecond
		s.MaxInFlightPerKey = atlas.DefaultMaxConcurrentRequests
		for i := range clusters {
			name := fmt.Sprintf("load-%d", i)
			jobs[name] = sandbox.GenerateJobs(name, jobsEach, uint64(100+i))
			s.SetJobs(sandbox.ProjectID, name, jobs[name])
		}
	})
	names := make([]string, 0, clusters)
	var checks []statecheck.StateCheck
	for i := range clusters {
		name := fmt.Sprintf("load-%d", i)
		names = append(names, fmt.Sprintf("%q", name))
		// total_count counts every job listed; the states filter keeps the
		// state (which Terraform handles several times a step) small.
		failed := slices.DeleteFunc(newestFirst(jobs[name]), func(j sandbox.Job) bool { return j.State != "Failed" })
		if len(failed) == 0 {
			t.Fatalf("no failed job among the jobs of %s", name)
		}
		checks = append(checks, expectExports(fmt.Sprintf("%s[%d]", exportsAddr, i), jobsEach, resultsAre(failed))...)
	}
	// count rather than for_each, which Terraform reads alike:
	// terraform-plugin-testing's state shim refuses for_each keys.
	config := providerBlock(url) + block("locals", "clusters = ["+strings.Join(names, ", ")+"]") +
		block(`data "atlasexports_snapshot_exports" "this"`,
			"count        = length(local.clusters)",
			attr("project_id", sandbox.ProjectID),
			"cluster_name = local.clusters[count.index]",
			`states       = ["Failed"]`)

	expectState(t, config, checks...)

	if n := sbx.RateLimited(); n != 0 {
		t.Errorf("the sandbox answered %d requests with 429; want none", n)
	}
	if got := sbx.MaxInFlightOfAKey(); got > atlas.DefaultMaxConcurrentRequests {
		t.Errorf("%d requests of the key were in flight at once; want at most %d", got, atlas.DefaultMaxConcurrentRequests)
	}
}

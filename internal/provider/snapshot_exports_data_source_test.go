package provider

import (
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/atlasexports/terraform-provider-atlasexports/internal/sandbox"
)

const exportsAddr = "data.atlasexports_snapshot_exports.this"

func TestSnapshotExportsDataSource_replicaSet(t *testing.T) {
	_, url := startSandbox(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			Config: providerBlock(url) + exportsBlock(sandbox.ClusterReplicaSet),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(exportsAddr, tfjsonpath.New("total_count"), knownvalue.Int64Exact(1)),
				statecheck.ExpectKnownValue(exportsAddr, tfjsonpath.New("results"), knownvalue.ListExact([]knownvalue.Check{
					knownvalue.ObjectExact(map[string]knownvalue.Check{
						"id":               knownvalue.StringExact("605ccba3c1c7613f423e1585"),
						"snapshot_id":      knownvalue.StringExact("605cc9a7c1c7613f423e0f11"),
						"export_bucket_id": knownvalue.StringExact("64b7e30ac1d2a3b4c5d6e800"),
						"state":            knownvalue.StringExact("InProgress"),
						"created_at":       knownvalue.StringExact("2021-03-25T16:49:23Z"),
						"finished_at":      knownvalue.Null(),
						"prefix":           knownvalue.StringExact("exported_snapshots/" + sandbox.OrgID + "/" + sandbox.ProjectID + "/docs-replica-set/2021-03-25T1649+0000/1616694179"),
						"components":       knownvalue.ListExact([]knownvalue.Check{}),
						"custom_data":      knownvalue.ListExact([]knownvalue.Check{}),
						"links":            knownvalue.ListExact([]knownvalue.Check{}),
						"export_status":    knownvalue.Null(),
						"state_reason":     knownvalue.Null(),
					}),
				})),
			},
		}},
	})
}

func TestSnapshotExportsDataSource_invalidProjectIDFailsAtPlan(t *testing.T) {
	sbx, url := startSandbox(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			Config: providerBlock(url) + `
data "atlasexports_snapshot_exports" "this" {
  project_id   = "NOT-A-PROJECT"
  cluster_name = "docs-sharded"
}
`,
			ExpectError: regexp.MustCompile(`must be 24 lowercase hexadecimal characters`),
		}},
	})
	if n := len(sbx.Requests()); n != 0 {
		t.Errorf("the sandbox saw %d requests; an invalid project_id must fail before any", n)
	}
}

# Runs the module with terraform test's mock provider: no sandbox, no
# credentials, no request. The mock answers with the provider's real schema,
# and computed attributes it is given no value for get a generated one; for
# the nested list results that is an empty list, so this is a test of the
# module's path for clusters without a successful export.
#
# Giving results a mocked value (mock_data defaults or override_data values
# with results = [{ ... }]) fails in terraform test with "incompatible types;
# expected object type, found tuple" (hashicorp/terraform issue 38369): test
# that path against the sandbox (sandbox.tftest.hcl). OpenTofu accepts it
# (mocked_results.tofutest.hcl).
mock_provider "atlasexports" {}

variables {
  project_id    = "6650aa11bb22cc33dd44ee55"
  cluster_names = ["orders", "analytics"]
}

run "no_successful_export_gives_null" {
  command = plan

  assert {
    condition     = keys(output.latest_exports) == ["analytics", "orders"] && alltrue([for job in values(output.latest_exports) : job == null])
    error_message = "expected null for every cluster, got ${jsonencode(output.latest_exports)}"
  }
  assert {
    condition     = output.clusters_without_export == tolist(["analytics", "orders"])
    error_message = "clusters_without_export: got ${jsonencode(output.clusters_without_export)}"
  }
}

run "only_successful_exports_are_asked_for" {
  command = plan

  assert {
    condition     = alltrue([for d in data.atlasexports_snapshot_exports.successful : d.states == toset(["Successful"])])
    error_message = "the module must ask for successful exports only"
  }
  assert {
    condition     = keys(data.atlasexports_snapshot_exports.successful) == ["analytics", "orders"]
    error_message = "expected one read per cluster given, got ${jsonencode(keys(data.atlasexports_snapshot_exports.successful))}"
  }
}

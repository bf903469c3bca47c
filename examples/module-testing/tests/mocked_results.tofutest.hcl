# OpenTofu only (terraform test ignores .tofutest.hcl files): OpenTofu accepts
# a mocked results list when each job gives every attribute of the schema
# (null where Atlas leaves one out), so the module's mapping of a job can be
# tested without the sandbox. Terraform rejects the same list: see
# mocked.tftest.hcl.
mock_provider "atlasexports" {
  mock_data "atlasexports_snapshot_exports" {
    defaults = {
      results = [{
        id                  = "69fbcb74a1b2c3d4e5f60113"
        snapshot_id         = "69fbc91ca1b2c3d4e5f60214"
        export_bucket_id    = "6650aa2fbb22cc33dd44ee60"
        state               = "Successful"
        created_at          = "2026-05-06T23:15:00Z"
        finished_at         = "2026-05-06T23:35:00Z"
        prefix              = "exported_snapshots/5f3c6a0de1b2c3d4e5f60718/6650aa11bb22cc33dd44ee55/analytics/2026-05-06T2315/1778109300"
        snapshot_created_at = "2026-05-06T23:15:00Z"
        components = [
          { export_id = "69fbcb74a1b2c3d4e5f60315", replica_set_name = "atlas-q1w2e3-shard-0" },
          { export_id = "69fbcb74a1b2c3d4e5f60316", replica_set_name = "atlas-q1w2e3-shard-1" },
        ]
        custom_data   = []
        export_status = { exported_collections = 30, total_collections = 30 }
        state_reason  = null
        uri           = "s3://example-exports/exported_snapshots/5f3c6a0de1b2c3d4e5f60718/6650aa11bb22cc33dd44ee55/analytics/2026-05-06T2315/1778109300"
      }]
    }
  }
}

variables {
  project_id    = "6650aa11bb22cc33dd44ee55"
  cluster_names = ["analytics"]
}

run "a_job_maps_to_its_outputs" {
  command = plan

  assert {
    condition = output.latest_exports["analytics"] == {
      id         = "69fbcb74a1b2c3d4e5f60113"
      prefix     = "exported_snapshots/5f3c6a0de1b2c3d4e5f60718/6650aa11bb22cc33dd44ee55/analytics/2026-05-06T2315/1778109300"
      uri        = "s3://example-exports/exported_snapshots/5f3c6a0de1b2c3d4e5f60718/6650aa11bb22cc33dd44ee55/analytics/2026-05-06T2315/1778109300"
      created_at = "2026-05-06T23:15:00Z"
      shards     = ["atlas-q1w2e3-shard-0", "atlas-q1w2e3-shard-1"]
    }
    error_message = "analytics: got ${jsonencode(output.latest_exports["analytics"])}"
  }
  assert {
    condition     = length(output.clusters_without_export) == 0
    error_message = "clusters_without_export: got ${jsonencode(output.clusters_without_export)}"
  }
}

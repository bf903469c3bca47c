# Runs the module against the local Atlas sandbox loaded with
# tests/fixtures.json (scripts/module-test.sh starts it, or by hand:
# atlas-sandbox -fixtures tests/fixtures.json -env-file sandbox.env, then
# source sandbox.env). The provider reads its base URL and key pair from the
# environment, so the provider block needs nothing.
provider "atlasexports" {}

variables {
  project_id    = "6650aa11bb22cc33dd44ee55"
  cluster_names = ["orders", "events", "analytics", "staging"]
}

run "newest_successful_export_wins" {
  command = plan

  # orders has, out of order, a newer InProgress and a newer Failed job and
  # two older successful ones.
  assert {
    condition     = output.latest_exports["orders"].id == "6a013820a1b2c3d4e5f60105"
    error_message = "orders: expected the successful export of 2026-05-11, got ${jsonencode(output.latest_exports["orders"])}"
  }
  assert {
    condition     = output.latest_exports["orders"].created_at == "2026-05-11T02:00:00Z"
    error_message = "orders: wrong created_at ${output.latest_exports["orders"].created_at}"
  }
  assert {
    condition     = output.latest_exports["orders"].prefix == "exported_snapshots/5f3c6a0de1b2c3d4e5f60718/6650aa11bb22cc33dd44ee55/orders/2026-05-11T0200/1778464800"
    error_message = "orders: wrong prefix ${output.latest_exports["orders"].prefix}"
  }
  assert {
    condition     = output.latest_exports["orders"].uri == "s3://example-exports/exported_snapshots/5f3c6a0de1b2c3d4e5f60718/6650aa11bb22cc33dd44ee55/orders/2026-05-11T0200/1778464800"
    error_message = "orders: wrong uri ${jsonencode(output.latest_exports["orders"].uri)}"
  }
  assert {
    condition     = length(output.latest_exports["orders"].shards) == 0
    error_message = "orders is a replica set: expected no shards, got ${jsonencode(output.latest_exports["orders"].shards)}"
  }
}

run "sharded_cluster_lists_its_shards" {
  command = plan

  assert {
    condition     = output.latest_exports["analytics"].id == "69fbcb74a1b2c3d4e5f60113"
    error_message = "analytics: expected the successful export of 2026-05-06, not the newer failed one: got ${jsonencode(output.latest_exports["analytics"])}"
  }
  assert {
    condition     = tolist(output.latest_exports["analytics"].shards) == tolist(["atlas-q1w2e3-shard-0", "atlas-q1w2e3-shard-1", "atlas-q1w2e3-shard-2"])
    error_message = "analytics: wrong shards ${jsonencode(output.latest_exports["analytics"].shards)}"
  }
}

run "clusters_without_successful_export_are_null" {
  command = plan

  # events has failed, cancelled and queued jobs only; staging has none.
  assert {
    condition     = output.latest_exports["events"] == null && output.latest_exports["staging"] == null
    error_message = "expected null for events and staging, got ${jsonencode(output.latest_exports)}"
  }
  assert {
    condition     = output.clusters_without_export == tolist(["events", "staging"])
    error_message = "clusters_without_export: got ${jsonencode(output.clusters_without_export)}"
  }
}

run "project_id_is_checked_before_any_request" {
  command = plan

  variables {
    project_id = "not-a-project"
  }
  expect_failures = [var.project_id]
}

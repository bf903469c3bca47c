# Only the successful exports of the "orders" cluster, newest first. Every
# job kept is stored in the state, about 1 KB each: add limit when you need
# only the newest few.
data "atlasexports_snapshot_exports" "orders" {
  project_id   = var.project_id
  cluster_name = "orders"
  states       = ["Successful"]
}

# results[0] is the newest export; try() covers a cluster with none yet.
output "latest_orders_export_prefix" {
  description = "Prefix of the newest successful export of orders, or null."
  value       = try(data.atlasexports_snapshot_exports.orders.results[0].prefix, null)
}

# The export of the newest data, if there is one: ordered by when the
# snapshot was taken, and limit = 1 keeps the state to that one job. (When
# there must be one, atlasexports_snapshot_export with most_recent = true is
# shorter.)
data "atlasexports_snapshot_exports" "orders_newest_data" {
  project_id   = var.project_id
  cluster_name = "orders"
  states       = ["Successful"]
  order_by     = "snapshot_created_at"
  limit        = 1
}

output "newest_orders_data_uri" {
  description = "Full address (s3://, gs:// or Azure https://) of the export of the newest snapshot of orders, or null."
  value       = try(data.atlasexports_snapshot_exports.orders_newest_data.results[0].uri, null)
}

# Every successful export keyed by its ID, ready for a for_each (one lifecycle
# rule, audit record or module instance per export). Each job's bucket is in
# export_buckets, under its export_bucket_id.
locals {
  orders = data.atlasexports_snapshot_exports.orders
  orders_exports = {
    for job in local.orders.results : job.id => {
      uri                 = job.uri
      snapshot_created_at = job.snapshot_created_at
      finished_at         = job.finished_at
      cloud               = try(local.orders.export_buckets[job.export_bucket_id].cloud_provider, null)
      shards              = [for c in job.components : c.replica_set_name]
    }
  }
}

output "orders_export_uris" {
  description = "Full address of every successful export of orders, by export job ID."
  value       = { for id, export in local.orders_exports : id => export.uri }
}

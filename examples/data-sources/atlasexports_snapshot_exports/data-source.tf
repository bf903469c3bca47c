terraform {
  required_providers {
    atlasexports = {
      source = "atlasexports/atlasexports"
    }
  }
}

variable "project_id" {
  description = "Atlas project ID (24 hexadecimal characters)."
  type        = string
}

# Only the successful exports of the "orders" cluster, newest first.
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

# The newest successful export alone: limit = 1 keeps the state to one job.
data "atlasexports_snapshot_exports" "orders_latest" {
  project_id   = var.project_id
  cluster_name = "orders"
  states       = ["Successful"]
  limit        = 1
}

output "latest_orders_export_uri" {
  description = "Full address (s3://, gs:// or Azure https://) of the newest successful export of orders, or null."
  value       = try(data.atlasexports_snapshot_exports.orders_latest.results[0].uri, null)
}

# Every successful export keyed by its ID, ready for a for_each (one lifecycle
# rule, audit record or module instance per export).
locals {
  orders_exports = {
    for job in data.atlasexports_snapshot_exports.orders.results : job.id => {
      prefix      = job.prefix
      uri         = job.uri
      finished_at = job.finished_at
      shards      = [for c in job.components : c.replica_set_name]
    }
  }
}

output "orders_export_prefixes" {
  description = "S3 prefix of every successful export of orders, by export job ID."
  value       = { for id, export in local.orders_exports : id => export.prefix }
}

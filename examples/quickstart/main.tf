# Quickstart: the export prefixes of some clusters, and the newest successful
# export of each, ready to hand to a data pipeline or a lifecycle rule.
#
# Credentials and base URL come from the environment (MONGODB_ATLAS_CLIENT_ID
# and MONGODB_ATLAS_CLIENT_SECRET, or MONGODB_ATLAS_PUBLIC_API_KEY and
# MONGODB_ATLAS_PRIVATE_API_KEY, and MONGODB_ATLAS_BASE_URL for the local
# sandbox). `make demo` sets them.

terraform {
  required_version = ">= 1.5"
  required_providers {
    atlasexports = {
      source = "atlasexports/atlasexports"
    }
  }
}

provider "atlasexports" {}

variable "project_id" {
  description = "Atlas project ID (24 hexadecimal characters)."
  type        = string
}

variable "cluster_names" {
  description = "Names of the clusters whose exports to read."
  type        = list(string)
}

# Every job of each cluster, for the counts and lists below. Each job is
# stored in the state, about 1 KB: a cluster with thousands of exports makes
# a state of megabytes, which the successful list below avoids with limit.
data "atlasexports_snapshot_exports" "all" {
  for_each = toset(var.cluster_names)

  project_id   = var.project_id
  cluster_name = each.value
}

data "atlasexports_snapshot_exports" "successful" {
  for_each = toset(var.cluster_names)

  project_id   = var.project_id
  cluster_name = each.value
  states       = ["Successful"]
  # The newest data first, even when an old snapshot was exported again
  # after newer ones; limit = 1 keeps that one job in the state.
  order_by = "snapshot_created_at"
  limit    = 1
}

locals {
  # results[0] is the export of the newest data.
  latest_successful = {
    for name, exports in data.atlasexports_snapshot_exports.successful :
    name => try(exports.results[0], null)
  }
}

output "export_counts" {
  description = "Number of export jobs per cluster."
  value       = { for name, exports in data.atlasexports_snapshot_exports.all : name => exports.total_count }
}

output "export_prefixes" {
  description = "Every export's prefix and state, newest first, for the clusters with at most 5 exports."
  value = {
    for name, exports in data.atlasexports_snapshot_exports.all :
    name => [for job in exports.results : "${job.state}: ${job.prefix}"] if length(exports.results) <= 5
  }
}

output "latest_successful_prefix" {
  description = "Prefix of the newest successful export of each cluster (null when there is none)."
  value       = { for name, job in local.latest_successful : name => try(job.prefix, null) }
}

output "latest_successful_uri" {
  description = "Full address (s3://, gs:// or Azure https://) of the newest successful export of each cluster."
  value       = { for name, job in local.latest_successful : name => try(job.uri, null) }
}

output "export_uris" {
  description = "Every export's state and full address, newest first, for the clusters with at most 5 exports (null for a job whose bucket is gone)."
  value = {
    for name, exports in data.atlasexports_snapshot_exports.all :
    name => [for job in exports.results : "${job.state}: ${coalesce(job.uri, "(bucket ${job.export_bucket_id} not found)")}"] if length(exports.results) <= 5
  }
}

output "shard_exports" {
  description = "Per-shard exports of the newest successful export of each sharded cluster."
  value = {
    for name, job in local.latest_successful :
    name => [for c in job.components : "${c.replica_set_name}: ${c.export_id}"] if try(length(job.components), 0) > 0
  }
}

output "failed_exports" {
  description = "How many exports failed per cluster, and why the newest one failed."
  value = {
    for name, exports in data.atlasexports_snapshot_exports.all : name => {
      count       = length([for job in exports.results : job if job.state == "Failed"])
      last_reason = try([for job in exports.results : job.state_reason.message if job.state == "Failed"][0], null)
    }
  }
}

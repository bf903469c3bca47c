# The newest successful snapshot export of each cluster given, for a module
# that hands export prefixes to a data pipeline. tests/ shows how to test such
# a module: against the local Atlas sandbox loaded with fixtures, and with
# terraform test's mock_provider.

terraform {
  required_version = ">= 1.7"
  required_providers {
    atlasexports = {
      source = "atlasexports/atlasexports"
    }
  }
}

variable "project_id" {
  description = "Atlas project ID (24 hexadecimal characters)."
  type        = string

  validation {
    condition     = can(regex("^[0-9a-f]{24}$", var.project_id))
    error_message = "project_id must be an Atlas project ID: 24 hexadecimal characters, such as 32b6e34b3d91647abb20e7b8."
  }
}

variable "cluster_names" {
  description = "Names of the clusters whose newest successful export to find."
  type        = set(string)
}

data "atlasexports_snapshot_exports" "successful" {
  for_each = var.cluster_names

  project_id   = var.project_id
  cluster_name = each.value
  states       = ["Successful"]
  # Only the newest one is used: the state keeps one job per cluster.
  limit = 1
}

locals {
  # results are newest first, so results[0] is the newest successful export.
  newest = {
    for name, exports in data.atlasexports_snapshot_exports.successful :
    name => try(exports.results[0], null)
  }
}

output "latest_exports" {
  description = "The newest successful export of each cluster given, or null for a cluster without one: its job ID, prefix, full URI (such as s3://bucket/prefix; null when its bucket no longer exists), creation time and the replica sets of its shards (empty for a replica set cluster)."
  value = {
    for name, job in local.newest : name => job == null ? null : {
      id         = job.id
      prefix     = job.prefix
      uri        = job.uri
      created_at = job.created_at
      shards     = [for c in job.components : c.replica_set_name]
    }
  }
}

output "clusters_without_export" {
  description = "The clusters given that have no successful export yet, sorted."
  value       = sort([for name, job in local.newest : name if job == null])
}

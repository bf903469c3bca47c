# A warning on every plan and apply when the newest successful export of one
# of several clusters holds data older than a given age, or, with
# fail_when_stale, a failed plan.

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
  description = "Names of the clusters whose exports to watch."
  type        = list(string)
}

variable "max_export_age" {
  description = "How old the newest exported data may be, in hours, minutes or seconds, such as \"26h\" (a daily snapshot, exported within two hours) or \"192h\" (8 days)."
  type        = string
  default     = "26h"

  # timeadd() knows h, m, s, ms, us and ns, but no d: "8d" would make every
  # check below fail for ever. This fails the plan at once instead.
  validation {
    condition     = can(timeadd("2000-01-01T00:00:00Z", var.max_export_age))
    error_message = "max_export_age must be a duration in h, m or s, such as \"26h\" or \"192h\" for 8 days (there is no d)."
  }
}

variable "fail_when_stale" {
  description = "Fail the plan, and so the CI job that runs it, rather than warn, when an export is too old."
  type        = bool
  default     = false
}

# The newest successful export of each cluster, by the snapshot's time. A
# cluster without one has an empty results, which the check reports.
data "atlasexports_snapshot_exports" "newest" {
  for_each = toset(var.cluster_names)

  project_id   = var.project_id
  cluster_name = each.value
  states       = ["Successful"]
  order_by     = "snapshot_created_at"
  limit        = 1
}

locals {
  # When each cluster's newest exported data was taken; the epoch for a
  # cluster without a successful export, or whose export's prefix names no
  # snapshot time, so that it counts as stale.
  snapshot_times = {
    for name, exports in data.atlasexports_snapshot_exports.newest :
    name => coalesce(try(exports.results[0].snapshot_created_at, null), "1970-01-01T00:00:00Z")
  }
  stale_clusters = [
    for name, taken in local.snapshot_times : name
    if timecmp(timeadd(taken, var.max_export_age), plantimestamp()) < 0
  ]
}

# A check warns and never stops a plan or an apply.
check "exports_are_fresh" {
  assert {
    condition     = length(local.stale_clusters) == 0
    error_message = "No successful export newer than ${var.max_export_age} for: ${join(", ", local.stale_clusters)}. Check these clusters' backup and export policies."
  }
}

# An output's precondition fails the plan when it does not hold.
output "stale_clusters" {
  description = "The clusters without a successful export newer than max_export_age."
  value       = local.stale_clusters

  precondition {
    condition     = !var.fail_when_stale || length(local.stale_clusters) == 0
    error_message = "No successful export newer than ${var.max_export_age} for: ${join(", ", local.stale_clusters)}."
  }
}

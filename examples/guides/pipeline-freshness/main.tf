# A warning on every plan and apply when the newest successful export of a
# cluster holds data older than a given age.

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

variable "cluster_name" {
  description = "Name of the cluster whose exports to watch."
  type        = string
}

variable "max_export_age" {
  description = "How old the newest exported data may be, as a duration such as \"26h\" (a daily snapshot, exported within two hours)."
  type        = string
  default     = "26h"
}

check "export_is_fresh" {
  # A data source inside a check block turns its errors into warnings too:
  # a cluster without any successful export warns rather than fails.
  data "atlasexports_snapshot_export" "newest" {
    project_id   = var.project_id
    cluster_name = var.cluster_name
    most_recent  = true
    order_by     = "snapshot_created_at"
  }

  assert {
    # try() makes a snapshot time Atlas's prefix does not give (null) a
    # failed check, not an error.
    condition = try(timecmp(
      timeadd(data.atlasexports_snapshot_export.newest.snapshot_created_at, var.max_export_age),
      plantimestamp(),
    ) >= 0, false)
    error_message = "The newest successful export of ${var.cluster_name} holds data from ${coalesce(data.atlasexports_snapshot_export.newest.snapshot_created_at, "an unknown time")}, older than ${var.max_export_age}: check the cluster's backup and export policies."
  }
}

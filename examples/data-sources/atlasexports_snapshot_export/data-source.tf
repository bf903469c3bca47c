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

variable "export_id" {
  description = "ID of the export job that a pipeline run started, as that run recorded it."
  type        = string
}

# One export job by its ID, for example the one a nightly pipeline started.
data "atlasexports_snapshot_export" "nightly" {
  project_id   = var.project_id
  cluster_name = "orders"
  export_id    = var.export_id

  timeouts {
    read = "2m"
  }

  # Stop here, with Atlas's reason, rather than hand a failed export on.
  lifecycle {
    postcondition {
      condition     = !contains(["Failed", "Cancelled"], self.state)
      error_message = "Export ${self.id} is ${self.state}: ${try(self.state_reason.message, "Atlas gave no reason")}"
    }
  }
}

locals {
  nightly = data.atlasexports_snapshot_export.nightly
}

output "nightly_export" {
  description = "Where the nightly export is, and how far it has got."
  value = {
    state    = local.nightly.state
    prefix   = local.nightly.prefix
    progress = try("${local.nightly.export_status.exported_collections}/${local.nightly.export_status.total_collections} collections", "unknown")
  }
}

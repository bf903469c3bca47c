# The newest successful export of a cluster: most_recent reads only
# Successful jobs unless states says otherwise, and fails the plan when there
# is none yet.
data "atlasexports_snapshot_export" "latest" {
  project_id   = var.project_id
  cluster_name = "orders"
  most_recent  = true
}

output "latest_export_uri" {
  description = "Full address (s3://, gs:// or Azure https://) of the newest successful export of orders."
  value       = data.atlasexports_snapshot_export.latest.uri
}

# The export of the newest data: order by the time of the snapshot rather
# than of the export job, so that an old snapshot exported again today does
# not win.
data "atlasexports_snapshot_export" "newest_data" {
  project_id   = var.project_id
  cluster_name = "orders"
  most_recent  = true
  order_by     = "snapshot_created_at"
}

output "newest_data" {
  description = "When the snapshot of the newest successful export was taken, and where the export lies."
  value = {
    snapshot_created_at = data.atlasexports_snapshot_export.newest_data.snapshot_created_at
    uri                 = data.atlasexports_snapshot_export.newest_data.uri
  }
}

# One export job by its ID, for example the one a nightly pipeline started.
data "atlasexports_snapshot_export" "nightly" {
  project_id   = var.project_id
  cluster_name = "orders"
  export_id    = var.export_id

  timeouts = {
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
    uri      = local.nightly.uri
    bucket   = try(local.nightly.export_bucket.bucket_name, null)
    progress = try("${local.nightly.export_status.exported_collections}/${local.nightly.export_status.total_collections} collections", "unknown")
  }
}

# The same job once it has ended: the read waits while it is Queued or
# InProgress (within the read timeout, 20m by default), so that what reads
# the export in this apply never reads a half-written one.
data "atlasexports_snapshot_export" "nightly_done" {
  project_id          = var.project_id
  cluster_name        = "orders"
  export_id           = var.export_id
  wait_for_completion = true
}

output "nightly_export_done" {
  description = "Where the nightly export is, once it has ended, and how it ended."
  value = {
    state = data.atlasexports_snapshot_export.nightly_done.state
    uri   = data.atlasexports_snapshot_export.nightly_done.uri
  }
}

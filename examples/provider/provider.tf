terraform {
  required_providers {
    atlasexports = {
      source  = "atlasexports/atlasexports"
      version = "~> 0.1"
    }
  }
}

# Credentials from the environment (Authentication, below).
provider "atlasexports" {}

# The export of the newest data of the cluster orders: only successful
# exports, ordered by when Atlas took the snapshot.
data "atlasexports_snapshot_export" "orders" {
  project_id   = var.project_id
  cluster_name = "orders"
  most_recent  = true
  order_by     = "snapshot_created_at"
}

output "orders_export_uri" {
  # s3://, gs:// or https://<account>.blob.core.windows.net/...
  value = data.atlasexports_snapshot_export.orders.uri
}

variable "project_id" {
  description = "Atlas project ID (24 hexadecimal characters)."
  type        = string
}

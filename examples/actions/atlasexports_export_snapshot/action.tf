terraform {
  # Actions need Terraform 1.14 or later.
  required_version = ">= 1.14"
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

variable "export_bucket_id" {
  description = "ID of the export bucket Atlas has access to (24 hexadecimal characters)."
  type        = string
}

# Exports the newest completed snapshot of orders and waits until the export
# ends: terraform apply -invoke=action.atlasexports_export_snapshot.orders
action "atlasexports_export_snapshot" "orders" {
  config {
    project_id       = var.project_id
    cluster_name     = "orders"
    export_bucket_id = var.export_bucket_id
    custom_data = {
      requested_by = "terraform"
    }
    timeouts = {
      invoke = "3h"
    }
  }
}

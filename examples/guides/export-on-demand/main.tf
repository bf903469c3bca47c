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

variable "load_date" {
  description = "Date of the data load the export follows; a new value exports again."
  type        = string
}

# Exports the newest completed snapshot of orders and waits for the export
# to end.
action "atlasexports_export_snapshot" "after_load" {
  config {
    project_id       = var.project_id
    cluster_name     = "orders"
    export_bucket_id = var.export_bucket_id
    custom_data = {
      load_date = var.load_date
    }
  }
}

# Stands for the step the export must follow (a load, a migration): when it
# is created or replaced, the export runs after it in the same apply.
resource "terraform_data" "load" {
  input = var.load_date

  lifecycle {
    action_trigger {
      events  = [after_create, after_update]
      actions = [action.atlasexports_export_snapshot.after_load]
    }
  }
}

# The newest successful export of a cluster, as the input of a data pipeline.

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
  description = "Name of the cluster whose newest export feeds the pipeline."
  type        = string
}

variable "collections" {
  description = "The <database>/<collection> pairs the pipeline reads."
  type        = list(string)
  default     = ["sales/orders"]
}

# The export of the newest data: only Successful exports are whole (the
# default of most_recent), and ordering by the snapshot's time keeps an old
# snapshot exported again today from replacing newer data. The plan fails
# when the cluster has no successful export yet, rather than run the
# pipeline on nothing.
data "atlasexports_snapshot_export" "newest" {
  project_id   = var.project_id
  cluster_name = var.cluster_name
  most_recent  = true
  order_by     = "snapshot_created_at"
}

locals {
  newest = data.atlasexports_snapshot_export.newest
  # s3://..., gs://... or https://<account>.blob.core.windows.net/<container>/...
  export_uri = local.newest.uri
}

output "export_uri" {
  description = "Where the newest successful export lies."
  value       = local.export_uri
}

output "snapshot_created_at" {
  description = "When Atlas took the snapshot whose data the export holds."
  value       = local.newest.snapshot_created_at
}

output "complete_marker" {
  description = "The metadata file Atlas writes last, once the export has succeeded."
  value       = "${local.export_uri}/.complete"
}

output "collection_prefixes" {
  description = "Where each collection's .json.gz files lie, one per shard and chunk."
  value       = { for c in var.collections : c => "${local.export_uri}/${c}/" }
}

output "shards" {
  description = "The replica sets of a sharded cluster, whose names prefix the data files."
  value       = [for c in local.newest.components : c.replica_set_name]
}

output "bucket" {
  description = "The bucket's cloud and, on AWS, its region, for the pipeline's credentials."
  value = {
    cloud  = local.newest.export_bucket.cloud_provider
    region = local.newest.export_bucket.region
  }
}

# A pipeline run (here a stand-in) that is replaced whenever a newer export
# succeeds.
resource "terraform_data" "pipeline_run" {
  triggers_replace = [local.newest.id]
  input = {
    source = local.export_uri
  }
}

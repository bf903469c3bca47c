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

# Only Successful exports are whole: a failed job's partial data stays in the
# bucket. limit = 1 keeps the state to that one job, however many exports the
# cluster has.
data "atlasexports_snapshot_exports" "latest" {
  project_id   = var.project_id
  cluster_name = var.cluster_name
  states       = ["Successful"]
  limit        = 1
}

locals {
  latest = try(data.atlasexports_snapshot_exports.latest.results[0], null)
  # s3://..., gs://... or https://<account>.blob.core.windows.net/<container>/...
  export_uri = try(local.latest.uri, null)
}

output "export_uri" {
  description = "Where the newest successful export lies (null when there is none)."
  value       = local.export_uri
}

output "complete_marker" {
  description = "The metadata file Atlas writes last, once the export has succeeded."
  value       = local.export_uri == null ? null : "${local.export_uri}/.complete"
}

output "collection_prefixes" {
  description = "Where each collection's .json.gz files lie, one per shard and chunk."
  value       = local.export_uri == null ? {} : { for c in var.collections : c => "${local.export_uri}/${c}/" }
}

output "shards" {
  description = "The replica sets of a sharded cluster, whose names prefix the data files."
  value       = try([for c in local.latest.components : c.replica_set_name], [])
}

output "bucket" {
  description = "The bucket's cloud and, on AWS, its region, for the pipeline's credentials."
  value = try({
    cloud  = local.latest.export_bucket.cloud_provider
    region = local.latest.export_bucket.region
  }, null)
}

# A pipeline run (here a stand-in) that is replaced whenever a newer export
# succeeds.
resource "terraform_data" "pipeline_run" {
  count            = local.export_uri == null ? 0 : 1
  triggers_replace = [local.latest.id]
  input = {
    source = local.export_uri
  }
}

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

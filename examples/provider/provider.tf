terraform {
  required_providers {
    atlasexports = {
      source = "atlasexports/atlasexports"
    }
  }
}

# With no credential attributes, the provider reads its credentials from the
# environment, as the mongodbatlas provider does: MONGODB_ATLAS_CLIENT_ID and
# MONGODB_ATLAS_CLIENT_SECRET (a service account), MONGODB_ATLAS_ACCESS_TOKEN
# (a service account's access token), or MONGODB_ATLAS_PUBLIC_API_KEY and
# MONGODB_ATLAS_PRIVATE_API_KEY (an API key).
provider "atlasexports" {}

# Or in the provider block, here a service account whose secret comes from a
# sensitive variable. A provider block that sets any credential is the only
# place the provider reads them from: the environment is then ignored.
provider "atlasexports" {
  alias = "reporting"

  client_id     = var.atlas_client_id
  client_secret = var.atlas_client_secret

  # Optional: the defaults suit most uses.
  max_retries     = 6
  request_timeout = "90s"
}

variable "atlas_client_id" {
  description = "Client ID of the Atlas service account."
  type        = string
}

variable "atlas_client_secret" {
  description = "Client secret of the Atlas service account."
  type        = string
  sensitive   = true
}

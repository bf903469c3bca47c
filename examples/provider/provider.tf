terraform {
  required_providers {
    atlasexports = {
      source = "atlasexports/atlasexports"
    }
  }
}

# With no attributes, the provider reads its credentials from the environment:
# MONGODB_ATLAS_CLIENT_ID and MONGODB_ATLAS_CLIENT_SECRET (a service account),
# or MONGODB_ATLAS_PUBLIC_KEY and MONGODB_ATLAS_PRIVATE_KEY (an API key).
provider "atlasexports" {}

# Or explicitly, here with a service account whose secret comes from a
# sensitive variable. Attributes take precedence over the environment.
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

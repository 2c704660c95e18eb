# A throw-away deployment of the stack for the live tests: `RUN_LIVE_TESTS=1 make test-python`.
# pytest-terraform applies it in the default workspace, so the stage is "default".

variable "region" {
  description = "Region to deploy the test stack to."
  type        = string
  default     = "eu-central-1"
}

variable "default_email_from" {
  description = "A sender address SES has verified in the region."
  type        = string
}

module "messenger" {
  source = "../../../../terraform"

  stage                  = terraform.workspace
  region                 = var.region
  ses_region             = var.region
  sns_region             = var.region
  default_email_from     = var.default_email_from
  sms_allowed_countries  = ["US", "GB"]
  message_retention_days = 1
  log_retention_days     = 1

  api_key = {
    validity_days = 2
    rotation_days = 1
  }

  table = {
    deletion_protection_enabled = false
    point_in_time_recovery_days = 1
  }

  delivery_function = {
    reserved_concurrency = 1
  }

  status_functions = {
    reserved_concurrency = 1
  }

  # The SMS preferences and delivery-status log groups are account-wide: a test stack leaves them alone.
  sms = {
    manage_account_preferences = false
  }
}

output "graphql_url" {
  description = "The test stack's GraphQL endpoint."
  value       = module.messenger.graphql_url
}

output "api_key" {
  description = "The test stack's API key."
  value       = module.messenger.api_key
  sensitive   = true
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  # Built once: every name starts with the stage.
  prefix      = "${var.stage}-messenger"
  graphql_dir = "${path.module}/../graphql"
  manifest    = jsondecode(file("${local.graphql_dir}/manifest.json"))
  account_id  = data.aws_caller_identity.current.account_id
  partition   = data.aws_partition.current.partition

  messages_table = local.manifest.tables.messages
  delivery       = local.manifest.dataSources.deliveryFunction
  email_senders  = distinct(concat([lower(var.default_email_from)], [for sender in var.allowed_email_senders : lower(sender)]))
  ses_identities = coalesce(var.ses_identities, local.email_senders)
}

# Applying one environment's values in another's workspace stops here, at plan time.
resource "terraform_data" "workspace_guard" {
  input = var.stage

  lifecycle {
    precondition {
      condition     = var.stage == terraform.workspace
      error_message = "stage \"${var.stage}\" does not match the selected workspace \"${terraform.workspace}\": select the matching workspace (make plan ENV=${var.stage}) before planning."
    }
  }
}

module "kms_key" {
  source = "../modules/kms_key"

  alias       = local.prefix
  description = "Encrypts the ${var.stage} messenger's messages and logs"
  log_group_arn_patterns = [
    "arn:${local.partition}:logs:${var.region}:${local.account_id}:log-group:/aws/lambda/${local.prefix}-*",
    "arn:${local.partition}:logs:${var.region}:${local.account_id}:log-group:/aws/appsync/apis/*",
    "arn:${local.partition}:logs:${var.region}:${local.account_id}:log-group:aws-waf-logs-${local.prefix}*",
  ]
}

module "messages_table" {
  source = "../modules/messages_table"

  name                        = "${local.prefix}-messages"
  partition_key               = local.messages_table.partitionKey
  sort_key                    = local.messages_table.sortKey
  indexes                     = { for name, index in local.messages_table.indexes : name => { partition_key = index.partitionKey, sort_key = index.sortKey } }
  kms_key_arn                 = module.kms_key.arn
  deletion_protection_enabled = var.table.deletion_protection_enabled
  point_in_time_recovery_days = var.table.point_in_time_recovery_days
}

# The settings the sendMessage resolvers read (see graphql/functions/loadConfig.js).
resource "aws_dynamodb_table_item" "delivery_config" {
  table_name = module.messages_table.name
  hash_key   = local.messages_table.partitionKey
  range_key  = local.messages_table.sortKey
  item = jsonencode({
    (local.messages_table.partitionKey) = { S = "CONFIG" }
    (local.messages_table.sortKey)      = { S = "DELIVERY" }
    defaultEmailFrom                    = { S = lower(var.default_email_from) }
    allowedEmailSenders                 = { L = [for sender in var.allowed_email_senders : { S = lower(sender) }] }
    allowedSmsSenderIds                 = { L = [for sender in var.allowed_sms_sender_ids : { S = sender }] }
  })
}

module "ses_configuration_set" {
  source = "../modules/ses_configuration_set"

  name   = "${local.prefix}-messages"
  region = var.ses_region
}

module "delivery_function" {
  source = "../modules/lambda_function"

  name                     = "${local.prefix}-delivery"
  description              = "Delivers recorded messages by email (SES) or SMS (SNS)"
  source_dir               = "${path.module}/../${local.delivery.source}"
  handler                  = local.delivery.handler
  kms_key_arn              = module.kms_key.arn
  log_retention_days       = var.log_retention_days
  memory_mb                = var.delivery_function.memory_mb
  timeout_seconds          = var.delivery_function.timeout_seconds
  reserved_concurrency     = var.delivery_function.reserved_concurrency
  powertools_layer_version = var.delivery_function.powertools_layer_version
  policy_json              = data.aws_iam_policy_document.delivery.json
  environment = {
    SES_REGION            = var.ses_region
    SNS_REGION            = var.sns_region
    DEFAULT_EMAIL_FROM    = lower(var.default_email_from)
    SES_CONFIGURATION_SET = module.ses_configuration_set.name
  }
}

module "api" {
  source = "../modules/graphql_api"

  name               = "${local.prefix}-api"
  graphql_dir        = local.graphql_dir
  kms_key_arn        = module.kms_key.arn
  log_retention_days = var.log_retention_days
  api_key            = var.api_key
  tables = {
    messages = {
      name        = module.messages_table.name
      arn         = module.messages_table.arn
      index_arns  = module.messages_table.index_arns
      kms_key_arn = module.kms_key.arn
    }
  }
  lambda_functions = {
    deliveryFunction = module.delivery_function.arn
  }
  web_acl_arn = module.firewall.web_acl_arn
}

module "firewall" {
  source = "../modules/api_firewall"

  name               = "${local.prefix}-api"
  rate_limit         = var.firewall.rate_limit_per_5_minutes
  log_retention_days = var.log_retention_days
  kms_key_arn        = module.kms_key.arn
}

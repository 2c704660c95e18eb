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
  # Sender addresses keep their configured case everywhere: IAM compares resource ARNs case-sensitively, so
  # an identity verified as Support@Example.com must be named so. An address given twice in different case
  # counts once, in its first spelling (the resolvers compare addresses case-insensitively).
  configured_senders = concat([var.default_email_from], var.allowed_email_senders)
  email_senders = [
    for position, sender in local.configured_senders : sender
    if !contains([for earlier in slice(local.configured_senders, 0, position) : lower(earlier)], lower(sender))
  ]

  # Delivery status (see status.tf). Each manifest event handler becomes a Lambda; here is where it runs,
  # which table indexes it may query and what it adds to the common environment. CloudWatch Logs invokes a
  # subscription filter's Lambda as logs.<region>.amazonaws.com, and its API documents no cross-region Lambda
  # destination, so smsEvents runs beside its log groups in sns_region. emailEvents runs beside the table: SNS
  # delivers across regions. stalePending runs beside the table too, as does the EventBridge rule that
  # invokes it (a rule's Lambda target is in the rule's region).
  event_handlers = {
    for name, handler in try(local.manifest.eventHandlers, {}) : name => {
      source  = handler.source
      handler = handler.handler
      trigger = try(handler.trigger, name)
    }
  }
  provider_message_id_index = one([for name, index in local.messages_table.indexes : name if index.partitionKey == "providerMessageId"])
  # The sparse index of messages still PENDING, sharded by the ULID's last character and sorted by SK (the
  # ULID, so by time): stalePending reads only the keys older than its cutoff.
  pending_index = one([for name, index in local.messages_table.indexes : name if index.partitionKey == "pendingShard"])
  event_handler_wiring = {
    emailEvents = { region = var.region, query_indexes = [], environment = {} }
    smsEvents   = { region = var.sns_region, query_indexes = local.provider_message_id_index == null ? [] : [local.provider_message_id_index], environment = {} }
    stalePending = {
      region        = var.region
      query_indexes = local.pending_index == null ? [] : [local.pending_index]
      environment   = { STALE_AFTER_SECONDS = tostring(var.stale_pending.stale_after_seconds) }
    }
  }
  event_handler_regions = { for name in keys(local.event_handlers) : name => try(local.event_handler_wiring[name].region, var.region) }

  ses_events_topic_name  = "${local.prefix}-email-events"
  ses_events_topic_arn   = "arn:${local.partition}:sns:${var.ses_region}:${local.account_id}:${local.ses_events_topic_name}" # known before the topic, for its key's policy
  ses_status_event_types = ["DELIVERY", "BOUNCE", "COMPLAINT", "REJECT", "DELIVERY_DELAY"]

  # SNS writes SMS delivery status to these two log groups, one pair per account and region.
  sms_log_groups = var.sms.manage_account_preferences ? {
    success = "sns/${var.sns_region}/${local.account_id}/DirectPublishToPhoneNumber"
    failure = "sns/${var.sns_region}/${local.account_id}/DirectPublishToPhoneNumber/Failure"
  } : {}

  # KMS keys are regional: one in var.region, one more in each other region that holds the SES events
  # topic (ses_region) or the SMS log groups and smsEvents (sns_region). Each key's policy lets in exactly
  # the services that use it in its region.
  extra_regions = setsubtract(toset([var.ses_region, var.sns_region]), toset([var.region]))
  key_regions   = concat([var.region], sort(tolist(local.extra_regions)))
  key_log_group_arn_patterns = {
    for region in local.key_regions : region => concat(
      region == var.region || contains(values(local.event_handler_regions), region) ? ["arn:${local.partition}:logs:${region}:${local.account_id}:log-group:/aws/lambda/${local.prefix}-*"] : [],
      region == var.region ? [
        "arn:${local.partition}:logs:${region}:${local.account_id}:log-group:/aws/appsync/apis/*",
        "arn:${local.partition}:logs:${region}:${local.account_id}:log-group:aws-waf-logs-${local.prefix}*",
      ] : [],
      region == var.sns_region ? [for name in values(local.sms_log_groups) : "arn:${local.partition}:logs:${region}:${local.account_id}:log-group:${name}"] : [],
    )
  }
  key_topic_publishers = {
    for region in local.key_regions : region => region == var.ses_region ? [{ service = "ses.amazonaws.com", topic_arns = [local.ses_events_topic_arn] }] : []
  }
  kms_key_arns = merge({ (var.region) = module.kms_key.arn }, { for region, key in module.regional_kms_key : region => key.arn })
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

  alias                  = local.prefix
  description            = "Encrypts the ${var.stage} messenger's messages and logs"
  log_group_arn_patterns = local.key_log_group_arn_patterns[var.region]
  topic_publishers       = local.key_topic_publishers[var.region]
}

module "regional_kms_key" {
  source   = "../modules/kms_key"
  for_each = local.extra_regions

  region                 = each.key
  alias                  = local.prefix
  description            = "Encrypts the ${var.stage} messenger's delivery-status topic and logs in ${each.key}"
  log_group_arn_patterns = local.key_log_group_arn_patterns[each.key]
  topic_publishers       = local.key_topic_publishers[each.key]
}

module "messages_table" {
  source = "../modules/messages_table"

  name          = "${local.prefix}-messages"
  partition_key = local.messages_table.partitionKey
  sort_key      = local.messages_table.sortKey
  ttl_attribute = try(local.messages_table.ttlAttribute, null)
  kms_key_arn   = module.kms_key.arn
  indexes = {
    for name, index in local.messages_table.indexes : name => {
      partition_key   = index.partitionKey
      sort_key        = try(index.sortKey, null)
      projection_type = try(index.projection, "ALL")
    }
  }
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
    defaultEmailFrom                    = { S = var.default_email_from }
    allowedEmailSenders                 = { L = [for sender in var.allowed_email_senders : { S = sender }] }
    allowedSmsSenderIds                 = { L = [for sender in var.allowed_sms_sender_ids : { S = sender }] }
    messagesTable                       = { S = module.messages_table.name } # a transaction names its table (recordMessage.js)
  })
}

module "ses_configuration_set" {
  source = "../modules/ses_configuration_set"

  name   = "${local.prefix}-messages"
  region = var.ses_region
  sns_event_destination = {
    name        = "delivery-status"
    topic_arn   = aws_sns_topic_policy.ses_events.arn # the topic's ARN, once SES may publish to it
    event_types = local.ses_status_event_types
  }
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
  attach_policy_json       = true
  policy_json              = data.aws_iam_policy_document.delivery.json
  environment = {
    SES_REGION            = var.ses_region
    SNS_REGION            = var.sns_region
    DEFAULT_EMAIL_FROM    = var.default_email_from
    SES_CONFIGURATION_SET = module.ses_configuration_set.name
    MESSAGES_TABLE        = module.messages_table.name # records the SNS message ID of an accepted SMS
    MESSAGES_TABLE_REGION = var.region
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

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  # Built once: every name starts with the stage.
  prefix      = "${var.stage}-messenger"
  graphql_dir = "${path.module}/../graphql"
  manifest    = jsondecode(file("${local.graphql_dir}/manifest.json"))
  account_id  = data.aws_caller_identity.current.account_id
  partition   = data.aws_partition.current.partition

  # The handlers' own CloudWatch metrics (Powertools EMF), one namespace per environment.
  metrics_namespace = "serverless-messenger/${var.stage}"

  messages_table = local.manifest.tables.messages
  delivery       = local.manifest.dataSources.deliveryFunction
  erasure        = local.manifest.dataSources.erasureFunction
  # Sender addresses keep their configured case everywhere: IAM compares resource ARNs case-sensitively, so
  # an identity verified as Support@Example.com must be named so. An address given twice in different case
  # counts once, in its first spelling (the resolvers compare addresses case-insensitively).
  configured_senders = concat([var.default_email_from], var.allowed_email_senders)
  email_senders = [
    for position, sender in local.configured_senders : sender
    if !contains([for earlier in slice(local.configured_senders, 0, position) : lower(earlier)], lower(sender))
  ]

  # The storage contract (graphql/manifest.json): key prefixes, the CONFIG item, indexes, status ranks.
  key_prefixes = local.messages_table.keyPrefixes
  config_item  = local.messages_table.configItem

  # Delivery status (see status.tf): one Lambda per manifest event handler, wired by its trigger. CloudWatch
  # Logs invokes a subscription filter's Lambda as logs.<region>.amazonaws.com, and its API documents no
  # cross-region Lambda destination, so smsDeliveryLogs handlers run beside their log groups in sns_region.
  # sesEvents handlers run beside the table (SNS delivers across regions); schedule handlers beside the table
  # too, as does the EventBridge rule that invokes them (a rule's Lambda target is in the rule's region).
  trigger_regions = {
    sesEvents       = var.region
    smsDeliveryLogs = var.sns_region
    schedule        = var.region
    alarms          = var.region
  }
  event_handlers = {
    for name, handler in try(local.manifest.eventHandlers, {}) : name => {
      source      = handler.source
      handler     = handler.handler
      trigger     = handler.trigger
      description = handler.description
      queries     = try(handler.queries, [])
      region      = lookup(local.trigger_regions, handler.trigger, var.region)
    }
  }
  # The delivery-status handlers (status.tf); the alarms handler, the channel guardrail, is built in operations.
  status_handlers = { for name, handler in local.event_handlers : name => handler if handler.trigger != "alarms" }
  handlers_by_trigger = {
    for trigger in keys(local.trigger_regions) : trigger => toset([for name, handler in local.event_handlers : name if handler.trigger == trigger])
  }
  # One environment for every function of the status package (each reads at import the settings its modules
  # use), with the name of each index the manifest hands to the handlers through a variable.
  status_environment = merge({
    POWERTOOLS_METRICS_NAMESPACE = local.metrics_namespace
    MESSAGES_TABLE               = module.messages_table.name
    MESSAGES_TABLE_REGION        = var.region
    STALE_AFTER_SECONDS          = tostring(var.stale_pending.stale_after_seconds)
  }, { for name, index in local.messages_table.indexes : index.environment => name if can(index.environment) })
  event_handler_regions = { for name, handler in local.event_handlers : name => handler.region }
  # emailEvents -> email-events: the handler's part of its resource names.
  event_handler_slugs = { for name in keys(local.event_handlers) : name => lower(replace(name, "/([A-Z])/", "-$1")) }

  # One alarm topic per region that holds alarms (operations.tf): the key regions, known before the topics
  # for their keys' policies.
  alarms_topic_name = "${local.prefix}-alarms"
  alarm_regions     = local.key_regions
  alarm_topic_arns  = { for region in local.alarm_regions : region => "arn:${local.partition}:sns:${region}:${local.account_id}:${local.alarms_topic_name}" }

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
  # the services that use it in its region (the API's log group has a key of its own: modules/graphql_api).
  extra_regions = setsubtract(toset([var.ses_region, var.sns_region]), toset([var.region]))
  key_regions   = concat([var.region], sort(tolist(local.extra_regions)))
  key_log_group_arn_patterns = {
    for region in local.key_regions : region => concat(
      region == var.region || contains(values(local.event_handler_regions), region) ? ["arn:${local.partition}:logs:${region}:${local.account_id}:log-group:/aws/lambda/${local.prefix}-*"] : [],
      region == var.region ? [
        "arn:${local.partition}:logs:${region}:${local.account_id}:log-group:aws-waf-logs-${local.prefix}*",
      ] : [],
      region == var.sns_region ? [for name in values(local.sms_log_groups) : "arn:${local.partition}:logs:${region}:${local.account_id}:log-group:${name}"] : [],
    )
  }
  # SES publishes to the events topic in ses_region; CloudWatch to the alarm topic of every key region.
  key_topic_publishers = {
    for region in local.key_regions : region => concat(
      region == var.ses_region ? [{ service = "ses.amazonaws.com", topic_arns = [local.ses_events_topic_arn] }] : [],
      [{ service = "cloudwatch.amazonaws.com", topic_arns = [local.alarm_topic_arns[region]] }],
    )
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
  description            = "Encrypts the ${var.stage} messenger's delivery-status and alarm topics and logs in ${each.key}"
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
    (local.messages_table.partitionKey) = { S = local.config_item.PK }
    (local.messages_table.sortKey)      = { S = local.config_item.SK }
    defaultEmailFrom                    = { S = var.default_email_from }
    allowedEmailSenders                 = { L = [for sender in var.allowed_email_senders : { S = sender }] }
    allowedSmsSenderIds                 = { L = [for sender in var.allowed_sms_sender_ids : { S = sender }] }
    messagesTable                       = { S = module.messages_table.name } # a transaction names its table (recordMessage.js)
    limits = { M = {
      smsPerRecipientPerHour   = { N = tostring(var.send_limits.sms_per_recipient_per_hour) }
      emailPerRecipientPerHour = { N = tostring(var.send_limits.email_per_recipient_per_hour) }
      smsPerMinute             = { N = tostring(var.send_limits.sms_per_minute) }
      emailPerMinute           = { N = tostring(var.send_limits.email_per_minute) }
    } }
    smsAllowedPrefixes   = { L = [for prefix in var.sms_allowed_prefixes : { S = prefix }] }
    messageRetentionDays = { N = tostring(var.message_retention_days) }
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
    SES_REGION                   = var.ses_region
    SNS_REGION                   = var.sns_region
    SES_CONFIGURATION_SET        = module.ses_configuration_set.name
    MESSAGES_TABLE               = module.messages_table.name # records the SNS message ID of an accepted SMS
    MESSAGES_TABLE_REGION        = var.region
    POWERTOOLS_METRICS_NAMESPACE = local.metrics_namespace
  }
}

# eraseRecipient's data source: pages through a recipient's data and deletes it (handlers/erasure).
module "erasure_function" {
  source = "../modules/lambda_function"

  name                     = "${local.prefix}-erasure"
  description              = "Erases everything stored about one recipient (eraseRecipient, IAM callers only)"
  source_dir               = "${path.module}/../${local.erasure.source}"
  handler                  = local.erasure.handler
  kms_key_arn              = module.kms_key.arn
  log_retention_days       = var.log_retention_days
  memory_mb                = 256
  timeout_seconds          = local.erasure.timeoutSeconds # AppSync gives up on a request after 30 s
  reserved_concurrency     = 2
  powertools_layer_version = var.delivery_function.powertools_layer_version
  attach_policy_json       = true
  policy_json              = data.aws_iam_policy_document.erasure.json
  environment = {
    MESSAGES_TABLE        = module.messages_table.name
    MESSAGES_TABLE_REGION = var.region
  }
}

module "api" {
  source = "../modules/graphql_api"

  name               = "${local.prefix}-api"
  graphql_dir        = local.graphql_dir
  log_retention_days = var.log_retention_days
  api_key            = var.api_key

  introspection_enabled = var.introspection_enabled
  query_depth_limit     = var.query_depth_limit

  tables = {
    messages = {
      name        = module.messages_table.name
      arn         = module.messages_table.arn
      index_arns  = module.messages_table.index_arns
      kms_key_arn = module.kms_key.arn
    }
  }
  lambda_functions = {
    deliveryFunction         = module.delivery_function.arn
    erasureFunction          = module.erasure_function.arn
    webhookEndpointsFunction = module.webhook_endpoints_function.arn
  }
  web_acl_arn = module.firewall.web_acl_arn

  resolver_count_limit = var.resolver_count_limit
}

module "firewall" {
  source = "../modules/api_firewall"

  name               = "${local.prefix}-api"
  rate_limit         = var.firewall.rate_limit_per_5_minutes
  api_key_rate_limit = var.firewall.api_key_rate_limit_per_5_minutes
  log_retention_days = var.log_retention_days
  kms_key_arn        = module.kms_key.arn
}

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
    testOutcomes    = var.region # the test outcomes queue, beside the delivery function that fills it
    tableStream     = var.region # the table's stream (events.tf): a mapping reads a stream of its own region
  }
  event_handlers = {
    for name, handler in try(local.manifest.eventHandlers, {}) : name => {
      source      = handler.source
      handler     = handler.handler
      trigger     = handler.trigger
      description = handler.description
      queries     = try(handler.queries, [])
      # tableStream: the event source mapping's filter patterns (events.tf), as the manifest has them.
      stream_filters = try(handler.streamFilters, [])
      region         = lookup(local.trigger_regions, handler.trigger, var.region)
    }
  }
  # The delivery-status handlers (status.tf); the alarms handler, the channel guardrail, is built in operations,
  # and the tableStream handler, the event publisher, in events.tf.
  status_handlers = { for name, handler in local.event_handlers : name => handler if !contains(["alarms", "tableStream"], handler.trigger) }
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
  # Each change's item before and after, for the tableStream handlers (events.tf); no stream without one.
  stream_view_type = length(local.handlers_by_trigger.tableStream) > 0 ? "NEW_AND_OLD_IMAGES" : null
}

locals {
  # The countries SMS may go to (with the deprecated prefixes: every country of the calling codes they reach), and
  # for each of their calling codes the numbering sendMessage tells a number's validity and country by: the code's
  # regions in libphonenumber's order (graphql/phone_numbering.json, from tools/phone_numbering.py; validateInput.js).
  phone_numbering   = jsondecode(file("${local.graphql_dir}/phone_numbering.json"))
  sms_prefix_digits = var.sms_allowed_prefixes == null ? [] : [for prefix in var.sms_allowed_prefixes : trimprefix(prefix, "+")]
  sms_allowed_countries = var.sms_allowed_countries != null ? sort(distinct(var.sms_allowed_countries)) : sort(distinct(flatten([
    for code, regions in local.phone_numbering.callingCodes : [for region in regions : region.region]
    if anytrue([for digits in local.sms_prefix_digits : startswith(code, digits) || startswith(digits, code)])
  ])))
  sms_numbering = {
    for code, regions in local.phone_numbering.callingCodes : code => jsonencode(regions)
    if anytrue([for region in regions : contains(local.sms_allowed_countries, region.region)])
  }
}

# Until sms_allowed_prefixes is removed: a plan that still sets it says so.
check "sms_allowed_prefixes_deprecated" {
  assert {
    condition     = var.sms_allowed_prefixes == null
    error_message = "sms_allowed_prefixes is deprecated and will be removed in the next release: set sms_allowed_countries (ISO 3166 alpha-2 codes, e.g. [\"US\", \"CA\", \"GB\"]) instead. Its prefixes still apply, now to valid numbers of the countries they reach."
  }
}

# The settings the resolvers and the operators' function read (graphql/functions/identifyCaller.js reads the
# whole CONFIG partition). iamClients: each IAM principal that acts as a client, as identifyCaller.js matches a
# caller's ARN: a role as the prefix of its sessions' ARNs (arn:<partition>:sts::<account>:assumed-role/<name>/,
# without the role's path), a user as it is. eventPublisher: the one principal that may call publishMessageEvent
# (events.tf: event_publisher_principal).
locals {
  iam_client_principals = {
    for arn, client in var.iam_clients : replace(arn, "/^(arn:[^:]+):iam::([0-9]{12}):role/(?:.*/)?([^/]+)$/", "$1:sts::$2:assumed-role/$3/") => client
  }
  client_default_limits = {
    emailPerDay = { N = tostring(var.client_defaults.email_per_day) }
    smsPerDay   = { N = tostring(var.client_defaults.sms_per_day) }
  }
}

resource "aws_dynamodb_table_item" "delivery_config" {
  table_name = module.messages_table.name
  hash_key   = local.messages_table.partitionKey
  range_key  = local.messages_table.sortKey
  item = jsonencode(merge({
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
    messageRetentionDays     = { N = tostring(var.message_retention_days) }
    testMessageRetentionDays = { N = tostring(var.test_message_retention_days) }
    clients = { M = {
      defaultLimits = { M = local.client_default_limits }
      keyMaxDays    = { N = tostring(var.client_defaults.key_max_days) }
    } }
    iamClients = { M = { for principal, client in local.iam_client_principals : principal => { S = client } } }
    }, local.event_publisher_principal == null ? {} : {
    eventPublisher = { S = local.event_publisher_principal }
  }))
}

# The countries SMS may go to, with the numbering of their calling codes: tens of KB, in an item of its own that only
# an SMS's sendMessage reads (graphql/functions/identifyCaller.js), so an email does not pay to read it.
resource "aws_dynamodb_table_item" "sms_config" {
  table_name = module.messages_table.name
  hash_key   = local.messages_table.partitionKey
  range_key  = local.messages_table.sortKey
  item = jsonencode(merge({
    (local.messages_table.partitionKey) = { S = local.messages_table.smsItem.PK }
    (local.messages_table.sortKey)      = { S = local.messages_table.smsItem.SK }
    smsAllowedCountries                 = { L = [for country in local.sms_allowed_countries : { S = country }] }
    smsNumbering                        = { M = { for code, regions in local.sms_numbering : code => { S = regions } } }
    }, var.sms_allowed_prefixes == null ? {} : {
    smsAllowedPrefixes = { L = [for prefix in var.sms_allowed_prefixes : { S = prefix }] }
  }))

  lifecycle {
    precondition {
      condition     = alltrue([for country in local.sms_allowed_countries : contains(keys(local.phone_numbering.regions), country)])
      error_message = "sms_allowed_countries names a code that is no country libphonenumber knows (graphql/phone_numbering.json lists them): use ISO 3166 alpha-2 codes such as US, CA, GB."
    }
  }
}

# The `default` client: the one the API key sends as (identifyCaller.js), created once with the environment's
# default limits. Operators change its limits later (updateClientLimits), and Terraform leaves them be.
resource "aws_dynamodb_table_item" "default_client" {
  table_name = module.messages_table.name
  hash_key   = local.messages_table.partitionKey
  range_key  = local.messages_table.sortKey
  item = jsonencode({
    (local.messages_table.partitionKey) = { S = local.messages_table.clientsItem.PK }
    (local.messages_table.sortKey)      = { S = "${local.key_prefixes.client}${local.manifest.clients.defaultClientId}" }
    clientId                            = { S = local.manifest.clients.defaultClientId }
    name                                = { S = "default (the AppSync API key)" }
    limits                              = { M = local.client_default_limits }
    createdAt                           = { S = formatdate("YYYY-MM-DD'T'hh:mm:ss'.000Z'", plantimestamp()) }
  })

  lifecycle {
    ignore_changes = [item]
  }
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
    # A TEST key's message reaches no provider: its simulated outcomes go to this queue (status.tf).
    TEST_OUTCOMES           = jsonencode(local.manifest.testMode)
    TEST_OUTCOMES_QUEUE_URL = aws_sqs_queue.test_outcomes.url
  }
}

# The functions of handlers/clients (the manifest names their handlers): the authorizer of client keys, the
# operators' API (clients, keys, limits, the audit log) and eraseRecipient's erasure. They share one
# environment, as the local stack's (local/config.py: clients_env); each has its own role (iam.tf).
locals {
  clients_environment = {
    MESSAGES_TABLE           = module.messages_table.name
    MESSAGES_TABLE_REGION    = var.region
    AUTHORIZER_CACHE_SECONDS = tostring(var.authorizer_cache_seconds)
  }
  clients_functions = {
    authorizer = {
      manifest    = local.manifest.clients.authorizer
      description = "Checks a client's key (the Authorization header) for AppSync: its client, mode, expiry and revocation"
      memory_mb   = 256 # on the path of every request whose key is not cached: CPU comes with memory
      # AppSync waits at most 10 s for an authorizer; two reads and an update take milliseconds.
      timeout_seconds = 5
      # At most one run per request (fewer while answers are cached), and far shorter than a delivery.
      reserved_concurrency = var.delivery_function.reserved_concurrency
    }
    operators = {
      manifest             = local.manifest.dataSources.operatorsFunction
      description          = "The operators' API: clients, their keys and limits, and the audit log (IAM callers only)"
      memory_mb            = 256
      timeout_seconds      = 25 # AppSync gives up on a request after 30 s
      reserved_concurrency = 2
    }
    erasure = {
      manifest             = local.manifest.dataSources.erasureFunction
      description          = "Erases everything stored about one recipient (eraseRecipient, IAM callers only)"
      memory_mb            = 256
      timeout_seconds      = local.manifest.dataSources.erasureFunction.timeoutSeconds # AppSync gives up after 30 s
      reserved_concurrency = 2
    }
  }
}

module "clients_functions" {
  source   = "../modules/lambda_function"
  for_each = local.clients_functions

  name                     = "${local.prefix}-${each.key}"
  description              = each.value.description
  source_dir               = "${path.module}/../${each.value.manifest.source}"
  handler                  = each.value.manifest.handler
  kms_key_arn              = module.kms_key.arn
  log_retention_days       = var.log_retention_days
  memory_mb                = each.value.memory_mb
  timeout_seconds          = each.value.timeout_seconds
  reserved_concurrency     = each.value.reserved_concurrency
  powertools_layer_version = var.delivery_function.powertools_layer_version
  attach_policy_json       = true
  policy_json              = data.aws_iam_policy_document.clients_function[each.key].json
  environment              = local.clients_environment
}

module "api" {
  source = "../modules/graphql_api"

  name               = "${local.prefix}-api"
  graphql_dir        = local.graphql_dir
  log_retention_days = var.log_retention_days
  api_key            = var.api_key
  authorizer = {
    function_arn       = module.clients_functions["authorizer"].arn
    result_ttl_seconds = var.authorizer_cache_seconds
  }

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
    erasureFunction          = module.clients_functions["erasure"].arn
    operatorsFunction        = module.clients_functions["operators"].arn
    webhookEndpointsFunction = module.webhook_endpoints_function.arn
  }
  web_acl_arn = module.firewall.web_acl_arn

  resolver_count_limit = var.resolver_count_limit
}

module "firewall" {
  source = "../modules/api_firewall"

  name                = "${local.prefix}-api"
  rate_limit          = var.firewall.rate_limit_per_5_minutes
  api_key_rate_limit  = var.firewall.api_key_rate_limit_per_5_minutes
  client_key_prefixes = values(local.manifest.clients.keyPrefixes)
  log_retention_days  = var.log_retention_days
  kms_key_arn         = module.kms_key.arn
}

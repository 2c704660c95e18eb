# Delivery status: SES events (email) and SNS SMS delivery logs turn ACCEPTED messages into DELIVERED,
# BOUNCED, FAILED, ... through the event handlers that graphql/manifest.json lists; a scheduled sweep turns
# messages left PENDING (their outcome was never recorded) into UNKNOWN; the outcomes simulated for TEST keys'
# messages are recorded the same way. Each handler is wired by the trigger the manifest gives it: sesEvents,
# smsDeliveryLogs, schedule or testOutcomes (alarms: operations.tf; tableStream: events.tf).

resource "terraform_data" "event_handler_guard" {
  input = sort(keys(local.event_handlers))

  lifecycle {
    precondition {
      condition     = alltrue([for handler in values(local.event_handlers) : contains(keys(local.trigger_regions), handler.trigger)])
      error_message = "Every event handler in graphql/manifest.json needs a trigger this stack wires: ${join(", ", keys(local.trigger_regions))}."
    }

    precondition {
      condition     = length(local.handlers_by_trigger.testOutcomes) <= 1
      error_message = "At most one event handler in graphql/manifest.json has the trigger testOutcomes: the test outcomes queue feeds one handler."
    }

    # The publisher's role (events.tf) grants what handlers/clients/publisher.py does, and nothing another
    # handler of the stream would need.
    precondition {
      condition     = length(local.handlers_by_trigger.tableStream) <= 1
      error_message = "At most one event handler in graphql/manifest.json has the trigger tableStream: the event publisher, whose role grants what it does."
    }

    # Lambda's quota: five filter patterns per event source mapping, each at most 4096 characters.
    precondition {
      condition     = alltrue([for handler in values(local.event_handlers) : length(handler.stream_filters) <= 5 && alltrue([for pattern in handler.stream_filters : length(jsonencode(pattern)) <= 4096])])
      error_message = "An event handler in graphql/manifest.json has more than five streamFilters, or one longer than 4096 characters (Lambda's limits for an event source mapping)."
    }

    precondition {
      condition     = alltrue(flatten([for handler in values(local.event_handlers) : [for index in handler.queries : contains(keys(local.messages_table.indexes), index)]]))
      error_message = "An event handler in graphql/manifest.json queries an index the messages table does not have."
    }
  }
}

# One Lambda per manifest entry, built like the delivery function. Each zips the whole source folder, and its
# handler (from the manifest) names its own module there, which imports only the folder's shared module: a cold
# start loads what that function uses. Their asynchronous invocations (SNS, CloudWatch Logs, EventBridge) that
# keep failing end in each function's encrypted dead-letter queue.
module "event_handlers" {
  source   = "../modules/lambda_function"
  for_each = local.status_handlers

  name                      = "${local.prefix}-${local.event_handler_slugs[each.key]}"
  description               = each.value.description
  region                    = each.value.region
  source_dir                = "${path.module}/../${each.value.source}"
  handler                   = each.value.handler
  kms_key_arn               = local.kms_key_arns[each.value.region]
  log_retention_days        = var.log_retention_days
  memory_mb                 = var.status_functions.memory_mb
  timeout_seconds           = var.status_functions.timeout_seconds
  reserved_concurrency      = var.status_functions.reserved_concurrency
  powertools_layer_version  = var.status_functions.powertools_layer_version
  dead_letter_queue_enabled = true
  attach_policy_json        = true
  policy_json               = data.aws_iam_policy_document.event_handler[each.key].json
  environment               = local.status_environment
}

# --- Email: configuration set -> SNS topic (ses_region) -> emailEvents --------------------------

resource "aws_sns_topic" "ses_events" {
  region            = var.ses_region
  name              = local.ses_events_topic_name
  kms_master_key_id = local.kms_key_arns[var.ses_region]
}

data "aws_iam_policy_document" "ses_events_topic" {
  # The SES developer guide's topic policy for event destinations: SES publishes for this account's
  # configuration set only.
  statement {
    sid       = "SesPublishesThisConfigurationSetsEvents"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.ses_events.arn]

    principals {
      type        = "Service"
      identifiers = ["ses.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [module.ses_configuration_set.arn]
    }
  }

  statement {
    sid    = "DenyInsecureTransport"
    effect = "Deny"
    actions = [
      "sns:AddPermission",
      "sns:DeleteTopic",
      "sns:GetTopicAttributes",
      "sns:ListSubscriptionsByTopic",
      "sns:Publish",
      "sns:RemovePermission",
      "sns:SetTopicAttributes",
      "sns:Subscribe",
    ]
    resources = [aws_sns_topic.ses_events.arn]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_sns_topic_policy" "ses_events" {
  region = var.ses_region
  arn    = aws_sns_topic.ses_events.arn
  policy = data.aws_iam_policy_document.ses_events_topic.json
}

resource "aws_lambda_permission" "ses_events" {
  for_each = local.handlers_by_trigger.sesEvents

  region        = local.event_handler_regions[each.key]
  statement_id  = "email-events-topic"
  action        = "lambda:InvokeFunction"
  function_name = module.event_handlers[each.key].name
  principal     = "sns.amazonaws.com"
  source_arn    = aws_sns_topic.ses_events.arn
}

# Created in the topic's region; SNS delivers to a function in another region.
resource "aws_sns_topic_subscription" "ses_events" {
  for_each = local.handlers_by_trigger.sesEvents

  region    = var.ses_region
  topic_arn = aws_sns_topic.ses_events.arn
  protocol  = "lambda"
  endpoint  = module.event_handlers[each.key].arn

  depends_on = [aws_lambda_permission.ses_events]
}

# --- SMS: SNS delivery-status logs (sns_region) -> subscription filter -> smsEvents ---------------
# The SMS preferences and the two log groups exist once per account and region: only the environment
# with sms.manage_account_preferences creates them (see var.sms). Deleting them would reset the account's SMS
# settings (spend limit, delivery-status role) for every stack of the account and region, so the owner's
# destroy, or a hand-over to another environment, refuses (prevent_destroy) until they are removed from its
# state: docs/deployment.md, "SMS settings have one owner".

# No aws:SourceAccount or aws:SourceArn condition: AWS documents neither for the role SNS assumes to write SMS
# delivery status, and a condition SNS does not send would silently stop every delivery log. Another account
# cannot hand this role to its SNS (iam:PassRole works only within this account), and the role may only write
# the two SMS log groups.
data "aws_iam_policy_document" "sms_delivery_status_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["sns.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "sms_delivery_status" {
  count = var.sms.manage_account_preferences ? 1 : 0

  name               = "${local.prefix}-sms-delivery-status"
  description        = "Lets SNS write SMS delivery status to its two log groups in ${var.sns_region}"
  assume_role_policy = data.aws_iam_policy_document.sms_delivery_status_assume.json

  lifecycle {
    prevent_destroy = true # the account's SMS preferences name it
  }
}

# What the SNS developer guide requires of a delivery-status role (logs:CreateLogGroup, CreateLogStream,
# PutLogEvents), on the two SMS log groups only. The groups exist already, so CreateLogGroup changes nothing.
data "aws_iam_policy_document" "sms_delivery_status" {
  count = var.sms.manage_account_preferences ? 1 : 0

  statement {
    sid       = "WriteSmsDeliveryLogsOnly"
    actions   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]
    resources = flatten([for group in aws_cloudwatch_log_group.sms_delivery : [group.arn, "${group.arn}:*"]])
  }
}

resource "aws_iam_role_policy" "sms_delivery_status" {
  count = var.sms.manage_account_preferences ? 1 : 0

  name   = "write-sms-delivery-logs"
  role   = aws_iam_role.sms_delivery_status[0].id
  policy = data.aws_iam_policy_document.sms_delivery_status[0].json

  lifecycle {
    prevent_destroy = true
  }
}

# Each entry names the destination phone number (delivery.destination); smsEvents gets it within seconds
# through the subscription filter, so the groups keep their entries only briefly (sms.delivery_log_retention_days).
resource "aws_cloudwatch_log_group" "sms_delivery" {
  #checkov:skip=CKV_AWS_338:The SNS SMS delivery logs hold recipients' phone numbers and are consumed within seconds by smsEvents (subscription filter), which records the status on the message; keeping them a year would only keep personal data (sms.delivery_log_retention_days, default 3).
  for_each = local.sms_log_groups

  region            = var.sns_region
  name              = each.value
  retention_in_days = var.sms.delivery_log_retention_days
  kms_key_id        = local.kms_key_arns[var.sns_region]

  lifecycle {
    prevent_destroy = true # SNS writes every SMS's delivery status of the account and region here
  }
}

resource "aws_sns_sms_preferences" "account" {
  count = var.sms.manage_account_preferences ? 1 : 0

  region                                = var.sns_region
  default_sms_type                      = "Transactional"
  monthly_spend_limit                   = var.sms.monthly_spend_limit_usd
  delivery_status_iam_role_arn          = aws_iam_role.sms_delivery_status[0].arn
  delivery_status_success_sampling_rate = "100"

  depends_on = [aws_iam_role_policy.sms_delivery_status]

  lifecycle {
    # Deleting it resets the spend limit and switches delivery-status logging off for the whole account.
    prevent_destroy = true

    # Checked on every plan, offline too: the owner must name itself. SNS keeps no owner or tag on these
    # settings and the log groups' existence does not say which state holds them, so another environment's
    # claim cannot be read here; naming the stage stops a copied environment file from taking them over.
    precondition {
      condition     = var.sms.account_preferences_owner == var.stage
      error_message = "sms.manage_account_preferences = true makes this environment the owner of the account's SMS settings and delivery-status log groups in ${var.sns_region}, for every environment there; confirm it with sms.account_preferences_owner = \"${var.stage}\" (it names ${coalesce(var.sms.account_preferences_owner, "none")}). Exactly one environment per account and sns_region owns them: docs/deployment.md, \"SMS settings have one owner\"."
    }
  }
}

# Each smsDeliveryLogs handler subscribes to both groups (CloudWatch Logs allows two filters per group).
locals {
  sms_subscriptions = {
    for pair in setproduct(local.handlers_by_trigger.smsDeliveryLogs, keys(aws_cloudwatch_log_group.sms_delivery)) : "${pair[0]}-${pair[1]}" => {
      handler   = pair[0]
      log_group = aws_cloudwatch_log_group.sms_delivery[pair[1]]
      outcome   = pair[1]
    }
  }
}

resource "aws_lambda_permission" "sms_delivery_logs" {
  for_each = local.sms_subscriptions

  region         = local.event_handler_regions[each.value.handler]
  statement_id   = "sms-delivery-logs-${each.value.outcome}"
  action         = "lambda:InvokeFunction"
  function_name  = module.event_handlers[each.value.handler].name
  principal      = "logs.${var.sns_region}.amazonaws.com"
  source_arn     = "${each.value.log_group.arn}:*"
  source_account = local.account_id
}

resource "aws_cloudwatch_log_subscription_filter" "sms_delivery" {
  for_each = local.sms_subscriptions

  region          = var.sns_region
  name            = "${local.prefix}-${local.event_handler_slugs[each.value.handler]}"
  log_group_name  = each.value.log_group.name
  filter_pattern  = "" # every delivery record
  destination_arn = module.event_handlers[each.value.handler].arn

  depends_on = [aws_lambda_permission.sms_delivery_logs]
}

# --- Stale PENDING messages: EventBridge rule (region) -> stalePending ---------------------------
# A message stays PENDING only while its sendMessage request runs (at most 30 s, AppSync's limit); one
# older than stale_pending.stale_after_seconds lost its outcome (the request failed after the record was
# written) and may have been sent. The sweep marks it UNKNOWN, with a conditional update that changes only
# PENDING records, so overlapping or repeated runs are harmless.
#
# An EventBridge (CloudWatch Events) scheduled rule, not EventBridge Scheduler: the rule invokes the function
# through the function's own resource policy, which admits this one rule only (source_arn), so there is no
# role to trust, scope and pass. Scheduler would need an execution role (a trust policy plus
# lambda:InvokeFunction) and, to pass checkov (CKV_AWS_297), a customer-managed key for a fixed event that
# carries nothing secret. The rule, its target and the function share a region (var.region).

resource "aws_cloudwatch_event_rule" "schedule" {
  for_each = local.handlers_by_trigger.schedule

  region              = local.event_handler_regions[each.key]
  name                = "${local.prefix}-${local.event_handler_slugs[each.key]}"
  description         = "Invokes ${each.key}: ${local.event_handlers[each.key].description}"
  schedule_expression = var.stale_pending.schedule_expression
}

resource "aws_lambda_permission" "schedule" {
  for_each = local.handlers_by_trigger.schedule

  region         = local.event_handler_regions[each.key]
  statement_id   = "${local.event_handler_slugs[each.key]}-schedule"
  action         = "lambda:InvokeFunction"
  function_name  = module.event_handlers[each.key].name
  principal      = "events.amazonaws.com"
  source_arn     = aws_cloudwatch_event_rule.schedule[each.key].arn
  source_account = local.account_id
}

# The scheduled event is passed as it is: the function's STALE_AFTER_SECONDS sets the cutoff.
resource "aws_cloudwatch_event_target" "schedule" {
  for_each = local.handlers_by_trigger.schedule

  region    = local.event_handler_regions[each.key]
  rule      = aws_cloudwatch_event_rule.schedule[each.key].name
  target_id = each.key
  arn       = module.event_handlers[each.key].arn

  depends_on = [aws_lambda_permission.schedule]
}

# --- TEST keys: the delivery function -> SQS queue (region) -> testOutcomes ------------------------
# A TEST key's message reaches neither SES nor SNS: the delivery function queues the statuses a provider would
# report (graphql/manifest.json: testMode), each delayed a little more, and the testOutcomes handler records
# them as emailEvents and smsEvents record real ones. A batch the handler keeps failing on moves, after
# max_receive_count tries, to the handler's dead-letter queue, whose alarm every dead-letter queue has.

locals {
  test_outcomes_queue = {
    name = "${local.prefix}-test-outcomes"
    # Lambda's advice for a queue it reads: six times the function's timeout, so a batch is not handed out
    # again while it is still being handled.
    visibility_timeout_seconds = min(43200, 6 * var.status_functions.timeout_seconds)
    max_receive_count          = 5
    # The outcomes of a test message are worth nothing a day later.
    message_retention_seconds = 86400
  }
}

resource "aws_sqs_queue" "test_outcomes" {
  name                       = local.test_outcomes_queue.name
  kms_master_key_id          = module.kms_key.arn
  message_retention_seconds  = local.test_outcomes_queue.message_retention_seconds
  visibility_timeout_seconds = local.test_outcomes_queue.visibility_timeout_seconds
}

# Apart from the queue: the handler's role names the queue, and the handler's module makes the dead-letter queue.
resource "aws_sqs_queue_redrive_policy" "test_outcomes" {
  for_each = local.handlers_by_trigger.testOutcomes

  queue_url = aws_sqs_queue.test_outcomes.id
  redrive_policy = jsonencode({
    deadLetterTargetArn = module.event_handlers[each.key].dead_letter_queue_arn
    maxReceiveCount     = local.test_outcomes_queue.max_receive_count
  })
}

data "aws_iam_policy_document" "test_outcomes_queue" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sqs:*"] # a Deny: every action over plain HTTP is refused
    resources = [aws_sqs_queue.test_outcomes.arn]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_sqs_queue_policy" "test_outcomes" {
  queue_url = aws_sqs_queue.test_outcomes.id
  policy    = data.aws_iam_policy_document.test_outcomes_queue.json
}

# Lambda polls the queue with the handler's own role (iam.tf: ReceiveSimulatedOutcomesOfTestKeys). A batch the
# handler fails on is tried again whole: recording a status is idempotent (a status never moves backwards).
resource "aws_lambda_event_source_mapping" "test_outcomes" {
  for_each = local.handlers_by_trigger.testOutcomes

  region           = local.event_handler_regions[each.key]
  event_source_arn = aws_sqs_queue.test_outcomes.arn
  function_name    = module.event_handlers[each.key].arn
  batch_size       = 10

  # No more pollers than the function may run at once (SQS's floor is 2), so batches are not throttled back.
  dynamic "scaling_config" {
    for_each = var.status_functions.reserved_concurrency >= 2 ? [var.status_functions.reserved_concurrency] : []

    content {
      maximum_concurrency = min(1000, scaling_config.value)
    }
  }

  # The role must be allowed to read the queue before Lambda accepts the mapping.
  depends_on = [module.event_handlers]
}

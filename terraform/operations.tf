# Operations: alarms to an encrypted topic per region, the channel guardrail on them, one dashboard, and X-Ray
# sampling. The runbook for every alarm is docs/operations.md; each alarm's description points at its entry.

locals {
  runbook = "docs/operations.md"

  # The handlers' EMF metrics (handlers/delivery, handlers/status: SERVICE and emit(); the event publisher:
  # events.tf); a test pins these copies to the handlers.
  metric_services = {
    delivery = "delivery"
    status   = "delivery-status"
    events   = local.event_metric_service
  }
  channels         = ["EMAIL", "SMS"] # also the CONFIG/CHANNELS item's attributes, one per paused channel
  message_outcomes = ["ACCEPTED", "FAILED", "UNKNOWN"]
  # The provider outcomes each channel reports (handlers/status): SES bounces and complaints; SNS success or failure.
  status_outcomes = {
    EMAIL = ["DELIVERED", "BOUNCED", "COMPLAINED", "FAILED"]
    SMS   = ["DELIVERED", "FAILED"]
  }
  channel_status_outcomes = flatten([for channel in local.channels : [for status in local.status_outcomes[channel] : { channel = channel, status = status }]])

  # What AWS does to an account's email at these rates (the SES developer guide: review at 5% bounces or 0.1%
  # complaints, sending paused at 10% or 0.5%); var.alarms keeps warning and critical below them.
  ses_review  = { bounce = 0.05, complaint = 0.001 }
  ses_pausing = { bounce = 0.10, complaint = 0.005 }
  ses_rates   = { bounce = var.alarms.ses_bounce_rate, complaint = var.alarms.ses_complaint_rate }
  # 0.0008 -> "0.08", for the alarms' descriptions.
  ses_rate_percent = {
    for metric, levels in local.ses_rates : metric => { for level, rate in levels : level => replace(format("%.4f", rate * 100), "/\\.?0+$/", "") }
  }

  # The alarms whose ALARM pauses a channel (handlers/guardrail: GUARDRAIL_ALARMS), by their name after the
  # prefix; the local stack names them alike (local/config.py: guardrail_alarms).
  guardrail_alarms = {
    ses-bounce-rate-critical    = { channel = "EMAIL", region = var.ses_region }
    ses-complaint-rate-critical = { channel = "EMAIL", region = var.ses_region }
    sms-spend-critical          = { channel = "SMS", region = var.sns_region }
  }
  guardrail_topic_regions = toset([for alarm in values(local.guardrail_alarms) : alarm.region])
  # An alarm's ARN is this before its name after the prefix; the alarms' ARNs are known before the alarms, for
  # the guardrail (which acts on these ARNs only) and the topics' policies (which admit no others).
  alarm_arn_prefixes = { for region in local.alarm_regions : region => "arn:${local.partition}:cloudwatch:${region}:${local.account_id}:alarm:${local.prefix}-" }
  guardrail_alarm_arns = {
    for name, alarm in local.guardrail_alarms : "${local.alarm_arn_prefixes[alarm.region]}${name}" => alarm.channel
  }

  # The stale-pending sweep reports on every run, so its metric alarm counts a period without a report as
  # breaching: each period spans two runs (at least 5 minutes, at most a day), so one late run is no alarm. A
  # cron() schedule's interval is not computed: a day is assumed. A fresh deploy has no report yet, so that
  # alarm alone would fire until the first run: it notifies no one, and the composite alarm stale_pending
  # (below) notifies only once the sweep has reported.
  sweep_rate = regexall("^rate\\((\\d+) (minute|minutes|hour|hours|day|days)\\)$", var.stale_pending.schedule_expression)
  sweep_interval_seconds = length(local.sweep_rate) == 0 ? 86400 : tonumber(local.sweep_rate[0][0]) * {
    minute = 60, minutes = 60, hour = 3600, hours = 3600, day = 86400, days = 86400
  }[local.sweep_rate[0][1]]
  stale_alarm_period = min(86400, max(300, 2 * local.sweep_interval_seconds))

  # Every function, for the dashboard: where it runs and what it is called.
  functions = merge(
    { delivery = { name = module.delivery_function.name, region = var.region } },
    { for name, function in module.clients_functions : name => { name = function.name, region = var.region } },
    { for name, function in module.event_handlers : name => { name = function.name, region = function.region } },
    { for name, function in module.guardrail : name => { name = function.name, region = function.region } },
    local.webhook_functions,
    local.event_functions,
  )
  # Every dead-letter queue (the status functions', the guardrail's, the webhook deliveries', the event
  # publisher's), by handler.
  dead_letter_queues = merge(
    { for name, function in module.event_handlers : name => { queue = function.dead_letter_queue_name, region = function.region } },
    { for name, function in module.guardrail : name => { queue = function.dead_letter_queue_name, region = function.region } },
    local.webhook_dead_letter_queues,
    local.event_dead_letter_queues,
  )

  alarm_defaults = {
    dimensions          = {}
    evaluation_periods  = 1
    comparison_operator = "GreaterThanThreshold"
    treat_missing_data  = "notBreaching"
    notifies            = true
  }

  # Every alarm, by its name after the prefix. The SES and SNS figures are account-wide, per region: they are
  # what AWS acts on, whichever stack sent.
  alarms = { for name, alarm in merge(
    {
      for level in ["warning", "critical"] : "ses-bounce-rate-${level}" => {
        region              = var.ses_region
        namespace           = "AWS/SES"
        metric_name         = "Reputation.BounceRate"
        statistic           = "Maximum"
        period              = 3600
        threshold           = var.alarms.ses_bounce_rate[level]
        comparison_operator = "GreaterThanOrEqualToThreshold"
        # SES publishes the rate only once the account has bounces: no data is no bounce.
        description = "SES account bounce rate in ${var.ses_region} at or above ${local.ses_rate_percent.bounce[level]}% (${level}; AWS reviews the account at 5% and may pause it at 10%). ${level == "critical" ? "The channel guardrail pauses EMAIL." : "Find the source before it reaches the critical level."} Runbook: ${local.runbook}#ses-bounce-rate"
      }
    },
    {
      for level in ["warning", "critical"] : "ses-complaint-rate-${level}" => {
        region              = var.ses_region
        namespace           = "AWS/SES"
        metric_name         = "Reputation.ComplaintRate"
        statistic           = "Maximum"
        period              = 3600
        threshold           = var.alarms.ses_complaint_rate[level]
        comparison_operator = "GreaterThanOrEqualToThreshold"
        description         = "SES account complaint rate in ${var.ses_region} at or above ${local.ses_rate_percent.complaint[level]}% (${level}; AWS reviews the account at 0.1% and may pause it at 0.5%). ${level == "critical" ? "The channel guardrail pauses EMAIL." : "Find the source before it reaches the critical level."} Runbook: ${local.runbook}#ses-complaint-rate"
      }
    },
    {
      # Month-to-date, so its Maximum; SNS stops sending SMS minutes after the limit itself is crossed.
      for level in ["warning", "critical"] : "sms-spend-${level}" => {
        region      = var.sns_region
        namespace   = "AWS/SNS"
        metric_name = "SMSMonthToDateSpentUSD"
        statistic   = "Maximum"
        period      = 300
        threshold   = var.sms.monthly_spend_limit_usd * var.alarms.sms_spend_percent[level] / 100
        description = "SMS spent this month in ${var.sns_region} above ${var.alarms.sms_spend_percent[level]}% of the ${var.sms.monthly_spend_limit_usd} USD monthly limit (${level}). ${level == "critical" ? "The channel guardrail pauses SMS." : "Check what is sending before SMS is paused."} Runbook: ${local.runbook}#sms-spend"
      }
    },
    {
      for name, queue in local.dead_letter_queues : "${lookup(local.event_handler_slugs, name, name)}-dead-letters" => {
        region      = queue.region
        namespace   = "AWS/SQS"
        metric_name = "ApproximateNumberOfMessagesVisible"
        dimensions  = { QueueName = queue.queue }
        statistic   = "Maximum"
        period      = 300
        threshold   = 0
        description = try(queue.description, "${queue.queue} holds events ${name} still failed on after Lambda's retries. Runbook: ${local.runbook}#dead-letter-queue")
      }
    },
    {
      delivery-errors = {
        region      = var.region
        namespace   = "AWS/Lambda"
        metric_name = "Errors"
        dimensions  = { FunctionName = module.delivery_function.name }
        statistic   = "Sum"
        period      = 300
        threshold   = 0
        description = "The delivery function failed (an exception or a timeout): sendMessage answers an error and the message is recorded FAILED. Runbook: ${local.runbook}#delivery-errors"
      }
      delivery-throttles = {
        region      = var.region
        namespace   = "AWS/Lambda"
        metric_name = "Throttles"
        dimensions  = { FunctionName = module.delivery_function.name }
        statistic   = "Sum"
        period      = 300
        threshold   = 0
        description = "The delivery function was throttled at its reserved concurrency (${var.delivery_function.reserved_concurrency}): those sends were refused. Runbook: ${local.runbook}#delivery-throttles"
      }
      # The authorizer answers for every client key AppSync has not cached: when it fails or is throttled,
      # AppSync refuses the request (401), whatever the key.
      authorizer-errors = {
        region      = var.region
        namespace   = "AWS/Lambda"
        metric_name = "Errors"
        dimensions  = { FunctionName = module.clients_functions["authorizer"].name }
        statistic   = "Sum"
        period      = 300
        threshold   = 0
        description = "The authorizer of client keys failed (an exception or a timeout): AppSync refused those requests as unauthorized, good keys among them. Runbook: ${local.runbook}#authorizer-errors-and-throttles"
      }
      authorizer-throttles = {
        region      = var.region
        namespace   = "AWS/Lambda"
        metric_name = "Throttles"
        dimensions  = { FunctionName = module.clients_functions["authorizer"].name }
        statistic   = "Sum"
        period      = 300
        threshold   = 0
        description = "The authorizer of client keys was throttled at its reserved concurrency (${local.clients_functions.authorizer.reserved_concurrency}): AppSync refused those requests as unauthorized, good keys among them. Runbook: ${local.runbook}#authorizer-errors-and-throttles"
      }
      api-5xx-errors = {
        region      = var.region
        namespace   = "AWS/AppSync"
        metric_name = "5XXError"
        dimensions  = { GraphQLAPIId = module.api.id }
        statistic   = "Sum"
        period      = 300
        threshold   = 0
        description = "AppSync answered requests with a server error (5XX): callers saw them fail. Runbook: ${local.runbook}#api-5xx-errors"
      }
    },
    {
      for name in local.handlers_by_trigger.schedule : "${local.event_handler_slugs[name]}-found" => {
        region             = local.event_handler_regions[name]
        namespace          = local.metrics_namespace
        metric_name        = "StalePendingFound"
        dimensions         = { service = local.metric_services.status }
        statistic          = "Maximum"
        period             = local.stale_alarm_period
        threshold          = 0
        treat_missing_data = "breaching"
        notifies           = false # through the composite alarm, once the sweep has reported
        description        = "The sweep found messages still PENDING after ${var.stale_pending.stale_after_seconds} s and marked them UNKNOWN (perhaps sent), or it did not report at all: it reports on every run, so no data means the sweep is not running. Notifies through ${local.prefix}-${local.event_handler_slugs[name]}. Runbook: ${local.runbook}#stale-pending-messages"
      }
    },
    {
      # A latch: INSUFFICIENT_DATA from its creation until the sweep's first report, OK ever after (a report is
      # never fewer than one sample, and missing data keeps the state).
      for name in local.handlers_by_trigger.schedule : "${local.event_handler_slugs[name]}-reported" => {
        region              = local.event_handler_regions[name]
        namespace           = local.metrics_namespace
        metric_name         = "StalePendingFound"
        dimensions          = { service = local.metric_services.status }
        statistic           = "SampleCount"
        period              = local.stale_alarm_period
        threshold           = 1
        comparison_operator = "LessThanThreshold"
        treat_missing_data  = "ignore"
        notifies            = false
        description         = "OK once the sweep has reported since this alarm was made, INSUFFICIENT_DATA before: ${local.prefix}-${local.event_handler_slugs[name]} reads it, so a fresh deploy is no alarm. Notifies no one. Runbook: ${local.runbook}#stale-pending-messages"
      }
    },
    local.event_alarms,
  ) : name => merge(local.alarm_defaults, alarm) }

  # What may publish to each region's alarm topic: this stack's alarms of that region, metric and composite.
  alarm_arns_by_region = {
    for region in local.alarm_regions : region => sort(concat(
      [for name, alarm in local.alarms : "${local.alarm_arn_prefixes[region]}${name}" if alarm.region == region],
      [for name in local.handlers_by_trigger.schedule : "${local.alarm_arn_prefixes[region]}${local.event_handler_slugs[name]}" if local.event_handler_regions[name] == region],
    ))
  }
}

# --- Alarm topics ---------------------------------------------------------------------------------
# An alarm notifies an SNS topic of its own region only, so each region that holds alarms has one: var.region
# (API, delivery, sweep, guardrail and emailEvents queues), ses_region (SES reputation), sns_region (SMS spend,
# the smsEvents queue). These are the regions with a key of the stack (local.key_regions).

resource "aws_sns_topic" "alarms" {
  for_each = toset(local.alarm_regions)

  region            = each.key
  name              = local.alarms_topic_name
  kms_master_key_id = local.kms_key_arns[each.key] # the key's policy lets CloudWatch use it for this topic
}

data "aws_iam_policy_document" "alarms_topic" {
  for_each = aws_sns_topic.alarms

  # A message on this topic can pause a channel (the guardrail), so only CloudWatch may publish, for this
  # stack's alarms of the topic's region, on behalf of this account. The keys and the alarm's ARN as
  # aws:SourceArn: AWS's knowledge-center article "Why didn't I receive an SNS notification for my CloudWatch
  # alarm trigger?" (cloudwatch-receive-sns-for-alarm-trigger) and the IAM guide's "AWS global condition
  # context keys" (aws:SourceArn, aws:SourceAccount: set only when a service acts for a resource).
  statement {
    sid       = "CloudWatchPublishesThisStacksAlarms"
    actions   = ["sns:Publish"]
    resources = [each.value.arn]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = local.alarm_arns_by_region[each.key]
    }
  }

  # Same-account callers need no grant here (their own IAM policy may allow sns:Publish on *), so every other
  # publisher is denied explicitly. A key missing from a request makes a negated condition true (the IAM guide,
  # "Condition operators"): a person's or a role's request carries no aws:SourceArn and is denied.
  statement {
    sid       = "NoPublisherButThisStacksAlarms"
    effect    = "Deny"
    actions   = ["sns:Publish"]
    resources = [each.value.arn]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "ArnNotEquals"
      variable = "aws:SourceArn"
      values   = local.alarm_arns_by_region[each.key]
    }
  }

  statement {
    sid       = "NoPublisherOnBehalfOfAnotherAccount"
    effect    = "Deny"
    actions   = ["sns:Publish"]
    resources = [each.value.arn]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "StringNotEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
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
    resources = [each.value.arn]

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

resource "aws_sns_topic_policy" "alarms" {
  for_each = aws_sns_topic.alarms

  region = each.key
  arn    = each.value.arn
  policy = data.aws_iam_policy_document.alarms_topic[each.key].json
}

# Each address gets every region's alarms. SNS mails a confirmation first: nothing arrives until it is
# confirmed, and an unconfirmed subscription expires after three days.
resource "aws_sns_topic_subscription" "alarm_email" {
  for_each = { for pair in setproduct(local.alarm_regions, var.alarms.email_subscribers) : "${pair[0]} ${pair[1]}" => { region = pair[0], address = pair[1] } }

  region    = each.value.region
  topic_arn = aws_sns_topic.alarms[each.value.region].arn
  protocol  = "email"
  endpoint  = each.value.address
}

# --- Alarms -------------------------------------------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each = local.alarms

  region              = each.value.region
  alarm_name          = "${local.prefix}-${each.key}"
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric_name
  dimensions          = each.value.dimensions
  statistic           = each.value.statistic
  period              = each.value.period
  evaluation_periods  = each.value.evaluation_periods
  threshold           = each.value.threshold
  comparison_operator = each.value.comparison_operator
  treat_missing_data  = each.value.treat_missing_data
  actions_enabled     = true
  alarm_actions       = each.value.notifies ? [aws_sns_topic.alarms[each.value.region].arn] : []
  ok_actions          = each.value.notifies ? [aws_sns_topic.alarms[each.value.region].arn] : []
}

# The sweep's alarm as people get it: found messages, or no report for two intervals, but only once the sweep
# has reported at all. Without the latch every fresh deploy would alarm until the first run. Once the sweep has
# reported, silence alarms as before, however long it lasts.
resource "aws_cloudwatch_composite_alarm" "stale_pending" {
  for_each = local.handlers_by_trigger.schedule

  region            = local.event_handler_regions[each.key]
  alarm_name        = "${local.prefix}-${local.event_handler_slugs[each.key]}"
  alarm_description = "The sweep found messages still PENDING after ${var.stale_pending.stale_after_seconds} s and marked them UNKNOWN (perhaps sent), or, having reported before, it stopped reporting: the sweep is not running. Runbook: ${local.runbook}#stale-pending-messages"
  alarm_rule        = "ALARM(\"${aws_cloudwatch_metric_alarm.this["${local.event_handler_slugs[each.key]}-found"].alarm_name}\") AND OK(\"${aws_cloudwatch_metric_alarm.this["${local.event_handler_slugs[each.key]}-reported"].alarm_name}\")"
  actions_enabled   = true
  alarm_actions     = [aws_sns_topic.alarms[local.event_handler_regions[each.key]].arn]
  ok_actions        = [aws_sns_topic.alarms[local.event_handler_regions[each.key]].arn]
}

# --- The channel guardrail: critical alarms pause a channel; operators pause and resume ---------------
# handlers/guardrail records a paused channel in the CONFIG/CHANNELS item, which the sendMessage pipeline
# obeys, and for EMAIL also switches the configuration set's sending off. Resuming is an operator's act
# (make resume), never an alarm's return to OK.

module "guardrail" {
  source   = "../modules/lambda_function"
  for_each = local.handlers_by_trigger.alarms

  name                      = "${local.prefix}-${local.event_handler_slugs[each.key]}"
  description               = local.event_handlers[each.key].description
  region                    = local.event_handler_regions[each.key]
  source_dir                = "${path.module}/../${local.event_handlers[each.key].source}"
  handler                   = local.event_handlers[each.key].handler
  kms_key_arn               = local.kms_key_arns[local.event_handler_regions[each.key]]
  log_retention_days        = var.log_retention_days
  memory_mb                 = 128 # two DynamoDB calls and one SES call per invocation
  timeout_seconds           = 30
  reserved_concurrency      = 2 # an operator's request still runs while an alarm notification is handled
  powertools_layer_version  = var.status_functions.powertools_layer_version
  dead_letter_queue_enabled = true # alarm notifications arrive asynchronously (SNS)
  attach_policy_json        = true
  policy_json               = data.aws_iam_policy_document.guardrail.json
  environment = {
    MESSAGES_TABLE        = module.messages_table.name
    MESSAGES_TABLE_REGION = var.region
    SES_REGION            = var.ses_region
    SES_CONFIGURATION_SET = module.ses_configuration_set.name
    GUARDRAIL_ALARMS      = jsonencode(local.guardrail_alarm_arns) # alarm ARN -> channel: it acts on no other
  }
}

# Read and write the channel states: the CONFIG partition only (dynamodb:LeadingKeys names a partition, not an
# item, so the sender settings of CONFIG/DELIVERY are readable too: nothing secret) and, when writing, only the
# channel attributes with the key; and switch the stack's own configuration set.
data "aws_iam_policy_document" "guardrail" {
  source_policy_documents = [data.aws_iam_policy_document.table_key.json]

  statement {
    sid       = "ReadChannelStates"
    actions   = ["dynamodb:GetItem"]
    resources = [module.messages_table.arn]

    condition {
      test     = "ForAllValues:StringEquals"
      variable = "dynamodb:LeadingKeys"
      values   = [local.messages_table.channelsItem.PK]
    }
  }

  statement {
    sid       = "PauseOrResumeChannels"
    actions   = ["dynamodb:UpdateItem"]
    resources = [module.messages_table.arn]

    condition {
      test     = "ForAllValues:StringEquals"
      variable = "dynamodb:LeadingKeys"
      values   = [local.messages_table.channelsItem.PK]
    }

    condition {
      test     = "ForAllValues:StringEquals"
      variable = "dynamodb:Attributes"
      values   = concat([local.messages_table.partitionKey, local.messages_table.sortKey], local.channels)
    }

    condition {
      test     = "StringEqualsIfExists"
      variable = "dynamodb:ReturnValues"
      values   = ["NONE"]
    }
  }

  statement {
    sid       = "SwitchOwnConfigurationSetsSending"
    actions   = ["ses:PutConfigurationSetSendingOptions"]
    resources = [module.ses_configuration_set.arn]
  }
}

# SNS delivers to a function in another region: the guardrail, beside the table, listens to the topics of the
# regions that hold the critical guardrail alarms, each allowed to invoke it by its own permission.
locals {
  guardrail_subscriptions = {
    for pair in setproduct(local.handlers_by_trigger.alarms, local.guardrail_topic_regions) : "${pair[0]}-${pair[1]}" => {
      handler = pair[0]
      region  = pair[1]
    }
  }
}

resource "aws_lambda_permission" "alarms" {
  for_each = local.guardrail_subscriptions

  region        = local.event_handler_regions[each.value.handler]
  statement_id  = "alarms-topic-${each.value.region}"
  action        = "lambda:InvokeFunction"
  function_name = module.guardrail[each.value.handler].name
  principal     = "sns.amazonaws.com"
  source_arn    = aws_sns_topic.alarms[each.value.region].arn
}

resource "aws_sns_topic_subscription" "guardrail" {
  for_each = local.guardrail_subscriptions

  region    = each.value.region
  topic_arn = aws_sns_topic.alarms[each.value.region].arn
  protocol  = "lambda"
  endpoint  = module.guardrail[each.value.handler].arn

  depends_on = [aws_lambda_permission.alarms]
}

# --- Dashboard ----------------------------------------------------------------------------------
# One per environment, in var.region; a widget names the region of its metrics (SES in ses_region, SMS in
# sns_region, each function and queue in its own). The annotations are the alarms' thresholds.

locals {
  api_metric = ["AWS/AppSync", "Latency", "GraphQLAPIId", module.api.id]
  dashboard_widgets = [
    {
      type = "text", x = 0, y = 0, width = 24, height = 2
      properties = {
        markdown = "## ${local.prefix}\nAlarms and what to do: `${local.runbook}` in the repository. Which channels are paused: `make channels ENV=${var.stage}`; resume one: `make resume ENV=${var.stage} CHANNEL=EMAIL|SMS`."
      }
    },
    {
      type = "metric", x = 0, y = 2, width = 12, height = 6
      properties = {
        title   = "Messages sent, by channel and outcome"
        region  = var.region
        view    = "timeSeries"
        stacked = false
        stat    = "Sum"
        period  = 300
        metrics = [for pair in setproduct(local.channels, local.message_outcomes) : [local.metrics_namespace, "Messages", "service", local.metric_services.delivery, "Channel", pair[0], "Outcome", pair[1], { label = "${pair[0]} ${pair[1]}" }]]
      }
    },
    {
      type = "metric", x = 12, y = 2, width = 12, height = 6
      properties = {
        title   = "Delivery outcomes reported by SES and SNS"
        region  = var.region
        view    = "timeSeries"
        stacked = false
        stat    = "Sum"
        period  = 300
        metrics = [for outcome in local.channel_status_outcomes : [local.metrics_namespace, "StatusEvents", "service", local.metric_services.status, "Channel", outcome.channel, "Status", outcome.status, { label = "${outcome.channel} ${outcome.status}" }]]
      }
    },
    {
      type = "metric", x = 0, y = 8, width = 8, height = 6
      properties = {
        title   = "API requests and errors"
        region  = var.region
        view    = "timeSeries"
        stacked = false
        period  = 300
        metrics = [
          concat(local.api_metric, [{ stat = "SampleCount", label = "Requests" }]),
          ["AWS/AppSync", "4XXError", "GraphQLAPIId", module.api.id, { stat = "Sum", label = "4XX" }],
          ["AWS/AppSync", "5XXError", "GraphQLAPIId", module.api.id, { stat = "Sum", label = "5XX" }],
        ]
      }
    },
    {
      type = "metric", x = 8, y = 8, width = 8, height = 6
      properties = {
        title   = "API latency (ms)"
        region  = var.region
        view    = "timeSeries"
        stacked = false
        period  = 300
        metrics = [
          concat(local.api_metric, [{ stat = "p50", label = "p50" }]),
          concat(local.api_metric, [{ stat = "p99", label = "p99" }]),
        ]
      }
    },
    {
      type = "metric", x = 16, y = 8, width = 8, height = 6
      properties = {
        title   = "Requests the firewall blocked"
        region  = var.region
        view    = "timeSeries"
        stacked = false
        stat    = "Sum"
        period  = 300
        metrics = [["AWS/WAFV2", "BlockedRequests", "WebACL", module.firewall.metric_name, "Region", var.region, "Rule", "ALL", { label = "Blocked" }]]
      }
    },
    {
      type = "metric", x = 0, y = 14, width = 8, height = 6
      properties = {
        title   = "Lambda errors"
        region  = var.region
        view    = "timeSeries"
        stacked = false
        stat    = "Sum"
        period  = 300
        metrics = [for name, function in local.functions : ["AWS/Lambda", "Errors", "FunctionName", function.name, { region = function.region, label = name }]]
      }
    },
    {
      type = "metric", x = 8, y = 14, width = 8, height = 6
      properties = {
        title   = "Lambda throttles"
        region  = var.region
        view    = "timeSeries"
        stacked = false
        stat    = "Sum"
        period  = 300
        metrics = [for name, function in local.functions : ["AWS/Lambda", "Throttles", "FunctionName", function.name, { region = function.region, label = name }]]
      }
    },
    {
      type = "metric", x = 16, y = 14, width = 8, height = 6
      properties = {
        title   = "Lambda duration, p99 (ms)"
        region  = var.region
        view    = "timeSeries"
        stacked = false
        stat    = "p99"
        period  = 300
        metrics = [for name, function in local.functions : ["AWS/Lambda", "Duration", "FunctionName", function.name, { region = function.region, label = name }]]
      }
    },
    {
      type = "metric", x = 0, y = 20, width = 8, height = 6
      properties = {
        title   = "Dead-letter queues: events not handled"
        region  = var.region
        view    = "timeSeries"
        stacked = false
        stat    = "Maximum"
        period  = 300
        metrics = [for name, queue in local.dead_letter_queues : ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", queue.queue, { region = queue.region, label = name }]]
      }
    },
    {
      type = "metric", x = 8, y = 20, width = 8, height = 6
      properties = {
        title   = "SES bounce rate (account, ${var.ses_region})"
        region  = var.ses_region
        view    = "timeSeries"
        stacked = false
        stat    = "Maximum"
        period  = 3600
        metrics = [["AWS/SES", "Reputation.BounceRate", { label = "Bounce rate" }]]
        yAxis   = { left = { min = 0 } }
        annotations = { horizontal = [
          { label = "Warning", value = local.alarms["ses-bounce-rate-warning"].threshold },
          { label = "Critical: EMAIL paused", value = local.alarms["ses-bounce-rate-critical"].threshold },
          { label = "AWS reviews the account", value = local.ses_review.bounce },
          { label = "AWS may pause the account", value = local.ses_pausing.bounce },
        ] }
      }
    },
    {
      type = "metric", x = 16, y = 20, width = 8, height = 6
      properties = {
        title   = "SES complaint rate (account, ${var.ses_region})"
        region  = var.ses_region
        view    = "timeSeries"
        stacked = false
        stat    = "Maximum"
        period  = 3600
        metrics = [["AWS/SES", "Reputation.ComplaintRate", { label = "Complaint rate" }]]
        yAxis   = { left = { min = 0 } }
        annotations = { horizontal = [
          { label = "Warning", value = local.alarms["ses-complaint-rate-warning"].threshold },
          { label = "Critical: EMAIL paused", value = local.alarms["ses-complaint-rate-critical"].threshold },
          { label = "AWS reviews the account", value = local.ses_review.complaint },
          { label = "AWS may pause the account", value = local.ses_pausing.complaint },
        ] }
      }
    },
    {
      type = "metric", x = 0, y = 26, width = 8, height = 6
      properties = {
        title   = "SMS spent this month, USD (account, ${var.sns_region})"
        region  = var.sns_region
        view    = "timeSeries"
        stacked = false
        stat    = "Maximum"
        period  = 300
        metrics = [["AWS/SNS", "SMSMonthToDateSpentUSD", { label = "Spent" }]]
        yAxis   = { left = { min = 0 } }
        annotations = { horizontal = [
          { label = "Warning", value = local.alarms["sms-spend-warning"].threshold },
          { label = "Critical: SMS paused", value = local.alarms["sms-spend-critical"].threshold },
          { label = "Monthly limit: SNS stops sending", value = var.sms.monthly_spend_limit_usd },
        ] }
      }
    },
    {
      type = "metric", x = 8, y = 26, width = 8, height = 6
      properties = {
        title   = "Stale PENDING messages found by the sweep"
        region  = var.region
        view    = "timeSeries"
        stacked = false
        stat    = "Sum"
        period  = 300
        metrics = [[local.metrics_namespace, "StalePendingFound", "service", local.metric_services.status, { label = "Marked UNKNOWN" }]]
      }
    },
    {
      type = "metric", x = 16, y = 26, width = 8, height = 6
      properties = {
        title   = "Send retries, by channel"
        region  = var.region
        view    = "timeSeries"
        stacked = false
        stat    = "Sum"
        period  = 300
        metrics = [for channel in local.channels : [local.metrics_namespace, "Retries", "service", local.metric_services.delivery, "Channel", channel, { label = channel }]]
      }
    },
    {
      type = "metric", x = 0, y = 32, width = 12, height = 6
      properties = {
        title   = "Event stream age, max (ms)"
        region  = var.region
        view    = "timeSeries"
        stacked = false
        stat    = "Maximum"
        period  = 300
        metrics = [for name, function in local.event_functions : ["AWS/Lambda", "IteratorAge", "FunctionName", function.name, { region = function.region, label = name }]]
        annotations = { horizontal = [
          { label = "Alarm", value = var.alarms.event_stream_age_seconds * 1000 },
        ] }
      }
    },
    {
      type = "metric", x = 12, y = 32, width = 12, height = 6
      properties = {
        title   = "Events not pushed to subscribers"
        region  = var.region
        view    = "timeSeries"
        stacked = false
        stat    = "Sum"
        period  = 300
        metrics = [[local.metrics_namespace, "EventPublishFailures", "service", local.metric_services.events, { label = "Publish failures" }]]
        annotations = { horizontal = [
          { label = "Alarm", value = var.alarms.event_publish_failures },
        ] }
      }
    },
  ]
  console_hosts = { aws = "console.aws.amazon.com", aws-cn = "console.amazonaws.cn", aws-us-gov = "console.amazonaws-us-gov.com" }
}

resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = local.prefix
  dashboard_body = jsonencode({ widgets = local.dashboard_widgets })
}

# --- X-Ray sampling ----------------------------------------------------------------------------
# Sampling is decided once, where a trace starts: AppSync, by this rule. The functions it calls follow that
# decision (tracing PassThrough), so a sampled request is traced end to end and the rest not at all. No
# reservoir: the rate alone bounds the traces, at any traffic. An error is in the logs and metrics either way,
# in a trace only if its request was sampled.
resource "aws_xray_sampling_rule" "api" {
  rule_name      = "${local.prefix}-api" # at most 32 characters: the longest stage makes 30
  priority       = 1000
  version        = 1
  reservoir_size = 0
  fixed_rate     = var.tracing.fixed_rate
  service_name   = "*"
  service_type   = "AWS::AppSync::GraphQLAPI"
  host           = "*"
  http_method    = "*"
  url_path       = "*"
  resource_arn   = module.api.arn
}

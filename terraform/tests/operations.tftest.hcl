# Operations (operations.tf), planned in the default workspace with mocked providers: the alarms and their
# topics, the channel guardrail and what it may do, the dashboard, X-Ray sampling, and the functions' cost
# settings. The whole stack's wiring: stack.tftest.hcl.
mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }

  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }

  mock_data "aws_region" {
    defaults = { region = "eu-central-1" }
  }

  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }

  mock_resource "aws_appsync_graphql_api" {
    defaults = {
      id   = "abcdefghijklmnopqrstuvwxyz"
      arn  = "arn:aws:appsync:eu-central-1:123456789012:apis/abcdefghijklmnopqrstuvwxyz"
      uris = { GRAPHQL = "https://example.appsync-api.eu-central-1.amazonaws.com/graphql" }
    }
  }

  mock_resource "aws_kms_key" {
    defaults = { arn = "arn:aws:kms:eu-central-1:123456789012:key/00000000-0000-0000-0000-000000000000" }
  }
}

mock_provider "archive" {}

mock_provider "time" {
  mock_resource "time_rotating" {
    defaults = { rfc3339 = "2026-11-29T17:45:12Z" }
  }
}

# The firewall's web ACL is by far the costliest resource to plan and apply (its schema nests thousands of
# blocks): these runs take its outputs as given. The dashboard's firewall widget reads its metric name from them;
# that the name is the stage's is asserted by the environments' plans (environments.tftest.hcl), which plan it.
override_module {
  target = module.firewall
  outputs = {
    web_acl_arn    = "arn:aws:wafv2:eu-central-1:123456789012:regional/webacl/default-messenger-api/00000000-0000-0000-0000-000000000000"
    log_group_name = "aws-waf-logs-default-messenger-api"
    name           = "default-messenger-api"
    metric_name    = "default-messenger-api"
  }
}

variables {
  stage                 = "default" # terraform test runs in the current workspace
  region                = "eu-central-1"
  ses_region            = "eu-central-1"
  sns_region            = "eu-central-1"
  default_email_from    = "support@example.com"
  sms_allowed_countries = ["US", "GB"]
}

run "apply" {
  # --- Every alarm: its metric, statistic, threshold, comparison and what missing data means
  assert {
    condition = jsonencode({ for key, alarm in aws_cloudwatch_metric_alarm.this : key => [alarm.region, alarm.namespace, alarm.metric_name, alarm.statistic, alarm.period, alarm.evaluation_periods, alarm.comparison_operator, alarm.threshold, alarm.treat_missing_data] }) == jsonencode({
      api-5xx-errors                  = ["eu-central-1", "AWS/AppSync", "5XXError", "Sum", 300, 1, "GreaterThanThreshold", 0, "notBreaching"]
      authorizer-errors               = ["eu-central-1", "AWS/Lambda", "Errors", "Sum", 300, 1, "GreaterThanThreshold", 0, "notBreaching"]
      authorizer-throttles            = ["eu-central-1", "AWS/Lambda", "Throttles", "Sum", 300, 1, "GreaterThanThreshold", 0, "notBreaching"]
      channel-guardrail-dead-letters  = ["eu-central-1", "AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum", 300, 1, "GreaterThanThreshold", 0, "notBreaching"]
      delivery-errors                 = ["eu-central-1", "AWS/Lambda", "Errors", "Sum", 300, 1, "GreaterThanThreshold", 0, "notBreaching"]
      delivery-throttles              = ["eu-central-1", "AWS/Lambda", "Throttles", "Sum", 300, 1, "GreaterThanThreshold", 0, "notBreaching"]
      email-events-dead-letters       = ["eu-central-1", "AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum", 300, 1, "GreaterThanThreshold", 0, "notBreaching"]
      message-events-dead-letters     = ["eu-central-1", "AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum", 300, 1, "GreaterThanThreshold", 0, "notBreaching"]
      message-events-errors           = ["eu-central-1", "AWS/Lambda", "Errors", "Sum", 300, 1, "GreaterThanThreshold", 0, "notBreaching"]
      message-events-publish-failures = ["eu-central-1", "serverless-messenger/default", "EventPublishFailures", "Sum", 300, 1, "GreaterThanThreshold", 10, "notBreaching"]
      message-events-stream-age       = ["eu-central-1", "AWS/Lambda", "IteratorAge", "Maximum", 300, 1, "GreaterThanThreshold", 60000, "notBreaching"]
      ses-bounce-rate-critical        = ["eu-central-1", "AWS/SES", "Reputation.BounceRate", "Maximum", 3600, 1, "GreaterThanOrEqualToThreshold", 0.07, "notBreaching"]
      ses-bounce-rate-warning         = ["eu-central-1", "AWS/SES", "Reputation.BounceRate", "Maximum", 3600, 1, "GreaterThanOrEqualToThreshold", 0.04, "notBreaching"]
      ses-complaint-rate-critical     = ["eu-central-1", "AWS/SES", "Reputation.ComplaintRate", "Maximum", 3600, 1, "GreaterThanOrEqualToThreshold", 0.004, "notBreaching"]
      ses-complaint-rate-warning      = ["eu-central-1", "AWS/SES", "Reputation.ComplaintRate", "Maximum", 3600, 1, "GreaterThanOrEqualToThreshold", 0.0008, "notBreaching"]
      sms-events-dead-letters         = ["eu-central-1", "AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum", 300, 1, "GreaterThanThreshold", 0, "notBreaching"]
      sms-spend-critical              = ["eu-central-1", "AWS/SNS", "SMSMonthToDateSpentUSD", "Maximum", 300, 1, "GreaterThanThreshold", 0.9, "notBreaching"]
      sms-spend-warning               = ["eu-central-1", "AWS/SNS", "SMSMonthToDateSpentUSD", "Maximum", 300, 1, "GreaterThanThreshold", 0.8, "notBreaching"]
      stale-pending-dead-letters      = ["eu-central-1", "AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum", 300, 1, "GreaterThanThreshold", 0, "notBreaching"]
      stale-pending-found             = ["eu-central-1", "serverless-messenger/default", "StalePendingFound", "Maximum", 600, 1, "GreaterThanThreshold", 0, "breaching"]
      stale-pending-reported          = ["eu-central-1", "serverless-messenger/default", "StalePendingFound", "SampleCount", 600, 1, "LessThanThreshold", 1, "ignore"]
      test-outcomes-dead-letters      = ["eu-central-1", "AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum", 300, 1, "GreaterThanThreshold", 0, "notBreaching"]
      webhooks-dead-letters           = ["eu-central-1", "AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum", 300, 1, "GreaterThanThreshold", 0, "notBreaching"]
    })
    error_message = "Each alarm watches its metric with its statistic, threshold and comparison; only the sweep's silence is an alarm, and a sweep that never reported keeps its latch as it is."
  }

  assert {
    condition = jsonencode({ for key, alarm in aws_cloudwatch_metric_alarm.this : key => alarm.dimensions if key != "api-5xx-errors" }) == jsonencode({
      authorizer-errors               = { FunctionName = "default-messenger-authorizer" }
      authorizer-throttles            = { FunctionName = "default-messenger-authorizer" }
      channel-guardrail-dead-letters  = { QueueName = "default-messenger-channel-guardrail-dlq" }
      delivery-errors                 = { FunctionName = "default-messenger-delivery" }
      delivery-throttles              = { FunctionName = "default-messenger-delivery" }
      email-events-dead-letters       = { QueueName = "default-messenger-email-events-dlq" }
      message-events-dead-letters     = { QueueName = "default-messenger-message-events-dlq" }
      message-events-errors           = { FunctionName = "default-messenger-message-events" }
      message-events-publish-failures = { service = "events" }
      message-events-stream-age       = { FunctionName = "default-messenger-message-events" }
      ses-bounce-rate-critical        = {}
      ses-bounce-rate-warning         = {}
      ses-complaint-rate-critical     = {}
      ses-complaint-rate-warning      = {}
      sms-events-dead-letters         = { QueueName = "default-messenger-sms-events-dlq" }
      sms-spend-critical              = {}
      sms-spend-warning               = {}
      stale-pending-dead-letters      = { QueueName = "default-messenger-stale-pending-dlq" }
      stale-pending-found             = { service = "delivery-status" }
      stale-pending-reported          = { service = "delivery-status" }
      test-outcomes-dead-letters      = { QueueName = "default-messenger-test-outcomes-dlq" }
      webhooks-dead-letters           = { QueueName = "default-messenger-webhook-deliveries-dlq" }
    })
    error_message = "SES reputation and SMS spend are account-wide (no dimensions); the others name their queue, function or service."
  }

  assert {
    condition     = alltrue([for key, alarm in aws_cloudwatch_metric_alarm.this : alarm.alarm_name == "default-messenger-${key}" && alarm.actions_enabled])
    error_message = "Alarm names start with the prefix (the topics admit no other alarm), and their actions are on."
  }

  # Every alarm says where its runbook entry is, and that entry exists.
  assert {
    condition = alltrue([for alarm in aws_cloudwatch_metric_alarm.this : strcontains(
      lower(replace(file("../docs/operations.md"), "-", " ")),
      "\n### ${replace(regex("Runbook: docs/operations.md#([a-z0-9-]+)$", alarm.alarm_description)[0], "-", " ")}\n",
    )])
    error_message = "Each alarm's description ends with its runbook entry, docs/operations.md#<anchor>, a heading there."
  }

  assert {
    condition     = strcontains(aws_cloudwatch_metric_alarm.this["stale-pending-found"].alarm_description, "no data means the sweep is not running")
    error_message = "The sweep's alarm says why silence is an alarm."
  }

  # --- The sweep's silence alarms only once it has reported: a fresh deploy, before its first run, is no alarm
  assert {
    condition     = jsonencode(keys(aws_cloudwatch_composite_alarm.stale_pending)) == jsonencode(["stalePending"]) && aws_cloudwatch_composite_alarm.stale_pending["stalePending"].alarm_name == "default-messenger-stale-pending"
    error_message = "One composite alarm for the sweep, named after it."
  }

  assert {
    condition     = aws_cloudwatch_composite_alarm.stale_pending["stalePending"].alarm_rule == "ALARM(\"default-messenger-stale-pending-found\") AND OK(\"default-messenger-stale-pending-reported\")"
    error_message = "Found messages or silence (the metric alarm), once the sweep has reported (its latch is OK, not INSUFFICIENT_DATA)."
  }

  assert {
    condition     = endswith(aws_cloudwatch_composite_alarm.stale_pending["stalePending"].alarm_description, "Runbook: docs/operations.md#stale-pending-messages") && aws_cloudwatch_composite_alarm.stale_pending["stalePending"].actions_enabled
    error_message = "The composite alarm points at the runbook's entry and acts."
  }

  assert {
    condition     = strcontains(aws_cloudwatch_metric_alarm.this["ses-complaint-rate-warning"].alarm_description, "at or above 0.08% (warning") && strcontains(aws_cloudwatch_metric_alarm.this["ses-bounce-rate-critical"].alarm_description, "at or above 7% (critical")
    error_message = "The SES alarms name their level as a percentage."
  }

  # --- The guardrail acts on the three critical alarms, by their names
  assert {
    condition = jsonencode(module.guardrail["channelGuardrail"].environment) == jsonencode({
      GUARDRAIL_ALARMS = jsonencode({
        "arn:aws:cloudwatch:eu-central-1:123456789012:alarm:default-messenger-ses-bounce-rate-critical"    = "EMAIL"
        "arn:aws:cloudwatch:eu-central-1:123456789012:alarm:default-messenger-ses-complaint-rate-critical" = "EMAIL"
        "arn:aws:cloudwatch:eu-central-1:123456789012:alarm:default-messenger-sms-spend-critical"          = "SMS"
      })
      MESSAGES_TABLE          = "default-messenger-messages"
      MESSAGES_TABLE_REGION   = "eu-central-1"
      POWERTOOLS_SERVICE_NAME = "default-messenger-channel-guardrail"
      SES_CONFIGURATION_SET   = "default-messenger-messages"
      SES_REGION              = "eu-central-1"
    })
    error_message = "The guardrail's environment: the table, the configuration set, and the ARNs of the alarms that pause each channel."
  }

  assert {
    condition     = alltrue([for arn in keys(jsondecode(module.guardrail["channelGuardrail"].environment.GUARDRAIL_ALARMS)) : contains([for alarm in aws_cloudwatch_metric_alarm.this : "arn:aws:cloudwatch:${alarm.region}:123456789012:alarm:${alarm.alarm_name}"], arn)])
    error_message = "Every alarm the guardrail acts on exists, by its ARN (its region, this account, its name)."
  }

  assert {
    condition     = jsonencode(keys(module.guardrail)) == jsonencode(["channelGuardrail"]) && output.guardrail_function_name == "default-messenger-channel-guardrail" && module.guardrail["channelGuardrail"].region == "eu-central-1"
    error_message = "One guardrail, the manifest's alarms handler, beside the table."
  }

  assert {
    condition     = module.guardrail["channelGuardrail"].dead_letter_queue_name == "default-messenger-channel-guardrail-dlq"
    error_message = "Alarm notifications it failed on after Lambda's retries are kept."
  }

  # --- The guardrail may read and write the channel states and switch the configuration set, nothing else
  assert {
    condition = jsonencode([for statement in data.aws_iam_policy_document.guardrail.statement : [statement.sid, statement.effect, statement.actions, statement.condition]]) == jsonencode([
      ["ReadChannelStates", null, ["dynamodb:GetItem"], [
        { test = "ForAllValues:StringEquals", values = ["CONFIG"], variable = "dynamodb:LeadingKeys" },
      ]],
      ["PauseOrResumeChannels", null, ["dynamodb:UpdateItem"], [
        { test = "ForAllValues:StringEquals", values = ["CONFIG"], variable = "dynamodb:LeadingKeys" },
        { test = "ForAllValues:StringEquals", values = ["PK", "SK", "EMAIL", "SMS"], variable = "dynamodb:Attributes" },
        { test = "StringEqualsIfExists", values = ["NONE"], variable = "dynamodb:ReturnValues" },
      ]],
      ["SwitchOwnConfigurationSetsSending", null, ["ses:PutConfigurationSetSendingOptions"], []],
    ])
    error_message = "GetItem and UpdateItem of the CONFIG partition only (UpdateItem of the channel attributes only), and the configuration set's sending switch."
  }

  # --- The alarm topics admit only this stack's alarms, and only over TLS
  assert {
    condition     = jsonencode(keys(aws_sns_topic.alarms)) == jsonencode(["eu-central-1"]) && aws_sns_topic.alarms["eu-central-1"].name == "default-messenger-alarms"
    error_message = "One alarm topic when everything is in one region."
  }

  assert {
    condition = jsonencode([for statement in data.aws_iam_policy_document.alarms_topic["eu-central-1"].statement : [statement.sid, statement.effect, statement.actions, statement.principals, [for condition in statement.condition : [condition.test, condition.variable]]]]) == jsonencode([
      ["CloudWatchPublishesThisStacksAlarms", null, ["sns:Publish"], [{ identifiers = ["cloudwatch.amazonaws.com"], type = "Service" }], [["ArnEquals", "aws:SourceArn"], ["StringEquals", "aws:SourceAccount"]]],
      ["NoPublisherButThisStacksAlarms", "Deny", ["sns:Publish"], [{ identifiers = ["*"], type = "*" }], [["ArnNotEquals", "aws:SourceArn"]]],
      ["NoPublisherOnBehalfOfAnotherAccount", "Deny", ["sns:Publish"], [{ identifiers = ["*"], type = "*" }], [["StringNotEquals", "aws:SourceAccount"]]],
      ["DenyInsecureTransport", "Deny", [
        "sns:AddPermission", "sns:DeleteTopic", "sns:GetTopicAttributes", "sns:ListSubscriptionsByTopic", "sns:Publish", "sns:RemovePermission", "sns:SetTopicAttributes", "sns:Subscribe",
      ], [{ identifiers = ["*"], type = "*" }], [["Bool", "aws:SecureTransport"]]],
    ])
    error_message = "CloudWatch may publish; every other publisher, and anything without TLS, is denied."
  }

  # The alarm ARNs the topic admits, and denies all others: exactly the stack's alarms (metric and composite).
  assert {
    condition = alltrue([for statement in slice(data.aws_iam_policy_document.alarms_topic["eu-central-1"].statement, 0, 2) : jsonencode(one([for condition in statement.condition : condition.values if condition.variable == "aws:SourceArn"])) == jsonencode(sort(concat(
      [for alarm in aws_cloudwatch_metric_alarm.this : "arn:aws:cloudwatch:eu-central-1:123456789012:alarm:${alarm.alarm_name}"],
      [for alarm in aws_cloudwatch_composite_alarm.stale_pending : "arn:aws:cloudwatch:eu-central-1:123456789012:alarm:${alarm.alarm_name}"],
    )))])
    error_message = "CloudWatch publishes for the stack's own alarms only, named one by one (no pattern another alarm could match); any other source is denied."
  }

  assert {
    condition     = alltrue([for statement in data.aws_iam_policy_document.alarms_topic["eu-central-1"].statement : alltrue([for condition in statement.condition : jsonencode(condition.values) == jsonencode(["123456789012"]) if condition.variable == "aws:SourceAccount"])])
    error_message = "Only on behalf of this account."
  }

  assert {
    condition     = jsonencode(data.aws_iam_policy_document.alarms_topic["eu-central-1"].statement[3].condition) == jsonencode([{ test = "Bool", values = ["false"], variable = "aws:SecureTransport" }])
    error_message = "Requests without TLS are denied."
  }

  # The key's policy (modules/kms_key) lets CloudWatch use it for the alarm topic alone, as SES for its events topic.
  assert {
    condition = jsonencode(module.kms_key.topic_publishers) == jsonencode([
      { service = "ses.amazonaws.com", topic_arns = ["arn:aws:sns:eu-central-1:123456789012:default-messenger-email-events"] },
      { service = "cloudwatch.amazonaws.com", topic_arns = ["arn:aws:sns:eu-central-1:123456789012:default-messenger-alarms"] },
    ])
    error_message = "CloudWatch may use the key for the alarm topic only, SES for the events topic only."
  }

  assert {
    condition     = length(aws_sns_topic_subscription.alarm_email) == 0
    error_message = "No email subscriber unless given."
  }

  # --- Sampling: 1% of API requests, no reservoir
  assert {
    condition = jsonencode([for rule in [aws_xray_sampling_rule.api] : [rule.rule_name, rule.priority, rule.fixed_rate, rule.reservoir_size, rule.service_name, rule.service_type, rule.host, rule.http_method, rule.url_path, rule.version]]) == jsonencode([
      ["default-messenger-api", 1000, 0.01, 0, "*", "AWS::AppSync::GraphQLAPI", "*", "*", "*", 1],
    ])
    error_message = "AppSync traces 1% of the API's requests, with no per-second reservoir on top."
  }

  # --- Every function on arm64, traced only when sampled upstream, Lambda's own logs from WARN
  assert {
    condition = alltrue([for function in concat([module.delivery_function], values(module.clients_functions), values(module.event_handlers), values(module.guardrail)) :
    function.architecture == "arm64" && function.tracing_mode == "PassThrough" && function.system_log_level == "WARN"])
    error_message = "Every function: arm64, PassThrough tracing, system logs at WARN."
  }

  assert {
    condition     = output.region == "eu-central-1"
    error_message = "The region the guardrail and the dashboard are in."
  }

  # --- What it sends fits the apis, with the longest stage too (16 characters, 9 more than "default")
  assert {
    condition = alltrue(concat(
      [for alarm in aws_cloudwatch_metric_alarm.this : length(alarm.alarm_name) + 16 - length(var.stage) <= jsondecode(file("../tests/terraform/aws_constraints.json")).constraints["cloudwatch.AlarmName"].max],
      [for alarm in aws_cloudwatch_metric_alarm.this : length(alarm.alarm_description) + 16 - length(var.stage) <= jsondecode(file("../tests/terraform/aws_constraints.json")).constraints["cloudwatch.AlarmDescription"].max],
      [length(aws_xray_sampling_rule.api.rule_name) + 16 - length(var.stage) <= jsondecode(file("../tests/terraform/aws_constraints.json")).constraints["xray.RuleName"].max],
      [can(regex(jsondecode(file("../tests/terraform/aws_constraints.json")).constraints["cloudwatch.DashboardName"].pattern, "${aws_cloudwatch_dashboard.this.dashboard_name}${substr("abcdefghijklmnop", 0, 16 - length(var.stage))}"))],
      [for topic in aws_sns_topic.alarms : can(regex(jsondecode(file("../tests/terraform/aws_constraints.json")).constraints["sns.TopicName"].pattern, topic.name))],
    ))
    error_message = "Alarm names and descriptions, the sampling rule's name (at most 32), the dashboard's and the topics' names must be ones the AWS APIs accept."
  }

  # --- Every alarm notifies its region's topic, going to ALARM and back to OK
  assert {
    condition     = alltrue([for key, alarm in aws_cloudwatch_metric_alarm.this : alarm.alarm_actions == toset([aws_sns_topic.alarms[alarm.region].arn]) && alarm.ok_actions == toset([aws_sns_topic.alarms[alarm.region].arn]) if !startswith(key, "stale-pending-") || key == "stale-pending-dead-letters"])
    error_message = "Each alarm notifies the topic of its own region, on ALARM and on OK."
  }

  assert {
    condition     = alltrue([for key in ["stale-pending-found", "stale-pending-reported"] : length(aws_cloudwatch_metric_alarm.this[key].alarm_actions) == 0 && length(aws_cloudwatch_metric_alarm.this[key].ok_actions) == 0])
    error_message = "The sweep's metric alarm and its latch notify no one: a fresh deploy puts the first in ALARM until the sweep's first run."
  }

  assert {
    condition     = aws_cloudwatch_composite_alarm.stale_pending["stalePending"].alarm_actions == toset([aws_sns_topic.alarms["eu-central-1"].arn]) && aws_cloudwatch_composite_alarm.stale_pending["stalePending"].ok_actions == toset([aws_sns_topic.alarms["eu-central-1"].arn])
    error_message = "The sweep's composite alarm notifies its region's topic."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.this["api-5xx-errors"].dimensions == tomap({ GraphQLAPIId = module.api.id })
    error_message = "The API's 5XX errors, by its ID."
  }

  # --- Encrypted with the region's key, policy attached
  assert {
    condition     = alltrue([for region, topic in aws_sns_topic.alarms : topic.kms_master_key_id == module.kms_key.arn && aws_sns_topic_policy.alarms[region].arn == topic.arn])
    error_message = "The alarm topic is encrypted with the stack's key and has its policy."
  }

  assert {
    condition     = jsonencode(data.aws_iam_policy_document.alarms_topic["eu-central-1"].statement[0].resources) == jsonencode([aws_sns_topic.alarms["eu-central-1"].arn])
    error_message = "The policy is the topic's own."
  }

  # --- The guardrail listens to the alarm topic, which alone may invoke it
  assert {
    condition     = jsonencode(keys(aws_sns_topic_subscription.guardrail)) == jsonencode(["channelGuardrail-eu-central-1"]) && aws_sns_topic_subscription.guardrail["channelGuardrail-eu-central-1"].endpoint == module.guardrail["channelGuardrail"].arn && aws_sns_topic_subscription.guardrail["channelGuardrail-eu-central-1"].protocol == "lambda"
    error_message = "The guardrail is subscribed to the topic that carries the critical alarms."
  }

  assert {
    condition     = aws_lambda_permission.alarms["channelGuardrail-eu-central-1"].source_arn == aws_sns_topic.alarms["eu-central-1"].arn && aws_lambda_permission.alarms["channelGuardrail-eu-central-1"].principal == "sns.amazonaws.com" && aws_lambda_permission.alarms["channelGuardrail-eu-central-1"].function_name == module.guardrail["channelGuardrail"].name
    error_message = "Only the alarm topic may invoke the guardrail."
  }

  assert {
    condition = jsonencode([for statement in data.aws_iam_policy_document.guardrail.statement : statement.resources]) == jsonencode([
      [module.messages_table.arn], [module.messages_table.arn], [module.ses_configuration_set.arn],
    ])
    error_message = "The table and the stack's own configuration set, nothing else."
  }

  assert {
    condition     = jsonencode(data.aws_iam_policy_document.guardrail.source_policy_documents) == jsonencode([data.aws_iam_policy_document.table_key.json])
    error_message = "The table's key only through DynamoDB for this table (table_key)."
  }

  # --- Sampling: the API's requests
  assert {
    condition     = aws_xray_sampling_rule.api.resource_arn == module.api.arn
    error_message = "The rule matches this API only."
  }

  # --- The dashboard: each widget and what it shows
  assert {
    condition = jsonencode([for widget in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : try(widget.properties.title, "text")]) == jsonencode([
      "text",
      "Messages sent, by channel and outcome",
      "Delivery outcomes reported by SES and SNS",
      "API requests and errors",
      "API latency (ms)",
      "Requests the firewall blocked",
      "Lambda errors",
      "Lambda throttles",
      "Lambda duration, p99 (ms)",
      "Dead-letter queues: events not handled",
      "SES bounce rate (account, eu-central-1)",
      "SES complaint rate (account, eu-central-1)",
      "SMS spent this month, USD (account, eu-central-1)",
      "Stale PENDING messages found by the sweep",
      "Send retries, by channel",
      "Event stream age, max (ms)",
      "Events not pushed to subscribers",
    ])
    error_message = "The dashboard's widgets, in order."
  }

  assert {
    condition     = aws_cloudwatch_dashboard.this.dashboard_name == "default-messenger" && output.dashboard_url == "https://eu-central-1.console.aws.amazon.com/cloudwatch/home?region=eu-central-1#dashboards/dashboard/default-messenger"
    error_message = "One dashboard per environment, named after it, and its console URL."
  }

  assert {
    condition = jsonencode([for widget in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : widget.properties.metrics if try(widget.properties.title, "") == "Messages sent, by channel and outcome"]) == jsonencode([[
      ["serverless-messenger/default", "Messages", "service", "delivery", "Channel", "EMAIL", "Outcome", "ACCEPTED", { label = "EMAIL ACCEPTED" }],
      ["serverless-messenger/default", "Messages", "service", "delivery", "Channel", "EMAIL", "Outcome", "FAILED", { label = "EMAIL FAILED" }],
      ["serverless-messenger/default", "Messages", "service", "delivery", "Channel", "EMAIL", "Outcome", "UNKNOWN", { label = "EMAIL UNKNOWN" }],
      ["serverless-messenger/default", "Messages", "service", "delivery", "Channel", "SMS", "Outcome", "ACCEPTED", { label = "SMS ACCEPTED" }],
      ["serverless-messenger/default", "Messages", "service", "delivery", "Channel", "SMS", "Outcome", "FAILED", { label = "SMS FAILED" }],
      ["serverless-messenger/default", "Messages", "service", "delivery", "Channel", "SMS", "Outcome", "UNKNOWN", { label = "SMS UNKNOWN" }],
    ]])
    error_message = "Sends by channel and outcome: the delivery function's Messages metric."
  }

  assert {
    condition = jsonencode([for widget in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : widget.properties.metrics if try(widget.properties.title, "") == "Delivery outcomes reported by SES and SNS"]) == jsonencode([[
      ["serverless-messenger/default", "StatusEvents", "service", "delivery-status", "Channel", "EMAIL", "Status", "DELIVERED", { label = "EMAIL DELIVERED" }],
      ["serverless-messenger/default", "StatusEvents", "service", "delivery-status", "Channel", "EMAIL", "Status", "BOUNCED", { label = "EMAIL BOUNCED" }],
      ["serverless-messenger/default", "StatusEvents", "service", "delivery-status", "Channel", "EMAIL", "Status", "COMPLAINED", { label = "EMAIL COMPLAINED" }],
      ["serverless-messenger/default", "StatusEvents", "service", "delivery-status", "Channel", "EMAIL", "Status", "FAILED", { label = "EMAIL FAILED" }],
      ["serverless-messenger/default", "StatusEvents", "service", "delivery-status", "Channel", "SMS", "Status", "DELIVERED", { label = "SMS DELIVERED" }],
      ["serverless-messenger/default", "StatusEvents", "service", "delivery-status", "Channel", "SMS", "Status", "FAILED", { label = "SMS FAILED" }],
    ]])
    error_message = "Delivery outcomes: the status functions' StatusEvents metric."
  }

  assert {
    condition = jsonencode([for widget in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : widget.properties.metrics if startswith(try(widget.properties.title, ""), "API ")]) == jsonencode([
      [
        ["AWS/AppSync", "Latency", "GraphQLAPIId", module.api.id, { label = "Requests", stat = "SampleCount" }],
        ["AWS/AppSync", "4XXError", "GraphQLAPIId", module.api.id, { label = "4XX", stat = "Sum" }],
        ["AWS/AppSync", "5XXError", "GraphQLAPIId", module.api.id, { label = "5XX", stat = "Sum" }],
      ],
      [
        ["AWS/AppSync", "Latency", "GraphQLAPIId", module.api.id, { label = "p50", stat = "p50" }],
        ["AWS/AppSync", "Latency", "GraphQLAPIId", module.api.id, { label = "p99", stat = "p99" }],
      ],
    ])
    error_message = "The API's requests (its latency's sample count: AppSync's Requests metric is account-wide), 4XX, 5XX, latency p50 and p99."
  }

  assert {
    condition = jsonencode([for widget in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : widget.properties.metrics if try(widget.properties.title, "") == "Requests the firewall blocked"]) == jsonencode([[
      ["AWS/WAFV2", "BlockedRequests", "WebACL", "default-messenger-api", "Region", "eu-central-1", "Rule", "ALL", { label = "Blocked" }],
    ]])
    error_message = "WAF's blocked requests, the whole web ACL."
  }

  assert {
    condition = alltrue([for metric in ["Errors", "Throttles", "Duration"] : jsonencode(one([for widget in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : [for line in widget.properties.metrics : [line[1], line[3], line[4].region]] if startswith(try(widget.properties.title, ""), "Lambda ${lower(metric)}")])) == jsonencode([
      [metric, "default-messenger-authorizer", "eu-central-1"],
      [metric, "default-messenger-channel-guardrail", "eu-central-1"],
      [metric, "default-messenger-delivery", "eu-central-1"],
      [metric, "default-messenger-email-events", "eu-central-1"],
      [metric, "default-messenger-erasure", "eu-central-1"],
      [metric, "default-messenger-message-events", "eu-central-1"],
      [metric, "default-messenger-operators", "eu-central-1"],
      [metric, "default-messenger-sms-events", "eu-central-1"],
      [metric, "default-messenger-stale-pending", "eu-central-1"],
      [metric, "default-messenger-test-outcomes", "eu-central-1"],
      [metric, "default-messenger-webhook-endpoints", "eu-central-1"],
      [metric, "default-messenger-webhooks", "eu-central-1"],
    ])])
    error_message = "Errors, throttles and duration of every function, each in its region."
  }

  assert {
    condition = jsonencode([for widget in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : [for line in widget.properties.metrics : [line[0], line[1], line[3]]] if try(widget.properties.title, "") == "Dead-letter queues: events not handled"]) == jsonencode([[
      ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "default-messenger-channel-guardrail-dlq"],
      ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "default-messenger-email-events-dlq"],
      ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "default-messenger-message-events-dlq"],
      ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "default-messenger-sms-events-dlq"],
      ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "default-messenger-stale-pending-dlq"],
      ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "default-messenger-test-outcomes-dlq"],
      ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "default-messenger-webhook-deliveries-dlq"],
    ]])
    error_message = "The depth of every dead-letter queue."
  }

  assert {
    condition = jsonencode([for widget in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : [widget.properties.region, widget.properties.metrics, widget.properties.annotations.horizontal] if startswith(try(widget.properties.title, ""), "SES ")]) == jsonencode([
      ["eu-central-1", [["AWS/SES", "Reputation.BounceRate", { label = "Bounce rate" }]], [
        { label = "Warning", value = 0.04 }, { label = "Critical: EMAIL paused", value = 0.07 },
        { label = "AWS reviews the account", value = 0.05 }, { label = "AWS may pause the account", value = 0.1 },
      ]],
      ["eu-central-1", [["AWS/SES", "Reputation.ComplaintRate", { label = "Complaint rate" }]], [
        { label = "Warning", value = 0.0008 }, { label = "Critical: EMAIL paused", value = 0.004 },
        { label = "AWS reviews the account", value = 0.001 }, { label = "AWS may pause the account", value = 0.005 },
      ]],
    ])
    error_message = "SES's account bounce and complaint rates against the warning, critical and AWS's levels."
  }

  assert {
    condition = jsonencode([for widget in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : [widget.properties.region, widget.properties.metrics, widget.properties.annotations.horizontal] if startswith(try(widget.properties.title, ""), "SMS spent")]) == jsonencode([
      ["eu-central-1", [["AWS/SNS", "SMSMonthToDateSpentUSD", { label = "Spent" }]], [
        { label = "Warning", value = 0.8 }, { label = "Critical: SMS paused", value = 0.9 }, { label = "Monthly limit: SNS stops sending", value = 1 },
      ]],
    ])
    error_message = "SMS spend this month against the warning, the critical level and the limit."
  }

  assert {
    condition = jsonencode([for widget in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : widget.properties.metrics if try(widget.properties.title, "") == "Stale PENDING messages found by the sweep"]) == jsonencode([[
      ["serverless-messenger/default", "StalePendingFound", "service", "delivery-status", { label = "Marked UNKNOWN" }],
    ]])
    error_message = "What the sweep finds."
  }

  assert {
    condition     = alltrue([for widget in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : widget.x + widget.width <= 24])
    error_message = "Every widget fits the dashboard's 24 columns."
  }
}

# The subscribers, thresholds and sampling rate the variables set: one plan, as none bears on another's assertions.
run "subscribers_and_thresholds_follow_the_variables" {
  command = plan

  variables {
    sms = { monthly_spend_limit_usd = 200 }
    alarms = {
      email_subscribers  = ["ops@example.com", "oncall@example.com"]
      ses_bounce_rate    = { warning = 0.02, critical = 0.045 }
      ses_complaint_rate = { critical = 0.002 }
      sms_spend_percent  = { warning = 50 }
    }
    tracing       = { fixed_rate = 0.05 }
    stale_pending = { schedule_expression = "rate(2 hours)" }
  }

  assert {
    condition = jsonencode({ for key in ["ses-bounce-rate-warning", "ses-bounce-rate-critical", "ses-complaint-rate-warning", "ses-complaint-rate-critical", "sms-spend-warning", "sms-spend-critical"] : key => aws_cloudwatch_metric_alarm.this[key].threshold }) == jsonencode({
      ses-bounce-rate-warning     = 0.02
      ses-bounce-rate-critical    = 0.045
      ses-complaint-rate-warning  = 0.0008
      ses-complaint-rate-critical = 0.002
      sms-spend-warning           = 100
      sms-spend-critical          = 180
    })
    error_message = "The thresholds come from var.alarms; the spend ones are shares of the monthly limit."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.this["stale-pending-found"].period == 14400 && aws_cloudwatch_metric_alarm.this["stale-pending-reported"].period == 14400
    error_message = "The sweep's alarm and its latch span two runs of its schedule."
  }

  assert {
    condition     = aws_xray_sampling_rule.api.fixed_rate == 0.05
    error_message = "The sampling rate comes from var.tracing."
  }

  assert {
    condition     = jsonencode([for subscription in aws_sns_topic_subscription.alarm_email : [subscription.region, subscription.protocol, subscription.endpoint]]) == jsonencode([["eu-central-1", "email", "oncall@example.com"], ["eu-central-1", "email", "ops@example.com"]])
    error_message = "Each address is subscribed to the alarm topic by email."
  }
}

run "a_cron_sweep_is_given_a_day" {
  command = plan

  variables {
    stale_pending = { schedule_expression = "cron(0/10 * * * ? *)" }
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.this["stale-pending-found"].period == 86400
    error_message = "A cron() schedule's interval is not computed: a day, the longest period."
  }
}

run "a_sweep_every_minute_is_judged_over_five" {
  command = plan

  variables {
    stale_pending = { schedule_expression = "rate(1 minute)" }
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.this["stale-pending-found"].period == 300
    error_message = "At least five minutes, so a late run is no alarm."
  }
}

# SES in eu-west-1, SMS in us-east-1: each alarm lands in its metric's region, with that region's topic and key,
# and the guardrail, beside the table, listens to the two regions of its critical alarms.
run "regions_may_differ" {
  override_resource {
    target = module.regional_kms_key["eu-west-1"].aws_kms_key.this
    values = { arn = "arn:aws:kms:eu-west-1:123456789012:key/11111111-1111-1111-1111-111111111111" }
  }

  override_resource {
    target = module.regional_kms_key["us-east-1"].aws_kms_key.this
    values = { arn = "arn:aws:kms:us-east-1:123456789012:key/22222222-2222-2222-2222-222222222222" }
  }

  variables {
    ses_region = "eu-west-1"
    sns_region = "us-east-1"
  }

  assert {
    condition = jsonencode({ for key, alarm in aws_cloudwatch_metric_alarm.this : key => alarm.region }) == jsonencode({
      api-5xx-errors                  = "eu-central-1"
      authorizer-errors               = "eu-central-1"
      authorizer-throttles            = "eu-central-1"
      channel-guardrail-dead-letters  = "eu-central-1"
      delivery-errors                 = "eu-central-1"
      delivery-throttles              = "eu-central-1"
      email-events-dead-letters       = "eu-central-1"
      message-events-dead-letters     = "eu-central-1"
      message-events-errors           = "eu-central-1"
      message-events-publish-failures = "eu-central-1"
      message-events-stream-age       = "eu-central-1"
      ses-bounce-rate-critical        = "eu-west-1"
      ses-bounce-rate-warning         = "eu-west-1"
      ses-complaint-rate-critical     = "eu-west-1"
      ses-complaint-rate-warning      = "eu-west-1"
      sms-events-dead-letters         = "us-east-1"
      sms-spend-critical              = "us-east-1"
      sms-spend-warning               = "us-east-1"
      stale-pending-dead-letters      = "eu-central-1"
      stale-pending-found             = "eu-central-1"
      stale-pending-reported          = "eu-central-1"
      test-outcomes-dead-letters      = "eu-central-1"
      webhooks-dead-letters           = "eu-central-1"
    })
    error_message = "SES reputation in the SES region, SMS spend and smsEvents' queue in the SNS region, the rest beside the table."
  }

  assert {
    condition     = jsonencode(keys(aws_sns_topic.alarms)) == jsonencode(["eu-central-1", "eu-west-1", "us-east-1"]) && alltrue([for region, topic in aws_sns_topic.alarms : topic.region == region && topic.name == "default-messenger-alarms"])
    error_message = "An alarm topic in each region that holds alarms."
  }

  assert {
    condition = jsonencode({ for region, topic in aws_sns_topic.alarms : region => topic.kms_master_key_id }) == jsonencode({
      eu-central-1 = module.kms_key.arn
      eu-west-1    = "arn:aws:kms:eu-west-1:123456789012:key/11111111-1111-1111-1111-111111111111"
      us-east-1    = "arn:aws:kms:us-east-1:123456789012:key/22222222-2222-2222-2222-222222222222"
    })
    error_message = "Each alarm topic is encrypted with its region's key."
  }

  assert {
    condition = jsonencode({
      eu-central-1 = module.kms_key.topic_publishers
      eu-west-1    = module.regional_kms_key["eu-west-1"].topic_publishers
      us-east-1    = module.regional_kms_key["us-east-1"].topic_publishers
      }) == jsonencode({
      eu-central-1 = [{ service = "cloudwatch.amazonaws.com", topic_arns = ["arn:aws:sns:eu-central-1:123456789012:default-messenger-alarms"] }]
      eu-west-1 = [
        { service = "ses.amazonaws.com", topic_arns = ["arn:aws:sns:eu-west-1:123456789012:default-messenger-email-events"] },
        { service = "cloudwatch.amazonaws.com", topic_arns = ["arn:aws:sns:eu-west-1:123456789012:default-messenger-alarms"] },
      ]
      us-east-1 = [{ service = "cloudwatch.amazonaws.com", topic_arns = ["arn:aws:sns:us-east-1:123456789012:default-messenger-alarms"] }]
    })
    error_message = "Each region's key lets CloudWatch use it for that region's alarm topic (and SES for the events topic in the SES region)."
  }

  assert {
    condition     = alltrue([for alarm in aws_cloudwatch_metric_alarm.this : alarm.alarm_actions == toset([aws_sns_topic.alarms[alarm.region].arn]) && alarm.ok_actions == toset([aws_sns_topic.alarms[alarm.region].arn]) if length(alarm.alarm_actions) > 0])
    error_message = "Each alarm notifies the topic of its own region (CloudWatch notifies no other)."
  }

  assert {
    condition = jsonencode([for statement in data.aws_iam_policy_document.alarms_topic["us-east-1"].statement : [for condition in statement.condition : condition.values if condition.variable == "aws:SourceArn"] if statement.sid == "CloudWatchPublishesThisStacksAlarms"]) == jsonencode([[[
      "arn:aws:cloudwatch:us-east-1:123456789012:alarm:default-messenger-sms-events-dead-letters",
      "arn:aws:cloudwatch:us-east-1:123456789012:alarm:default-messenger-sms-spend-critical",
      "arn:aws:cloudwatch:us-east-1:123456789012:alarm:default-messenger-sms-spend-warning",
    ]]])
    error_message = "Each topic admits the stack's alarms of its own region."
  }

  assert {
    condition = jsonencode(keys(jsondecode(module.guardrail["channelGuardrail"].environment.GUARDRAIL_ALARMS))) == jsonencode([
      "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:default-messenger-ses-bounce-rate-critical",
      "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:default-messenger-ses-complaint-rate-critical",
      "arn:aws:cloudwatch:us-east-1:123456789012:alarm:default-messenger-sms-spend-critical",
    ])
    error_message = "The guardrail knows each alarm by its ARN in the alarm's own region."
  }

  assert {
    condition = jsonencode({ for key, subscription in aws_sns_topic_subscription.guardrail : key => [subscription.region, subscription.topic_arn == aws_sns_topic.alarms[subscription.region].arn, subscription.endpoint == module.guardrail["channelGuardrail"].arn] }) == jsonencode({
      channelGuardrail-eu-west-1 = ["eu-west-1", true, true]
      channelGuardrail-us-east-1 = ["us-east-1", true, true]
    })
    error_message = "The guardrail listens to the SES region's topic (bounces, complaints) and the SNS region's (SMS spend)."
  }

  assert {
    condition     = alltrue([for key, permission in aws_lambda_permission.alarms : permission.region == "eu-central-1" && permission.source_arn == aws_sns_topic.alarms[aws_sns_topic_subscription.guardrail[key].region].arn]) && length(aws_lambda_permission.alarms) == 2
    error_message = "Each of those topics, and only they, may invoke the guardrail, which runs beside the table."
  }

  assert {
    condition = jsonencode([for widget in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : widget.properties.region if can(regex("^(SES|SMS) ", try(widget.properties.title, "")))]) == jsonencode([
      "eu-west-1", "eu-west-1", "us-east-1",
    ])
    error_message = "The dashboard's SES widgets read the SES region, its SMS widget the SNS region."
  }

  assert {
    condition     = jsonencode([for widget in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : [for line in widget.properties.metrics : line[4].region if line[3] == "default-messenger-sms-events-dlq"] if try(widget.properties.title, "") == "Dead-letter queues: events not handled"]) == jsonencode([["us-east-1"]])
    error_message = "smsEvents' queue is read in the SNS region."
  }
}

# What the new variables refuse, against the root's variables.tf alone (tests/variables).
run "refuses_a_bounce_warning_at_awss_review_level" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    alarms = { ses_bounce_rate = { warning = 0.05, critical = 0.08 } }
  }

  expect_failures = [var.alarms]
}

run "refuses_a_bounce_critical_at_awss_pause_level" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    alarms = { ses_bounce_rate = { critical = 0.1 } }
  }

  expect_failures = [var.alarms]
}

run "refuses_a_complaint_warning_above_its_critical" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    alarms = { ses_complaint_rate = { warning = 0.0009, critical = 0.0005 } }
  }

  expect_failures = [var.alarms]
}

run "refuses_a_complaint_critical_at_awss_pause_level" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    alarms = { ses_complaint_rate = { critical = 0.005 } }
  }

  expect_failures = [var.alarms]
}

run "refuses_a_spend_share_above_the_whole_limit" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    alarms = { sms_spend_percent = { critical = 120 } }
  }

  expect_failures = [var.alarms]
}

run "refuses_a_spend_warning_at_zero" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    alarms = { sms_spend_percent = { warning = 0 } }
  }

  expect_failures = [var.alarms]
}

run "refuses_a_subscriber_that_is_no_address" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    alarms = { email_subscribers = ["ops-team"] }
  }

  expect_failures = [var.alarms]
}

run "refuses_a_sampling_rate_above_one" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    tracing = { fixed_rate = 5 }
  }

  expect_failures = [var.tracing]
}

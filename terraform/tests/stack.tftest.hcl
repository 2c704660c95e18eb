# The root stack, planned in the default workspace with mocked providers: what it wires together and how
# it is secured. Per-environment plans: environments.tftest.hcl.
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
    defaults = { uris = { GRAPHQL = "https://example.appsync-api.eu-central-1.amazonaws.com/graphql" } }
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

variables {
  stage                  = "default" # terraform test runs in the current workspace
  region                 = "eu-central-1"
  ses_region             = "eu-central-1"
  sns_region             = "eu-central-1"
  default_email_from     = "Support@Example.com"
  allowed_email_senders  = ["support@example.com", "Sales@Example.COM", "ops@example.com", "SALES@example.com"]
  allowed_sms_sender_ids = ["Messenger"]
  sms_allowed_prefixes   = ["+1", "+44"]
}

run "plan" {
  command = plan

  # --- Event handlers are wired by their manifest trigger
  assert {
    condition     = jsonencode(keys(module.event_handlers)) == jsonencode(sort([for name, handler in jsondecode(file("../graphql/manifest.json")).eventHandlers : name if handler.trigger != "alarms"]))
    error_message = "One status function per manifest event handler but the alarms one (the guardrail)."
  }

  assert {
    condition     = jsonencode(keys(aws_sns_topic_subscription.ses_events)) == jsonencode(["emailEvents"]) && jsonencode(keys(aws_lambda_permission.ses_events)) == jsonencode(["emailEvents"])
    error_message = "The sesEvents handler is subscribed to the topic, and only it may be invoked by it."
  }

  assert {
    condition     = jsonencode(keys(aws_cloudwatch_event_rule.schedule)) == jsonencode(["stalePending"]) && aws_cloudwatch_event_rule.schedule["stalePending"].schedule_expression == "rate(5 minutes)"
    error_message = "The schedule handler runs every 5 minutes by default."
  }

  assert {
    condition     = aws_cloudwatch_event_rule.schedule["stalePending"].name == "default-messenger-stale-pending"
    error_message = "Names come from the stage and the handler."
  }

  assert {
    condition = jsonencode(module.event_handlers["smsEvents"].environment) == jsonencode({
      MESSAGES_TABLE               = "default-messenger-messages"
      MESSAGES_TABLE_REGION        = "eu-central-1"
      POWERTOOLS_METRICS_NAMESPACE = "serverless-messenger/default"
      POWERTOOLS_SERVICE_NAME      = "default-messenger-sms-events"
      PROVIDER_MESSAGE_ID_INDEX    = "byProviderMessageId"
      STALE_AFTER_SECONDS          = "300"
    })
    error_message = "Every status function gets the whole status environment, index names from the manifest."
  }

  # --- The delivery function sends through the configuration set as allowed senders only
  assert {
    condition = jsonencode(module.delivery_function.environment) == jsonencode({
      MESSAGES_TABLE               = "default-messenger-messages"
      MESSAGES_TABLE_REGION        = "eu-central-1"
      POWERTOOLS_METRICS_NAMESPACE = "serverless-messenger/default"
      POWERTOOLS_SERVICE_NAME      = "default-messenger-delivery"
      SES_CONFIGURATION_SET        = "default-messenger-messages"
      SES_REGION                   = "eu-central-1"
      SNS_REGION                   = "eu-central-1"
    })
    error_message = "The delivery function's environment: its regions, the configuration set, the table."
  }

  assert {
    condition     = [for statement in data.aws_iam_policy_document.delivery.statement : statement.sid] == ["SendEmailAsAllowedSendersThroughTheConfigurationSet", "PublishSms", "NeverPublishToTopics"]
    error_message = "Send email, publish SMS, never to a topic."
  }

  # Any identity of the SES region (the sandbox checks the recipient's too), but only From an allowed sender,
  # each once in its configured spelling (IAM compares case-sensitively), and only over TLS.
  assert {
    condition = jsonencode(data.aws_iam_policy_document.delivery.statement[0].condition) == jsonencode([
      { test = "Bool", values = ["true"], variable = "aws:SecureTransport" },
      { test = "StringEquals", values = ["Support@Example.com", "Sales@Example.COM", "ops@example.com"], variable = "ses:FromAddress" },
    ])
    error_message = "ses:SendEmail only From the allowed senders, over TLS."
  }

  assert {
    condition     = contains(data.aws_iam_policy_document.delivery.statement[0].resources, "arn:aws:ses:eu-central-1:123456789012:identity/*")
    error_message = "The identities of the SES region (recipients in the sandbox)."
  }

  assert {
    condition = jsonencode([for statement in data.aws_iam_policy_document.delivery.statement : [statement.effect, statement.actions, statement.resources] if statement.sid != "SendEmailAsAllowedSendersThroughTheConfigurationSet"]) == jsonencode([
      [null, ["sns:Publish"], ["*"]], ["Deny", ["sns:Publish"], ["arn:aws:sns:*:*:*"]],
    ])
    error_message = "SMS may be published (no resource ARN exists for a phone number); topics are denied."
  }

  assert {
    condition     = jsonencode(data.aws_iam_policy_document.delivery.statement[1].condition) == jsonencode([{ test = "Bool", values = ["true"], variable = "aws:SecureTransport" }])
    error_message = "SMS only over TLS."
  }

  assert {
    condition = jsonencode([for statement in data.aws_iam_policy_document.message_item_update["delivery"].statement : [statement.sid, statement.actions, statement.condition]]) == jsonencode([
      ["UpdateOwnAttributesOfMessageItemsOnly", ["dynamodb:UpdateItem"], [
        { test = "ForAllValues:StringEquals", values = ["PK", "SK", "providerMessageId"], variable = "dynamodb:Attributes" },
        { test = "ForAllValues:StringLike", values = ["MESSAGE#*"], variable = "dynamodb:LeadingKeys" },
        { test = "StringEqualsIfExists", values = ["NONE", "UPDATED_OLD", "UPDATED_NEW"], variable = "dynamodb:ReturnValues" },
      ]],
    ])
    error_message = "The delivery role updates the SNS message ID of message items, and nothing else."
  }

  assert {
    condition     = anytrue([for condition in one(data.aws_iam_policy_document.message_item_update["status"].statement).condition : condition.variable == "dynamodb:Attributes" && jsonencode(condition.values) == jsonencode(["PK", "SK", "deliveryStatus", "statusReason", "updatedAt", "statusHistory"])])
    error_message = "The status roles update the status attributes of message items, and nothing else."
  }

  assert {
    condition = jsonencode(one(data.aws_iam_policy_document.table_key.statement).condition) == jsonencode([
      { test = "StringEquals", values = ["default-messenger-messages"], variable = "kms:EncryptionContext:aws:dynamodb:tableName" },
      { test = "StringEquals", values = ["dynamodb.eu-central-1.amazonaws.com"], variable = "kms:ViaService" },
    ])
    error_message = "The table's key only through DynamoDB, and only for this table."
  }

  # --- The erasure function may read and delete a recipients data only
  assert {
    condition = jsonencode([for statement in data.aws_iam_policy_document.erasure.statement : [statement.sid, statement.actions, statement.condition]]) == jsonencode([
      ["ReadRecipientMessages", ["dynamodb:Query"], [{ test = "ForAllValues:StringLike", values = ["MESSAGE#*"], variable = "dynamodb:LeadingKeys" }]],
      ["DeleteRecipientItems", ["dynamodb:BatchWriteItem", "dynamodb:DeleteItem"], [{ test = "ForAllValues:StringLike", values = ["MESSAGE#*", "IDEMPOTENCY#*", "LIMIT#*"], variable = "dynamodb:LeadingKeys" }]],
    ])
    error_message = "Erasure reads a recipient's partitions and deletes their items; nothing else."
  }

  assert {
    condition     = module.erasure_function.environment["MESSAGES_TABLE"] == "default-messenger-messages"
    error_message = "The erasure function works on the stack's table."
  }

  # --- Status functions may query only their own index
  assert {
    condition     = length(data.aws_iam_policy_document.event_handler["emailEvents"].statement) == 0
    error_message = "emailEvents queries nothing (the tags name the record)."
  }

  assert {
    condition     = jsonencode([for statement in data.aws_iam_policy_document.event_handler["smsEvents"].statement : [statement.sid, statement.actions]]) == jsonencode([["QueryOwnIndexesOnly", ["dynamodb:Query"]]])
    error_message = "smsEvents may only Query."
  }

  assert {
    condition = jsonencode([for statement in data.aws_iam_policy_document.event_handler["stalePending"].statement : [statement.sid, statement.actions]]) == jsonencode([
      ["ReadSendTimesOfLimitCountersOnly", ["dynamodb:Query"]],
      ["ReadTheStatusOfMessagesOnly", ["dynamodb:Query"]],
      ["KeepTheSweepMarkOnly", ["dynamodb:GetItem", "dynamodb:UpdateItem"]],
    ])
    error_message = "stalePending may read the limit counters' send times and messages' status, and keep its mark."
  }

  assert {
    condition = jsonencode({ for c in data.aws_iam_policy_document.event_handler["stalePending"].statement[0].condition : c.variable => [c.test, c.values] }) == jsonencode({
      "dynamodb:Attributes"  = ["ForAllValues:StringEquals", ["PK", "SK", "firstSentAt", "lastSentAt"]]
      "dynamodb:LeadingKeys" = ["ForAllValues:StringLike", ["LIMIT#*"]]
      "dynamodb:Select"      = ["StringEqualsIfExists", ["SPECIFIC_ATTRIBUTES"]]
      }) && jsonencode({ for c in data.aws_iam_policy_document.event_handler["stalePending"].statement[1].condition : c.variable => [c.test, c.values] }) == jsonencode({
      "dynamodb:Attributes"  = ["ForAllValues:StringEquals", ["PK", "SK", "deliveryStatus"]]
      "dynamodb:LeadingKeys" = ["ForAllValues:StringLike", ["MESSAGE#*"]]
      "dynamodb:Select"      = ["StringEqualsIfExists", ["SPECIFIC_ATTRIBUTES"]]
      }) && jsonencode({ for c in data.aws_iam_policy_document.event_handler["stalePending"].statement[2].condition : c.variable => [c.test, c.values] }) == jsonencode({
      "dynamodb:Attributes"   = ["ForAllValues:StringEquals", ["PK", "SK", "sweptUntil"]]
      "dynamodb:LeadingKeys"  = ["ForAllValues:StringEquals", ["SWEEP"]]
      "dynamodb:ReturnValues" = ["StringEqualsIfExists", ["NONE", "UPDATED_OLD", "UPDATED_NEW"]]
    })
    error_message = "The sweep reads only the counters' send times and messages' status, and writes only its mark, in its own partition."
  }

  # --- The config item holds the senders as configured
  assert {
    condition = jsondecode(aws_dynamodb_table_item.delivery_config.item) == {
      PK                  = { S = "CONFIG" }
      SK                  = { S = "DELIVERY" }
      defaultEmailFrom    = { S = "Support@Example.com" }
      allowedEmailSenders = { L = [{ S = "support@example.com" }, { S = "Sales@Example.COM" }, { S = "ops@example.com" }, { S = "SALES@example.com" }] }
      allowedSmsSenderIds = { L = [{ S = "Messenger" }] }
      messagesTable       = { S = "default-messenger-messages" }
      limits = { M = {
        smsPerRecipientPerHour   = { N = "10" }
        emailPerRecipientPerHour = { N = "50" }
        smsPerMinute             = { N = "100" }
        emailPerMinute           = { N = "1000" }
      } }
      smsAllowedPrefixes   = { L = [{ S = "+1" }, { S = "+44" }] }
      messageRetentionDays = { N = "90" }
    }
    error_message = "The CONFIG/DELIVERY item the resolvers read: senders as configured, the table transactions name."
  }

  assert {
    condition     = length(module.kms_key.log_group_arn_patterns) > 0 && length([for pattern in module.kms_key.log_group_arn_patterns : pattern if strcontains(pattern, "/aws/appsync/")]) == 0
    error_message = "The stack's key lets CloudWatch Logs in for the stack's own log groups, and for no AppSync API's: the API's log group has a key of its own (modules/graphql_api)."
  }

  # --- The account's SMS settings are left to their owner, by default
  assert {
    condition     = length(aws_sns_sms_preferences.account) == 0 && length(aws_cloudwatch_log_group.sms_delivery) == 0 && length(aws_cloudwatch_log_subscription_filter.sms_delivery) == 0 && length(aws_iam_role.sms_delivery_status) == 0
    error_message = "An environment owns none of the account's SMS settings unless its file says so."
  }

  # --- Ses events reach an encrypted topic that admits only ses for this configuration set
  assert {
    condition     = aws_sns_topic.ses_events.name == "default-messenger-email-events" && aws_sns_topic.ses_events.region == "eu-central-1"
    error_message = "The events topic lives in the SES region."
  }

  assert {
    condition     = [for statement in data.aws_iam_policy_document.ses_events_topic.statement : statement.sid] == ["SesPublishesThisConfigurationSetsEvents", "DenyInsecureTransport"]
    error_message = "SES publishes; nothing without TLS."
  }

  assert {
    condition     = one([for condition in data.aws_iam_policy_document.ses_events_topic.statement[0].condition : condition.values if condition.variable == "aws:SourceAccount"]) == tolist(["123456789012"])
    error_message = "Only SES of this account."
  }

  assert {
    condition     = jsonencode(data.aws_iam_policy_document.ses_events_topic.statement[1].condition) == jsonencode([{ test = "Bool", values = ["false"], variable = "aws:SecureTransport" }]) && data.aws_iam_policy_document.ses_events_topic.statement[1].effect == "Deny"
    error_message = "Requests without TLS are denied."
  }

}

run "apply" {
  # --- Every resource is encrypted with a key of its region
  assert {
    condition     = length(module.regional_kms_key) == 0 && module.kms_key.region == "eu-central-1"
    error_message = "One key when everything is in one region."
  }

  assert {
    condition     = aws_sns_topic.ses_events.kms_master_key_id == module.kms_key.arn
    error_message = "The topic uses the stack's key."
  }

  # --- Asynchronous failures are kept, and only the stack's own triggers invoke
  assert {
    condition     = alltrue([for function in module.event_handlers : function.dead_letter_queue_arn != null]) && module.delivery_function.dead_letter_queue_arn == null
    error_message = "Every status function (invoked asynchronously) has a dead-letter queue; the delivery function (invoked by AppSync) returns its failures."
  }

  assert {
    condition     = aws_lambda_permission.schedule["stalePending"].source_arn == aws_cloudwatch_event_rule.schedule["stalePending"].arn && aws_lambda_permission.schedule["stalePending"].principal == "events.amazonaws.com"
    error_message = "Only the sweep's own rule may invoke it."
  }

  assert {
    condition     = aws_lambda_permission.ses_events["emailEvents"].source_arn == aws_sns_topic.ses_events.arn && aws_sns_topic_subscription.ses_events["emailEvents"].endpoint == module.event_handlers["emailEvents"].arn
    error_message = "Only the events topic may invoke emailEvents, which is subscribed to it."
  }

  assert {
    condition     = alltrue([for statement in data.aws_iam_policy_document.event_handler["stalePending"].statement : jsonencode(statement.resources) == jsonencode([module.messages_table.arn])]) && jsonencode(data.aws_iam_policy_document.event_handler["smsEvents"].statement[0].resources) == jsonencode([module.messages_table.index_arns["byProviderMessageId"]])
    error_message = "smsEvents queries its own index only; the sweep reads the table itself, no index."
  }

  assert {
    condition     = output.ses_events_topic_arn == aws_sns_topic.ses_events.arn && jsonencode(keys(output.status_function_names)) == jsonencode(["emailEvents", "smsEvents", "stalePending"])
    error_message = "The outputs name the events topic and the status functions."
  }

  assert {
    condition     = module.api.resolver_count_limit == 1
    error_message = "One resolver per request by default: a request selecting sendMessage twice sends one message."
  }
}

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
    condition     = jsonencode(keys(module.regional_kms_key)) == jsonencode(["eu-west-1", "us-east-1"])
    error_message = "A key in each further region (keys are regional)."
  }

  assert {
    condition     = aws_sns_topic.ses_events.region == "eu-west-1" && aws_sns_topic.ses_events.kms_master_key_id == module.regional_kms_key["eu-west-1"].arn
    error_message = "The events topic is in the SES region, with that region's key."
  }

  assert {
    condition     = module.event_handlers["smsEvents"].region == "us-east-1" && module.event_handlers["emailEvents"].region == "eu-central-1" && module.event_handlers["stalePending"].region == "eu-central-1"
    error_message = "smsEvents runs beside its log groups in the SNS region; the others beside the table."
  }

  assert {
    condition     = jsonencode(module.delivery_function.environment) == jsonencode(merge(module.delivery_function.environment, { SES_REGION = "eu-west-1", SNS_REGION = "us-east-1", MESSAGES_TABLE_REGION = "eu-central-1" }))
    error_message = "The delivery function sends email and SMS in their own regions."
  }
}

run "a_request_runs_as_many_resolvers_as_the_environment_allows" {
  command = plan

  variables {
    resolver_count_limit = 3
  }

  assert {
    condition     = module.api.resolver_count_limit == 3
    error_message = "The API takes its resolver count limit from the environment's setting."
  }
}

# The owner of the account's SMS settings, planned only: its singletons refuse to be destroyed, so a test that
# applied them could not clean up (tests/terraform/test_sms_settings_owner.py shows the refusal).
run "the_owner_manages_the_account_sms_settings" {
  command = plan

  variables {
    sms = { manage_account_preferences = true, account_preferences_owner = "default" }
  }

  override_resource {
    target          = module.kms_key.aws_kms_key.this
    override_during = plan
    values          = { arn = "arn:aws:kms:eu-central-1:123456789012:key/00000000-0000-0000-0000-000000000000" }
  }

  # --- Sms delivery logs are short lived, encrypted, written by sns only, and followed by smsEvents
  assert {
    condition     = jsonencode(keys(aws_cloudwatch_log_group.sms_delivery)) == jsonencode(["failure", "success"]) && alltrue([for group in aws_cloudwatch_log_group.sms_delivery : group.retention_in_days == 3])
    error_message = "Both SNS SMS delivery-status log groups, kept 3 days (they hold phone numbers)."
  }

  assert {
    condition     = aws_cloudwatch_log_group.sms_delivery["failure"].name == "sns/eu-central-1/123456789012/DirectPublishToPhoneNumber/Failure"
    error_message = "The groups SNS writes to."
  }

  assert {
    condition     = aws_sns_sms_preferences.account[0].default_sms_type == "Transactional" && aws_sns_sms_preferences.account[0].delivery_status_success_sampling_rate == "100" && aws_sns_sms_preferences.account[0].monthly_spend_limit == 1
    error_message = "Transactional SMS, every success logged, the sandbox's spend limit."
  }

  assert {
    condition     = jsonencode(data.aws_iam_policy_document.sms_delivery_status_assume.statement[0].principals) == jsonencode([{ identifiers = ["sns.amazonaws.com"], type = "Service" }])
    error_message = "The delivery-status role trusts SNS."
  }

  assert {
    condition     = jsonencode(data.aws_iam_policy_document.sms_delivery_status[0].statement[0].actions) == jsonencode(["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"])
    error_message = "What SNS needs to write delivery status, and nothing more."
  }

  assert {
    condition     = alltrue([for group in aws_cloudwatch_log_group.sms_delivery : group.kms_key_id == module.kms_key.arn])
    error_message = "The SMS log groups use the stack's key."
  }

  assert {
    condition     = jsonencode(keys(aws_cloudwatch_log_subscription_filter.sms_delivery)) == jsonencode(["smsEvents-failure", "smsEvents-success"]) && aws_cloudwatch_log_subscription_filter.sms_delivery["smsEvents-success"].name == "default-messenger-sms-events"
    error_message = "The smsDeliveryLogs handler follows both SMS delivery-status log groups."
  }

  assert {
    condition     = alltrue([for permission in aws_lambda_permission.sms_delivery_logs : permission.principal == "logs.eu-central-1.amazonaws.com" && permission.source_account == "123456789012"]) && length(aws_lambda_permission.sms_delivery_logs) == 2
    error_message = "Only CloudWatch Logs of this account, for the two groups, may invoke smsEvents."
  }
}

run "the_owners_log_groups_are_in_the_sns_region" {
  command = plan

  override_resource {
    target          = module.regional_kms_key["us-east-1"].aws_kms_key.this
    override_during = plan
    values          = { arn = "arn:aws:kms:us-east-1:123456789012:key/22222222-2222-2222-2222-222222222222" }
  }

  variables {
    ses_region = "eu-west-1"
    sns_region = "us-east-1"
    sms        = { manage_account_preferences = true, account_preferences_owner = "default" }
  }

  assert {
    condition     = length(aws_cloudwatch_log_group.sms_delivery) == 2 && alltrue([for group in aws_cloudwatch_log_group.sms_delivery : group.region == "us-east-1" && group.kms_key_id == module.regional_kms_key["us-east-1"].arn && startswith(group.name, "sns/us-east-1/123456789012/")])
    error_message = "The SMS log groups are in the SNS region, with that region's key."
  }
}

# Owning them is an explicit act: the file says which stage owns them, so a file copied from the owner's
# (another stage) or a bare manage_account_preferences = true stops at plan.
run "an_owner_must_name_its_own_stage" {
  command = plan

  variables {
    sms = { manage_account_preferences = true }
  }

  expect_failures = [aws_sns_sms_preferences.account]
}

run "a_file_copied_from_the_owners_does_not_take_the_settings_over" {
  command = plan

  variables {
    sms = { manage_account_preferences = true, account_preferences_owner = "prod" }
  }

  expect_failures = [aws_sns_sms_preferences.account]
}

run "applying_one_environments_values_in_another_workspace_stops_at_plan" {
  command = plan

  variables {
    stage = "prod"
  }

  expect_failures = [terraform_data.workspace_guard]
}

# The longest stage the variable accepts makes the longest names: every module's own checks of what AWS
# accepts still hold (the workspace guard is the only failure expected).
run "the_longest_stage_fits_every_name" {
  command = plan

  variables {
    stage = "abcdefghijklmnop"
  }

  expect_failures = [terraform_data.workspace_guard]
}

# What the variables refuse, tried against the root's variables.tf alone (tests/variables), without planning
# the whole stack for every case.
run "refuses_an_all_digit_sms_sender_id" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    allowed_sms_sender_ids = ["12345"]
  }

  expect_failures = [var.allowed_sms_sender_ids]
}

run "refuses_a_stale_age_a_request_may_still_reach" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    stale_pending = { stale_after_seconds = 30 }
  }

  expect_failures = [var.stale_pending]
}

run "refuses_a_stale_age_the_sweep_could_not_keep_up_with" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    stale_pending = { stale_after_seconds = 7200 }
  }

  expect_failures = [var.stale_pending]
}

run "refuses_a_schedule_eventbridge_does_not_accept" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    stale_pending = { schedule_expression = "every 5 minutes" }
  }

  expect_failures = [var.stale_pending]
}

run "refuses_an_sms_prefix_that_is_not_a_country_code" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    sms_allowed_prefixes = ["44"]
  }

  expect_failures = [var.sms_allowed_prefixes]
}

run "refuses_a_send_limit_below_one" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    send_limits = { sms_per_recipient_per_hour = 0 }
  }

  expect_failures = [var.send_limits]
}

run "refuses_a_key_lifetime_appsync_does_not_allow" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    api_key = { validity_days = 400, rotation_days = 30 }
  }

  expect_failures = [var.api_key]
}

run "refuses_a_resolver_count_appsync_does_not_allow" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    resolver_count_limit = 0
  }

  expect_failures = [var.resolver_count_limit]
}

run "an_environment_may_open_introspection_and_set_its_depth" {
  command = plan

  variables {
    introspection_enabled = true
    query_depth_limit     = 6
  }

  assert {
    condition     = module.api.query_limits.introspection_enabled && module.api.query_limits.query_depth_limit == 6
    error_message = "introspection_enabled and query_depth_limit reach the API."
  }
}

run "refuses_a_query_depth_appsync_does_not_allow" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    query_depth_limit = 76
  }

  expect_failures = [var.query_depth_limit]
}

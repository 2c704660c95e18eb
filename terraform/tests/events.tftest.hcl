# Events (events.tf), planned and applied with mocked providers in the default workspace: the table's stream, the
# publisher and its event source mapping, its dead-letter queue, what its role may do, its settings and alarms.
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

  mock_resource "aws_dynamodb_table" {
    defaults = {
      arn        = "arn:aws:dynamodb:eu-central-1:123456789012:table/default-messenger-messages"
      stream_arn = "arn:aws:dynamodb:eu-central-1:123456789012:table/default-messenger-messages/stream/2026-01-01T00:00:00.000"
    }
  }

  mock_resource "aws_sqs_queue" {
    defaults = { url = "https://sqs.eu-central-1.amazonaws.com/123456789012/mocked" }
  }
}

mock_provider "archive" {}

mock_provider "time" {
  mock_resource "time_rotating" {
    defaults = { rfc3339 = "2026-11-29T17:45:12Z" }
  }
}

# The firewall's web ACL is by far the costliest resource to plan and apply (its schema nests thousands of
# blocks), and nothing here concerns it: its module's own tests and the environments' plans cover
# it, so these runs take its outputs as given.
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
  # --- The table's stream, for the manifest's tableStream handler
  assert {
    condition     = module.messages_table.stream_view_type == "NEW_AND_OLD_IMAGES"
    error_message = "The table streams each change's item before and after (the publisher compares their statusHistory)."
  }

  assert {
    condition     = jsonencode(keys(module.event_publisher)) == jsonencode([for name, handler in jsondecode(file("../graphql/manifest.json")).eventHandlers : name if handler.trigger == "tableStream"]) && jsonencode(keys(module.event_publisher)) == jsonencode(["messageEvents"])
    error_message = "One publisher, the manifest's tableStream handler."
  }

  assert {
    condition     = !contains(keys(module.event_handlers), "messageEvents") && !contains(keys(module.guardrail), "messageEvents")
    error_message = "The publisher is no status function: it has its own role, mapping and dead-letter queue."
  }

  assert {
    condition     = module.event_publisher["messageEvents"].name == "default-messenger-message-events" && aws_sqs_queue.event_dead_letters["messageEvents"].name == "default-messenger-message-events-dlq"
    error_message = "The function and its dead-letter queue are named from the stage and the handler."
  }

  # --- The publisher gets exactly what handlers/clients/publisher.py reads at import
  assert {
    condition = jsonencode(keys(module.event_publisher["messageEvents"].environment)) == jsonencode([
      "GRAPHQL_API_REGION", "GRAPHQL_API_URL", "MESSAGES_TABLE", "MESSAGES_TABLE_REGION", "POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_SERVICE_NAME", "WEBHOOK_QUEUE_URL",
    ])
    error_message = "The publisher's environment: the table, the API, the webhook queue and the metrics namespace (tests/test_handler_environment.py lists what it reads)."
  }

  assert {
    condition = jsonencode({ for name, value in module.event_publisher["messageEvents"].environment : name => value if !endswith(name, "_URL") }) == jsonencode({
      GRAPHQL_API_REGION           = "eu-central-1"
      MESSAGES_TABLE               = "default-messenger-messages"
      MESSAGES_TABLE_REGION        = "eu-central-1"
      POWERTOOLS_METRICS_NAMESPACE = "serverless-messenger/default"
      POWERTOOLS_SERVICE_NAME      = "default-messenger-message-events"
    })
    error_message = "The table and the API in the stack's region, the stack's metrics namespace."
  }

  assert {
    condition     = module.event_publisher["messageEvents"].region == "eu-central-1" && module.event_publisher["messageEvents"].dead_letter_queue_arn == null
    error_message = "The publisher runs beside its table and stream; its mapping, not an asynchronous queue, keeps what it fails on."
  }

  # --- The event source mapping: partial batch responses, bounded retries, the manifest's filters
  assert {
    condition     = jsonencode(aws_lambda_event_source_mapping.event_publisher["messageEvents"].function_response_types) == jsonencode(["ReportBatchItemFailures"])
    error_message = "The publisher reports the changes it failed on; the mapping retries from the first of them."
  }

  assert {
    condition = [for mapping in [aws_lambda_event_source_mapping.event_publisher["messageEvents"]] : [
      mapping.starting_position, mapping.batch_size, mapping.maximum_batching_window_in_seconds, mapping.parallelization_factor,
      mapping.bisect_batch_on_function_error, mapping.maximum_retry_attempts, mapping.maximum_record_age_in_seconds,
    ]] == [["TRIM_HORIZON", 25, 0, 1, true, 10, 3600]]
    error_message = "From the stream's start, batches of 25 at once, one at a time per shard, halved when one fails whole, a change retried at most 10 times and for at most an hour."
  }

  assert {
    condition     = toset([for filter in one(aws_lambda_event_source_mapping.event_publisher["messageEvents"].filter_criteria).filter : filter.pattern]) == toset([for pattern in jsondecode(file("../graphql/manifest.json")).eventHandlers.messageEvents.streamFilters : jsonencode(pattern)])
    error_message = "The mapping's filter patterns are the manifest's streamFilters, which the local stack applies too."
  }

  # Lambda's patterns are JSON strings; jsonencode orders their keys.
  assert {
    condition     = [for filter in one(aws_lambda_event_source_mapping.event_publisher["messageEvents"].filter_criteria).filter : filter.pattern] == ["{\"dynamodb\":{\"Keys\":{\"PK\":{\"S\":[{\"prefix\":\"MESSAGE#\"}]}}},\"eventName\":[\"MODIFY\",\"REMOVE\"],\"userIdentity\":{\"type\":[{\"exists\":false}]}}"]
    error_message = "Only a message record's status change or its erasure reaches the publisher (and is billed): not its INSERT (PENDING, no event), not TTL's deletion (userIdentity.type Service), not the events it writes, the webhook items and the rest."
  }

  # Each change's publication may wait 3 s for AppSync, one after another: the timeout leaves room for a batch.
  assert {
    condition     = local.event_publisher_timeout_s == 105
    error_message = "30 s, and 3 s for each of the batch's 25 changes."
  }

  # --- Its dead-letter queue: kept 14 days, TLS only
  assert {
    condition     = aws_sqs_queue.event_dead_letters["messageEvents"].message_retention_seconds == 1209600
    error_message = "Dead letters are kept 14 days, SQS's longest."
  }

  assert {
    condition = jsonencode(data.aws_iam_policy_document.event_dead_letters["messageEvents"].statement[*].effect) == jsonencode(["Deny"]) && jsonencode(data.aws_iam_policy_document.event_dead_letters["messageEvents"].statement[0].condition) == jsonencode([
      { test = "Bool", values = ["false"], variable = "aws:SecureTransport" }
    ]) && jsonencode(data.aws_iam_policy_document.event_dead_letters["messageEvents"].statement[0].principals) == jsonencode([{ identifiers = ["*"], type = "*" }])
    error_message = "The dead-letter queue refuses every request over plain HTTP, from anyone, and grants nothing."
  }

  # --- What the publisher may do: its statements, actions and conditions
  assert {
    # (The key's conditions name the queues' ARNs, known after apply: the assertions on the applied key below check them.)
    condition = jsonencode([for statement in data.aws_iam_policy_document.event_publisher["messageEvents"].statement : [statement.sid, statement.actions, statement.sid == "UseTheKeyThroughSqsForItsQueues" ? {} : { for condition in statement.condition : condition.variable => [condition.test, condition.values] }]]) == jsonencode([
      ["ReadTheTablesStream", ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"], {}],
      ["StoreEventsInTheirFeeds", ["dynamodb:PutItem"], { "dynamodb:LeadingKeys" = ["ForAllValues:StringLike", ["EVENT#*"]] }],
      ["DeleteTheEventsOfErasedMessages", ["dynamodb:BatchWriteItem"], { "dynamodb:LeadingKeys" = ["ForAllValues:StringLike", ["EVENT#*"]] }],
      ["CountLiveSubscribers", ["dynamodb:Query"], {
        "dynamodb:LeadingKeys" = ["ForAllValues:StringLike", ["SUBSCRIBERS#*"]]
        "dynamodb:Select"      = ["StringEquals", ["COUNT"]]
      }],
      ["ReadEndpointsWithoutTheirSecrets", ["dynamodb:Query"], {
        "dynamodb:Attributes"  = ["ForAllValues:StringEquals", ["PK", "SK", "id", "events", "disabledAt"]]
        "dynamodb:LeadingKeys" = ["ForAllValues:StringLike", ["WEBHOOK#*"]]
        "dynamodb:Select"      = ["StringEqualsIfExists", ["SPECIFIC_ATTRIBUTES"]]
      }],
      ["PublishEventsToSubscribers", ["appsync:GraphQL"], {}],
      ["QueueWebhookDeliveries", ["sqs:SendMessage"], {}],
      ["SendWhatFailedToTheDeadLetterQueue", ["sqs:SendMessage"], {}],
      ["UseTheKeyThroughSqsForItsQueues", ["kms:Decrypt", "kms:GenerateDataKey"], {}],
    ])
    error_message = "The publisher reads the stream, writes and deletes events, counts subscribers, reads endpoints without their secrets, calls one mutation, and sends to its two queues: nothing else."
  }

  # --- Its alarms, each on the region's alarm topic
  assert {
    condition = jsonencode({ for key, alarm in aws_cloudwatch_metric_alarm.this : key => [alarm.namespace, alarm.metric_name, alarm.dimensions, alarm.statistic, alarm.period, alarm.comparison_operator, alarm.threshold, alarm.treat_missing_data] if startswith(key, "message-events-") || startswith(key, "authorizer-") }) == jsonencode({
      authorizer-errors               = ["AWS/Lambda", "Errors", { FunctionName = "default-messenger-authorizer" }, "Sum", 300, "GreaterThanThreshold", 0, "notBreaching"]
      authorizer-throttles            = ["AWS/Lambda", "Throttles", { FunctionName = "default-messenger-authorizer" }, "Sum", 300, "GreaterThanThreshold", 0, "notBreaching"]
      message-events-dead-letters     = ["AWS/SQS", "ApproximateNumberOfMessagesVisible", { QueueName = "default-messenger-message-events-dlq" }, "Maximum", 300, "GreaterThanThreshold", 0, "notBreaching"]
      message-events-errors           = ["AWS/Lambda", "Errors", { FunctionName = "default-messenger-message-events" }, "Sum", 300, "GreaterThanThreshold", 0, "notBreaching"]
      message-events-publish-failures = ["serverless-messenger/default", "EventPublishFailures", { service = "events" }, "Sum", 300, "GreaterThanThreshold", 10, "notBreaching"]
      message-events-stream-age       = ["AWS/Lambda", "IteratorAge", { FunctionName = "default-messenger-message-events" }, "Maximum", 300, "GreaterThanThreshold", 60000, "notBreaching"]
    })
    error_message = "The stream's age (ms) above a minute, the publisher's errors, more than 10 events not pushed in 5 minutes, its dead letters, and the authorizer's errors and throttles."
  }

  assert {
    condition     = alltrue([for key in ["message-events-dead-letters", "message-events-errors", "message-events-publish-failures", "message-events-stream-age", "authorizer-errors", "authorizer-throttles"] : aws_cloudwatch_metric_alarm.this[key].alarm_name == "default-messenger-${key}" && aws_cloudwatch_metric_alarm.this[key].region == "eu-central-1"])
    error_message = "Named from the stage, in the publisher's region."
  }

  assert {
    condition     = alltrue([for key, alarm in aws_cloudwatch_metric_alarm.this : strcontains(alarm.alarm_description, "Runbook: docs/operations.md#event-") if startswith(key, "message-events-")]) && endswith(aws_cloudwatch_metric_alarm.this["message-events-dead-letters"].alarm_description, "#event-dead-letters")
    error_message = "Each of the publisher's alarms points at its own runbook entry."
  }

  # Mocked: what only exists after an apply, the stream's, queues', API's and key's ARNs, in the policies and settings.
  assert {
    condition     = aws_lambda_event_source_mapping.event_publisher["messageEvents"].event_source_arn == module.messages_table.stream_arn && output.table_stream_arn == "arn:aws:dynamodb:eu-central-1:123456789012:table/default-messenger-messages/stream/2026-01-01T00:00:00.000"
    error_message = "The mapping reads the messages table's stream."
  }

  assert {
    condition     = aws_lambda_event_source_mapping.event_publisher["messageEvents"].function_name == module.event_publisher["messageEvents"].arn
    error_message = "The mapping invokes the publisher."
  }

  assert {
    condition     = one(one(aws_lambda_event_source_mapping.event_publisher["messageEvents"].destination_config).on_failure).destination_arn == aws_sqs_queue.event_dead_letters["messageEvents"].arn
    error_message = "What the mapping gives up on goes to the publisher's dead-letter queue."
  }

  assert {
    condition     = aws_sqs_queue.event_dead_letters["messageEvents"].kms_master_key_id == module.kms_key.arn && aws_sqs_queue_policy.event_dead_letters["messageEvents"].queue_url == aws_sqs_queue.event_dead_letters["messageEvents"].id
    error_message = "The dead-letter queue is encrypted with the stack's key, and its TLS-only policy is attached."
  }

  assert {
    condition     = module.event_publisher["messageEvents"].environment.GRAPHQL_API_URL == module.api.graphql_url && module.event_publisher["messageEvents"].environment.WEBHOOK_QUEUE_URL == aws_sqs_queue.webhook_deliveries.url
    error_message = "The publisher calls the stack's API and queues to the stack's webhook queue."
  }

  # Every grant names its resource: no wildcard, and the one mutation by its field ARN.
  assert {
    condition = jsonencode({ for statement in data.aws_iam_policy_document.event_publisher["messageEvents"].statement : statement.sid => statement.resources }) == jsonencode({
      CountLiveSubscribers               = [module.messages_table.arn]
      DeleteTheEventsOfErasedMessages    = [module.messages_table.arn]
      PublishEventsToSubscribers         = ["arn:aws:appsync:eu-central-1:123456789012:apis/abcdefghijklmnopqrstuvwxyz/types/Mutation/fields/publishMessageEvent"]
      QueueWebhookDeliveries             = [aws_sqs_queue.webhook_deliveries.arn]
      ReadEndpointsWithoutTheirSecrets   = [module.messages_table.arn]
      ReadTheTablesStream                = ["arn:aws:dynamodb:eu-central-1:123456789012:table/default-messenger-messages/stream/2026-01-01T00:00:00.000"]
      SendWhatFailedToTheDeadLetterQueue = [aws_sqs_queue.event_dead_letters["messageEvents"].arn]
      StoreEventsInTheirFeeds            = [module.messages_table.arn]
      UseTheKeyThroughSqsForItsQueues    = [module.kms_key.arn]
    })
    error_message = "The table, its stream, the publishMessageEvent field, the two queues and the stack's key, each by its ARN."
  }

  assert {
    condition = jsonencode({ for condition in one([for statement in data.aws_iam_policy_document.event_publisher["messageEvents"].statement : statement if statement.sid == "UseTheKeyThroughSqsForItsQueues"]).condition : condition.variable => [condition.test, sort(condition.values)] }) == jsonencode({
      "kms:EncryptionContext:aws:sqs:arn" = ["StringEquals", sort([aws_sqs_queue.webhook_deliveries.arn, aws_sqs_queue.event_dead_letters["messageEvents"].arn])]
      "kms:ViaService"                    = ["StringEquals", ["sqs.eu-central-1.amazonaws.com"]]
    })
    error_message = "The key through SQS only, and only for the webhook queue and the publisher's dead-letter queue."
  }

  assert {
    condition     = jsonencode(data.aws_iam_policy_document.event_publisher["messageEvents"].source_policy_documents) == jsonencode([data.aws_iam_policy_document.table_key.json])
    error_message = "The table's key only through DynamoDB for this table (table_key), which also covers the stream's changes."
  }

  assert {
    condition     = contains(module.api.authorization.additional_modes, "AWS_IAM") && strcontains(file("../graphql/schema.graphql"), "publishMessageEvent(event: MessageEventInput!): MessageEvent @aws_iam\n")
    error_message = "The API admits IAM callers, and publishMessageEvent admits them alone."
  }

  assert {
    condition     = alltrue([for key in ["message-events-dead-letters", "message-events-errors", "message-events-publish-failures", "message-events-stream-age", "authorizer-errors", "authorizer-throttles"] : aws_cloudwatch_metric_alarm.this[key].alarm_actions == toset([aws_sns_topic.alarms["eu-central-1"].arn]) && aws_cloudwatch_metric_alarm.this[key].ok_actions == toset([aws_sns_topic.alarms["eu-central-1"].arn])])
    error_message = "The publisher's and the authorizer's alarms notify the region's alarm topic, on ALARM and on OK."
  }

  # --- On the dashboard
  assert {
    condition = jsonencode([for widget in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : [widget.properties.metrics, widget.properties.annotations.horizontal] if contains(["Event stream age, max (ms)", "Events not pushed to subscribers"], try(widget.properties.title, ""))]) == jsonencode([
      [[["AWS/Lambda", "IteratorAge", "FunctionName", "default-messenger-message-events", { label = "messageEvents", region = "eu-central-1" }]], [{ label = "Alarm", value = 60000 }]],
      [[["serverless-messenger/default", "EventPublishFailures", "service", "events", { label = "Publish failures" }]], [{ label = "Alarm", value = 10 }]],
    ])
    error_message = "The stream's age and the events not pushed, against their alarms' thresholds."
  }

  assert {
    condition = alltrue([for title in ["Lambda errors", "Lambda throttles", "Lambda duration, p99 (ms)", "Dead-letter queues: events not handled"] : length([
      for widget in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : widget if try(widget.properties.title, "") == title && anytrue([for line in try(widget.properties.metrics, []) : try(line[4].label, "") == "messageEvents"])
    ]) == 1])
    error_message = "The publisher's errors, throttles, duration and dead letters beside every other function's."
  }

  assert {
    condition     = output.event_publisher_function_names == { messageEvents = "default-messenger-message-events" } && output.event_dead_letter_queue_urls == { messageEvents = aws_sqs_queue.event_dead_letters["messageEvents"].url }
    error_message = "The outputs name the publisher and its dead-letter queue."
  }
}

run "the_environment_sets_batches_retries_and_alarm_levels" {
  command = plan

  variables {
    event_publisher = { batch_size = 100, parallelization_factor = 4, maximum_retry_attempts = 3, maximum_record_age_seconds = 600, reserved_concurrency = 40 }
    alarms          = { event_stream_age_seconds = 10, event_publish_failures = 0 }
  }

  assert {
    condition = [for mapping in [aws_lambda_event_source_mapping.event_publisher["messageEvents"]] : [
      mapping.batch_size, mapping.parallelization_factor, mapping.maximum_retry_attempts, mapping.maximum_record_age_in_seconds,
    ]] == [[100, 4, 3, 600]]
    error_message = "The mapping takes its batch size, parallelization and retry bounds from event_publisher."
  }

  assert {
    condition     = local.event_publisher_timeout_s == 330
    error_message = "A batch of 100 gets 30 s and 3 s for each change."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.this["message-events-stream-age"].threshold == 10000 && aws_cloudwatch_metric_alarm.this["message-events-publish-failures"].threshold == 0
    error_message = "The alarms' levels follow alarms.event_stream_age_seconds (in ms) and alarms.event_publish_failures."
  }
}

run "refuses_unbounded_retries" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    event_publisher = { maximum_retry_attempts = -1 }
  }

  expect_failures = [var.event_publisher]
}

run "refuses_a_record_age_the_stream_would_not_leave_time_to_replay" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    event_publisher = { maximum_record_age_seconds = 86400 }
  }

  expect_failures = [var.event_publisher]
}

run "refuses_a_parallelization_lambda_does_not_offer" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    event_publisher = { parallelization_factor = 11 }
  }

  expect_failures = [var.event_publisher]
}

run "refuses_a_stream_age_alarm_of_no_seconds" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    alarms = { event_stream_age_seconds = 0 }
  }

  expect_failures = [var.alarms]
}

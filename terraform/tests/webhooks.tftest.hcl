# Webhooks (webhooks.tf), planned and applied with mocked providers in the default workspace: the delivery queue
# and its dead letters, the two functions and their roles, the sender's event source, the settings they get.
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
  # --- The queues
  assert {
    condition     = aws_sqs_queue.webhook_deliveries.name == "default-messenger-webhook-deliveries" && aws_sqs_queue.webhook_dead_letters.name == "default-messenger-webhook-deliveries-dlq"
    error_message = "The queues are named from the stage."
  }

  assert {
    condition     = aws_sqs_queue.webhook_deliveries.visibility_timeout_seconds == 180 && aws_sqs_queue.webhook_deliveries.message_retention_seconds == 345600 && aws_sqs_queue.webhook_dead_letters.message_retention_seconds == 1209600
    error_message = "A batch stays hidden six times the sender's timeout; deliveries are kept four days, dead letters fourteen."
  }

  assert {
    condition = alltrue([for queue in ["deliveries", "dead_letters"] : jsonencode(data.aws_iam_policy_document.webhook_queue[queue].statement[*].effect) == jsonencode(["Deny"]) && jsonencode(data.aws_iam_policy_document.webhook_queue[queue].statement[0].condition) == jsonencode([
      { test = "Bool", values = ["false"], variable = "aws:SecureTransport" }
    ]) && jsonencode(data.aws_iam_policy_document.webhook_queue[queue].statement[0].principals) == jsonencode([{ identifiers = ["*"], type = "*" }])])
    error_message = "Both queues refuse every request over plain HTTP, from anyone."
  }

  # --- The functions
  assert {
    condition     = module.webhook_sender.name == "default-messenger-webhooks" && module.webhook_endpoints_function.name == "default-messenger-webhook-endpoints"
    error_message = "The functions are named from the stage."
  }

  assert {
    condition     = jsonencode(keys(module.webhook_sender.environment)) == jsonencode(keys(module.webhook_endpoints_function.environment))
    error_message = "The two functions built from handlers/clients get one environment."
  }

  assert {
    condition = jsonencode(keys(module.webhook_sender.environment)) == jsonencode([
      "MESSAGES_TABLE", "MESSAGES_TABLE_REGION", "POWERTOOLS_SERVICE_NAME", "WEBHOOK_ALLOWED_PORTS", "WEBHOOK_ATTEMPT_RETENTION_DAYS", "WEBHOOK_DEAD_LETTER_QUEUE_URL",
      "WEBHOOK_KMS_KEY_ID", "WEBHOOK_LOOPBACK_ALLOWED", "WEBHOOK_QUEUE_URL", "WEBHOOK_RETRY_SCHEDULE_SECONDS",
    ])
    error_message = "The webhook functions get every setting their modules read (tests/test_handler_environment.py lists them)."
  }

  assert {
    condition = jsonencode({ for name, value in module.webhook_sender.environment : name => value if !endswith(name, "_URL") && name != "WEBHOOK_KMS_KEY_ID" }) == jsonencode({
      MESSAGES_TABLE                 = "default-messenger-messages"
      MESSAGES_TABLE_REGION          = "eu-central-1"
      POWERTOOLS_SERVICE_NAME        = "default-messenger-webhooks"
      WEBHOOK_ALLOWED_PORTS          = ""
      WEBHOOK_ATTEMPT_RETENTION_DAYS = "30"
      WEBHOOK_LOOPBACK_ALLOWED       = "false"
      WEBHOOK_RETRY_SCHEDULE_SECONDS = "0,5,300,1800,7200,18000,36000"
    })
    error_message = "HTTPS on 443 only, no loopback, attempts kept 30 days, and the manifest's retry schedule."
  }

  assert {
    condition     = aws_lambda_event_source_mapping.webhook_sender.batch_size == 10 && jsonencode(aws_lambda_event_source_mapping.webhook_sender.function_response_types) == jsonencode(["ReportBatchItemFailures"]) && aws_lambda_event_source_mapping.webhook_sender.scaling_config[0].maximum_concurrency == 10
    error_message = "Batches of 10, failed records reported one by one, no more pollers than the sender may run."
  }

  # --- What the sender may do
  assert {
    condition = jsonencode([for statement in data.aws_iam_policy_document.webhook_table["sender"].statement : [statement.sid, statement.actions, { for condition in statement.condition : condition.variable => [condition.test, sort(condition.values)] }]]) == jsonencode([
      ["ReadEndpoints", ["dynamodb:GetItem"], { "dynamodb:LeadingKeys" = ["ForAllValues:StringLike", ["WEBHOOK#*"]] }],
      ["RecordAttempts", ["dynamodb:PutItem"], { "dynamodb:LeadingKeys" = ["ForAllValues:StringLike", ["ATTEMPT#*"]] }],
      ["RecordEndpointFailures", ["dynamodb:UpdateItem"], {
        "dynamodb:Attributes"   = ["ForAllValues:StringEquals", ["PK", "SK", "disabledAt", "failingSince"]]
        "dynamodb:LeadingKeys"  = ["ForAllValues:StringLike", ["WEBHOOK#*"]]
        "dynamodb:ReturnValues" = ["StringEqualsIfExists", ["NONE"]]
      }],
    ])
    error_message = "The sender reads endpoints, records only their failures, and writes attempts: nothing else of the table."
  }

  assert {
    condition = jsonencode([for statement in data.aws_iam_policy_document.webhook_table["endpoints"].statement : [statement.sid, statement.actions, { for condition in statement.condition : condition.variable => [condition.test, sort(condition.values)] }]]) == jsonencode([
      ["ListAttempts", ["dynamodb:Query"], { "dynamodb:LeadingKeys" = ["ForAllValues:StringLike", ["ATTEMPT#*"]] }],
      ["ManageTheCallersEndpoints", ["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"], { "dynamodb:LeadingKeys" = ["ForAllValues:StringLike", ["WEBHOOK#*"]] }],
      ["ReadEventsToReplay", ["dynamodb:GetItem"], { "dynamodb:LeadingKeys" = ["ForAllValues:StringLike", ["EVENT#*"]] }],
    ])
    error_message = "The endpoints function manages endpoints, reads attempts and the events it replays: nothing else of the table."
  }

  assert {
    condition = alltrue([for use in ["encrypt", "decrypt"] : jsonencode({ for condition in one(data.aws_iam_policy_document.webhook_secret_key[use].statement).condition : condition.variable => [condition.test, sort(condition.values)] }) == jsonencode({
      "kms:EncryptionContext:purpose"   = ["StringEquals", ["webhook-signing-secret"]]
      "kms:EncryptionContext:webhookId" = ["Null", ["false"]]
      "kms:EncryptionContextKeys"       = ["ForAllValues:StringEquals", ["clientId", "mode", "purpose", "webhookId"]]
    })])
    error_message = "The key is used directly only under a signing secret's encryption context, which names its endpoint."
  }

  assert {
    condition     = one(data.aws_iam_policy_document.webhook_secret_key["encrypt"].statement).actions == toset(["kms:Encrypt"]) && one(data.aws_iam_policy_document.webhook_secret_key["decrypt"].statement).actions == toset(["kms:Decrypt"])
    error_message = "The endpoints function may only encrypt a secret, the sender only decrypt one."
  }

  assert {
    condition     = [for statement in data.aws_iam_policy_document.webhook_sender.statement : [statement.sid, statement.actions]] == [["ReceiveDeliveries", toset(["sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"])], ["RequeueRetriesAndGiveUp", toset(["sqs:SendMessage"])]]
    error_message = "The sender receives its queue (its event source mapping's role), queues retries and dead letters."
  }

  assert {
    condition     = [for statement in data.aws_iam_policy_document.webhook_endpoints.statement : [statement.sid, statement.actions]] == [["QueueReplays", toset(["sqs:SendMessage"])]]
    error_message = "The endpoints function only sends replays to the queue."
  }

  # --- The dead letters' alarm, like every dead-letter queue's
  assert {
    condition     = aws_cloudwatch_metric_alarm.this["webhooks-dead-letters"].dimensions.QueueName == "default-messenger-webhook-deliveries-dlq" && aws_cloudwatch_metric_alarm.this["webhooks-dead-letters"].threshold == 0
    error_message = "An alarm goes off for the first delivery given up on."
  }

  assert {
    condition     = endswith(aws_cloudwatch_metric_alarm.this["webhooks-dead-letters"].alarm_description, "Runbook: docs/operations.md#webhook-dead-letters") && strcontains(aws_cloudwatch_metric_alarm.this["webhooks-dead-letters"].alarm_description, "gave up on")
    error_message = "The alarm says what its queue holds, and where its runbook entry is."
  }

  # Mocked: what only exists after an apply, the queues' and key's ARNs, in the settings and policies.
  assert {
    condition     = aws_sqs_queue.webhook_deliveries.kms_master_key_id == module.kms_key.arn && aws_sqs_queue.webhook_dead_letters.kms_master_key_id == module.kms_key.arn
    error_message = "Both queues are encrypted with the stack's key."
  }

  assert {
    condition     = jsondecode(aws_sqs_queue.webhook_deliveries.redrive_policy) == { deadLetterTargetArn = aws_sqs_queue.webhook_dead_letters.arn, maxReceiveCount = 5 }
    error_message = "A delivery whose handling keeps failing moves to the dead-letter queue after five receives."
  }

  assert {
    condition     = jsondecode(aws_sqs_queue_redrive_allow_policy.webhook_dead_letters.redrive_allow_policy) == { redrivePermission = "byQueue", sourceQueueArns = [aws_sqs_queue.webhook_deliveries.arn] }
    error_message = "Only the delivery queue may move messages into the dead-letter queue."
  }

  assert {
    condition     = aws_lambda_event_source_mapping.webhook_sender.event_source_arn == aws_sqs_queue.webhook_deliveries.arn && aws_lambda_event_source_mapping.webhook_sender.function_name == module.webhook_sender.arn
    error_message = "The sender reads the delivery queue."
  }

  assert {
    condition     = module.webhook_sender.environment.WEBHOOK_KMS_KEY_ID == module.kms_key.arn && module.webhook_sender.environment.WEBHOOK_QUEUE_URL == aws_sqs_queue.webhook_deliveries.url && module.webhook_sender.environment.WEBHOOK_DEAD_LETTER_QUEUE_URL == aws_sqs_queue.webhook_dead_letters.url
    error_message = "The functions get the stack's key and the two queues."
  }

  assert {
    condition = alltrue(flatten([
      [for statement in data.aws_iam_policy_document.webhook_sender.statement : statement.sid == "ReceiveDeliveries" ? statement.resources == toset([aws_sqs_queue.webhook_deliveries.arn]) : statement.resources == toset([aws_sqs_queue.webhook_deliveries.arn, aws_sqs_queue.webhook_dead_letters.arn])],
      [for statement in data.aws_iam_policy_document.webhook_endpoints.statement : statement.resources == toset([aws_sqs_queue.webhook_deliveries.arn])],
      [for use in ["encrypt", "decrypt"] : one(data.aws_iam_policy_document.webhook_secret_key[use].statement).resources == toset([module.kms_key.arn])],
    ]))
    error_message = "Every SQS grant names these queues, every key grant the stack's key: no wildcard."
  }

  assert {
    condition = jsonencode({ for use, document in data.aws_iam_policy_document.webhook_queue_key : use => { for condition in one(document.statement).condition : condition.variable => sort(condition.values) } }) == jsonencode({
      endpoints = { "kms:EncryptionContext:aws:sqs:arn" = [aws_sqs_queue.webhook_deliveries.arn], "kms:ViaService" = ["sqs.eu-central-1.amazonaws.com"] }
      sender    = { "kms:EncryptionContext:aws:sqs:arn" = sort([aws_sqs_queue.webhook_deliveries.arn, aws_sqs_queue.webhook_dead_letters.arn]), "kms:ViaService" = ["sqs.eu-central-1.amazonaws.com"] }
    })
    error_message = "The key through SQS only, and only for the queues each function sends to or receives from."
  }
}

run "allowed_ports_and_retention_reach_the_functions" {
  command = plan

  variables {
    webhooks = { allowed_ports = [8443, 9443], attempt_retention_days = 7, sender_reserved_concurrency = 1 }
  }

  assert {
    condition     = module.webhook_endpoints_function.environment.WEBHOOK_ALLOWED_PORTS == "8443,9443" && module.webhook_sender.environment.WEBHOOK_ATTEMPT_RETENTION_DAYS == "7"
    error_message = "The allowed ports and the attempts' retention are the functions' settings."
  }

  assert {
    condition     = length(aws_lambda_event_source_mapping.webhook_sender.scaling_config) == 0
    error_message = "A sender of one instance gets SQS's default pollers (their floor is two)."
  }
}

# What var.webhooks refuses, tried against the root's variables.tf alone (tests/variables).
run "refuses_ports_that_are_not_tcp_ports_or_are_443" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    webhooks = { allowed_ports = [443, 70000, 0] }
  }

  expect_failures = [var.webhooks]
}

run "refuses_an_attempt_retention_of_no_days" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    webhooks = { attempt_retention_days = 0 }
  }

  expect_failures = [var.webhooks]
}

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

# The firewall's web ACL is by far the costliest resource to plan and apply (its schema nests thousands of
# blocks), and nothing here but its wiring concerns it: its module's own tests (with a longer name than the longest
# stage makes) and the environments' plans cover it, so these runs take its outputs as given.
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
  stage                  = "default" # terraform test runs in the current workspace
  region                 = "eu-central-1"
  ses_region             = "eu-central-1"
  sns_region             = "eu-central-1"
  default_email_from     = "Support@Example.com"
  allowed_email_senders  = ["support@example.com", "Sales@Example.COM", "ops@example.com", "SALES@example.com"]
  allowed_sms_sender_ids = ["Messenger"]
  sms_allowed_countries  = ["US", "GB", "US"]
}

run "apply" {
  # --- The API sits behind the firewall's web ACL (its ARN as given above)
  assert {
    condition     = module.api.web_acl_arn == "arn:aws:wafv2:eu-central-1:123456789012:regional/webacl/default-messenger-api/00000000-0000-0000-0000-000000000000"
    error_message = "The API must be associated with the firewall's web ACL."
  }

  # --- Event handlers are wired by their manifest trigger
  assert {
    condition     = jsonencode(keys(module.event_handlers)) == jsonencode(sort([for name, handler in jsondecode(file("../graphql/manifest.json")).eventHandlers : name if !contains(["alarms", "tableStream"], handler.trigger)]))
    error_message = "One status function per manifest event handler but the alarms one (the guardrail) and the tableStream one (the event publisher, events.tftest.hcl)."
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
  # (The queue's URL is known once the queue exists: checked below, with the other ARNs.)
  assert {
    condition = jsonencode({ for name, value in module.delivery_function.environment : name => value if name != "TEST_OUTCOMES_QUEUE_URL" }) == jsonencode({
      MESSAGES_TABLE               = "default-messenger-messages"
      MESSAGES_TABLE_REGION        = "eu-central-1"
      POWERTOOLS_METRICS_NAMESPACE = "serverless-messenger/default"
      POWERTOOLS_SERVICE_NAME      = "default-messenger-delivery"
      SES_CONFIGURATION_SET        = "default-messenger-messages"
      SES_REGION                   = "eu-central-1"
      SNS_REGION                   = "eu-central-1"
      TEST_OUTCOMES                = jsonencode(jsondecode(file("../graphql/manifest.json")).testMode)
    })
    error_message = "The delivery function's environment: its regions, the configuration set, the table, and what TEST keys' messages end as (the manifest's testMode)."
  }

  assert {
    condition     = jsondecode(module.delivery_function.environment.TEST_OUTCOMES).emailDefault == ["DELIVERED"] && jsondecode(module.delivery_function.environment.TEST_OUTCOMES).delaySeconds == 1
    error_message = "TEST_OUTCOMES is the manifest's testMode as JSON, as the delivery handler reads it."
  }

  assert {
    condition     = [for statement in data.aws_iam_policy_document.delivery.statement : statement.sid] == ["SendEmailAsAllowedSendersThroughTheConfigurationSet", "PublishSms", "NeverPublishToTopics", "QueueSimulatedOutcomesOfTestKeys", "EncryptSimulatedOutcomesThroughSqs"]
    error_message = "Send email, publish SMS, never to a topic; queue TEST keys' simulated outcomes."
  }

  assert {
    condition     = jsonencode(data.aws_iam_policy_document.delivery.statement[3].actions) == jsonencode(["sqs:SendMessage"]) && jsonencode(data.aws_iam_policy_document.delivery.statement[4].actions) == jsonencode(["kms:Decrypt", "kms:GenerateDataKey"])
    error_message = "The delivery function may only send to the test outcomes queue (SendMessageBatch is authorized as SendMessage), and encrypt for it."
  }

  assert {
    condition     = one([for condition in data.aws_iam_policy_document.delivery.statement[4].condition : condition.values if condition.variable == "kms:ViaService"]) == tolist(["sqs.eu-central-1.amazonaws.com"])
    error_message = "The key only through SQS, for the queue."
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
    condition = jsonencode([for statement in data.aws_iam_policy_document.delivery.statement : [statement.effect, statement.actions, statement.resources] if contains(["PublishSms", "NeverPublishToTopics"], statement.sid)]) == jsonencode([
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

  # --- The functions of handlers/clients: each reads and writes only the partitions its handler touches
  assert {
    condition = jsonencode({ for statement in data.aws_iam_policy_document.clients_function["authorizer"].statement : statement.sid => [statement.actions, { for c in statement.condition : c.variable => [c.test, c.values] }] }) == jsonencode({
      ReadKeysAndTheirPointers = [["dynamodb:GetItem"], { "dynamodb:LeadingKeys" = ["ForAllValues:StringLike", ["APIKEY#*", "CLIENT#*"]] }]
      RecordWhenAKeyWasLastUsed = [["dynamodb:UpdateItem"], {
        "dynamodb:Attributes"   = ["ForAllValues:StringEquals", ["PK", "SK", "lastUsedAt"]]
        "dynamodb:LeadingKeys"  = ["ForAllValues:StringLike", ["CLIENT#*"]]
        "dynamodb:ReturnValues" = ["StringEqualsIfExists", ["NONE"]]
      }]
    })
    error_message = "The authorizer reads a key's pointer and the key, and records only when the key was last used."
  }

  assert {
    condition = jsonencode({ for statement in data.aws_iam_policy_document.clients_function["operators"].statement : statement.sid => [statement.actions, { for c in statement.condition : c.variable => [c.test, c.values] }] }) == jsonencode({
      ChangeLimitsAndRevokeKeys        = [["dynamodb:UpdateItem"], { "dynamodb:LeadingKeys" = ["ForAllValues:StringLike", ["CLIENTS", "CLIENT#*"]] }]
      CreateClientsKeysAndAuditRecords = [["dynamodb:PutItem"], { "dynamodb:LeadingKeys" = ["ForAllValues:StringLike", ["CLIENTS", "CLIENT#*", "APIKEY#*", "AUDIT"]] }]
      ListClientsKeysAndAuditEvents    = [["dynamodb:Query"], { "dynamodb:LeadingKeys" = ["ForAllValues:StringLike", ["CLIENTS", "CLIENT#*", "AUDIT"]] }]
      ReadSettingsClientsAndKeys       = [["dynamodb:GetItem"], { "dynamodb:LeadingKeys" = ["ForAllValues:StringLike", ["CONFIG", "CLIENTS", "APIKEY#*", "CLIENT#*"]] }]
    })
    error_message = "The operators' function reads the settings, clients, keys and audit log, and writes clients, keys and audit records only."
  }

  assert {
    condition = jsonencode({ for statement in data.aws_iam_policy_document.clients_function["erasure"].statement : statement.sid => [statement.actions, { for c in statement.condition : c.variable => [c.test, c.values] }] }) == jsonencode({
      AuditErasures                = [["dynamodb:PutItem"], { "dynamodb:LeadingKeys" = ["ForAllValues:StringLike", ["AUDIT"]] }]
      DeleteRecipientMessages      = [["dynamodb:BatchWriteItem"], { "dynamodb:LeadingKeys" = ["ForAllValues:StringLike", ["MESSAGE#*"]] }]
      DeleteTheirIdempotencyClaims = [["dynamodb:DeleteItem"], { "dynamodb:LeadingKeys" = ["ForAllValues:StringLike", ["IDEMPOTENCY#*", "SCOPE#*"]] }]
      ReadRecipientMessages = [["dynamodb:Query"], {
        "dynamodb:Attributes"  = ["ForAllValues:StringEquals", ["PK", "SK", "senderId", "idempotencyKey"]]
        "dynamodb:LeadingKeys" = ["ForAllValues:StringLike", ["MESSAGE#*"]]
        "dynamodb:Select"      = ["StringEqualsIfExists", ["SPECIFIC_ATTRIBUTES"]]
      }]
    })
    error_message = "Erasure reads a mailbox's messages, deletes them and their idempotency claims, and audits; it keeps the limit counters."
  }

  assert {
    condition = alltrue([for name, function in module.clients_functions : jsonencode(function.environment) == jsonencode({
      AUTHORIZER_CACHE_SECONDS = "60"
      MESSAGES_TABLE           = "default-messenger-messages"
      MESSAGES_TABLE_REGION    = "eu-central-1"
      POWERTOOLS_SERVICE_NAME  = "default-messenger-${name}"
    })])
    error_message = "The functions of handlers/clients get the settings they read at import (local/config.py: clients_env)."
  }

  assert {
    condition = jsonencode({ for name, function in local.clients_functions : name => [function.manifest.source, function.manifest.handler, function.timeout_seconds] }) == jsonencode({
      authorizer = ["handlers/clients", "authorizer.handler", 5]
      erasure    = ["handlers/clients", "erasure.handler", 25]
      operators  = ["handlers/clients", "operators.handler", 25]
    })
    error_message = "The authorizer, the operators' function and erasure run the manifest's handlers of handlers/clients; the authorizer answers well within AppSync's 10 s."
  }

  assert {
    condition     = output.clients_function_names == { authorizer = "default-messenger-authorizer", erasure = "default-messenger-erasure", operators = "default-messenger-operators" } && output.erasure_function_name == "default-messenger-erasure"
    error_message = "The functions are named from the stage; the erasure function keeps its name."
  }

  # --- Test keys' simulated outcomes: an encrypted queue that refuses plain HTTP
  assert {
    condition     = aws_sqs_queue.test_outcomes.name == "default-messenger-test-outcomes" && aws_sqs_queue.test_outcomes.message_retention_seconds == 86400 && aws_sqs_queue.test_outcomes.visibility_timeout_seconds == 180
    error_message = "The queue is named from the stage, keeps outcomes a day, and hides a batch six times the handler's timeout."
  }

  assert {
    condition     = jsonencode(data.aws_iam_policy_document.test_outcomes_queue.statement[*].effect) == jsonencode(["Deny"]) && jsonencode(data.aws_iam_policy_document.test_outcomes_queue.statement[0].condition) == jsonencode([{ test = "Bool", values = ["false"], variable = "aws:SecureTransport" }])
    error_message = "The queue refuses every request without TLS, and grants nothing (the roles' own policies do)."
  }

  # --- The testOutcomes handler reads the queue, and only it
  assert {
    condition     = jsonencode(keys(aws_lambda_event_source_mapping.test_outcomes)) == jsonencode(["testOutcomes"]) && jsonencode(keys(aws_sqs_queue_redrive_policy.test_outcomes)) == jsonencode(["testOutcomes"])
    error_message = "The queue feeds the manifest's testOutcomes handler, whose dead-letter queue takes what keeps failing."
  }

  assert {
    condition     = aws_lambda_event_source_mapping.test_outcomes["testOutcomes"].batch_size == 10 && aws_lambda_event_source_mapping.test_outcomes["testOutcomes"].scaling_config[0].maximum_concurrency == 5
    error_message = "Batches of 10, read by no more pollers than the handler may run at once (status_functions.reserved_concurrency)."
  }

  assert {
    condition = jsonencode([for statement in data.aws_iam_policy_document.event_handler["testOutcomes"].statement : [statement.sid, statement.actions]]) == jsonencode([
      ["ReceiveSimulatedOutcomesOfTestKeys", ["sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"]],
      ["DecryptSimulatedOutcomesThroughSqs", ["kms:Decrypt"]],
    ]) && alltrue([for name, document in data.aws_iam_policy_document.event_handler : length([for statement in document.statement : statement if strcontains(statement.sid, "SimulatedOutcomes")]) == 0 if name != "testOutcomes"])
    error_message = "testOutcomes may read and delete the queue's messages and decrypt them (with the status update of every status function); no other status function may."
  }

  assert {
    condition     = jsonencode(module.event_handlers["testOutcomes"].environment) == jsonencode(merge(module.event_handlers["smsEvents"].environment, { POWERTOOLS_SERVICE_NAME = "default-messenger-test-outcomes" }))
    error_message = "testOutcomes gets the status package's environment."
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
    error_message = "stalePending may read the limit counters' send times and senders and messages' status, and keep its mark."
  }

  assert {
    condition = jsonencode({ for c in data.aws_iam_policy_document.event_handler["stalePending"].statement[0].condition : c.variable => [c.test, c.values] }) == jsonencode({
      "dynamodb:Attributes"  = ["ForAllValues:StringEquals", ["PK", "SK", "firstSentAt", "lastSentAt", "clients"]]
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
        emailPerMinute           = { N = "0" }
      } }
      messageRetentionDays     = { N = "90" }
      testMessageRetentionDays = { N = "7" }
      clients = { M = {
        defaultLimits = { M = { emailPerDay = { N = "10000" }, smsPerDay = { N = "1000" } } }
        keyMaxDays    = { N = "365" }
      } }
      iamClients     = { M = {} }
      eventPublisher = { S = "arn:aws:sts::123456789012:assumed-role/default-messenger-message-events/" }
    }
    error_message = "The CONFIG/DELIVERY item the resolvers read: senders as configured, the table transactions name, the client settings, the one principal that may publish events."
  }

  # --- publishMessageEvent's one caller is the event publisher's role (authorizePublisher.js)
  assert {
    condition     = jsondecode(aws_dynamodb_table_item.delivery_config.item).eventPublisher.S == "arn:aws:sts::123456789012:assumed-role/${module.event_publisher["messageEvents"].role_name}/"
    error_message = "The config item names the role the event publisher runs as, as the prefix of its sessions' ARNs (ending in a slash, so no role whose name starts the same matches)."
  }

  assert {
    condition = jsondecode(aws_dynamodb_table_item.sms_config.item) == {
      PK                  = { S = "CONFIG" }
      SK                  = { S = "SMS" }
      smsAllowedCountries = { L = [{ S = "GB" }, { S = "US" }] }
      smsNumbering = { M = {
        "1"  = { S = jsonencode(jsondecode(file("../graphql/phone_numbering.json")).callingCodes["1"]) }
        "44" = { S = jsonencode(jsondecode(file("../graphql/phone_numbering.json")).callingCodes["44"]) }
      } }
    }
    error_message = "The CONFIG/SMS item only an SMS reads: the SMS countries once each, with the numbering of their calling codes."
  }

  # --- The default client exists once, with the environments default limits
  assert {
    condition = { for name, value in jsondecode(aws_dynamodb_table_item.default_client.item) : name => value if name != "createdAt" } == {
      PK       = { S = "CLIENTS" }
      SK       = { S = "CLIENT#default" }
      clientId = { S = "default" }
      name     = { S = "default (the AppSync API key)" }
      limits   = { M = { emailPerDay = { N = "10000" }, smsPerDay = { N = "1000" } } }
    }
    error_message = "The default client's record, as the local stack writes it (local/config.py: default_client_item), with the default limits."
  }

  assert {
    condition     = can(regex("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.000Z$", jsondecode(aws_dynamodb_table_item.default_client.item).createdAt.S))
    error_message = "The record says when it was created, as an AWSDateTime."
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

  # --- TEST keys' outcomes go to the stack's encrypted queue, named in the delivery function's policy
  assert {
    condition     = module.delivery_function.environment.TEST_OUTCOMES_QUEUE_URL == aws_sqs_queue.test_outcomes.url && output.test_outcomes_queue_url == aws_sqs_queue.test_outcomes.url
    error_message = "The delivery function sends TEST keys' outcomes to the stack's queue."
  }

  assert {
    condition     = aws_sqs_queue.test_outcomes.kms_master_key_id == module.kms_key.arn && aws_sqs_queue_policy.test_outcomes.queue_url == aws_sqs_queue.test_outcomes.id
    error_message = "The queue is encrypted with the stack's key, and its TLS-only policy is attached."
  }

  assert {
    condition     = jsonencode(data.aws_iam_policy_document.delivery.statement[3].resources) == jsonencode([aws_sqs_queue.test_outcomes.arn]) && jsonencode(data.aws_iam_policy_document.delivery.statement[4].resources) == jsonencode([module.kms_key.arn]) && one([for condition in data.aws_iam_policy_document.delivery.statement[4].condition : condition.values if condition.variable == "kms:EncryptionContext:aws:sqs:arn"]) == tolist([aws_sqs_queue.test_outcomes.arn])
    error_message = "The delivery function sends to that queue only, and uses the key for that queue only."
  }

  # --- The api checks client keys with the authorizer and admits the functions of the manifest
  assert {
    condition = jsonencode(module.api.authorization) == jsonencode({
      additional_modes   = ["AWS_IAM", "API_KEY"]
      authorizer_uri     = module.clients_functions["authorizer"].arn
      default_mode       = "AWS_LAMBDA"
      result_ttl_seconds = 60
    })
    error_message = "Client keys through the authorizer function (answers cached authorizer_cache_seconds), IAM, and the API key."
  }

  assert {
    condition     = alltrue([for name, document in data.aws_iam_policy_document.clients_function : contains(document.source_policy_documents, data.aws_iam_policy_document.table_key.json)])
    error_message = "Each function of handlers/clients uses the table's key through DynamoDB, for this table only."
  }

  assert {
    condition     = alltrue([for name, statement in data.aws_iam_policy_document.clients_function : alltrue([for s in statement.statement : jsonencode(s.resources) == jsonencode([module.messages_table.arn])])])
    error_message = "The functions of handlers/clients reach the stack's table only."
  }

  assert {
    condition     = aws_lambda_event_source_mapping.test_outcomes["testOutcomes"].event_source_arn == aws_sqs_queue.test_outcomes.arn && aws_lambda_event_source_mapping.test_outcomes["testOutcomes"].function_name == module.event_handlers["testOutcomes"].arn
    error_message = "Lambda hands the queue's messages to testOutcomes."
  }

  assert {
    condition = jsondecode(aws_sqs_queue_redrive_policy.test_outcomes["testOutcomes"].redrive_policy) == {
      deadLetterTargetArn = module.event_handlers["testOutcomes"].dead_letter_queue_arn
      maxReceiveCount     = 5
    } && aws_sqs_queue_redrive_policy.test_outcomes["testOutcomes"].queue_url == aws_sqs_queue.test_outcomes.id
    error_message = "A message testOutcomes failed on five times moves to its dead-letter queue (and its alarm)."
  }

  assert {
    condition     = jsonencode(data.aws_iam_policy_document.event_handler["testOutcomes"].statement[0].resources) == jsonencode([aws_sqs_queue.test_outcomes.arn]) && one([for condition in data.aws_iam_policy_document.event_handler["testOutcomes"].statement[1].condition : condition.values if condition.variable == "kms:EncryptionContext:aws:sqs:arn"]) == tolist([aws_sqs_queue.test_outcomes.arn])
    error_message = "testOutcomes reads that queue only, and decrypts for it only."
  }

  assert {
    condition     = output.ses_events_topic_arn == aws_sns_topic.ses_events.arn && jsonencode(keys(output.status_function_names)) == jsonencode(["emailEvents", "smsEvents", "stalePending", "testOutcomes"])
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

# The environment's settings, each where it is read: one plan, as none of them bears on another's assertions.
run "an_environments_settings_reach_the_config_the_functions_and_the_api" {
  command = plan

  variables {
    client_defaults             = { email_per_day = 250, sms_per_day = 0, key_max_days = 30 }
    test_message_retention_days = 2
    authorizer_cache_seconds    = 0
    iam_clients = {
      "arn:aws:iam::123456789012:role/service/billing-backend" = "default"
      "arn:aws:iam::123456789012:role/reports"                 = "01HZY3N6V2QK8W4J5T7R9XB0CD"
      "arn:aws-us-gov:iam::210987654321:user/batch/sender"     = "01HZY3N6V2QK8W4J5T7R9XB0CE"
    }
    resolver_count_limit  = 3
    introspection_enabled = true
    query_depth_limit     = 6
  }

  assert {
    condition = jsondecode(aws_dynamodb_table_item.delivery_config.item).clients == { M = {
      defaultLimits = { M = { emailPerDay = { N = "250" }, smsPerDay = { N = "0" } } }
      keyMaxDays    = { N = "30" }
    } } && jsondecode(aws_dynamodb_table_item.delivery_config.item).testMessageRetentionDays == { N = "2" }
    error_message = "The client defaults and the TEST retention reach CONFIG/DELIVERY."
  }

  # The record exists from the runs before: Terraform leaves it as it is (ignore_changes), so limits an operator
  # set later (updateClientLimits) stand; only a new environment's default client starts with these.
  assert {
    condition     = jsondecode(aws_dynamodb_table_item.default_client.item).limits == { M = { emailPerDay = { N = "10000" }, smsPerDay = { N = "1000" } } }
    error_message = "An existing default client keeps its limits when the environment's defaults change."
  }

  assert {
    condition     = alltrue([for function in module.clients_functions : function.environment.AUTHORIZER_CACHE_SECONDS == "0"])
    error_message = "The authorizer caps its answers' lifetime by the same cache time AppSync is given."
  }

  assert {
    condition = jsondecode(aws_dynamodb_table_item.delivery_config.item).iamClients == { M = {
      "arn:aws:sts::123456789012:assumed-role/billing-backend/" = { S = "default" }
      "arn:aws:sts::123456789012:assumed-role/reports/"         = { S = "01HZY3N6V2QK8W4J5T7R9XB0CD" }
      "arn:aws-us-gov:iam::210987654321:user/batch/sender"      = { S = "01HZY3N6V2QK8W4J5T7R9XB0CE" }
    } }
    error_message = "A role becomes the prefix of its sessions' ARNs (no path: STS leaves it out), a user stays as it is (local/config.py: iam_principal_prefixes)."
  }

  assert {
    condition     = module.api.resolver_count_limit == 3
    error_message = "The API takes its resolver count limit from the environment's setting."
  }

  assert {
    condition     = module.api.query_limits.introspection_enabled && module.api.query_limits.query_depth_limit == 6
    error_message = "introspection_enabled and query_depth_limit reach the API."
  }
}

run "without_the_api_key_no_key_is_output" {
  variables {
    api_key = { enabled = false }
  }

  assert {
    condition     = output.api_key == null && output.api_key_expires == null && jsonencode(module.api.authorization.additional_modes) == jsonencode(["AWS_IAM"])
    error_message = "Without the API key, its outputs are null and AppSync admits client keys and IAM only."
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

# Another environment's stage in this workspace stops at plan. With the longest stage the variable accepts, which
# makes the longest names: every module's own checks of what AWS accepts still hold (the workspace guard is the
# only failure expected; the firewall's outputs are given above, its own tests try a longer name).
run "another_stage_stops_at_plan_and_the_longest_stage_fits_every_name" {
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
    sms_allowed_countries = null
    sms_allowed_prefixes  = ["44"]
  }

  expect_failures = [var.sms_allowed_prefixes]
}

run "refuses_an_sms_country_that_is_no_alpha_2_code" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    sms_allowed_countries = ["us", "GBR"]
  }

  expect_failures = [var.sms_allowed_countries]
}

run "refuses_sms_countries_and_prefixes_together" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    sms_allowed_prefixes = ["+1"]
  }

  expect_failures = [var.sms_allowed_countries]
}

run "refuses_no_sms_countries" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    sms_allowed_countries = null
  }

  expect_failures = [var.sms_allowed_countries]
}

run "refuses_a_country_libphonenumber_does_not_know" {
  command = plan

  variables {
    sms_allowed_countries = ["US", "UK"] # the UK is GB
  }

  expect_failures = [aws_dynamodb_table_item.sms_config]
}

# For one release: the prefixes allow the countries of the calling codes they reach, and still narrow them.
run "the_deprecated_sms_prefixes_still_apply_with_a_warning" {
  command = plan

  variables {
    sms_allowed_countries = null
    sms_allowed_prefixes  = ["+1", "+4917"]
  }

  assert {
    condition     = alltrue([for country in ["US", "CA", "JM", "DO", "AG", "DE"] : contains([for entry in jsondecode(aws_dynamodb_table_item.sms_config.item).smsAllowedCountries.L : entry.S], country)]) && !contains([for entry in jsondecode(aws_dynamodb_table_item.sms_config.item).smsAllowedCountries.L : entry.S], "GB")
    error_message = "+1 reaches every North American country (as it always did), +4917 Germany, nothing else."
  }

  assert {
    condition     = keys(jsondecode(aws_dynamodb_table_item.sms_config.item).smsNumbering.M) == ["1", "49"] && jsondecode(aws_dynamodb_table_item.sms_config.item).smsAllowedPrefixes == { L = [{ S = "+1" }, { S = "+4917" }] }
    error_message = "The numbering of +1 and +49, and the prefixes themselves, which still narrow +49 to +4917."
  }

  expect_failures = [check.sms_allowed_prefixes_deprecated]
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

run "refuses_an_email_ceiling_below_zero" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    send_limits = { email_per_minute = -1 }
  }

  expect_failures = [var.send_limits]
}

run "refuses_to_lift_the_sms_ceiling" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    send_limits = { sms_per_minute = 0 }
  }

  expect_failures = [var.send_limits]
}

run "email_has_no_stack_wide_ceiling_by_default_and_sms_keeps_one" {
  command = plan

  module {
    source = "./tests/variables"
  }

  assert {
    condition     = var.send_limits.email_per_minute == 0 && var.send_limits.sms_per_minute == 100 && var.send_limits.email_per_recipient_per_hour == 50
    error_message = "Email has no stack-wide ceiling (0) by default; SMS keeps 100 a minute."
  }
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

run "refuses_an_iam_client_that_is_no_role_or_user_arn" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    iam_clients = { "arn:aws:sts::123456789012:assumed-role/billing-backend/session" = "default" }
  }

  expect_failures = [var.iam_clients]
}

run "refuses_an_iam_client_mapped_to_no_client_id" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    iam_clients = { "arn:aws:iam::123456789012:role/billing-backend" = "Billing Backend" }
  }

  expect_failures = [var.iam_clients]
}

run "refuses_two_iam_roles_whose_sessions_look_alike" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    iam_clients = {
      "arn:aws:iam::123456789012:role/a/backend" = "default"
      "arn:aws:iam::123456789012:role/b/backend" = "01HZY3N6V2QK8W4J5T7R9XB0CD"
    }
  }

  expect_failures = [var.iam_clients]
}

run "refuses_an_authorizer_cache_time_appsync_does_not_allow" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    authorizer_cache_seconds = 3601
  }

  expect_failures = [var.authorizer_cache_seconds]
}

run "refuses_a_negative_daily_limit" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    client_defaults = { sms_per_day = -1 }
  }

  expect_failures = [var.client_defaults]
}

run "refuses_a_key_lifetime_of_no_days" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    client_defaults = { key_max_days = 0 }
  }

  expect_failures = [var.client_defaults]
}

run "refuses_a_test_retention_of_no_days" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    test_message_retention_days = 0
  }

  expect_failures = [var.test_message_retention_days]
}

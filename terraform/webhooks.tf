# Webhooks (docs/api.md#webhooks): a client's endpoints for its status changes, and their signed deliveries.
#
#   AppSync (createWebhook, webhooks, deleteWebhook, rotateWebhookSecret, webhookAttempts, replayWebhookEvent)
#     -> identifyCaller -> webhookAction -> the endpoints function (graphql/manifest.json: webhookEndpointsFunction)
#   the event publisher (a delivery per event and matching endpoint), replayWebhookEvent
#     -> the delivery queue (KMS) -> the sender (its event source mapping) -> the endpoint, on the internet
#                                      \-> itself again, delayed (retries) -> the dead-letter queue (given up)
#
# The signing secrets are encrypted with the stack's key under an encryption context that names the endpoint
# (handlers/clients/webhook_common.py): the endpoints function may only encrypt them, the sender only decrypt
# them, and neither may use the key for anything else directly.

locals {
  webhooks                = local.manifest.webhooks
  webhook_endpoints       = local.manifest.dataSources.webhookEndpointsFunction
  webhook_secret_purpose  = "webhook-signing-secret"
  webhook_secret_context  = ["purpose", "clientId", "mode", "webhookId"]
  webhook_queue_name      = "${local.prefix}-webhook-deliveries"
  webhook_dead_queue_name = "${local.prefix}-webhook-deliveries-dlq"
  webhook_queue = {
    # Lambda's advice for a queue it reads: six times the function's timeout, so a batch is not handed out
    # again while it is still being sent.
    visibility_timeout_seconds = min(43200, 6 * local.webhooks.sender.timeoutSeconds)
    # A message waits on the queue at most SQS's longest delay (15 minutes) before it is due: retries are new
    # messages. Four days cover a sender that cannot run for a long weekend.
    message_retention_seconds = 345600
    # Receives of a message whose handling keeps failing (an AWS call, not the endpoint) before it is a dead letter.
    max_receive_count = 5
  }
  # The sender and the endpoints function are both built from handlers/clients; one environment serves both.
  webhooks_environment = {
    MESSAGES_TABLE                 = module.messages_table.name
    MESSAGES_TABLE_REGION          = var.region
    WEBHOOK_KMS_KEY_ID             = module.kms_key.arn
    WEBHOOK_QUEUE_URL              = aws_sqs_queue.webhook_deliveries.url
    WEBHOOK_DEAD_LETTER_QUEUE_URL  = aws_sqs_queue.webhook_dead_letters.url
    WEBHOOK_RETRY_SCHEDULE_SECONDS = join(",", [for wait in local.webhooks.retryScheduleSeconds : tostring(wait)])
    WEBHOOK_ATTEMPT_RETENTION_DAYS = tostring(var.webhooks.attempt_retention_days)
    WEBHOOK_ALLOWED_PORTS          = join(",", [for port in var.webhooks.allowed_ports : tostring(port)])
    WEBHOOK_LOOPBACK_ALLOWED       = "false" # the local stack's plain HTTP to 127.0.0.1, never in AWS
  }
  # For operations.tf: the dead-letter queue's alarm, and both functions on the dashboard.
  webhook_dead_letter_queues = {
    webhooks = {
      queue       = local.webhook_dead_queue_name
      region      = var.region
      description = "${local.webhook_dead_queue_name} holds webhook deliveries the sender gave up on: an endpoint that failed every attempt (or answered 410 Gone, or failed for five days), or a message it could not handle. Runbook: ${local.runbook}#webhook-dead-letters"
    }
  }
  webhook_functions = {
    webhookEndpoints = { name = module.webhook_endpoints_function.name, region = var.region }
    webhookSender    = { name = module.webhook_sender.name, region = var.region }
  }
}

# --- the delivery queue and its dead-letter queue ---------------------------------------------------------

resource "aws_sqs_queue" "webhook_deliveries" {
  name                       = local.webhook_queue_name
  kms_master_key_id          = module.kms_key.arn
  message_retention_seconds  = local.webhook_queue.message_retention_seconds
  visibility_timeout_seconds = local.webhook_queue.visibility_timeout_seconds
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.webhook_dead_letters.arn
    maxReceiveCount     = local.webhook_queue.max_receive_count
  })
}

resource "aws_sqs_queue" "webhook_dead_letters" {
  name                      = local.webhook_dead_queue_name
  kms_master_key_id         = module.kms_key.arn
  message_retention_seconds = 1209600 # 14 days, SQS's maximum: time to find out why, and to send them again
}

# Only the delivery queue may move its messages here.
resource "aws_sqs_queue_redrive_allow_policy" "webhook_dead_letters" {
  queue_url = aws_sqs_queue.webhook_dead_letters.id
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.webhook_deliveries.arn]
  })
}

data "aws_iam_policy_document" "webhook_queue" {
  for_each = {
    deliveries   = aws_sqs_queue.webhook_deliveries.arn
    dead_letters = aws_sqs_queue.webhook_dead_letters.arn
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sqs:*"] # a Deny: every action over plain HTTP is refused
    resources = [each.value]

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

resource "aws_sqs_queue_policy" "webhook_deliveries" {
  queue_url = aws_sqs_queue.webhook_deliveries.id
  policy    = data.aws_iam_policy_document.webhook_queue["deliveries"].json
}

resource "aws_sqs_queue_policy" "webhook_dead_letters" {
  queue_url = aws_sqs_queue.webhook_dead_letters.id
  policy    = data.aws_iam_policy_document.webhook_queue["dead_letters"].json
}

# --- the functions ------------------------------------------------------------------------------------------

# The webhook fields' data source: a caller's endpoints, their secrets (made and encrypted here), their attempts,
# and replays. Invoked by AppSync only (modules/graphql_api grants it).
module "webhook_endpoints_function" {
  source = "../modules/lambda_function"

  name                     = "${local.prefix}-webhook-endpoints"
  description              = "A client's webhook endpoints: created (a URL's every address checked), listed, deleted, their secrets rotated, their attempts listed, events replayed"
  source_dir               = "${path.module}/../${local.webhook_endpoints.source}"
  handler                  = local.webhook_endpoints.handler
  kms_key_arn              = module.kms_key.arn
  log_retention_days       = var.log_retention_days
  memory_mb                = 256
  timeout_seconds          = local.webhook_endpoints.timeoutSeconds # AppSync gives up on a request after 30 s
  reserved_concurrency     = 5                                      # an occasional call of a client's developer
  powertools_layer_version = var.delivery_function.powertools_layer_version
  attach_policy_json       = true
  policy_json              = data.aws_iam_policy_document.webhook_endpoints.json
  environment              = local.webhooks_environment
}

# The sender. It runs outside any VPC, as every function of the stack does (modules/lambda_function skips
# checkov's CKV_AWS_117 for them all): its whole job is to reach the clients' endpoints on the internet, which
# from a VPC would need a NAT gateway (about $33 a month per zone, and per GB) and buy no isolation. What it may
# reach is decided by the address checks of handlers/clients/webhook_common.py, before every attempt, and its
# role reaches only the webhook partitions, the two queues and the key under the secrets' context.
module "webhook_sender" {
  source = "../modules/lambda_function"

  name                     = "${local.prefix}-webhooks"
  description              = "Sends signed webhook deliveries (Standard Webhooks) from the delivery queue, retries them on schedule, records every attempt"
  source_dir               = "${path.module}/../${local.webhooks.sender.source}"
  handler                  = local.webhooks.sender.handler
  kms_key_arn              = module.kms_key.arn
  log_retention_days       = var.log_retention_days
  memory_mb                = 256
  timeout_seconds          = local.webhooks.sender.timeoutSeconds # a batch's attempts side by side, each within attemptTimeoutSeconds
  reserved_concurrency     = var.webhooks.sender_reserved_concurrency
  powertools_layer_version = var.delivery_function.powertools_layer_version
  attach_policy_json       = true
  policy_json              = data.aws_iam_policy_document.webhook_sender.json
  environment              = local.webhooks_environment
}

# Lambda polls the queue with the sender's own role; the sender reports the messages of a batch it could not
# handle (ReportBatchItemFailures), so only those come back.
resource "aws_lambda_event_source_mapping" "webhook_sender" {
  event_source_arn        = aws_sqs_queue.webhook_deliveries.arn
  function_name           = module.webhook_sender.arn
  batch_size              = 10 # the sender's WORKERS: a batch's attempts run side by side
  function_response_types = ["ReportBatchItemFailures"]

  # No more pollers than the sender may run at once (SQS's floor is 2), so batches are not throttled back.
  dynamic "scaling_config" {
    for_each = var.webhooks.sender_reserved_concurrency >= 2 ? [var.webhooks.sender_reserved_concurrency] : []

    content {
      maximum_concurrency = min(1000, scaling_config.value)
    }
  }

  # The role must be allowed to read the queue before Lambda accepts the mapping.
  depends_on = [module.webhook_sender]
}

# --- what each function may do ------------------------------------------------------------------------------

# The stack's key, directly, for the signing secrets only: the context must name exactly an endpoint's purpose,
# client, mode and id (handlers/clients/webhook_common.py: encryption_context). The endpoints function encrypts a
# new secret; the sender decrypts it.
locals {
  webhook_secret_key_uses = {
    encrypt = { sid = "EncryptSigningSecretsOfEndpoints", actions = ["kms:Encrypt"] }
    decrypt = { sid = "DecryptSigningSecretsOfEndpoints", actions = ["kms:Decrypt"] }
  }
}

data "aws_iam_policy_document" "webhook_secret_key" {
  for_each = local.webhook_secret_key_uses

  dynamic "statement" {
    for_each = [each.value]

    content {
      sid       = statement.value.sid
      actions   = statement.value.actions
      resources = [module.kms_key.arn]

      condition {
        test     = "StringEquals"
        variable = "kms:EncryptionContext:purpose"
        values   = [local.webhook_secret_purpose]
      }

      condition {
        test     = "ForAllValues:StringEquals"
        variable = "kms:EncryptionContextKeys"
        values   = local.webhook_secret_context
      }

      condition {
        test     = "Null"
        variable = "kms:EncryptionContext:webhookId"
        values   = ["false"]
      }
    }
  }
}

# The queues' messages are encrypted with the stack's key by SQS, which names the queue in the context.
data "aws_iam_policy_document" "webhook_queue_key" {
  for_each = {
    endpoints = [aws_sqs_queue.webhook_deliveries.arn]
    sender    = [aws_sqs_queue.webhook_deliveries.arn, aws_sqs_queue.webhook_dead_letters.arn]
  }

  statement {
    sid       = "UseTheKeyThroughSqsForTheWebhookQueues"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [module.kms_key.arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["sqs.${var.region}.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "kms:EncryptionContext:aws:sqs:arn"
      values   = each.value
    }
  }
}

locals {
  # The table, statement by statement: the actions on the partitions (dynamodb:LeadingKeys) each call's key
  # starts with, and, where a call names them, the attributes it may write (with the key attributes).
  webhook_table_statements = {
    endpoints = {
      # A caller's endpoints: counted, listed, created, read, their secrets rotated, deleted.
      ManageTheCallersEndpoints = {
        actions    = ["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"]
        partitions = ["${local.key_prefixes.webhook}*"]
        attributes = []
      }
      # The event a replay names, from the caller's feed.
      ReadEventsToReplay = { actions = ["dynamodb:GetItem"], partitions = ["${local.key_prefixes.event}*"], attributes = [] }
      # An endpoint's attempts, a page at a time, and those of an event before a replay.
      ListAttempts = { actions = ["dynamodb:Query"], partitions = ["${local.key_prefixes.webhookAttempt}*"], attributes = [] }
    }
    sender = {
      # The endpoint of a delivery: its URL, events and encrypted secrets.
      ReadEndpoints = { actions = ["dynamodb:GetItem"], partitions = ["${local.key_prefixes.webhook}*"], attributes = [] }
      # Since when it fails, and when it was disabled; nothing else of it.
      RecordEndpointFailures = { actions = ["dynamodb:UpdateItem"], partitions = ["${local.key_prefixes.webhook}*"], attributes = ["failingSince", "disabledAt"] }
      # Every attempt.
      RecordAttempts = { actions = ["dynamodb:PutItem"], partitions = ["${local.key_prefixes.webhookAttempt}*"], attributes = [] }
    }
  }
}

data "aws_iam_policy_document" "webhook_table" {
  for_each = local.webhook_table_statements

  source_policy_documents = [data.aws_iam_policy_document.table_key.json]

  dynamic "statement" {
    for_each = each.value

    content {
      sid       = statement.key
      actions   = statement.value.actions
      resources = [module.messages_table.arn]

      condition {
        test     = "ForAllValues:StringLike"
        variable = "dynamodb:LeadingKeys"
        values   = statement.value.partitions
      }

      dynamic "condition" {
        for_each = length(statement.value.attributes) > 0 ? [concat([local.messages_table.partitionKey, local.messages_table.sortKey], statement.value.attributes)] : []

        content {
          test     = "ForAllValues:StringEquals"
          variable = "dynamodb:Attributes"
          values   = condition.value
        }
      }

      # An update limited to attributes may return nothing beyond them.
      dynamic "condition" {
        for_each = length(statement.value.attributes) > 0 ? [1] : []

        content {
          test     = "StringEqualsIfExists"
          variable = "dynamodb:ReturnValues"
          values   = ["NONE"]
        }
      }
    }
  }
}

data "aws_iam_policy_document" "webhook_endpoints" {
  source_policy_documents = [
    data.aws_iam_policy_document.webhook_table["endpoints"].json,
    data.aws_iam_policy_document.webhook_secret_key["encrypt"].json,
    data.aws_iam_policy_document.webhook_queue_key["endpoints"].json,
  ]

  # A replay is one more message on the delivery queue.
  statement {
    sid       = "QueueReplays"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.webhook_deliveries.arn]
  }
}

data "aws_iam_policy_document" "webhook_sender" {
  source_policy_documents = [
    data.aws_iam_policy_document.webhook_table["sender"].json,
    data.aws_iam_policy_document.webhook_secret_key["decrypt"].json,
    data.aws_iam_policy_document.webhook_queue_key["sender"].json,
  ]

  # Its event source mapping reads the queue with this role.
  statement {
    sid       = "ReceiveDeliveries"
    actions   = ["sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"]
    resources = [aws_sqs_queue.webhook_deliveries.arn]
  }

  # A retry is the delivery queued again; what it gives up on goes to the dead-letter queue.
  statement {
    sid       = "RequeueRetriesAndGiveUp"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.webhook_deliveries.arn, aws_sqs_queue.webhook_dead_letters.arn]
  }
}

output "webhook_queue_url" {
  description = "The queue of webhook deliveries (KMS-encrypted): the event publisher queues one per event and matching endpoint, the sender sends them."
  value       = aws_sqs_queue.webhook_deliveries.url
}

output "webhook_dead_letter_queue_url" {
  description = "Webhook deliveries the sender gave up on (docs/operations.md#webhook-dead-letters)."
  value       = aws_sqs_queue.webhook_dead_letters.url
}

# Events (docs/api.md#events-and-push): every status change of a message, published from the table's stream.
#
#   the messages table -> its DynamoDB Stream (NEW_AND_OLD_IMAGES, encrypted with the table's key)
#     -> the event source mapping (the manifest's streamFilters: a message record's status change or erasure)
#     -> the publisher (graphql/manifest.json: the eventHandlers entry with the trigger tableStream)
#          -> the caller's feed, EVENT#<clientId>#<mode> (Query.messageEvents)
#          -> the webhook delivery queue (webhooks.tf), one delivery per endpoint that wants the status
#          -> publishMessageEvent on the API (IAM, SigV4), when the client and mode has a live subscriber; the
#             resolver accepts this role's sessions alone (event_publisher_principal, in the config item)
#   a change that still fails after its retries -> its place in the stream, on the dead-letter queue
#
# The publisher reports the changes of a batch it failed on (ReportBatchItemFailures), and the mapping retries
# from the first of them, so a message's events keep their order. A change that keeps failing holds back the
# later ones of its shard until maximum_retry_attempts or maximum_record_age_seconds (var.event_publisher) ends
# it: the mapping then sends where it was in the stream (shard and sequence numbers, never the item) to the
# dead-letter queue, and moves on. The stream keeps a change 24 hours, so it can be read and replayed from there
# (docs/operations.md#event-dead-letters).

locals {
  event_publishers = local.handlers_by_trigger.tableStream
  event_dead_letter_queue_names = {
    for name in local.event_publishers : name => "${local.prefix}-${local.event_handler_slugs[name]}-dlq"
  }
  # The one field the publisher calls, as IAM names it (appsync:GraphQL on <API ARN>/types/<type>/fields/<field>).
  publish_field = { type = "Mutation", name = "publishMessageEvent" }
  # The field's one caller, as the resolver matches it (graphql/functions/authorizePublisher.js reads it from the
  # CONFIG/DELIVERY item, main.tf): the prefix of the publisher role's sessions' ARNs. Any other principal allowed
  # appsync:GraphQL on the API (an operator, a backend in iam_clients) is refused, so none can push forged events
  # to another client's subscribers. Null without a publisher: then no caller may publish.
  event_publisher_principal = one([
    for name in local.event_publishers : "arn:${local.partition}:sts::${local.account_id}:assumed-role/${module.event_publisher[name].role_name}/"
  ])
  # Each publication waits at most this long for AppSync (handlers/clients/publisher.py: PUBLISH_TIMEOUT_SECONDS;
  # tests/terraform/test_events_contract.py pins the copy). The changes of a batch are handled one after another,
  # so the function's timeout leaves room for every one of them to wait that long.
  publish_timeout_seconds   = 3
  event_publisher_timeout_s = min(900, 30 + local.publish_timeout_seconds * var.event_publisher.batch_size)
  # The publisher's EMF metrics: the service dimension it puts on them (handlers/clients/publisher.py).
  event_metric_service = "events"

  # For operations.tf: the dead-letter queues' alarms, the functions on the dashboard, and the publisher's alarms.
  event_dead_letter_queues = {
    for name in local.event_publishers : name => {
      queue       = local.event_dead_letter_queue_names[name]
      region      = local.event_handler_regions[name]
      description = "${local.event_dead_letter_queue_names[name]} names changes of the table's stream that ${name} still failed on after its retries: their events are not in the feed, were not queued for webhooks and not pushed. Replay them within 24 hours of the change. Runbook: ${local.runbook}#event-dead-letters"
    }
  }
  event_functions = {
    for name, function in module.event_publisher : name => { name = function.name, region = function.region }
  }
  event_alarms = merge(
    {
      # IteratorAge: how old the last change of a batch was when the function got it.
      for name in local.event_publishers : "${local.event_handler_slugs[name]}-stream-age" => {
        region      = local.event_handler_regions[name]
        namespace   = "AWS/Lambda"
        metric_name = "IteratorAge"
        dimensions  = { FunctionName = module.event_publisher[name].name }
        statistic   = "Maximum"
        period      = 300
        threshold   = var.alarms.event_stream_age_seconds * 1000 # milliseconds
        description = "${name} handles changes of the table's stream more than ${var.alarms.event_stream_age_seconds} s after they were written: the stream is falling behind (a change retried, the function throttled or slow). Events reach webhooks and subscribers that late, and a reader paging messageEvents can miss one. Runbook: ${local.runbook}#event-stream-age"
      }
    },
    {
      for name in local.event_publishers : "${local.event_handler_slugs[name]}-errors" => {
        region      = local.event_handler_regions[name]
        namespace   = "AWS/Lambda"
        metric_name = "Errors"
        dimensions  = { FunctionName = module.event_publisher[name].name }
        statistic   = "Sum"
        period      = 300
        threshold   = 0
        description = "${name} failed a whole batch (an exception outside a change, or a timeout): the stream retries it, split in halves, and holds back the shard's later changes meanwhile. Runbook: ${local.runbook}#event-publisher-errors"
      }
    },
    {
      # Pushes to subscribers are not retried (the feed has every event); many at once means AppSync refuses them.
      for name in local.event_publishers : "${local.event_handler_slugs[name]}-publish-failures" => {
        region      = local.event_handler_regions[name]
        namespace   = local.metrics_namespace
        metric_name = "EventPublishFailures"
        dimensions  = { service = local.event_metric_service }
        statistic   = "Sum"
        period      = 300
        threshold   = var.alarms.event_publish_failures
        description = "${name} could not push more than ${var.alarms.event_publish_failures} events to subscribers (publishMessageEvent) in 5 minutes: subscribers missed them (they are in the feed, and webhooks got them). Runbook: ${local.runbook}#event-publish-failures"
      }
    },
  )
}

# --- The publisher -----------------------------------------------------------------------------------------

# Invoked by its event source mapping alone, synchronously: what it fails on goes back to the mapping, which
# retries and, at the end, sends it to the dead-letter queue below (no queue for asynchronous invocations).
module "event_publisher" {
  source   = "../modules/lambda_function"
  for_each = local.event_publishers

  name                     = "${local.prefix}-${local.event_handler_slugs[each.key]}"
  description              = local.event_handlers[each.key].description
  region                   = local.event_handler_regions[each.key]
  source_dir               = "${path.module}/../${local.event_handlers[each.key].source}"
  handler                  = local.event_handlers[each.key].handler
  kms_key_arn              = module.kms_key.arn
  log_retention_days       = var.log_retention_days
  memory_mb                = 256
  timeout_seconds          = local.event_publisher_timeout_s
  reserved_concurrency     = var.event_publisher.reserved_concurrency
  powertools_layer_version = var.delivery_function.powertools_layer_version
  attach_policy_json       = true
  policy_json              = data.aws_iam_policy_document.event_publisher[each.key].json
  # What handlers/clients/publisher.py reads at import, and nothing else.
  environment = {
    MESSAGES_TABLE               = module.messages_table.name
    MESSAGES_TABLE_REGION        = var.region
    GRAPHQL_API_URL              = module.api.graphql_url
    GRAPHQL_API_REGION           = var.region # the API's, where the function signs for appsync
    WEBHOOK_QUEUE_URL            = aws_sqs_queue.webhook_deliveries.url
    POWERTOOLS_METRICS_NAMESPACE = local.metrics_namespace
  }
}

# Lambda reads the stream with the publisher's own role. TRIM_HORIZON: a mapping made after its stream (the
# first apply makes both) starts at the stream's first change, so none written in between is lost; a mapping
# is only made anew with a new stream, whose first change is its own.
resource "aws_lambda_event_source_mapping" "event_publisher" {
  for_each = local.event_publishers

  region                             = local.event_handler_regions[each.key]
  event_source_arn                   = module.messages_table.stream_arn
  function_name                      = module.event_publisher[each.key].arn
  starting_position                  = "TRIM_HORIZON"
  batch_size                         = var.event_publisher.batch_size
  maximum_batching_window_in_seconds = 0 # a change goes on at once: subscribers and webhooks wait for nothing else
  parallelization_factor             = var.event_publisher.parallelization_factor
  function_response_types            = ["ReportBatchItemFailures"]
  bisect_batch_on_function_error     = true # a batch that fails whole (a timeout) is retried in halves
  maximum_retry_attempts             = var.event_publisher.maximum_retry_attempts
  maximum_record_age_in_seconds      = var.event_publisher.maximum_record_age_seconds

  # Only the changes the manifest's filters pass reach the function (and are billed): a message record's MODIFY
  # (a status change) and its REMOVE by a caller (an operator's erasure). Not its INSERT (PENDING, no event), nor
  # TTL's deletion at the end of retention, the one record with a userIdentity (type Service, principal
  # dynamodb.amazonaws.com: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/time-to-live-ttl-streams.html),
  # left out with `exists: false` on userIdentity.type (`exists` matches leaf values only:
  # https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html#filtering-syntax). At most five
  # patterns of at most 4096 characters each (status.tf checks the manifest).
  dynamic "filter_criteria" {
    for_each = length(local.event_handlers[each.key].stream_filters) > 0 ? [local.event_handlers[each.key].stream_filters] : []

    content {
      dynamic "filter" {
        for_each = filter_criteria.value

        content {
          pattern = jsonencode(filter.value)
        }
      }
    }
  }

  destination_config {
    on_failure {
      destination_arn = aws_sqs_queue.event_dead_letters[each.key].arn
    }
  }

  # The role must be allowed to read the stream, and to send to the queue, before Lambda accepts the mapping.
  depends_on = [module.event_publisher]
}

# --- Its dead-letter queue ----------------------------------------------------------------------------------

resource "aws_sqs_queue" "event_dead_letters" {
  for_each = local.event_publishers

  region                    = local.event_handler_regions[each.key]
  name                      = local.event_dead_letter_queue_names[each.key]
  kms_master_key_id         = module.kms_key.arn
  message_retention_seconds = 1209600 # 14 days, SQS's maximum; the changes they name are readable for 24 hours
}

data "aws_iam_policy_document" "event_dead_letters" {
  for_each = aws_sqs_queue.event_dead_letters

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sqs:*"] # a Deny: every action over plain HTTP is refused
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

resource "aws_sqs_queue_policy" "event_dead_letters" {
  for_each = aws_sqs_queue.event_dead_letters

  region    = each.value.region
  queue_url = each.value.id
  policy    = data.aws_iam_policy_document.event_dead_letters[each.key].json
}

# --- What the publisher may do ------------------------------------------------------------------------------
# The table's partitions it writes and reads (dynamodb:LeadingKeys), with the table's key through DynamoDB
# (table_key: the stream's changes are encrypted with it too); the stream; the one mutation; the two queues.

data "aws_iam_policy_document" "event_publisher" {
  for_each = local.event_publishers

  source_policy_documents = [data.aws_iam_policy_document.table_key.json]

  # What Lambda calls with this role to read the stream. Not dynamodb:ListStreams: it has no resource-level
  # permission (it would need "*"), and the mapping is given the stream's ARN.
  statement {
    sid       = "ReadTheTablesStream"
    actions   = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"]
    resources = [module.messages_table.stream_arn]
  }

  # An event, once (a conditional put: a retried change writes nothing).
  statement {
    sid       = "StoreEventsInTheirFeeds"
    actions   = ["dynamodb:PutItem"]
    resources = [module.messages_table.arn]

    condition {
      test     = "ForAllValues:StringLike"
      variable = "dynamodb:LeadingKeys"
      values   = ["${local.key_prefixes.event}*"]
    }
  }

  # An erased message's events, in batches (BatchWriteItem also admits puts: IAM cannot tell them apart; the
  # partition bounds it).
  statement {
    sid       = "DeleteTheEventsOfErasedMessages"
    actions   = ["dynamodb:BatchWriteItem"]
    resources = [module.messages_table.arn]

    condition {
      test     = "ForAllValues:StringLike"
      variable = "dynamodb:LeadingKeys"
      values   = ["${local.key_prefixes.event}*"]
    }
  }

  # Whether a client and mode has a live subscriber: a count of its markers, never their content.
  statement {
    sid       = "CountLiveSubscribers"
    actions   = ["dynamodb:Query"]
    resources = [module.messages_table.arn]

    condition {
      test     = "ForAllValues:StringLike"
      variable = "dynamodb:LeadingKeys"
      values   = ["${local.key_prefixes.subscribers}*"]
    }

    condition {
      test     = "StringEquals"
      variable = "dynamodb:Select"
      values   = ["COUNT"]
    }
  }

  # A client and mode's endpoints: their id, the statuses they want and whether they are disabled, never their
  # encrypted signing secrets (a projection is required, as in the DynamoDB guide's attribute-limiting policy).
  statement {
    sid       = "ReadEndpointsWithoutTheirSecrets"
    actions   = ["dynamodb:Query"]
    resources = [module.messages_table.arn]

    condition {
      test     = "ForAllValues:StringLike"
      variable = "dynamodb:LeadingKeys"
      values   = ["${local.key_prefixes.webhook}*"]
    }

    condition {
      test     = "ForAllValues:StringEquals"
      variable = "dynamodb:Attributes"
      values   = [local.messages_table.partitionKey, local.messages_table.sortKey, "id", "events", "disabledAt"]
    }

    condition {
      test     = "StringEqualsIfExists"
      variable = "dynamodb:Select"
      values   = ["SPECIFIC_ATTRIBUTES"]
    }
  }

  # The IAM-only mutation AppSync pushes to the subscriptions (the schema's @aws_iam), and no other field.
  statement {
    sid       = "PublishEventsToSubscribers"
    actions   = ["appsync:GraphQL"]
    resources = ["${module.api.arn}/types/${local.publish_field.type}/fields/${local.publish_field.name}"]
  }

  # A delivery per event and endpoint (SendMessageBatch is authorized as sqs:SendMessage).
  statement {
    sid       = "QueueWebhookDeliveries"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.webhook_deliveries.arn]
  }

  # The mapping sends where a change it gave up on was in the stream, with this role.
  statement {
    sid       = "SendWhatFailedToTheDeadLetterQueue"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.event_dead_letters[each.key].arn]
  }

  # Both queues' messages are encrypted with the stack's key by SQS, which names the queue in the context.
  statement {
    sid       = "UseTheKeyThroughSqsForItsQueues"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [module.kms_key.arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["sqs.${local.event_handler_regions[each.key]}.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "kms:EncryptionContext:aws:sqs:arn"
      values   = [aws_sqs_queue.webhook_deliveries.arn, aws_sqs_queue.event_dead_letters[each.key].arn]
    }
  }
}

output "event_publisher_function_names" {
  description = "The event publisher, which turns the table's stream into events (feed, webhooks, subscriptions), by manifest event handler."
  value       = { for name, function in module.event_publisher : name => function.name }
}

output "event_dead_letter_queue_urls" {
  description = "Where the event publisher's stream mapping puts the changes it gave up on (their place in the stream), by manifest event handler (docs/operations.md#event-dead-letters)."
  value       = { for name, queue in aws_sqs_queue.event_dead_letters : name => queue.url }
}

output "table_stream_arn" {
  description = "The messages table's DynamoDB Stream (NEW_AND_OLD_IMAGES): the changes the event publisher reads, kept 24 hours."
  value       = module.messages_table.stream_arn
}

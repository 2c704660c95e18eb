# What the delivery function may call: SES as the allowed senders only, SNS for SMS only, and, on the
# message's own item, the update that records the SNS message ID of an accepted SMS (message_item_update).

data "aws_iam_policy_document" "delivery" {
  source_policy_documents = [data.aws_iam_policy_document.message_item_update["delivery"].json]

  # SES authorizes SendEmail against the sending identity and the configuration set, and, while the account is
  # in the SES sandbox, against the recipient's identity too (every recipient is then a verified identity). So
  # any identity of this region and account, but only From an allowed sender and through the configuration set.
  statement {
    sid     = "SendEmailAsAllowedSendersThroughTheConfigurationSet"
    actions = ["ses:SendEmail"]
    resources = [
      "arn:${local.partition}:ses:${var.ses_region}:${local.account_id}:identity/*",
      module.ses_configuration_set.arn,
    ]

    condition {
      test     = "StringEquals"
      variable = "ses:FromAddress"
      values   = local.email_senders
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["true"]
    }
  }

  statement {
    sid       = "PublishSms"
    actions   = ["sns:Publish"]
    resources = ["*"] # an SMS to a phone number has no resource ARN; topics are denied below

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["true"]
    }
  }

  statement {
    sid       = "NeverPublishToTopics"
    effect    = "Deny"
    actions   = ["sns:Publish"]
    resources = ["arn:${local.partition}:sns:*:*:*"]
  }

  # A TEST key's simulated outcomes (SendMessageBatch is authorized as sqs:SendMessage), encrypted with the
  # stack's key through SQS, for this queue only (SQS names the queue in the encryption context).
  statement {
    sid       = "QueueSimulatedOutcomesOfTestKeys"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.test_outcomes.arn]
  }

  statement {
    sid       = "EncryptSimulatedOutcomesThroughSqs"
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
      values   = [aws_sqs_queue.test_outcomes.arn]
    }
  }
}

# The table's key, only through DynamoDB and only for this table (its name is in DynamoDB's encryption context):
# what every function that reads or writes the table needs of the key.
data "aws_iam_policy_document" "table_key" {
  statement {
    sid       = "UseTableKeyThroughDynamoDBForThisTable"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [module.kms_key.arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["dynamodb.${var.region}.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "kms:EncryptionContext:aws:dynamodb:tableName"
      values   = [module.messages_table.name]
    }
  }
}

# Update message items (never another partition), and of them only the attributes each function writes and
# its conditions read (dynamodb:Attributes, with the key attributes); no return values beyond the update's own.
locals {
  item_update_attributes = {
    # The SNS message ID of an accepted SMS (handlers/delivery: remember_provider_message_id).
    delivery = ["providerMessageId"]
    # A status change (handlers/status/recording.py: record_status).
    status = ["deliveryStatus", "statusReason", "updatedAt", "statusHistory"]
  }
}

data "aws_iam_policy_document" "message_item_update" {
  for_each = local.item_update_attributes

  source_policy_documents = [data.aws_iam_policy_document.table_key.json]

  statement {
    sid       = "UpdateOwnAttributesOfMessageItemsOnly"
    actions   = ["dynamodb:UpdateItem"]
    resources = [module.messages_table.arn]

    condition {
      test     = "ForAllValues:StringLike"
      variable = "dynamodb:LeadingKeys"
      values   = ["${local.key_prefixes.message}*"]
    }

    condition {
      test     = "ForAllValues:StringEquals"
      variable = "dynamodb:Attributes"
      values   = concat([local.messages_table.partitionKey, local.messages_table.sortKey], each.value)
    }

    condition {
      test     = "StringEqualsIfExists"
      variable = "dynamodb:ReturnValues"
      values   = ["NONE", "UPDATED_OLD", "UPDATED_NEW"]
    }
  }
}

# What each function of handlers/clients calls on the table, statement by statement: the actions, on the
# partitions (dynamodb:LeadingKeys) each call's key starts with, and, where a call names them, the attributes
# it reads or writes (dynamodb:Attributes, with the key attributes). TransactWriteItems has no IAM action of its
# own: each Put and Update in it is authorized as PutItem and UpdateItem against its own item's key.
locals {
  clients_function_statements = {
    authorizer = {
      # A key's pointer (APIKEY#<key id>: its client), then the key (CLIENT#<client> / KEY#<key id>).
      ReadKeysAndTheirPointers = { actions = ["dynamodb:GetItem"], partitions = ["${local.key_prefixes.apiKey}*", "${local.key_prefixes.client}*"], attributes = [] }
      # SET lastUsedAt, on an existing key only.
      RecordWhenAKeyWasLastUsed = { actions = ["dynamodb:UpdateItem"], partitions = ["${local.key_prefixes.client}*"], attributes = ["lastUsedAt"] }
    }
    operators = {
      # The client settings (CONFIG/DELIVERY), a client, a key's pointer, a key after its revocation.
      ReadSettingsClientsAndKeys = {
        actions    = ["dynamodb:GetItem"]
        partitions = [local.config_item.PK, local.messages_table.clientsItem.PK, "${local.key_prefixes.apiKey}*", "${local.key_prefixes.client}*"]
        attributes = []
      }
      # Pages of clients, a client's keys, the audit log.
      ListClientsKeysAndAuditEvents = {
        actions    = ["dynamodb:Query"]
        partitions = [local.messages_table.clientsItem.PK, "${local.key_prefixes.client}*", local.messages_table.auditItem.PK]
        attributes = []
      }
      # A new client, a new key and its pointer, and the audit record of every change (in one transaction).
      CreateClientsKeysAndAuditRecords = {
        actions    = ["dynamodb:PutItem"]
        partitions = [local.messages_table.clientsItem.PK, "${local.key_prefixes.client}*", "${local.key_prefixes.apiKey}*", local.messages_table.auditItem.PK]
        attributes = []
      }
      # A client's limits, a key's revocation.
      ChangeLimitsAndRevokeKeys = {
        actions    = ["dynamodb:UpdateItem"]
        partitions = [local.messages_table.clientsItem.PK, "${local.key_prefixes.client}*"]
        attributes = []
      }
    }
    erasure = {
      # A mailbox's messages, with only what finds their idempotency claims.
      ReadRecipientMessages = { actions = ["dynamodb:Query"], partitions = ["${local.key_prefixes.message}*"], attributes = ["senderId", "idempotencyKey"] }
      # Deleted in batches (BatchWriteItem also admits puts: IAM cannot tell them apart; the partition bounds it).
      DeleteRecipientMessages = { actions = ["dynamodb:BatchWriteItem"], partitions = ["${local.key_prefixes.message}*"], attributes = [] }
      # The claims that name them: a scoped client's under SCOPE#<client>#<mode>#IDEMPOTENCY#..., the default
      # client's LIVE ones under IDEMPOTENCY#.
      DeleteTheirIdempotencyClaims = { actions = ["dynamodb:DeleteItem"], partitions = ["${local.key_prefixes.idempotencyClaim}*", "${local.key_prefixes.scope}*"], attributes = [] }
      # The operator's action, in the audit log.
      AuditErasures = { actions = ["dynamodb:PutItem"], partitions = [local.messages_table.auditItem.PK], attributes = [] }
    }
  }
}

data "aws_iam_policy_document" "clients_function" {
  for_each = local.clients_function_statements

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

      # A write limited to attributes returns nothing beyond them; a read limited to them must name them (a
      # projection), as in the DynamoDB guide's attribute-limiting policy.
      dynamic "condition" {
        for_each = length(statement.value.attributes) > 0 && contains(statement.value.actions, "dynamodb:UpdateItem") ? [1] : []

        content {
          test     = "StringEqualsIfExists"
          variable = "dynamodb:ReturnValues"
          values   = ["NONE"]
        }
      }

      dynamic "condition" {
        for_each = length(statement.value.attributes) > 0 && !contains(statement.value.actions, "dynamodb:UpdateItem") ? [1] : []

        content {
          test     = "StringEqualsIfExists"
          variable = "dynamodb:Select"
          values   = ["SPECIFIC_ATTRIBUTES"]
        }
      }
    }
  }
}

# What each delivery-status function may call: update message items (message_item_update), and find a
# message by its SNS message ID through the index where it needs to. The testOutcomes handler reads the
# simulated outcomes of TEST keys from their queue (through its event source mapping, status.tf). The scheduled sweep reads the limit
# counters' send times and the status of the messages they point to, and keeps its mark (SWEEP/SWEEP).
data "aws_iam_policy_document" "event_handler" {
  for_each = local.status_handlers

  source_policy_documents = [data.aws_iam_policy_document.message_item_update["status"].json]

  dynamic "statement" {
    for_each = length(each.value.queries) > 0 ? [each.value.queries] : []

    content {
      sid       = "QueryOwnIndexesOnly"
      actions   = ["dynamodb:Query"]
      resources = [for index in statement.value : module.messages_table.index_arns[index]]
    }
  }

  # The sweep finds whose partitions hold messages of a stretch of time from the hourly limit counters (their
  # key, the times of the hour's first and last send, and which clients sent), then reads those messages' status.
  dynamic "statement" {
    for_each = each.value.trigger == "schedule" ? {
      ReadSendTimesOfLimitCountersOnly = { partitions = "${local.key_prefixes.limit}*", attributes = ["firstSentAt", "lastSentAt", "clients"] }
      ReadTheStatusOfMessagesOnly      = { partitions = "${local.key_prefixes.message}*", attributes = ["deliveryStatus"] }
    } : {}

    content {
      sid       = statement.key
      actions   = ["dynamodb:Query"]
      resources = [module.messages_table.arn]

      condition {
        test     = "ForAllValues:StringLike"
        variable = "dynamodb:LeadingKeys"
        values   = [statement.value.partitions]
      }

      condition {
        test     = "ForAllValues:StringEquals"
        variable = "dynamodb:Attributes"
        values   = concat([local.messages_table.partitionKey, local.messages_table.sortKey], statement.value.attributes)
      }

      # As in the DynamoDB guide's attribute-limiting policy: a projection is required where Select applies.
      condition {
        test     = "StringEqualsIfExists"
        variable = "dynamodb:Select"
        values   = ["SPECIFIC_ATTRIBUTES"]
      }
    }
  }

  dynamic "statement" {
    for_each = each.value.trigger == "testOutcomes" ? [1] : []

    content {
      sid       = "ReceiveSimulatedOutcomesOfTestKeys"
      actions   = ["sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"]
      resources = [aws_sqs_queue.test_outcomes.arn]
    }
  }

  dynamic "statement" {
    for_each = each.value.trigger == "testOutcomes" ? [1] : []

    content {
      sid       = "DecryptSimulatedOutcomesThroughSqs"
      actions   = ["kms:Decrypt"]
      resources = [module.kms_key.arn]

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["sqs.${var.region}.amazonaws.com"]
      }

      condition {
        test     = "StringEquals"
        variable = "kms:EncryptionContext:aws:sqs:arn"
        values   = [aws_sqs_queue.test_outcomes.arn]
      }
    }
  }

  dynamic "statement" {
    for_each = each.value.trigger == "schedule" ? [1] : []

    content {
      sid       = "KeepTheSweepMarkOnly"
      actions   = ["dynamodb:GetItem", "dynamodb:UpdateItem"]
      resources = [module.messages_table.arn]

      condition {
        test     = "ForAllValues:StringEquals"
        variable = "dynamodb:LeadingKeys"
        values   = [local.messages_table.sweepItem.PK]
      }

      condition {
        test     = "ForAllValues:StringEquals"
        variable = "dynamodb:Attributes"
        values   = [local.messages_table.partitionKey, local.messages_table.sortKey, "sweptUntil"]
      }

      condition {
        test     = "StringEqualsIfExists"
        variable = "dynamodb:ReturnValues"
        values   = ["NONE", "UPDATED_OLD", "UPDATED_NEW"]
      }
    }
  }
}

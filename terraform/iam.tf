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

# What the erasure function may do: read a recipient's messages and delete them, the idempotency claims that
# name them, and the recipient's limit counters (by key: their channel's partition holds everyone's). Nothing else.
data "aws_iam_policy_document" "erasure" {
  source_policy_documents = [data.aws_iam_policy_document.table_key.json]

  statement {
    sid       = "ReadRecipientMessages"
    actions   = ["dynamodb:Query"]
    resources = [module.messages_table.arn]

    condition {
      test     = "ForAllValues:StringLike"
      variable = "dynamodb:LeadingKeys"
      values   = ["${local.key_prefixes.message}*"]
    }
  }

  statement {
    sid       = "DeleteRecipientItems"
    actions   = ["dynamodb:BatchWriteItem", "dynamodb:DeleteItem"]
    resources = [module.messages_table.arn]

    condition {
      test     = "ForAllValues:StringLike"
      variable = "dynamodb:LeadingKeys"
      values   = ["${local.key_prefixes.message}*", "${local.key_prefixes.idempotencyClaim}*", "${local.key_prefixes.limit}*"]
    }
  }
}

# What each delivery-status function may call: update message items (message_item_update), and find a
# message by its SNS message ID through the index where it needs to. The scheduled sweep reads the limit
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
  # key and the times of the hour's first and last send), then reads those messages' status.
  dynamic "statement" {
    for_each = each.value.trigger == "schedule" ? {
      ReadSendTimesOfLimitCountersOnly = { partitions = "${local.key_prefixes.limit}*", attributes = ["firstSentAt", "lastSentAt"] }
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

# What the delivery function may call: SES as the allowed senders only, SNS for SMS only, and, on the
# message's own item, the update that records the SNS message ID of an accepted SMS (message_item_update).

data "aws_iam_policy_document" "delivery" {
  source_policy_documents = [data.aws_iam_policy_document.message_item_update.json]

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

# Update message items (never another partition) and use the table's key through DynamoDB only: what the
# delivery function (the SNS message ID of an accepted SMS) and every delivery-status function (the status)
# write to the table.
data "aws_iam_policy_document" "message_item_update" {
  statement {
    sid       = "UpdateMessageItemsOnly"
    actions   = ["dynamodb:UpdateItem"]
    resources = [module.messages_table.arn]

    condition {
      test     = "ForAllValues:StringLike"
      variable = "dynamodb:LeadingKeys"
      values   = ["${local.key_prefixes.message}*"]
    }
  }

  statement {
    sid       = "UseTableKeyThroughDynamoDB"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [module.kms_key.arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["dynamodb.${var.region}.amazonaws.com"]
    }
  }
}

# What each delivery-status function may call: update message items (message_item_update), and find a
# message by its SNS message ID or among the stale PENDING ones through the index where it needs to.
data "aws_iam_policy_document" "event_handler" {
  for_each = local.event_handlers

  source_policy_documents = [data.aws_iam_policy_document.message_item_update.json]

  dynamic "statement" {
    for_each = length(each.value.queries) > 0 ? [each.value.queries] : []

    content {
      sid       = "QueryOwnIndexesOnly"
      actions   = ["dynamodb:Query"]
      resources = [for index in statement.value : module.messages_table.index_arns[index]]
    }
  }
}

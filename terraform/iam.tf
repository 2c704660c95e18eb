# What the delivery function may call: SES as the allowed senders only, SNS for SMS only.

data "aws_iam_policy_document" "delivery" {
  statement {
    sid     = "SendEmailAsAllowedSendersThroughTheConfigurationSet"
    actions = ["ses:SendEmail"]
    resources = concat(
      [for identity in local.ses_identities : "arn:${local.partition}:ses:${var.ses_region}:${local.account_id}:identity/${identity}"],
      [module.ses_configuration_set.arn],
    )

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

# What each delivery-status function may call: update the status of message items (never another
# partition), find a message by its SNS message ID through the index where it needs to, and use the
# table's key through DynamoDB only.
data "aws_iam_policy_document" "event_handler" {
  for_each = local.event_handlers

  statement {
    sid       = "UpdateMessageStatusOnly"
    actions   = ["dynamodb:UpdateItem"]
    resources = [module.messages_table.arn]

    condition {
      test     = "ForAllValues:StringLike"
      variable = "dynamodb:LeadingKeys"
      values   = ["MESSAGE#*"]
    }
  }

  dynamic "statement" {
    for_each = length(try(local.event_handler_wiring[each.key].query_indexes, [])) > 0 ? [local.event_handler_wiring[each.key].query_indexes] : []

    content {
      sid       = "QueryOwnIndexesOnly"
      actions   = ["dynamodb:Query"]
      resources = [for index in statement.value : module.messages_table.index_arns[index]]
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

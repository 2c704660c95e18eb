data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_root = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"
  region       = coalesce(var.region, data.aws_region.current.region)

  # Enumerated rather than kms:*: the account keeps full control of the key, and no
  # policy in this stack grants a wildcard action.
  administration_actions = [
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:CreateGrant",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListAliases",
    "kms:ListGrants",
    "kms:ListKeyPolicies",
    "kms:ListKeyRotations",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:RetireGrant",
    "kms:RevokeGrant",
    "kms:RotateKeyOnDemand",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
  ]
  usage_actions = [
    "kms:Decrypt",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
  ]
}

data "aws_iam_policy_document" "this" {
  #checkov:skip=CKV_AWS_111:This is a key policy: its resource "*" is the key itself, and every statement names its principal (this account, or a service limited by log group or by SNS topic).
  #checkov:skip=CKV_AWS_356:This is a key policy: "*" as resource means this key only, the only form a key policy accepts.
  statement {
    sid       = "AccountAdministersAndDelegatesUseToIam"
    actions   = concat(local.administration_actions, local.usage_actions)
    resources = ["*"] # in a key policy, "*" is this key

    principals {
      type        = "AWS"
      identifiers = [local.account_root]
    }
  }

  dynamic "statement" {
    for_each = length(var.log_group_arn_patterns) > 0 ? [1] : []

    # No kms:DescribeKey: it carries no encryption context, so this condition could never admit it.
    content {
      sid       = "CloudWatchLogsEncryptOwnLogGroups"
      actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom", "kms:ReEncryptTo"]
      resources = ["*"]

      principals {
        type        = "Service"
        identifiers = ["logs.${local.region}.amazonaws.com"]
      }

      condition {
        test     = "ArnLike"
        variable = "kms:EncryptionContext:aws:logs:arn"
        values   = var.log_group_arn_patterns
      }
    }
  }

  # An AWS service publishing to an SNS topic encrypted with this key needs the key itself (the SNS
  # developer guide, "Enable compatibility between event sources from AWS services and encrypted topics",
  # the SES guide's key policy for encrypted topics, and AWS's "configure a CloudWatch alarm with an encrypted
  # SNS topic": kms:GenerateDataKey and kms:Decrypt). SNS always names the topic in the encryption context,
  # so the service may use the key for those topics only.
  dynamic "statement" {
    for_each = { for publisher in var.topic_publishers : publisher.service => publisher }

    content {
      sid       = "TopicPublish${replace(title(replace(split(".", statement.key)[0], "-", " ")), " ", "")}"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = ["*"]

      principals {
        type        = "Service"
        identifiers = [statement.key]
      }

      condition {
        test     = "StringEquals"
        variable = "kms:EncryptionContext:aws:sns:topicArn"
        values   = statement.value.topic_arns
      }

      # On behalf of this account only (the confused-deputy guard).
      condition {
        test     = "StringEquals"
        variable = "aws:SourceAccount"
        values   = [data.aws_caller_identity.current.account_id]
      }
    }
  }
}

resource "aws_kms_key" "this" {
  region                  = var.region
  description             = var.description
  enable_key_rotation     = true
  deletion_window_in_days = var.deletion_window_in_days
  policy                  = data.aws_iam_policy_document.this.json
}

resource "aws_kms_alias" "this" {
  region        = var.region
  name          = "alias/${var.alias}"
  target_key_id = aws_kms_key.this.key_id
}

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

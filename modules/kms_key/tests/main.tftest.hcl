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
}

variables {
  alias                  = "test-messenger"
  description            = "test key"
  log_group_arn_patterns = ["arn:aws:logs:eu-central-1:123456789012:log-group:/aws/lambda/test-messenger-*"]
  topic_publishers       = [{ service = "ses.amazonaws.com", topic_arns = ["arn:aws:sns:eu-central-1:123456789012:test-messenger-email-events"] }]
}

run "plan" {
  command = plan

  # --- Rotates and has its own policy
  assert {
    condition     = aws_kms_key.this.enable_key_rotation && aws_kms_key.this.deletion_window_in_days == 30
    error_message = "The key rotates and waits 30 days before deletion by default."
  }

  assert {
    condition     = aws_kms_key.this.policy == data.aws_iam_policy_document.this.json
    error_message = "The key has an explicit policy."
  }

  assert {
    condition     = aws_kms_alias.this.name == "alias/test-messenger"
    error_message = "The alias is alias/<alias>."
  }

  # --- The policy lets in only what uses the key
  assert {
    condition     = [for statement in data.aws_iam_policy_document.this.statement : statement.sid] == ["AccountAdministersAndDelegatesUseToIam", "CloudWatchLogsEncryptOwnLogGroups", "TopicPublishSes"]
    error_message = "The account, CloudWatch Logs for the stack's log groups and SES for its topic: nothing else."
  }

  assert {
    condition     = alltrue([for statement in data.aws_iam_policy_document.this.statement : alltrue([for action in statement.actions : !strcontains(action, "*")])])
    error_message = "No statement grants a wildcard action."
  }

  assert {
    condition = jsonencode([for statement in data.aws_iam_policy_document.this.statement : statement.condition if statement.sid == "CloudWatchLogsEncryptOwnLogGroups"]) == jsonencode([[
      { test = "ArnLike", variable = "kms:EncryptionContext:aws:logs:arn", values = var.log_group_arn_patterns }
    ]])
    error_message = "CloudWatch Logs may use the key only for the log groups given."
  }

  assert {
    condition     = jsonencode([for statement in data.aws_iam_policy_document.this.statement : statement.actions if statement.sid == "CloudWatchLogsEncryptOwnLogGroups"]) == jsonencode([["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom", "kms:ReEncryptTo"]])
    error_message = "CloudWatch Logs may encrypt and decrypt its entries (what carries the log group in the encryption context), nothing else."
  }

  assert {
    condition     = jsonencode([for statement in data.aws_iam_policy_document.this.statement : statement.principals if statement.sid == "CloudWatchLogsEncryptOwnLogGroups"]) == jsonencode([[{ type = "Service", identifiers = ["logs.eu-central-1.amazonaws.com"] }]])
    error_message = "Only the key's own region's CloudWatch Logs."
  }

  assert {
    condition = jsonencode([for statement in data.aws_iam_policy_document.this.statement : statement.condition if statement.sid == "TopicPublishSes"]) == jsonencode([[
      { test = "StringEquals", values = ["123456789012"], variable = "aws:SourceAccount" },
      { test = "StringEquals", values = ["arn:aws:sns:eu-central-1:123456789012:test-messenger-email-events"], variable = "kms:EncryptionContext:aws:sns:topicArn" },
    ]])
    error_message = "SES may use the key only for the topics given, on behalf of this account."
  }

  # --- What it sends fits the kms api
  assert {
    condition     = can(regex(jsondecode(file("../../tests/terraform/aws_constraints.json")).constraints["kms.AliasName"].pattern, aws_kms_alias.this.name))
    error_message = "The alias must be one KMS accepts."
  }
}

# SES for its events topic and CloudWatch for the alarm topic, in one region: one statement each, each for its
# own topics.
run "each_publisher_for_its_own_topics" {
  command = plan

  variables {
    topic_publishers = [
      { service = "ses.amazonaws.com", topic_arns = ["arn:aws:sns:eu-central-1:123456789012:test-messenger-email-events"] },
      { service = "cloudwatch.amazonaws.com", topic_arns = ["arn:aws:sns:eu-central-1:123456789012:test-messenger-alarms"] },
    ]
  }

  assert {
    condition     = [for statement in data.aws_iam_policy_document.this.statement : statement.sid] == ["AccountAdministersAndDelegatesUseToIam", "CloudWatchLogsEncryptOwnLogGroups", "TopicPublishCloudwatch", "TopicPublishSes"]
    error_message = "One statement per publishing service."
  }

  assert {
    condition = jsonencode([for statement in data.aws_iam_policy_document.this.statement : [statement.principals, statement.actions, statement.condition] if statement.sid == "TopicPublishCloudwatch"]) == jsonencode([[
      [{ identifiers = ["cloudwatch.amazonaws.com"], type = "Service" }],
      ["kms:Decrypt", "kms:GenerateDataKey"],
      [
        { test = "StringEquals", values = ["123456789012"], variable = "aws:SourceAccount" },
        { test = "StringEquals", values = ["arn:aws:sns:eu-central-1:123456789012:test-messenger-alarms"], variable = "kms:EncryptionContext:aws:sns:topicArn" },
      ],
    ]])
    error_message = "CloudWatch may use the key only for the alarm topic, on behalf of this account."
  }
}

run "grants_nothing_it_is_not_asked_to" {
  command = plan

  variables {
    log_group_arn_patterns = []
    topic_publishers       = []
  }

  assert {
    condition     = [for statement in data.aws_iam_policy_document.this.statement : statement.sid] == ["AccountAdministersAndDelegatesUseToIam"]
    error_message = "Without log groups or topics, only the account."
  }
}

run "refuses_an_aws_alias" {
  command = plan

  variables {
    alias = "aws/dynamodb"
  }

  expect_failures = [var.alias]
}

run "refuses_a_deletion_window_kms_does_not_offer" {
  command = plan

  variables {
    deletion_window_in_days = 3
  }

  expect_failures = [var.deletion_window_in_days]
}

run "refuses_a_publisher_that_is_not_a_service_with_topics" {
  command = plan

  variables {
    topic_publishers = [{ service = "ses.amazonaws.com", topic_arns = [] }]
  }

  expect_failures = [var.topic_publishers]
}


# AppSync's service roles: each trusts AppSync only in this account, and (where the API
# exists already) only for this API.

data "aws_iam_policy_document" "logging_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["appsync.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    # The API needs this role when it is created, so its own ARN cannot be named here (the role and the API
    # would depend on each other): any API of this account and region.
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${data.aws_partition.current.partition}:appsync:${data.aws_region.current.region}:${local.account_id}:apis/*"]
    }
  }
}

resource "aws_iam_role" "logging" {
  name               = "${var.name}-logging"
  description        = "Lets AppSync write the ${var.name} API's logs"
  assume_role_policy = data.aws_iam_policy_document.logging_assume.json
}

# What AWS's managed AWSAppSyncPushToCloudWatchLogs grants, on this API's log group only. Terraform creates the
# group (encrypted, with retention) right after the API and before any request; CreateLogGroup lets AppSync
# recreate it if it is ever deleted, rather than drop the logs.
data "aws_iam_policy_document" "logging" {
  statement {
    sid       = "CreateOwnLogGroup"
    actions   = ["logs:CreateLogGroup"]
    resources = [aws_cloudwatch_log_group.this.arn]
  }

  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this.arn}:*"]
  }
}

resource "aws_iam_role_policy" "logging" {
  name   = "write-api-logs"
  role   = aws_iam_role.logging.id
  policy = data.aws_iam_policy_document.logging.json
}

data "aws_iam_policy_document" "data_source_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["appsync.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_appsync_graphql_api.this.arn]
    }
  }
}

resource "aws_iam_role" "data_source" {
  for_each = local.role_data_sources

  name               = substr("${var.name}-${each.key}", 0, 64)
  description        = "AppSync data source ${each.key} of the ${var.name} API"
  assume_role_policy = data.aws_iam_policy_document.data_source_assume.json
}

data "aws_iam_policy_document" "data_source" {
  for_each = local.role_data_sources

  # DynamoDB: exactly the actions the manifest lists for the data source's resolvers.
  dynamic "statement" {
    for_each = length(each.value.read_actions) > 0 ? each.value.tables : []

    content {
      sid       = "Read"
      actions   = each.value.read_actions
      resources = concat([statement.value.arn], values(statement.value.index_arns))
    }
  }

  # TransactWriteItems has no IAM action of its own: each Put, Update and Delete inside it is authorized
  # as dynamodb:PutItem, UpdateItem and DeleteItem (a ConditionCheck as dynamodb:ConditionCheckItem),
  # against the item's own key, so dynamodb:LeadingKeys holds for every item of a transaction (DynamoDB
  # developer guide, "Using IAM with DynamoDB transactions").
  dynamic "statement" {
    for_each = length(each.value.write_actions) > 0 ? each.value.tables : []

    content {
      sid       = "WriteOwnPartitionsOnly"
      actions   = each.value.write_actions
      resources = [statement.value.arn]

      condition {
        test     = "ForAllValues:StringLike"
        variable = "dynamodb:LeadingKeys"
        values   = each.value.writable_partitions
      }
    }
  }

  dynamic "statement" {
    for_each = each.value.tables

    content {
      sid       = "UseTableKeyThroughDynamoDB"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = [statement.value.kms_key_arn]

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["dynamodb.${data.aws_region.current.region}.amazonaws.com"]
      }

      # Bound to the table: DynamoDB names it in the key's encryption context.
      condition {
        test     = "StringEquals"
        variable = "kms:EncryptionContext:aws:dynamodb:tableName"
        values   = [statement.value.name]
      }
    }
  }

  dynamic "statement" {
    for_each = each.value.functions

    content {
      sid       = "InvokeFunction"
      actions   = ["lambda:InvokeFunction"]
      resources = [statement.value]
    }
  }
}

resource "aws_iam_role_policy" "data_source" {
  for_each = local.role_data_sources

  name   = "data-source"
  role   = aws_iam_role.data_source[each.key].id
  policy = data.aws_iam_policy_document.data_source[each.key].json
}

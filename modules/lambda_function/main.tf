data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  region     = data.aws_region.current.region
  account_id = data.aws_caller_identity.current.account_id
  log_group  = "/aws/lambda/${var.name}"
  powertools_layer = var.powertools_layer_version == null ? [] : [
    "arn:${data.aws_partition.current.partition}:lambda:${local.region}:017000801446:layer:AWSLambdaPowertoolsPythonV3-${replace(var.runtime, ".", "")}-${var.architecture}:${var.powertools_layer_version}"
  ]
}

data "archive_file" "this" {
  type        = "zip"
  source_dir  = var.source_dir
  output_path = "${coalesce(var.build_dir, "${path.root}/.build")}/${var.name}.zip"
  excludes    = ["__pycache__", "**/__pycache__/**", "**/*.pyc"]
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "this" {
  name               = var.name
  description        = "Runs the ${var.name} Lambda function"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

data "aws_iam_policy_document" "runtime" {
  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this.arn}:*"]
  }

  statement {
    sid       = "DecryptOwnEnvironment"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:EncryptionContext:LambdaFunctionName"
      values   = [var.name]
    }
  }

  statement {
    sid       = "SendTraces"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"] # X-Ray has no resource-level permissions
  }
}

resource "aws_iam_role_policy" "runtime" {
  name   = "runtime"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.runtime.json
}

resource "aws_iam_role_policy" "this" {
  count = var.policy_json == null ? 0 : 1

  name   = "function"
  role   = aws_iam_role.this.id
  policy = var.policy_json
}

resource "aws_cloudwatch_log_group" "this" {
  name              = local.log_group
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_117:The function calls only public AWS endpoints (SES, SNS, DynamoDB); a VPC would add NAT cost and no isolation.
  #checkov:skip=CKV_AWS_116:Invoked synchronously (by AppSync) or by log subscriptions that retry; a failure is returned to the caller and recorded, so a DLQ would never receive anything.
  #checkov:skip=CKV_AWS_272:Code signing needs a signer profile and signed artifacts from a release pipeline; deployments here package the reviewed repository directly.
  function_name                  = var.name
  description                    = var.description
  role                           = aws_iam_role.this.arn
  runtime                        = var.runtime
  architectures                  = [var.architecture]
  handler                        = var.handler
  filename                       = data.archive_file.this.output_path
  source_code_hash               = data.archive_file.this.output_base64sha256
  layers                         = local.powertools_layer
  memory_size                    = var.memory_mb
  timeout                        = var.timeout_seconds
  reserved_concurrent_executions = var.reserved_concurrency
  kms_key_arn                    = var.kms_key_arn

  environment {
    variables = merge({ POWERTOOLS_SERVICE_NAME = var.name }, var.environment)
  }

  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.this.name
  }

  tracing_config {
    mode = "Active"
  }

  depends_on = [aws_iam_role_policy.runtime]
}

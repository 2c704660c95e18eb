data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  region     = coalesce(var.region, data.aws_region.current.region)
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

# Asynchronous invocations (SNS, CloudWatch Logs) that still fail after Lambda's retries land here
# instead of being dropped; the queue is encrypted with the function's key.
resource "aws_sqs_queue" "dead_letter" {
  count = var.dead_letter_queue_enabled ? 1 : 0

  region                    = var.region
  name                      = "${var.name}-dlq"
  kms_master_key_id         = var.kms_key_arn
  message_retention_seconds = 1209600 # 14 days, SQS's maximum
}

data "aws_iam_policy_document" "dead_letter_queue" {
  count = var.dead_letter_queue_enabled ? 1 : 0

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sqs:*"] # a Deny: every action over plain HTTP is refused
    resources = [aws_sqs_queue.dead_letter[0].arn]

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

resource "aws_sqs_queue_policy" "dead_letter" {
  count = var.dead_letter_queue_enabled ? 1 : 0

  region    = var.region
  queue_url = aws_sqs_queue.dead_letter[0].id
  policy    = data.aws_iam_policy_document.dead_letter_queue[0].json
}

data "aws_iam_policy_document" "dead_letter" {
  count = var.dead_letter_queue_enabled ? 1 : 0

  statement {
    sid       = "SendFailedEventsToOwnDeadLetterQueue"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.dead_letter[0].arn]
  }

  statement {
    sid       = "EncryptDeadLettersThroughSqs"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["sqs.${local.region}.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "dead_letter" {
  count = var.dead_letter_queue_enabled ? 1 : 0

  name   = "dead-letter-queue"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.dead_letter[0].json
}

resource "aws_iam_role_policy" "runtime" {
  name   = "runtime"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.runtime.json
}

# Counted by a flag, not by the document: a document naming resources of the same apply is only known
# then, and a count must be known at plan.
resource "aws_iam_role_policy" "this" {
  count = var.attach_policy_json ? 1 : 0

  name   = "function"
  role   = aws_iam_role.this.id
  policy = var.policy_json

  lifecycle {
    precondition {
      condition     = var.policy_json != null
      error_message = "attach_policy_json is true but policy_json is null."
    }
  }
}

resource "aws_cloudwatch_log_group" "this" {
  region            = var.region
  name              = local.log_group
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_117:The functions call public endpoints only: AWS services (SES, SNS, DynamoDB, SQS, KMS) and, for the webhook sender, clients' endpoints on the internet, whose every address it checks before each attempt (terraform/webhooks.tf). In a VPC they would need a NAT gateway, its cost, and gain no isolation.
  #checkov:skip=CKV_AWS_116:A dead-letter queue only receives failed asynchronous invocations: functions invoked asynchronously (SNS, CloudWatch Logs) get one through dead_letter_queue_enabled, while a synchronously invoked one (the delivery function, called by AppSync) returns its failure to the caller, which records it.
  #checkov:skip=CKV_AWS_272:Code signing needs a signer profile and signed artifacts from a release pipeline; deployments here package the reviewed repository directly.
  region                         = var.region
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
    log_format       = "JSON" # log-level filtering needs JSON
    system_log_level = var.system_log_level
    log_group        = aws_cloudwatch_log_group.this.name
  }

  tracing_config {
    mode = var.tracing_mode
  }

  dynamic "dead_letter_config" {
    for_each = aws_sqs_queue.dead_letter

    content {
      target_arn = dead_letter_config.value.arn
    }
  }

  depends_on = [aws_iam_role_policy.runtime, aws_iam_role_policy.dead_letter]
}

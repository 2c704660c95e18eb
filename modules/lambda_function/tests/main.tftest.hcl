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

mock_provider "archive" {}

variables {
  name               = "test-messenger-delivery"
  description        = "Delivers test messages"
  source_dir         = "tests/handler"
  handler            = "app.handler"
  kms_key_arn        = "arn:aws:kms:eu-central-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  attach_policy_json = true
  policy_json        = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"sns:Publish\",\"Resource\":\"*\"}]}"
  environment        = { SES_REGION = "eu-west-1" }
}

run "plan" {
  command = plan

  # --- Runs on arm64, traced when its caller samples, with encrypted environment and logs
  assert {
    condition     = aws_lambda_function.this.runtime == "python3.13" && aws_lambda_function.this.handler == "app.handler" && jsonencode(aws_lambda_function.this.architectures) == jsonencode(["arm64"])
    error_message = "The function runs the handler on Python 3.13, on arm64."
  }

  assert {
    condition     = aws_lambda_function.this.tracing_config[0].mode == "PassThrough" && output.tracing_mode == "PassThrough"
    error_message = "X-Ray follows the caller's sampling decision: no trace of its own for an unsampled request."
  }

  assert {
    condition     = aws_lambda_function.this.kms_key_arn == var.kms_key_arn && aws_cloudwatch_log_group.this.kms_key_id == var.kms_key_arn
    error_message = "The environment and the log group are encrypted with the key given."
  }

  assert {
    condition     = aws_cloudwatch_log_group.this.name == "/aws/lambda/test-messenger-delivery" && aws_cloudwatch_log_group.this.retention_in_days == 365
    error_message = "The function's own log group, kept a bounded time."
  }

  assert {
    condition     = aws_lambda_function.this.logging_config[0].log_format == "JSON" && aws_lambda_function.this.logging_config[0].log_group == aws_cloudwatch_log_group.this.name
    error_message = "Structured logs go to the function's own group."
  }

  assert {
    condition     = aws_lambda_function.this.logging_config[0].system_log_level == "WARN" && output.system_log_level == "WARN" && aws_lambda_function.this.logging_config[0].application_log_level == null
    error_message = "Lambda's own lines from WARN up (no START and REPORT per invocation); the handler's own lines unfiltered."
  }

  assert {
    condition     = jsonencode(aws_lambda_function.this.environment[0].variables) == jsonencode({ POWERTOOLS_SERVICE_NAME = "test-messenger-delivery", SES_REGION = "eu-west-1" })
    error_message = "The environment is what it is given, with the Powertools service name."
  }

  assert {
    condition     = aws_lambda_function.this.reserved_concurrent_executions == 10 && aws_lambda_function.this.timeout == 10 && aws_lambda_function.this.memory_size == 256
    error_message = "Default concurrency, timeout and memory."
  }

  assert {
    condition     = jsonencode(aws_lambda_function.this.layers) == jsonencode(["arn:aws:lambda:eu-central-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-arm64:27"]) && output.architecture == "arm64"
    error_message = "Powertools comes from AWS's published layer for the runtime and architecture."
  }

  assert {
    condition     = length(aws_sqs_queue.dead_letter) == 0 && length(aws_lambda_function.this.dead_letter_config) == 0 && output.dead_letter_queue_name == null
    error_message = "No dead-letter queue unless asked."
  }

  # --- The role trusts lambda of this account and grants only its own logs
  assert {
    condition = jsonencode(data.aws_iam_policy_document.assume.statement[0]) == jsonencode({
      actions        = ["sts:AssumeRole"]
      condition      = [{ test = "StringEquals", values = ["123456789012"], variable = "aws:SourceAccount" }]
      effect         = null
      not_actions    = null
      not_principals = []
      not_resources  = null
      principals     = [{ identifiers = ["lambda.amazonaws.com"], type = "Service" }]
      resources      = null
      sid            = null
    })
    error_message = "Only Lambda, on behalf of this account, may assume the role."
  }

  assert {
    condition     = [for statement in data.aws_iam_policy_document.runtime.statement : statement.sid] == ["WriteOwnLogs", "DecryptOwnEnvironment", "SendTraces"]
    error_message = "The runtime policy: its own logs, its own environment, traces."
  }

  assert {
    condition     = jsonencode(data.aws_iam_policy_document.runtime.statement[1].condition) == jsonencode([{ test = "StringEquals", values = ["test-messenger-delivery"], variable = "kms:EncryptionContext:LambdaFunctionName" }])
    error_message = "The key decrypts only this function's environment."
  }

  assert {
    condition     = aws_iam_role_policy.this[0].policy == var.policy_json
    error_message = "The function's own policy is attached as given."
  }
}

run "a_dead_letter_queue_is_encrypted_and_the_only_one_it_may_send_to" {
  command = plan

  variables {
    dead_letter_queue_enabled = true
  }

  assert {
    condition     = aws_sqs_queue.dead_letter[0].name == "test-messenger-delivery-dlq" && output.dead_letter_queue_name == "test-messenger-delivery-dlq" && aws_sqs_queue.dead_letter[0].kms_master_key_id == var.kms_key_arn && aws_sqs_queue.dead_letter[0].message_retention_seconds == 1209600
    error_message = "The queue is the function's, encrypted with its key, keeping messages 14 days."
  }

  assert {
    condition     = [for statement in data.aws_iam_policy_document.dead_letter[0].statement : statement.sid] == ["SendFailedEventsToOwnDeadLetterQueue", "EncryptDeadLettersThroughSqs"]
    error_message = "The role may send to its queue and use the key through SQS."
  }

  assert {
    condition     = jsonencode(data.aws_iam_policy_document.dead_letter[0].statement[1].condition) == jsonencode([{ test = "StringEquals", values = ["sqs.eu-central-1.amazonaws.com"], variable = "kms:ViaService" }])
    error_message = "The key only through SQS in the function's region."
  }

  assert {
    condition     = data.aws_iam_policy_document.dead_letter_queue[0].statement[0].effect == "Deny" && jsonencode(data.aws_iam_policy_document.dead_letter_queue[0].statement[0].condition) == jsonencode([{ test = "Bool", values = ["false"], variable = "aws:SecureTransport" }])
    error_message = "The queue refuses every request without TLS."
  }
}

run "x86_64_active_tracing_and_platform_logs_when_asked" {
  command = plan

  variables {
    architecture     = "x86_64"
    tracing_mode     = "Active"
    system_log_level = "INFO"
  }

  assert {
    condition     = jsonencode(aws_lambda_function.this.layers) == jsonencode(["arn:aws:lambda:eu-central-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-x86_64:27"]) && jsonencode(aws_lambda_function.this.architectures) == jsonencode(["x86_64"])
    error_message = "The layer follows the architecture."
  }

  assert {
    condition     = aws_lambda_function.this.tracing_config[0].mode == "Active" && aws_lambda_function.this.logging_config[0].system_log_level == "INFO"
    error_message = "Tracing mode and system log level are what is asked."
  }
}

run "refuses_a_tracing_mode_lambda_does_not_offer" {
  command = plan

  variables {
    tracing_mode = "Sampled"
  }

  expect_failures = [var.tracing_mode]
}

run "refuses_a_system_log_level_lambda_does_not_offer" {
  command = plan

  variables {
    system_log_level = "ERROR"
  }

  expect_failures = [var.system_log_level]
}

run "a_policy_known_only_at_apply_still_plans" {
  command = plan

  variables {
    # The count of the role policy depends on the flag alone, never on this document.
    policy_json = null
  }

  expect_failures = [aws_iam_role_policy.this]
}

run "no_policy_without_the_flag" {
  command = plan

  variables {
    attach_policy_json = false
    policy_json        = null
  }

  assert {
    condition     = length(aws_iam_role_policy.this) == 0
    error_message = "No function policy unless attach_policy_json."
  }
}

run "refuses_a_runtime_lambda_does_not_offer" {
  command = plan

  variables {
    runtime = "python3.19"
  }

  expect_failures = [var.runtime]
}

run "refuses_a_name_too_long_for_lambda_and_iam" {
  command = plan

  variables {
    name = "a-function-name-that-is-far-too-long-for-lambda-and-for-an-iam-role"
  }

  expect_failures = [var.name]
}

run "refuses_a_retention_cloudwatch_does_not_offer" {
  command = plan

  variables {
    log_retention_days = 2
  }

  expect_failures = [var.log_retention_days]
}

run "refuses_memory_lambda_does_not_offer" {
  command = plan

  variables {
    memory_mb = 64
  }

  expect_failures = [var.memory_mb]
}

# The longest name the variable accepts, against what the AWS APIs accept (tests/terraform/aws_constraints.json,
# from botocore's models): the function, its role, its policies, its log group and its dead-letter queue.
run "the_longest_name_fits_every_api" {
  command = plan

  variables {
    name                      = "a-function-name-of-exactly-sixty-four-characters-for-the-limit-x"
    dead_letter_queue_enabled = true
  }

  assert {
    condition = alltrue([
      can(regex(jsondecode(file("../../tests/terraform/aws_constraints.json")).constraints["lambda.FunctionName"].pattern, aws_lambda_function.this.function_name)),
      can(regex(jsondecode(file("../../tests/terraform/aws_constraints.json")).constraints["iam.RoleName"].pattern, aws_iam_role.this.name)),
      length(aws_iam_role.this.name) <= jsondecode(file("../../tests/terraform/aws_constraints.json")).constraints["iam.RoleName"].max,
      can(regex(jsondecode(file("../../tests/terraform/aws_constraints.json")).constraints["iam.RoleDescription"].pattern, aws_iam_role.this.description)),
      can(regex(jsondecode(file("../../tests/terraform/aws_constraints.json")).constraints["iam.PolicyName"].pattern, aws_iam_role_policy.runtime.name)),
      can(regex(jsondecode(file("../../tests/terraform/aws_constraints.json")).constraints["logs.LogGroupName"].pattern, aws_cloudwatch_log_group.this.name)),
      can(regex(jsondecode(file("../../tests/terraform/aws_constraints.json")).constraints["sqs.QueueName"].pattern, aws_sqs_queue.dead_letter[0].name)),
      can(regex(jsondecode(file("../../tests/terraform/aws_constraints.json")).constraints["lambda.Handler"].pattern, aws_lambda_function.this.handler)),
      length(aws_lambda_function.this.description) <= jsondecode(file("../../tests/terraform/aws_constraints.json")).constraints["lambda.Description"].max,
      contains(jsondecode(file("../../tests/terraform/aws_constraints.json")).constraints["lambda.Runtime"].values, aws_lambda_function.this.runtime),
      contains(jsondecode(file("../../tests/terraform/aws_constraints.json")).constraints["logs.RetentionInDays"].values, aws_cloudwatch_log_group.this.retention_in_days),
    ])
    error_message = "Every name and value the function sends must be one the AWS APIs accept."
  }
}

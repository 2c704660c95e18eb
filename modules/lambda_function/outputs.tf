output "arn" {
  description = "Function ARN."
  value       = aws_lambda_function.this.arn
}

output "name" {
  description = "Function name."
  value       = aws_lambda_function.this.function_name
}

output "role_arn" {
  description = "ARN of the function's execution role."
  value       = aws_iam_role.this.arn
}

output "role_name" {
  description = "Name of the function's execution role, to attach further policies."
  value       = aws_iam_role.this.name
}

output "log_group_name" {
  description = "The function's log group."
  value       = aws_cloudwatch_log_group.this.name
}

output "package_size_bytes" {
  description = "Size of the deployed zip: code only, the SDK and Powertools come from the runtime and the layer."
  value       = data.archive_file.this.output_size
}

output "region" {
  description = "Region of the function."
  value       = local.region
}

output "dead_letter_queue_arn" {
  description = "ARN of the function's dead-letter queue; null without one."
  value       = try(aws_sqs_queue.dead_letter[0].arn, null)
}

output "dead_letter_queue_name" {
  description = "Name of the function's dead-letter queue (the QueueName dimension of its SQS metrics); null without one."
  value       = try(aws_sqs_queue.dead_letter[0].name, null)
}

output "architecture" {
  description = "Instruction set of the function (the Architecture its layers are built for)."
  value       = one(aws_lambda_function.this.architectures)
}

output "tracing_mode" {
  description = "The function's X-Ray tracing mode (PassThrough or Active)."
  value       = aws_lambda_function.this.tracing_config[0].mode
}

output "system_log_level" {
  description = "Lowest level of Lambda's own log lines the function's log group keeps."
  value       = aws_lambda_function.this.logging_config[0].system_log_level
}

output "environment" {
  description = "The function's environment variables (settings only: the module's callers put no secrets there)."
  value       = aws_lambda_function.this.environment[0].variables
}

output "arn" {
  description = "ARN of the key."
  value       = aws_kms_key.this.arn
}

output "key_id" {
  description = "ID of the key."
  value       = aws_kms_key.this.key_id
}

output "alias_name" {
  description = "Alias of the key (alias/...)."
  value       = aws_kms_alias.this.name
}

output "region" {
  description = "Region of the key."
  value       = local.region
}

output "log_group_arn_patterns" {
  description = "The log groups whose logs the key's policy lets CloudWatch Logs encrypt (var.log_group_arn_patterns)."
  value       = var.log_group_arn_patterns
}

output "topic_publishers" {
  description = "The services the key's policy lets use the key for SNS topics, each with its topics (var.topic_publishers)."
  value       = var.topic_publishers
}

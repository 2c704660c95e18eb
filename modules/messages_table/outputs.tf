output "name" {
  description = "Table name."
  value       = aws_dynamodb_table.this.name
}

output "arn" {
  description = "Table ARN."
  value       = aws_dynamodb_table.this.arn
}

output "index_arns" {
  description = "ARNs of the global secondary indexes, by name."
  value       = { for name in keys(var.indexes) : name => "${aws_dynamodb_table.this.arn}/index/${name}" }
}

output "kms_key_arn" {
  description = "The key that encrypts the table."
  value       = var.kms_key_arn
}

output "stream_arn" {
  description = "ARN of the table's DynamoDB Stream (a reader's role grants dynamodb:GetRecords and the like on it); null without a stream."
  value       = var.stream_view_type == null ? null : aws_dynamodb_table.this.stream_arn
}

output "stream_view_type" {
  description = "What the table's stream records of each change (NEW_AND_OLD_IMAGES, ...); null without a stream."
  value       = aws_dynamodb_table.this.stream_enabled ? aws_dynamodb_table.this.stream_view_type : null
}

output "name" {
  description = "Configuration set name, for SES_CONFIGURATION_SET."
  value       = aws_sesv2_configuration_set.this.configuration_set_name
}

output "arn" {
  description = "Configuration set ARN, a resource of ses:SendEmail."
  value       = aws_sesv2_configuration_set.this.arn
}

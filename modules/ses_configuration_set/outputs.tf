output "name" {
  description = "Configuration set name, for SES_CONFIGURATION_SET."
  value       = aws_sesv2_configuration_set.this.configuration_set_name
}

output "arn" {
  description = "Configuration set ARN, a resource of ses:SendEmail."
  value       = aws_sesv2_configuration_set.this.arn
}

output "event_destination_name" {
  description = "Name of the SNS event destination; null without one."
  value       = try(aws_sesv2_configuration_set_event_destination.sns[0].event_destination_name, null)
}

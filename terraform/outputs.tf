output "graphql_url" {
  description = "The GraphQL endpoint (the original's serverlessmessengergraphqlurl<stage>)."
  value       = module.api.graphql_url
}

output "api_key" {
  description = "The API key to send as x-api-key (the original's serverlessmessengerapikeyvalue<stage>); read it with terraform output -raw api_key."
  value       = module.api.api_key
  sensitive   = true
}

output "api_key_expires" {
  description = "When the current API key stops working."
  value       = module.api.api_key_expires
}

output "table_name" {
  description = "The messages table."
  value       = module.messages_table.name
}

output "delivery_function_name" {
  description = "The delivery Lambda function."
  value       = module.delivery_function.name
}

output "delivery_package_size_bytes" {
  description = "Size of the delivery function's zip (code only)."
  value       = module.delivery_function.package_size_bytes
}

output "ses_configuration_set" {
  description = "The SES configuration set every email goes through."
  value       = module.ses_configuration_set.name
}

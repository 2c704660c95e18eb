output "graphql_url" {
  description = "The GraphQL endpoint (the original's serverlessmessengergraphqlurl<stage>)."
  value       = module.api.graphql_url
}

output "api_key" {
  description = "The API key to send as x-api-key (the original's serverlessmessengerapikeyvalue<stage>), the `default` client's; read it with terraform output -raw api_key. Null while api_key.enabled is false."
  value       = module.api.api_key
  sensitive   = true
}

output "api_key_expires" {
  description = "When the current API key stops working; null while api_key.enabled is false."
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

output "ses_events_topic_arn" {
  description = "The SNS topic (in ses_region, KMS-encrypted) that receives the configuration set's DELIVERY, BOUNCE, COMPLAINT, REJECT and DELIVERY_DELAY events."
  value       = aws_sns_topic.ses_events.arn
}

output "status_function_names" {
  description = "The delivery-status Lambda functions by manifest event handler (emailEvents, smsEvents, stalePending)."
  value       = { for name, function in module.event_handlers : name => function.name }
}

output "status_dead_letter_queues" {
  description = "Each delivery-status function's dead-letter queue: events that still failed after Lambda's retries."
  value       = { for name, function in module.event_handlers : name => function.dead_letter_queue_arn }
}

output "sms_delivery_log_groups" {
  description = "The SNS SMS delivery-status log groups this environment manages (empty unless sms.manage_account_preferences)."
  value       = [for group in aws_cloudwatch_log_group.sms_delivery : group.name]
}

output "graphql_api_arn" {
  description = "The API's ARN: a backend calling with its IAM identity (SigV4) needs appsync:GraphQL on <arn>/types/<Type>/fields/<field> (Mutation/sendMessage, Query/getMessages; Mutation/eraseRecipient for operators)."
  value       = module.api.arn
}

output "erasure_function_name" {
  description = "The Lambda behind eraseRecipient."
  value       = module.clients_functions["erasure"].name
}

output "clients_function_names" {
  description = "The functions of handlers/clients: the authorizer of client keys, the operators' API and erasure."
  value       = { for name, function in module.clients_functions : name => function.name }
}

output "test_outcomes_queue_url" {
  description = "The queue of TEST keys' simulated outcomes (KMS-encrypted), which the testOutcomes handler records."
  value       = aws_sqs_queue.test_outcomes.url
}

output "region" {
  description = "The region of the API, the table, the delivery function, the channel guardrail and the dashboard."
  value       = var.region
}

output "guardrail_function_name" {
  description = "The channel guardrail Lambda (in region): make pause|resume|channels ENV=<env> invoke it."
  value       = one([for function in module.guardrail : function.name])
}

output "alarm_topic_arns" {
  description = "The alarm topic of each region that holds alarms (KMS-encrypted), by region: subscribe further endpoints here."
  value       = { for region, topic in aws_sns_topic.alarms : region => topic.arn }
}

output "dashboard_url" {
  description = "The environment's CloudWatch dashboard in the console."
  value       = "https://${var.region}.${lookup(local.console_hosts, local.partition, local.console_hosts.aws)}/cloudwatch/home?region=${var.region}#dashboards/dashboard/${aws_cloudwatch_dashboard.this.dashboard_name}"
}

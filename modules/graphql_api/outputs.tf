output "id" {
  description = "API ID."
  value       = aws_appsync_graphql_api.this.id
}

output "arn" {
  description = "API ARN: an IAM caller's policy grants appsync:GraphQL on <arn>/types/<Type>/fields/<field>."
  value       = aws_appsync_graphql_api.this.arn
}

output "graphql_url" {
  description = "The GraphQL endpoint."
  value       = aws_appsync_graphql_api.this.uris["GRAPHQL"]
}

output "api_key" {
  description = "Value of the current API key; send it as the x-api-key header."
  value       = aws_appsync_api_key.this.key
  sensitive   = true
}

output "api_key_expires" {
  description = "When the current API key stops working (RFC 3339)."
  value       = aws_appsync_api_key.this.expires
}

output "resolver_count_limit" {
  description = "Resolvers one request may run (AppSync's resolverCountLimit)."
  value       = aws_appsync_graphql_api.this.resolver_count_limit
}

output "resolvers" {
  description = "Type.field of every resolver created from the manifest."
  value       = keys(aws_appsync_resolver.this)
}

output "log_group_name" {
  description = "Log group of the API's field-level error logs."
  value       = aws_cloudwatch_log_group.this.name
}

output "query_limits" {
  description = "What the API refuses before running a document: whether it answers introspection, its deepest query, and the resolvers one request may run."
  value = {
    introspection_enabled = aws_appsync_graphql_api.this.introspection_config == "ENABLED"
    query_depth_limit     = aws_appsync_graphql_api.this.query_depth_limit
    resolver_count_limit  = aws_appsync_graphql_api.this.resolver_count_limit
  }
}

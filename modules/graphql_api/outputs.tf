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
  description = "Value of the current API key, sent as the x-api-key header; null when api_key.enabled is false."
  value       = try(aws_appsync_api_key.this[0].key, null)
  sensitive   = true
}

output "api_key_expires" {
  description = "When the current API key stops working (RFC 3339); null when api_key.enabled is false."
  value       = try(aws_appsync_api_key.this[0].expires, null)
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

output "authorization" {
  description = "How callers are authorized: the default mode (AWS_LAMBDA), the additional modes (AWS_IAM, and API_KEY while enabled), and the authorizer function with its cache time."
  value = {
    default_mode       = aws_appsync_graphql_api.this.authentication_type
    additional_modes   = aws_appsync_graphql_api.this.additional_authentication_provider[*].authentication_type
    authorizer_uri     = aws_appsync_graphql_api.this.lambda_authorizer_config[0].authorizer_uri
    result_ttl_seconds = aws_appsync_graphql_api.this.lambda_authorizer_config[0].authorizer_result_ttl_in_seconds
  }
}

output "query_limits" {
  description = "What the API refuses before running a document: whether it answers introspection, its deepest query, and the resolvers one request may run."
  value = {
    introspection_enabled = aws_appsync_graphql_api.this.introspection_config == "ENABLED"
    query_depth_limit     = aws_appsync_graphql_api.this.query_depth_limit
    resolver_count_limit  = aws_appsync_graphql_api.this.resolver_count_limit
  }
}

output "web_acl_arn" {
  description = "ARN of the WAF web ACL in front of the API: every request passes it before AppSync."
  value       = aws_wafv2_web_acl_association.this.web_acl_arn
}

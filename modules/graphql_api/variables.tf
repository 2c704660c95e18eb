variable "name" {
  description = "API name; also prefixes its roles."
  type        = string
}

variable "graphql_dir" {
  description = "Folder holding manifest.json, the schema and the APPSYNC_JS files it names."
  type        = string
}

variable "tables" {
  description = "DynamoDB tables by the logical name the manifest uses for them."
  type = map(object({
    name        = string
    arn         = string
    index_arns  = map(string)
    kms_key_arn = string
  }))
}

variable "lambda_functions" {
  description = "Lambda function ARNs by the name of the manifest data source that invokes them."
  type        = map(string)
  default     = {}
}

variable "log_retention_days" {
  description = "Days to keep the API's field-level error logs (a value CloudWatch Logs accepts)."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ... 3653)."
  }
}

variable "api_key" {
  description = "The API key, the `default` client's path from before client keys existed: enabled (default true) adds API_KEY as an authorization mode and keeps one key; off, neither exists. A new key replaces the old one on the first apply after rotation_days; each key expires validity_days after it was made (AppSync allows at most 365)."
  type = object({
    enabled       = optional(bool, true)
    validity_days = optional(number, 90)
    rotation_days = optional(number, 60)
  })
  default = {}

  validation {
    condition     = var.api_key.validity_days >= 2 && var.api_key.validity_days <= 365
    error_message = "api_key.validity_days must be between 2 and 365 (AppSync's limit)."
  }

  validation {
    condition     = var.api_key.rotation_days >= 1 && var.api_key.rotation_days < var.api_key.validity_days
    error_message = "api_key.rotation_days must be at least 1 and shorter than validity_days, so a key is replaced before it expires."
  }
}

variable "authorizer" {
  description = "The Lambda authorizer of client keys (the API's default mode, AWS_LAMBDA): function_arn, the function AppSync invokes (this module lets AppSync invoke it for this API only); result_ttl_seconds, how long AppSync caches an answer per key (0-3600, 0 turns the cache off), so also how long a revoked key may still work."
  type = object({
    function_arn       = string
    result_ttl_seconds = optional(number, 60)
  })

  validation {
    condition     = var.authorizer.result_ttl_seconds >= 0 && var.authorizer.result_ttl_seconds <= 3600 && floor(var.authorizer.result_ttl_seconds) == var.authorizer.result_ttl_seconds
    error_message = "authorizer.result_ttl_seconds must be a whole number of seconds from 0 to 3600 (AppSync's range)."
  }
}

variable "web_acl_arn" {
  description = "WAFv2 web ACL (regional) that screens every request to the API."
  type        = string
}

variable "introspection_enabled" {
  description = "Allow schema introspection queries."
  type        = bool
  default     = false
}

variable "query_depth_limit" {
  description = "Deepest query the API accepts (1-75)."
  type        = number
  default     = 10

  validation {
    condition     = var.query_depth_limit >= 1 && var.query_depth_limit <= 75
    error_message = "query_depth_limit must be between 1 and 75."
  }
}

variable "resolver_count_limit" {
  description = "Resolvers one request may run (AppSync's resolverCountLimit, 1-10000). Every operation of this schema resolves one root field and nothing nested, so 1 admits any single operation and refuses a request that selects a mutation twice (aliased): AppSync fails the second during execution."
  type        = number
  default     = 1

  validation {
    condition     = var.resolver_count_limit >= 1 && var.resolver_count_limit <= 10000 && floor(var.resolver_count_limit) == var.resolver_count_limit
    error_message = "resolver_count_limit must be a whole number from 1 to 10000 (AppSync's range)."
  }
}

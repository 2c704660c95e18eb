variable "name" {
  description = "Name of the web ACL; its log group is aws-waf-logs-<name>."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,100}$", var.name))
    error_message = "name must be 1-100 letters, digits, hyphens or underscores (a WAF name is at most 128; its rules' metric names add a suffix)."
  }
}

variable "rate_limit" {
  description = "Requests one client IP may make in 5 minutes before it is blocked."
  type        = number
  default     = 1000

  validation {
    condition     = var.rate_limit >= 10 && var.rate_limit <= 2000000000
    error_message = "rate_limit must be between 10 and 2,000,000,000 (WAF's range)."
  }
}

variable "api_key_rate_limit" {
  description = "Requests one key may make in 5 minutes before it is blocked: each value of the x-api-key header (the API key), and each client key in the Authorization header."
  type        = number
  default     = 3000

  validation {
    condition     = var.api_key_rate_limit >= 10 && var.api_key_rate_limit <= 2000000000
    error_message = "api_key_rate_limit must be between 10 and 2,000,000,000 (WAF's range)."
  }
}

variable "client_key_prefixes" {
  description = "How a client's key begins (e.g. sm_live_, sm_test_): an Authorization header that starts with one is rate limited per value; others (IAM callers' SigV4 signatures) are left to the per-IP rule."
  type        = list(string)
  default     = ["sm_live_", "sm_test_"]

  validation {
    condition     = length(var.client_key_prefixes) > 0 && alltrue([for prefix in var.client_key_prefixes : can(regex("^[A-Za-z0-9_]{1,20}$", prefix))])
    error_message = "client_key_prefixes lists at least one prefix of 1-20 letters, digits or underscores."
  }
}

variable "log_retention_days" {
  description = "Days to keep the firewall's logs (a value CloudWatch Logs accepts)."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ... 3653)."
  }
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key for the log group."
  type        = string
}

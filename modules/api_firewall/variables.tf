variable "name" {
  description = "Name of the web ACL; its log group is aws-waf-logs-<name>."
  type        = string
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

variable "log_retention_days" {
  description = "Days to keep the firewall's request logs."
  type        = number
  default     = 365
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key for the log group."
  type        = string
}

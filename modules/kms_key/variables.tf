variable "alias" {
  description = "Alias of the key, without the alias/ prefix."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9/_-]{1,250}$", var.alias)) && !startswith(var.alias, "aws/")
    error_message = "alias is 1-250 characters of letters, digits, /, _ and -, and must not start with aws/."
  }
}

variable "description" {
  description = "What the key protects."
  type        = string
}

variable "deletion_window_in_days" {
  description = "Days a scheduled deletion waits before the key is gone (7-30)."
  type        = number
  default     = 30

  validation {
    condition     = var.deletion_window_in_days >= 7 && var.deletion_window_in_days <= 30
    error_message = "deletion_window_in_days must be between 7 and 30."
  }
}

variable "log_group_arn_patterns" {
  description = "CloudWatch Logs log group ARNs (wildcards allowed) whose logs this key may encrypt; empty grants the logs service nothing."
  type        = list(string)
  default     = []
}

variable "topic_publishers" {
  description = "AWS services (e.g. ses.amazonaws.com for configuration-set events, cloudwatch.amazonaws.com for alarm actions) that publish to SNS topics encrypted with this key, each allowed the key (kms:Decrypt, kms:GenerateDataKey) only for the given topic ARNs (the kms:EncryptionContext:aws:sns:topicArn that SNS sets) and only on behalf of this account (aws:SourceAccount)."
  type = list(object({
    service    = string
    topic_arns = list(string)
  }))
  default = []

  validation {
    condition     = alltrue([for publisher in var.topic_publishers : endswith(publisher.service, ".amazonaws.com") && length(publisher.topic_arns) > 0 && alltrue([for arn in publisher.topic_arns : can(regex("^arn:aws[a-z-]*:sns:", arn))])])
    error_message = "Each topic publisher is an *.amazonaws.com service with at least one SNS topic ARN."
  }
}

variable "region" {
  description = "Region of the key (KMS keys are regional: a topic or log group in another region needs a key there); null for the provider's region."
  type        = string
  default     = null
}

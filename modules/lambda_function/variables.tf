variable "name" {
  description = "Function name; also names its role, its log group and its dead-letter queue (<name>-dlq)."
  type        = string

  # Lambda function and IAM role names: 1-64 letters, digits, - and _ (the role also allows +=,.@, which a
  # function name does not).
  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,64}$", var.name))
    error_message = "name must be 1-64 letters, digits, hyphens or underscores (a Lambda function and IAM role name)."
  }
}

variable "description" {
  description = "What the function does."
  type        = string

  validation {
    condition     = length(var.description) <= 256
    error_message = "description must be at most 256 characters (Lambda's limit)."
  }
}

variable "source_dir" {
  description = "Folder holding the handler code. Only this folder is packaged: dependencies come from layers or the runtime."
  type        = string
}

variable "handler" {
  description = "Entry point as module.function, e.g. app.handler."
  type        = string
}

variable "runtime" {
  description = "Lambda runtime."
  type        = string
  default     = "python3.13"

  # Python runtimes Lambda supports and the handlers are written for (tests/terraform/test_aws_constraints.py
  # checks them against Lambda's API model).
  validation {
    condition     = contains(["python3.12", "python3.13"], var.runtime)
    error_message = "runtime must be python3.12 or python3.13."
  }
}

variable "architecture" {
  description = "Instruction set, arm64 (Graviton, about 20% cheaper per GB-second than x86_64) or x86_64; the Powertools layer is chosen to match."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["x86_64", "arm64"], var.architecture)
    error_message = "architecture must be x86_64 or arm64."
  }
}

variable "powertools_layer_version" {
  description = "Version of the AWS-published Powertools for AWS Lambda (Python) V3 layer; null for none."
  type        = number
  default     = 27
}

variable "environment" {
  description = "Environment variables of the function (no secrets: they are visible to anyone who can read the configuration)."
  type        = map(string)
  default     = {}
}

variable "memory_mb" {
  description = "Memory in MB."
  type        = number
  default     = 256

  validation {
    condition     = var.memory_mb >= 128 && var.memory_mb <= 10240 && floor(var.memory_mb) == var.memory_mb
    error_message = "memory_mb must be a whole number from 128 to 10240 (Lambda's range)."
  }
}

variable "timeout_seconds" {
  description = "Maximum run time in seconds."
  type        = number
  default     = 10

  validation {
    condition     = var.timeout_seconds >= 1 && var.timeout_seconds <= 900
    error_message = "timeout_seconds must be between 1 and 900."
  }
}

variable "reserved_concurrency" {
  description = "Concurrent executions reserved for (and capped at) this function."
  type        = number
  default     = 10

  validation {
    condition     = var.reserved_concurrency >= 1
    error_message = "reserved_concurrency must be at least 1 (0 would disable the function)."
  }
}

variable "log_retention_days" {
  description = "Days to keep the function's logs (a value CloudWatch Logs accepts)."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ... 3653)."
  }
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key for the log group and the environment variables."
  type        = string
}

variable "attach_policy_json" {
  description = "Attach policy_json to the function's role. A flag rather than a test of policy_json, whose value may only be known at apply."
  type        = bool
  default     = false
}

variable "policy_json" {
  description = "IAM policy with what the function itself calls (logging and tracing are granted here already); used when attach_policy_json is true."
  type        = string
  default     = null
}

variable "build_dir" {
  description = "Where the zip is written."
  type        = string
  default     = null
}

variable "region" {
  description = "Region of the function, its log group and its dead-letter queue; null for the provider's region. kms_key_arn must be a key in that region."
  type        = string
  default     = null
}

variable "dead_letter_queue_enabled" {
  description = "Give the function an encrypted SQS dead-letter queue for asynchronous invocations (SNS, CloudWatch Logs) that fail after Lambda's retries."
  type        = bool
  default     = false
}

variable "tracing_mode" {
  description = "X-Ray tracing: PassThrough (the default) records a trace only when the caller sampled the request and says so in its tracing header (AppSync's sampling rule decides for the functions behind the API; asynchronous callers send no such header, so those functions record nothing); Active also samples every other invocation at Lambda's own fixed rate."
  type        = string
  default     = "PassThrough"

  validation {
    condition     = contains(["PassThrough", "Active"], var.tracing_mode)
    error_message = "tracing_mode must be PassThrough or Active."
  }
}

variable "system_log_level" {
  description = "Lowest level of the Lambda platform's own log lines kept in the log group (JSON format): WARN (the default) drops the START and REPORT lines of every invocation, whose duration and memory CloudWatch's Lambda metrics already carry; DEBUG or INFO keep them."
  type        = string
  default     = "WARN"

  validation {
    condition     = contains(["DEBUG", "INFO", "WARN"], var.system_log_level)
    error_message = "system_log_level must be DEBUG, INFO or WARN (Lambda's system log levels)."
  }
}

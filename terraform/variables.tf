variable "stage" {
  description = "Environment name and the prefix of every resource name; must equal the Terraform workspace."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,15}$", var.stage))
    error_message = "stage is 2-16 characters: a lower-case letter, then lower-case letters, digits or dashes."
  }
}

variable "region" {
  description = "Region of the API, the table and the functions."
  type        = string
}

variable "ses_region" {
  description = "Region where SES sends email (where the sender identities are verified)."
  type        = string
}

variable "sns_region" {
  description = "Region where SNS sends SMS (where the SMS sandbox and spend limit are set)."
  type        = string
}

variable "default_email_from" {
  description = "Sender of every email that does not name an allowed sender."
  type        = string

  validation {
    condition     = can(regex("^[^@\\s]+@[^@\\s]+\\.[a-z]{2,}$", lower(var.default_email_from)))
    error_message = "default_email_from must be an email address."
  }
}

variable "allowed_email_senders" {
  description = "Further addresses a client may send from (input.from)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for sender in var.allowed_email_senders : can(regex("^[^@\\s]+@[^@\\s]+\\.[a-z]{2,}$", lower(sender)))])
    error_message = "Every allowed email sender must be an email address."
  }
}

variable "allowed_sms_sender_ids" {
  description = "SMS sender IDs a client may send from (input.from); each 1-11 letters or digits, registered where required."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for sender in var.allowed_sms_sender_ids : can(regex("^[A-Za-z0-9]{1,11}$", sender))])
    error_message = "An SMS sender ID is 1-11 letters or digits."
  }
}

variable "ses_identities" {
  description = "SES identities the delivery function may send as. Default: the sender addresses themselves. Name the domain instead if SES verifies the domain rather than each address."
  type        = list(string)
  default     = null
}

variable "log_retention_days" {
  description = "Days to keep every log of the stack."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ... 3653)."
  }
}

variable "api_key" {
  description = "API key lifetime in days: replaced on the first apply after rotation_days, each key valid for validity_days (at most 365)."
  type = object({
    validity_days = optional(number, 90)
    rotation_days = optional(number, 60)
  })
  default = {}
}

variable "table" {
  description = "Messages table settings."
  type = object({
    deletion_protection_enabled = optional(bool, true)
    point_in_time_recovery_days = optional(number, 35)
  })
  default = {}
}

variable "delivery_function" {
  description = "Delivery Lambda settings."
  type = object({
    memory_mb                = optional(number, 256)
    timeout_seconds          = optional(number, 10)
    reserved_concurrency     = optional(number, 10)
    powertools_layer_version = optional(number, 27)
  })
  default = {}
}

variable "firewall" {
  description = "WAF settings of the API."
  type = object({
    rate_limit_per_5_minutes = optional(number, 1000)
  })
  default = {}
}

variable "tags" {
  description = "Tags added to every resource (next to Application, Stage and ManagedBy)."
  type        = map(string)
  default     = {}
}

variable "name" {
  description = "Table name."
  type        = string
}

variable "partition_key" {
  description = "Name of the partition (hash) key, a string attribute."
  type        = string
}

variable "sort_key" {
  description = "Name of the sort (range) key, a string attribute."
  type        = string
}

variable "indexes" {
  description = "Global secondary indexes by name; each projects all attributes and is keyed by two string attributes."
  type = map(object({
    partition_key = string
    sort_key      = string
  }))
  default = {}
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key that encrypts the table at rest."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be the ARN of a KMS key."
  }
}

variable "deletion_protection_enabled" {
  description = "Refuse to delete the table (turn off only for throw-away environments)."
  type        = bool
  default     = true
}

variable "ttl_attribute" {
  description = "Attribute holding an epoch-seconds expiry after which DynamoDB deletes the item; null for none."
  type        = string
  default     = null
}

variable "point_in_time_recovery_days" {
  description = "How many days back point-in-time recovery can restore (1-35)."
  type        = number
  default     = 35

  validation {
    condition     = var.point_in_time_recovery_days >= 1 && var.point_in_time_recovery_days <= 35
    error_message = "point_in_time_recovery_days must be between 1 and 35."
  }
}

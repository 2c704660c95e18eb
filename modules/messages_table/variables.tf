variable "name" {
  description = "Table name."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{3,255}$", var.name))
    error_message = "name must be 3-255 letters, digits, underscores, hyphens or dots (DynamoDB's rule for table names)."
  }
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
  description = "Global secondary indexes by name: a string partition key, an optional string sort key (null: keyed by the partition key alone) and the projection, ALL or KEYS_ONLY."
  type = map(object({
    partition_key   = string
    sort_key        = optional(string)
    projection_type = optional(string, "ALL")
  }))
  default = {}

  validation {
    condition     = alltrue([for index in values(var.indexes) : contains(["ALL", "KEYS_ONLY"], index.projection_type)])
    error_message = "An index's projection_type is ALL or KEYS_ONLY."
  }
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

variable "stream_view_type" {
  description = "What the table's DynamoDB Stream records of each changed item: NEW_AND_OLD_IMAGES, NEW_IMAGE, OLD_IMAGE or KEYS_ONLY; null for no stream. The stream is encrypted with the table's key and keeps its records 24 hours."
  type        = string
  default     = null

  validation {
    condition     = var.stream_view_type == null || contains(["NEW_AND_OLD_IMAGES", "NEW_IMAGE", "OLD_IMAGE", "KEYS_ONLY"], coalesce(var.stream_view_type, "NEW_AND_OLD_IMAGES"))
    error_message = "stream_view_type is NEW_AND_OLD_IMAGES, NEW_IMAGE, OLD_IMAGE, KEYS_ONLY or null (DynamoDB's stream view types, or no stream)."
  }
}

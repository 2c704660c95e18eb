variable "name" {
  description = "Name of the configuration set every send uses."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,64}$", var.name))
    error_message = "name must be 1-64 letters, digits, hyphens or underscores (SES's rule for configuration sets)."
  }
}

variable "region" {
  description = "SES region (where the sender identities are verified)."
  type        = string
}

variable "suppressed_reasons" {
  description = "Recipients the account-level suppression list keeps for this set: BOUNCE, COMPLAINT."
  type        = list(string)
  default     = ["BOUNCE", "COMPLAINT"]

  validation {
    condition     = alltrue([for reason in var.suppressed_reasons : contains(["BOUNCE", "COMPLAINT"], reason)])
    error_message = "suppressed_reasons may only contain BOUNCE and COMPLAINT."
  }
}

variable "sns_event_destination" {
  description = "Publish these sending events (SEND, REJECT, BOUNCE, COMPLAINT, DELIVERY, DELIVERY_DELAY, RENDERING_FAILURE, OPEN, CLICK, SUBSCRIPTION) to an SNS topic in the same region; null for none."
  type = object({
    name        = optional(string, "sns")
    topic_arn   = string
    event_types = list(string)
  })
  default = null

  validation {
    condition = var.sns_event_destination == null ? true : (
      length(var.sns_event_destination.event_types) > 0 &&
      alltrue([for type in var.sns_event_destination.event_types : contains(["SEND", "REJECT", "BOUNCE", "COMPLAINT", "DELIVERY", "DELIVERY_DELAY", "RENDERING_FAILURE", "OPEN", "CLICK", "SUBSCRIPTION"], type)])
    )
    error_message = "sns_event_destination.event_types lists at least one SES event type: SEND, REJECT, BOUNCE, COMPLAINT, DELIVERY, DELIVERY_DELAY, RENDERING_FAILURE, OPEN, CLICK or SUBSCRIPTION."
  }
}

variable "name" {
  description = "Name of the configuration set every send uses."
  type        = string
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

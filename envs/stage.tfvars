# make plan ENV=stage / make apply ENV=stage (workspace "stage")
stage      = "stage"
region     = "eu-central-1"
ses_region = "eu-central-1"
sns_region = "eu-central-1"

default_email_from     = "no-reply@example.com"
allowed_email_senders  = ["support@example.com"]
allowed_sms_sender_ids = []
# Countries SMS may go to (ISO 3166 alpha-2): a valid number of one of them, nothing else (not the rest of +1,
# the Caribbean's toll-fraud destinations; not the UK's crown dependencies), the toll-fraud guard.
sms_allowed_countries = ["US", "CA", "GB"]

# Message records are deleted this long after they were sent (DynamoDB TTL).
message_retention_days = 30

log_retention_days = 30
api_key = {
  validity_days = 90
  rotation_days = 60
}

table = {
  deletion_protection_enabled = true
  point_in_time_recovery_days = 14
}

# SMS delivery status. The SNS SMS preferences and the two SNS delivery-status log groups are
# account-and-region singletons: if environments share one AWS account and sns_region, set
# manage_account_preferences = false in all but one of them (recommended: one account per environment).
sms = {
  manage_account_preferences = true
  monthly_spend_limit_usd    = 1 # the sandbox's quota
}

# Alarms (docs/operations.md): each address gets every alarm and its return to OK, once it has confirmed SNS's
# first mail. The SES and SMS levels keep their defaults (alarms.ses_bounce_rate, ...): below AWS's own.
alarms = {
  email_subscribers = [] # e.g. ["messenger-oncall@example.com"]
}

tags = {
  CostCenter = "messenger-stage"
}

# make plan ENV=prod / make apply ENV=prod (workspace "prod")
stage      = "prod"
region     = "eu-central-1"
ses_region = "eu-central-1"
sns_region = "eu-central-1"

default_email_from     = "no-reply@example.com"
allowed_email_senders  = ["support@example.com"]
allowed_sms_sender_ids = []
# Countries SMS may go to (E.164 prefixes): a number elsewhere is refused, the toll-fraud guard.
sms_allowed_prefixes = ["+1", "+44"]

# Message records are deleted this long after they were sent (DynamoDB TTL).
message_retention_days = 180

# Resolvers one request may run: 1, so a request selecting sendMessage twice (aliases) is refused.
resolver_count_limit = 1
# No introspection, as AppSync defaults: clients load graphql/client-schema.graphql.
introspection_enabled = false
# The deepest document the API accepts (the operations clients send reach depth 4).
query_depth_limit = 10

log_retention_days = 365
api_key = {
  validity_days = 180
  rotation_days = 150
}

table = {
  deletion_protection_enabled = true
  point_in_time_recovery_days = 35
}

delivery_function = {
  reserved_concurrency = 50
}

firewall = {
  rate_limit_per_5_minutes = 2000
}

status_functions = {
  reserved_concurrency = 20
}

# SMS delivery status. The SNS SMS preferences and the two SNS delivery-status log groups are
# account-and-region singletons with one owner: this environment (docs/deployment.md). Its destroy refuses to
# delete them.
sms = {
  manage_account_preferences = true
  account_preferences_owner  = "prod"
  monthly_spend_limit_usd    = 1 # raise to the quota AWS Support grants when the account leaves the SMS sandbox
}

# Alarms (docs/operations.md): each address gets every alarm and its return to OK, once it has confirmed SNS's
# first mail. The SES and SMS levels keep their defaults (alarms.ses_bounce_rate, ...): below AWS's own.
alarms = {
  email_subscribers = [] # e.g. ["messenger-oncall@example.com"]
}

tags = {
  CostCenter = "messenger-prod"
}

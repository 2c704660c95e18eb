# make plan ENV=stage / make apply ENV=stage (workspace "stage")
stage      = "stage"
region     = "eu-central-1"
ses_region = "eu-central-1"
sns_region = "eu-central-1"

default_email_from     = "no-reply@example.com"
allowed_email_senders  = ["support@example.com"]
allowed_sms_sender_ids = []
# Countries SMS may go to (E.164 prefixes): a number elsewhere is refused, the toll-fraud guard.
sms_allowed_prefixes = ["+1", "+44"]

# Message records are deleted this long after they were sent (DynamoDB TTL).
message_retention_days = 30

# Resolvers one request may run: 1, so a request selecting sendMessage twice (aliases) is refused.
resolver_count_limit = 1
# No introspection, as AppSync defaults: clients load graphql/client-schema.graphql.
introspection_enabled = false
# The deepest document the API accepts (the operations clients send reach depth 4).
query_depth_limit = 10

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
# account-and-region singletons with one owner, prod (envs/prod.tfvars): this environment leaves them alone,
# and its SMS stay ACCEPTED. In an account of its own it may own them (docs/deployment.md).
sms = {
  monthly_spend_limit_usd = 1 # the sandbox's quota
}

# Alarms (docs/operations.md): each address gets every alarm and its return to OK, once it has confirmed SNS's
# first mail. The SES and SMS levels keep their defaults (alarms.ses_bounce_rate, ...): below AWS's own.
alarms = {
  email_subscribers = [] # e.g. ["messenger-oncall@example.com"]
}

tags = {
  CostCenter = "messenger-stage"
}

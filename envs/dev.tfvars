# make plan ENV=dev / make apply ENV=dev (workspace "dev")
stage      = "dev"
region     = "eu-central-1"
ses_region = "eu-central-1"
sns_region = "eu-central-1"

default_email_from     = "no-reply@example.com"
allowed_email_senders  = []
allowed_sms_sender_ids = []
# Countries SMS may go to (ISO 3166 alpha-2): a valid number of one of them, nothing else (not the rest of +1,
# the Caribbean's toll-fraud destinations; not the UK's crown dependencies), the toll-fraud guard.
sms_allowed_countries = ["US", "CA", "GB"]

# Message records are deleted this long after they were sent (DynamoDB TTL).
message_retention_days = 14

# Resolvers one request may run: 1, so a request selecting sendMessage twice (aliases) is refused.
resolver_count_limit = 1
# The API answers introspection here, so developers can explore the schema and generate clients from it;
# stage and prod keep it off (clients load graphql/client-schema.graphql).
introspection_enabled = true
# The deepest document the API accepts (the operations clients send reach depth 4).
query_depth_limit = 10

log_retention_days = 14
api_key = {
  validity_days = 30
  rotation_days = 20
}

# A throw-away environment: the table may be deleted with the stack.
table = {
  deletion_protection_enabled = false
  point_in_time_recovery_days = 7
}

delivery_function = {
  reserved_concurrency = 5
}

firewall = {
  rate_limit_per_5_minutes = 300
}

status_functions = {
  reserved_concurrency = 5
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

# Clients (docs/api.md): a client created without limits of its own may send this many messages a day, and the
# `default` client (the API key's) starts with them; a client key lives at most key_max_days.
client_defaults = {
  email_per_day = 1000
  sms_per_day   = 100
  key_max_days  = 30
}
# A TEST key's messages reach no one and are deleted this long after they were recorded.
test_message_retention_days = 1
# IAM roles and users that call as a client (SigV4): their ARN to the client id, e.g.
# { "arn:aws:iam::123456789012:role/billing-backend" = "default" }. Unmapped IAM callers are operators only.
iam_clients = {}
# How long AppSync caches a key's authorization: a revoked key keeps working up to this long.
authorizer_cache_seconds = 60

tags = {
  CostCenter = "messenger-dev"
}

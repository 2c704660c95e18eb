variable "stage" {
  description = "Environment name and the prefix of every resource name; must equal the Terraform workspace."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,15}$", var.stage))
    error_message = "stage is 2-16 characters: a lower-case letter, then lower-case letters, digits or dashes."
  }
}

variable "region" {
  description = "Region of the API, the table, the delivery function and the email status function."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]+$", var.region))
    error_message = "region must be an AWS region name such as eu-central-1."
  }
}

variable "ses_region" {
  description = "Region where SES sends email (where the sender identities are verified); the SES events topic lives here too."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]+$", var.ses_region))
    error_message = "ses_region must be an AWS region name such as eu-central-1."
  }
}

variable "sns_region" {
  description = "Region where SNS sends SMS (where the SMS sandbox and spend limit are set); the SMS delivery logs and the SMS status function live here too."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]+$", var.sns_region))
    error_message = "sns_region must be an AWS region name such as eu-central-1."
  }
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
  description = "SMS sender IDs a client may send from (input.from); each 1-11 letters or digits with at least one letter (SNS rejects all-digit IDs), registered where required."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for sender in var.allowed_sms_sender_ids : can(regex("^[A-Za-z0-9]{1,11}$", sender)) && can(regex("[A-Za-z]", sender))])
    error_message = "An SMS sender ID is 1-11 letters or digits, at least one of them a letter (SNS rejects all-digit sender IDs)."
  }
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
  description = "The AppSync API key, the `default` client's path from before client keys existed (x-api-key): enabled (default true) keeps it; false deletes it, so only client keys and IAM callers remain. Lifetime in days: replaced on the first apply after rotation_days, each key valid for validity_days (at most 365)."
  type = object({
    enabled       = optional(bool, true)
    validity_days = optional(number, 90)
    rotation_days = optional(number, 60)
  })
  default = {}

  validation {
    condition     = var.api_key.validity_days >= 2 && var.api_key.validity_days <= 365 && var.api_key.rotation_days >= 1 && var.api_key.rotation_days < var.api_key.validity_days
    error_message = "api_key.validity_days must be 2-365 (AppSync's limit) and rotation_days at least 1 and shorter than validity_days."
  }
}

variable "resolver_count_limit" {
  description = "Resolvers one GraphQL request may run (AppSync's resolverCountLimit, 1-10000; default 1). Every operation of the schema resolves one root field and nothing nested, so 1 admits any single operation and refuses a request that selects a mutation twice (aliases): the guard behind one message per request, with the firewall's one-send-message-per-request rule as a second line. Raise it only for operations that resolve nested fields."
  type        = number
  default     = 1

  validation {
    condition     = var.resolver_count_limit >= 1 && var.resolver_count_limit <= 10000 && floor(var.resolver_count_limit) == var.resolver_count_limit
    error_message = "resolver_count_limit is a whole number from 1 to 10000 (AppSync's range)."
  }
}

variable "table" {
  description = "Messages table settings."
  type = object({
    deletion_protection_enabled = optional(bool, true)
    point_in_time_recovery_days = optional(number, 35)
  })
  default = {}

  validation {
    condition     = var.table.point_in_time_recovery_days >= 1 && var.table.point_in_time_recovery_days <= 35
    error_message = "table.point_in_time_recovery_days must be between 1 and 35."
  }
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

  validation {
    condition     = var.delivery_function.memory_mb >= 128 && var.delivery_function.memory_mb <= 10240 && var.delivery_function.timeout_seconds >= 1 && var.delivery_function.timeout_seconds <= 25 && var.delivery_function.reserved_concurrency >= 1
    error_message = "delivery_function: memory_mb 128-10240, timeout_seconds 1-25 (AppSync waits at most 30 s for the whole request), reserved_concurrency at least 1."
  }
}

variable "status_functions" {
  description = "Settings of the delivery-status Lambdas, one per eventHandlers entry of graphql/manifest.json. memory_mb defaults to 128, Lambda's least: each event is one or two DynamoDB calls, and nobody waits on them (they run asynchronously), so more memory would buy speed no one sees."
  type = object({
    memory_mb                = optional(number, 128)
    timeout_seconds          = optional(number, 30)
    reserved_concurrency     = optional(number, 5)
    powertools_layer_version = optional(number, 27)
  })
  default = {}

  validation {
    condition     = var.status_functions.memory_mb >= 128 && var.status_functions.memory_mb <= 10240 && var.status_functions.timeout_seconds >= 1 && var.status_functions.timeout_seconds <= 900 && var.status_functions.reserved_concurrency >= 1
    error_message = "status_functions: memory_mb 128-10240, timeout_seconds 1-900, reserved_concurrency at least 1."
  }
}

variable "stale_pending" {
  description = "The sweep (manifest handler stalePending) that marks UNKNOWN the messages left PENDING, whose delivery outcome was never recorded: schedule_expression, how often an EventBridge rule runs it (rate(...) or cron(...), default every 5 minutes); stale_after_seconds, the age in whole seconds from which a PENDING message counts as stale (at least 60: a sendMessage request lasts at most 30 s, AppSync's limit, and the delivery function's timeout is shorter, so a younger PENDING message may still be in flight; at most 3600, as the sweep finds messages through limit counters that live 26 hours)."
  type = object({
    schedule_expression = optional(string, "rate(5 minutes)")
    stale_after_seconds = optional(number, 300)
  })
  default = {}

  validation {
    condition     = can(regex("^(rate\\((1 (minute|hour|day)|([2-9]|[1-9][0-9]+) (minutes|hours|days))\\)|cron\\(\\S+( \\S+){5}\\))$", var.stale_pending.schedule_expression))
    error_message = "stale_pending.schedule_expression must be an EventBridge schedule: rate(1 minute), rate(N minutes|hours|days) with N >= 2, or cron() with six fields."
  }

  validation {
    condition     = var.stale_pending.stale_after_seconds >= 60 && var.stale_pending.stale_after_seconds <= 3600 && floor(var.stale_pending.stale_after_seconds) == var.stale_pending.stale_after_seconds
    error_message = "stale_pending.stale_after_seconds is a whole number of seconds from 60 to 3600: AppSync requests last up to 30 s, so a younger PENDING message may still be delivered; and the sweep finds messages through their recipients' limit counters, which live 26 hours, so it must not lag far behind."
  }
}

variable "sms" {
  description = "SMS delivery status. The SNS SMS preferences (Transactional, the spend limit, delivery-status logging with 100% success sampling) and the two delivery-status log groups exist once per AWS account and sns_region: exactly one environment per account and sns_region owns them, with manage_account_preferences = true and account_preferences_owner naming its own stage (a plan refuses manage_account_preferences = true unless account_preferences_owner names this stage, so a copied environment file does not take them over). By default an environment does not own them, and its SMS then stay ACCEPTED. The owner's destroy refuses to delete them (docs/deployment.md). monthly_spend_limit_usd may not exceed the SMS spend quota AWS Support granted the account (US$1 in the sandbox). delivery_log_retention_days (default 3, a value CloudWatch Logs accepts) is how long the two log groups keep their entries, which hold the destination phone number: the subscription filter hands each entry to smsEvents within seconds, so the numbers need not be kept long."
  type = object({
    manage_account_preferences  = optional(bool, false)
    account_preferences_owner   = optional(string)
    monthly_spend_limit_usd     = optional(number, 1)
    delivery_log_retention_days = optional(number, 3)
  })
  default = {}

  validation {
    condition     = var.sms.monthly_spend_limit_usd >= 0 && floor(var.sms.monthly_spend_limit_usd) == var.sms.monthly_spend_limit_usd
    error_message = "sms.monthly_spend_limit_usd is a whole number of US dollars, 0 or more."
  }

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.sms.delivery_log_retention_days)
    error_message = "sms.delivery_log_retention_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, ... 3653): the SMS delivery logs hold phone numbers, so keep them briefly (default 3)."
  }
}

variable "firewall" {
  description = "WAF settings of the API: requests per 5 minutes one client IP, and one key (each API key in x-api-key, each client key in Authorization), may make before WAF blocks them."
  type = object({
    rate_limit_per_5_minutes         = optional(number, 1000)
    api_key_rate_limit_per_5_minutes = optional(number, 3000)
  })
  default = {}

  validation {
    condition     = alltrue([for limit in [var.firewall.rate_limit_per_5_minutes, var.firewall.api_key_rate_limit_per_5_minutes] : limit >= 10 && limit <= 2000000000])
    error_message = "firewall rate limits must be between 10 and 2,000,000,000 (WAF's range)."
  }
}

variable "introspection_enabled" {
  description = "Whether the API answers introspection queries (__schema, __type): on where developers explore the schema or generate clients from it; off elsewhere, as AppSync's default, so the schema is not published to every key holder. Clients load graphql/client-schema.graphql instead."
  type        = bool
  default     = false
}

variable "query_depth_limit" {
  description = "The deepest document the API accepts (AppSync's queryDepthLimit, 1-75; a root field is at depth 1). The operations clients send reach depth 4 (getMessages { data { statusHistory { status } } })."
  type        = number
  default     = 10

  validation {
    condition     = var.query_depth_limit >= 1 && var.query_depth_limit <= 75 && floor(var.query_depth_limit) == var.query_depth_limit
    error_message = "query_depth_limit must be a whole number from 1 to 75 (AppSync's range)."
  }
}

variable "send_limits" {
  description = "Sending limits, checked before a message is recorded (a refused send records and sends nothing and gets errorType RateLimited): per recipient and channel, per hour (far above a transactional sender's needs, far below a loop's or an attacker's), and a stack-wide ceiling per channel, per minute, as a spend guard. Email has none by default (email_per_minute = 0, the only limit that may be 0): SES's account sending rate caps it, each client's daily quota bounds its spend, and the ceiling's counter would cost a write per email. SMS, dearer per message, keeps one, which cannot be lifted: pause the channel to stop SMS."
  type = object({
    sms_per_recipient_per_hour   = optional(number, 10)
    email_per_recipient_per_hour = optional(number, 50)
    sms_per_minute               = optional(number, 100)
    email_per_minute             = optional(number, 0)
  })
  default = {}

  validation {
    condition     = alltrue([for name, limit in var.send_limits : floor(limit) == limit && limit >= (name == "email_per_minute" ? 0 : 1)])
    error_message = "Every send limit is a whole number, at least 1; email_per_minute may be 0 (no stack-wide email ceiling)."
  }
}

variable "sms_allowed_countries" {
  description = "Countries SMS may go to, as ISO 3166 alpha-2 codes (e.g. [\"US\", \"CA\", \"GB\"]): an SMS goes only to a number libphonenumber calls valid and of one of them, so [\"US\"] does not reach Jamaica's +1 876. Any other number is a ValidationError. Each environment sets its own; there is no default, so no environment sends SMS worldwide by accident (toll fraud)."
  type        = list(string)
  default     = null

  validation {
    condition     = var.sms_allowed_countries == null ? true : length(var.sms_allowed_countries) > 0 && alltrue([for country in var.sms_allowed_countries : can(regex("^[A-Z]{2}$", country))])
    error_message = "sms_allowed_countries lists at least one ISO 3166 alpha-2 code in capitals (e.g. US, CA, GB)."
  }

  validation {
    condition     = (var.sms_allowed_countries == null) != (var.sms_allowed_prefixes == null)
    error_message = "Set sms_allowed_countries (the deprecated sms_allowed_prefixes only instead of it, never both)."
  }
}

variable "sms_allowed_prefixes" {
  description = "Deprecated, kept for one release: set sms_allowed_countries instead. E.164 prefixes SMS may go to (e.g. [\"+1\", \"+44\"]); they now admit the valid numbers, starting with a prefix, of the countries of the calling codes the prefixes reach."
  type        = list(string)
  default     = null

  validation {
    condition     = var.sms_allowed_prefixes == null ? true : length(var.sms_allowed_prefixes) > 0 && alltrue([for prefix in var.sms_allowed_prefixes : can(regex("^\\+[1-9][0-9]{0,5}$", prefix))])
    error_message = "sms_allowed_prefixes lists at least one E.164 prefix: + and 1-6 digits, the first not 0 (e.g. +1, +44, +4917)."
  }
}

variable "message_retention_days" {
  description = "Days a message record is kept: DynamoDB's TTL deletes it this long after it was created (typically within a few days after). Point-in-time recovery keeps deleted records up to table.point_in_time_recovery_days more."
  type        = number
  default     = 90

  validation {
    condition     = var.message_retention_days >= 1 && var.message_retention_days <= 3650 && floor(var.message_retention_days) == var.message_retention_days
    error_message = "message_retention_days is a whole number of days, 1 to 3650."
  }
}

variable "test_message_retention_days" {
  description = "Days a TEST key's message record is kept (DynamoDB's TTL deletes it this long after it was created): TEST messages reach no one, so they need not be kept as long as message_retention_days."
  type        = number
  default     = 7

  validation {
    condition     = var.test_message_retention_days >= 1 && var.test_message_retention_days <= 3650 && floor(var.test_message_retention_days) == var.test_message_retention_days
    error_message = "test_message_retention_days is a whole number of days, 1 to 3650."
  }
}

variable "client_defaults" {
  description = "Clients (docs/api.md): email_per_day and sms_per_day, the daily limits of a client created without its own (operators change a client's limits with updateClientLimits); the `default` client, the API key's, starts with them too. key_max_days: the longest a client key may live, and the lifetime of a key created without expiresAt."
  type = object({
    email_per_day = optional(number, 10000)
    sms_per_day   = optional(number, 1000)
    key_max_days  = optional(number, 365)
  })
  default = {}

  validation {
    condition     = alltrue([for limit in [var.client_defaults.email_per_day, var.client_defaults.sms_per_day] : limit >= 0 && limit <= 10000000 && floor(limit) == limit])
    error_message = "client_defaults.email_per_day and sms_per_day are whole numbers from 0 to 10,000,000 (the operators' API accepts no more)."
  }

  validation {
    condition     = var.client_defaults.key_max_days >= 1 && var.client_defaults.key_max_days <= 3650 && floor(var.client_defaults.key_max_days) == var.client_defaults.key_max_days
    error_message = "client_defaults.key_max_days is a whole number of days, 1 to 3650."
  }
}

variable "iam_clients" {
  description = "IAM roles and users that call the API as a client, signed with SigV4 (AWS_IAM): their ARN (arn:aws:iam::<account>:role/<name> or :user/<name>) to the client id they send as. Every session of a role counts (a role's path is not part of its sessions' ARNs). An IAM caller not listed here may call the operators' fields only, and only if its own IAM policy allows them."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for arn in keys(var.iam_clients) : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/([\\w+=,.@-]+/)*[\\w+=,.@-]{1,64}$", arn))])
    error_message = "Every iam_clients key is an IAM role or user ARN: arn:aws:iam::<12-digit account>:role/<name> or :user/<name> (a path allowed)."
  }

  validation {
    condition     = alltrue([for client in values(var.iam_clients) : can(regex("^([0-9A-HJKMNP-TV-Z]{26}|[a-z][a-z0-9-]{0,31})$", client))])
    error_message = "Every iam_clients value is a client id: `default`, or the id createClient returned (26 letters and digits)."
  }

  validation {
    condition     = length(distinct([for arn in keys(var.iam_clients) : replace(arn, "/^(arn:[^:]+):iam::([0-9]{12}):role/(?:.*/)?([^/]+)$/", "$1:sts::$2:assumed-role/$3/")])) == length(var.iam_clients)
    error_message = "Two iam_clients roles share a name (in different paths): their sessions cannot be told apart, so map only one of them."
  }
}

variable "authorizer_cache_seconds" {
  description = "How long AppSync caches the authorizer's answer for a client key (0-3600; 0 turns the cache off, each request is then checked): a revoked key keeps working up to this long, and the authorizer runs at most once per key in that time."
  type        = number
  default     = 60

  validation {
    condition     = var.authorizer_cache_seconds >= 0 && var.authorizer_cache_seconds <= 3600 && floor(var.authorizer_cache_seconds) == var.authorizer_cache_seconds
    error_message = "authorizer_cache_seconds is a whole number of seconds from 0 to 3600 (AppSync's range)."
  }
}

variable "tags" {
  description = "Tags added to every resource (next to Application, Stage and ManagedBy)."
  type        = map(string)
  default     = {}
}

variable "alarms" {
  description = "Alarms (docs/operations.md). email_subscribers: addresses mailed every alarm and its return to OK (each confirms SNS's first mail; none by default). ses_bounce_rate and ses_complaint_rate: the account's SES reputation rates (fractions: 0.04 is 4%) at which the warning and the critical alarm fire; critical also pauses EMAIL (the channel guardrail). Warning must stay below AWS's review level (5% bounces, 0.1% complaints), critical below the level at which AWS may pause the account (10%, 0.5%). sms_spend_percent: the share of sms.monthly_spend_limit_usd spent this month above which the warning and the critical alarm fire; critical also pauses SMS. event_stream_age_seconds: the age of the oldest change the event publisher is still handling above which its alarm fires (the stream is falling behind; past the feed's 5 s settle time a reader paging messageEvents can miss an event). event_publish_failures: events per 5 minutes not pushed to subscribers (onMessageStatus) above which its alarm fires; subscribers catch up from the feed, so a few are no alarm."
  type = object({
    email_subscribers = optional(list(string), [])
    ses_bounce_rate = optional(object({
      warning  = optional(number, 0.04)
      critical = optional(number, 0.07)
    }), {})
    ses_complaint_rate = optional(object({
      warning  = optional(number, 0.0008)
      critical = optional(number, 0.004)
    }), {})
    sms_spend_percent = optional(object({
      warning  = optional(number, 80)
      critical = optional(number, 90)
    }), {})
    event_stream_age_seconds = optional(number, 60)
    event_publish_failures   = optional(number, 10)
  })
  default = {}

  validation {
    condition     = alltrue([for address in var.alarms.email_subscribers : can(regex("^[^@\\s]+@[^@\\s]+\\.[a-z]{2,}$", lower(address)))]) && length(distinct([for address in var.alarms.email_subscribers : lower(address)])) == length(var.alarms.email_subscribers)
    error_message = "alarms.email_subscribers must be email addresses, each once."
  }

  validation {
    condition     = var.alarms.ses_bounce_rate.warning > 0 && var.alarms.ses_bounce_rate.warning < var.alarms.ses_bounce_rate.critical && var.alarms.ses_bounce_rate.warning < 0.05 && var.alarms.ses_bounce_rate.critical < 0.1
    error_message = "alarms.ses_bounce_rate: 0 < warning < critical, warning below 0.05 (AWS reviews the account at a 5% bounce rate) and critical below 0.1 (AWS may pause it at 10%)."
  }

  validation {
    condition     = var.alarms.ses_complaint_rate.warning > 0 && var.alarms.ses_complaint_rate.warning < var.alarms.ses_complaint_rate.critical && var.alarms.ses_complaint_rate.warning < 0.001 && var.alarms.ses_complaint_rate.critical < 0.005
    error_message = "alarms.ses_complaint_rate: 0 < warning < critical, warning below 0.001 (AWS reviews the account at a 0.1% complaint rate) and critical below 0.005 (AWS may pause it at 0.5%)."
  }

  validation {
    condition     = var.alarms.sms_spend_percent.warning > 0 && var.alarms.sms_spend_percent.warning < var.alarms.sms_spend_percent.critical && var.alarms.sms_spend_percent.critical <= 100
    error_message = "alarms.sms_spend_percent: percentages of the monthly limit with 0 < warning < critical <= 100."
  }

  validation {
    condition     = var.alarms.event_stream_age_seconds >= 1 && var.alarms.event_stream_age_seconds <= 86400 && floor(var.alarms.event_stream_age_seconds) == var.alarms.event_stream_age_seconds
    error_message = "alarms.event_stream_age_seconds is a whole number of seconds from 1 to 86400 (the stream keeps a change 24 hours)."
  }

  validation {
    condition     = var.alarms.event_publish_failures >= 0 && floor(var.alarms.event_publish_failures) == var.alarms.event_publish_failures
    error_message = "alarms.event_publish_failures is a whole number of events, 0 or more (0: any failure alarms)."
  }
}

variable "tracing" {
  description = "X-Ray sampling. fixed_rate: the share of API requests traced (0 to 1; default 0.01, 1%), decided by AppSync at the start of each request; the functions it calls trace exactly those requests. There is no per-second reservoir, so the rate alone bounds the traces. Errors are in logs and metrics whether their request was traced or not."
  type = object({
    fixed_rate = optional(number, 0.01)
  })
  default = {}

  validation {
    condition     = var.tracing.fixed_rate >= 0 && var.tracing.fixed_rate <= 1
    error_message = "tracing.fixed_rate is a share of requests, from 0 to 1 (0.01 traces 1%)."
  }
}

variable "webhooks" {
  description = "Webhooks (docs/api.md#webhooks, terraform/webhooks.tf). allowed_ports: TCP ports besides 443 an endpoint URL may name (always HTTPS; every address still checked); attempt_retention_days: how long webhookAttempts lists an attempt; sender_reserved_concurrency: the most sender instances at once, each sending a batch of up to 10 deliveries side by side."
  type = object({
    allowed_ports               = optional(list(number), [])
    attempt_retention_days      = optional(number, 30)
    sender_reserved_concurrency = optional(number, 10)
  })
  default = {}

  validation {
    condition     = alltrue([for port in var.webhooks.allowed_ports : port >= 1 && port <= 65535 && floor(port) == port && port != 443])
    error_message = "webhooks.allowed_ports lists TCP ports (whole numbers from 1 to 65535) besides 443, which is always allowed."
  }

  validation {
    condition     = var.webhooks.attempt_retention_days >= 1 && var.webhooks.attempt_retention_days <= 365 && floor(var.webhooks.attempt_retention_days) == var.webhooks.attempt_retention_days
    error_message = "webhooks.attempt_retention_days is a whole number of days from 1 to 365."
  }

  validation {
    condition     = var.webhooks.sender_reserved_concurrency >= 1 && var.webhooks.sender_reserved_concurrency <= 1000 && floor(var.webhooks.sender_reserved_concurrency) == var.webhooks.sender_reserved_concurrency
    error_message = "webhooks.sender_reserved_concurrency is a whole number from 1 to 1000."
  }
}

variable "event_publisher" {
  description = "The event publisher (terraform/events.tf), which turns the table's stream into events. reserved_concurrency: the most instances at once; the stream runs one batch per shard at a time, parallelization_factor batches with more (1-10; a message's changes stay in order at any value), so it needs at least its shards times that, or batches wait. batch_size: changes per invocation, handled one after another; the function's timeout grows with it (each publication may wait 3 s for AppSync). maximum_retry_attempts and maximum_record_age_seconds: how often, and for how long, a change that keeps failing is retried (holding back the later changes of its shard) before its place in the stream goes to the dead-letter queue; at most 12 hours old, so that 12 of the 24 hours DynamoDB keeps a change remain to read it again."
  type = object({
    reserved_concurrency       = optional(number, 10)
    batch_size                 = optional(number, 25)
    parallelization_factor     = optional(number, 1)
    maximum_retry_attempts     = optional(number, 10)
    maximum_record_age_seconds = optional(number, 3600)
  })
  default = {}

  validation {
    condition     = var.event_publisher.reserved_concurrency >= 1 && var.event_publisher.reserved_concurrency <= 1000 && floor(var.event_publisher.reserved_concurrency) == var.event_publisher.reserved_concurrency
    error_message = "event_publisher.reserved_concurrency is a whole number from 1 to 1000."
  }

  validation {
    condition     = var.event_publisher.batch_size >= 1 && var.event_publisher.batch_size <= 250 && floor(var.event_publisher.batch_size) == var.event_publisher.batch_size
    error_message = "event_publisher.batch_size is a whole number from 1 to 250 (a batch's publications must fit Lambda's 15 minutes)."
  }

  validation {
    condition     = var.event_publisher.parallelization_factor >= 1 && var.event_publisher.parallelization_factor <= 10 && floor(var.event_publisher.parallelization_factor) == var.event_publisher.parallelization_factor
    error_message = "event_publisher.parallelization_factor is a whole number from 1 to 10 (Lambda's range)."
  }

  validation {
    condition     = var.event_publisher.maximum_retry_attempts >= 0 && var.event_publisher.maximum_retry_attempts <= 10000 && floor(var.event_publisher.maximum_retry_attempts) == var.event_publisher.maximum_retry_attempts
    error_message = "event_publisher.maximum_retry_attempts is a whole number from 0 to 10000: bounded (Lambda's -1, retry forever, would hold back a shard for the stream's 24 hours)."
  }

  validation {
    condition     = var.event_publisher.maximum_record_age_seconds >= 60 && var.event_publisher.maximum_record_age_seconds <= 43200 && floor(var.event_publisher.maximum_record_age_seconds) == var.event_publisher.maximum_record_age_seconds
    error_message = "event_publisher.maximum_record_age_seconds is a whole number of seconds from 60 (Lambda's least) to 43200 (12 hours: a dead letter names changes the stream keeps 24 hours, so half a day remains to read them)."
  }
}

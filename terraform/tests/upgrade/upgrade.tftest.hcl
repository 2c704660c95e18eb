# An environment deployed before clients upgrades in place (make apply): run "before" applies the stack as it
# was, which tests/terraform/test_upgrade.py lays out from git in tests/upgrade/before; run "upgrade" plans
# today's stack on that state. A resource whose address changed without a moved block would be planned anew:
# its computed values (an ARN, a key) would be unknown, and these assertions could not hold. Run it with
# `.venv/bin/pytest -q tests/terraform/test_upgrade.py`.
mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }

  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }

  mock_data "aws_region" {
    defaults = { region = "eu-central-1" }
  }

  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }

  mock_resource "aws_appsync_graphql_api" {
    defaults = { uris = { GRAPHQL = "https://example.appsync-api.eu-central-1.amazonaws.com/graphql" } }
  }

  # What the old stack's resources were given, so the upgrade's plan can be compared with them.
  mock_resource "aws_kms_key" {
    defaults = { arn = "arn:aws:kms:eu-central-1:123456789012:key/00000000-0000-0000-0000-000000000000" }
  }

  mock_resource "aws_dynamodb_table" {
    defaults = { arn = "arn:aws:dynamodb:eu-central-1:123456789012:table/default-messenger-messages" }
  }

  mock_resource "aws_lambda_function" {
    defaults = { arn = "arn:aws:lambda:eu-central-1:123456789012:function:deployed-before" }
  }

  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/deployed-before" }
  }

  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:eu-central-1:123456789012:log-group:deployed-before" }
  }
}

mock_provider "archive" {}

mock_provider "time" {
  mock_resource "time_rotating" {
    defaults = { rfc3339 = "2026-11-29T17:45:12Z" }
  }
}

# The firewall's web ACL, the costliest resource to apply (its schema nests thousands of blocks), holds no data and
# is in no assertion: both stacks take its outputs as given.
override_module {
  target = module.firewall
  outputs = {
    web_acl_arn    = "arn:aws:wafv2:eu-central-1:123456789012:regional/webacl/default-messenger-api/00000000-0000-0000-0000-000000000000"
    log_group_name = "aws-waf-logs-default-messenger-api"
    name           = "default-messenger-api"
    metric_name    = "default-messenger-api"
  }
}

variables {
  stage                = "default" # terraform test runs in the current workspace
  region               = "eu-central-1"
  ses_region           = "eu-central-1"
  sns_region           = "eu-central-1"
  default_email_from   = "support@example.com"
  sms_allowed_prefixes = ["+1", "+44"]
}

run "before" {
  state_key = "stack"

  module {
    source = "./tests/upgrade/before/terraform"
  }
}

run "upgrade" {
  command   = plan
  state_key = "stack"

  # An environment of that time still sets sms_allowed_prefixes: its plan warns (a check), and goes on.
  expect_failures = [check.sms_allowed_prefixes_deprecated]

  # --- What holds data keeps its identity
  assert {
    condition     = module.messages_table.arn == "arn:aws:dynamodb:eu-central-1:123456789012:table/default-messenger-messages" && module.messages_table.index_arns == { for name in keys(jsondecode(file("../graphql/manifest.json")).tables.messages.indexes) : name => "arn:aws:dynamodb:eu-central-1:123456789012:table/default-messenger-messages/index/${name}" }
    error_message = "The messages table and its indexes are the ones deployed before."
  }

  # The stream the event publisher reads is switched on in place (an update of the table, not a new one).
  assert {
    condition     = module.messages_table.stream_view_type == "NEW_AND_OLD_IMAGES"
    error_message = "The table deployed before gains its stream, keeping its identity (above)."
  }

  assert {
    condition     = module.kms_key.arn == "arn:aws:kms:eu-central-1:123456789012:key/00000000-0000-0000-0000-000000000000"
    error_message = "The stack's key is the one deployed before: what it encrypted stays readable."
  }

  assert {
    condition     = alltrue([for name, queue in run.before.status_dead_letter_queues : output.status_dead_letter_queues[name] == queue])
    error_message = "Each status function's dead-letter queue, and the events it holds, is kept."
  }

  assert {
    condition     = output.alarm_topic_arns == run.before.alarm_topic_arns && output.ses_events_topic_arn == run.before.ses_events_topic_arn
    error_message = "The alarm and SES event topics, and their subscriptions' endpoints, are kept."
  }

  # --- Callers keep their endpoint and key
  assert {
    condition     = output.graphql_api_arn == run.before.graphql_api_arn && output.graphql_url == run.before.graphql_url
    error_message = "The API is updated in place: clients keep its URL."
  }

  assert {
    condition     = nonsensitive(output.api_key == run.before.api_key) && output.api_key_expires == run.before.api_key_expires
    error_message = "The API key is kept (its address gained a count: moved blocks in modules/graphql_api)."
  }

  # --- What was renamed moved
  assert {
    condition     = module.clients_functions["erasure"].arn == "arn:aws:lambda:eu-central-1:123456789012:function:deployed-before" && module.clients_functions["erasure"].role_arn == "arn:aws:iam::123456789012:role/deployed-before"
    error_message = "The erasure function and its role moved to clients_functions[\"erasure\"] (terraform/moved.tf) rather than being replaced."
  }
}

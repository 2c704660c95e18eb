# A plan of the whole stack for one environment file, in its own workspace:
#   TF_WORKSPACE=<env> terraform test -filter=tests/environments.tftest.hcl -var-file=../envs/<env>.tfvars
# (make terraform-test runs it for every envs/*.tfvars). A plan that cannot be made fails the test.
mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }

  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }

  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
}

mock_provider "archive" {}
mock_provider "time" {}

run "plan" {
  command = plan

  assert {
    condition     = var.stage == terraform.workspace
    error_message = "An environment file is planned in its own workspace."
  }

  assert {
    condition     = output.table_name == "${var.stage}-messenger-messages" && output.delivery_function_name == "${var.stage}-messenger-delivery"
    error_message = "Every name starts with the stage."
  }

  assert {
    condition     = output.guardrail_function_name == "${var.stage}-messenger-channel-guardrail" && length(aws_cloudwatch_metric_alarm.this) > 0 && aws_cloudwatch_dashboard.this.dashboard_name == "${var.stage}-messenger"
    error_message = "Every environment has its alarms, its dashboard and its channel guardrail."
  }

  assert {
    condition     = module.firewall.name == "${var.stage}-messenger-api" && module.firewall.metric_name == "${var.stage}-messenger-api"
    error_message = "The API's firewall is named from the stage, and so is the metric the dashboard's firewall widget reads."
  }

  assert {
    condition     = var.stage != "prod" || (var.table.deletion_protection_enabled && var.table.point_in_time_recovery_days == 35)
    error_message = "Production keeps its table: deletion protection and 35 days of point-in-time recovery."
  }

  assert {
    condition     = var.api_key.validity_days <= 365 && var.api_key.rotation_days < var.api_key.validity_days
    error_message = "Keys are bounded and replaced before they expire."
  }

  assert {
    condition     = var.sms.manage_account_preferences == (var.sms.account_preferences_owner == var.stage)
    error_message = "An environment owns the account's SMS settings exactly when its file names it the owner."
  }

  assert {
    condition     = module.api.query_limits.introspection_enabled == (var.stage == "dev")
    error_message = "Only dev answers introspection; stage and prod keep AppSync's default (off)."
  }

  assert {
    condition     = module.api.query_limits.query_depth_limit == var.query_depth_limit && var.query_depth_limit >= 4
    error_message = "Each environment's query depth limit reaches the API, and admits the operations clients send (depth 4)."
  }
}

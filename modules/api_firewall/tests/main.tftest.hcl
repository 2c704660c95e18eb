mock_provider "aws" {}

variables {
  name        = "test-messenger-api"
  kms_key_arn = "arn:aws:kms:eu-central-1:123456789012:key/11111111-2222-3333-4444-555555555555"
}

run "plan" {
  command = plan

  # --- Screens callers and inputs and rate limits each ip and key
  assert {
    condition     = aws_wafv2_web_acl.this.scope == "REGIONAL" && length(aws_wafv2_web_acl.this.default_action[0].allow) == 1
    error_message = "A regional web ACL (AppSync's scope) that allows what no rule blocks."
  }

  assert {
    condition = jsonencode({ for rule in aws_wafv2_web_acl.this.rule : rule.priority => rule.name }) == jsonencode({
      1 = "aws-ip-reputation", 2 = "aws-anonymous-ip", 3 = "rate-limit-per-ip", 4 = "rate-limit-per-api-key",
      5 = "rate-limit-per-client-key", 6 = "one-send-message-per-request", 7 = "aws-known-bad-inputs",
    })
    error_message = "The rules, in order."
  }

  assert {
    condition = toset([for rule in aws_wafv2_web_acl.this.rule : rule.statement[0].managed_rule_group_statement[0].name if length(rule.statement[0].managed_rule_group_statement) > 0]) == toset([
      "AWSManagedRulesAmazonIpReputationList", "AWSManagedRulesAnonymousIpList", "AWSManagedRulesKnownBadInputsRuleSet",
    ])
    error_message = "AWS's IP reputation, anonymous IP and known bad inputs groups."
  }

  assert {
    condition     = jsonencode(one([for rule in aws_wafv2_web_acl.this.rule : rule.statement[0].managed_rule_group_statement[0].rule_action_override if rule.name == "aws-anonymous-ip"])) == jsonencode([{ action_to_use = [{ allow = [], block = [], captcha = [], challenge = [], count = [{ custom_request_handling = [] }] }], name = "HostingProviderIPList" }])
    error_message = "Callers from cloud hosts (the API's backends) are counted, not blocked."
  }

  assert {
    condition     = one([for rule in aws_wafv2_web_acl.this.rule : rule.statement[0].rate_based_statement[0] if rule.name == "rate-limit-per-api-key"]).limit == 3000 && one([for rule in aws_wafv2_web_acl.this.rule : rule.statement[0].rate_based_statement[0].custom_key[0].header[0].name if rule.name == "rate-limit-per-api-key"]) == "x-api-key"
    error_message = "Each API key: 3,000 requests per 5 minutes by default."
  }

  assert {
    condition     = one([for rule in aws_wafv2_web_acl.this.rule : rule.statement[0].rate_based_statement[0] if rule.name == "rate-limit-per-client-key"]).limit == 3000 && jsonencode(one([for rule in aws_wafv2_web_acl.this.rule : rule.statement[0].rate_based_statement[0].custom_key[*].header[0].name if rule.name == "rate-limit-per-client-key"])) == jsonencode(["authorization"])
    error_message = "Each client key (the Authorization header) on its own: 3,000 requests per 5 minutes by default, the API key's limit."
  }

  # WAF counts only requests that carry every part of a rule's key: one header per rule.
  assert {
    condition     = alltrue([for rule in aws_wafv2_web_acl.this.rule : length(rule.statement[0].rate_based_statement[0].custom_key) == 1 if length(rule.statement[0].rate_based_statement) > 0 && rule.name != "rate-limit-per-ip"])
    error_message = "Each per-key rule keys on one header, so a request with either header is counted."
  }

  # Only headers holding a client key count against it: tried on headers as clients send them.
  assert {
    condition = alltrue([for header in [
      "sm_live_01HZY3N6V2QK8W4J5T7R9XB0CD_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ",
      "sm_test_01HZY3N6V2QK8W4J5T7R9XB0CD_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ",
      ] : can(regex(one([for rule in aws_wafv2_web_acl.this.rule : rule.statement[0].rate_based_statement[0].scope_down_statement[0].regex_match_statement[0].regex_string if rule.name == "rate-limit-per-client-key"]), header))]) && !anytrue([for header in [
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/eu-central-1/appsync/aws4_request, SignedHeaders=host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7",
      "Bearer sm_live_01HZY3N6V2QK8W4J5T7R9XB0CD",
    ] : can(regex(one([for rule in aws_wafv2_web_acl.this.rule : rule.statement[0].rate_based_statement[0].scope_down_statement[0].regex_match_statement[0].regex_string if rule.name == "rate-limit-per-client-key"]), header))])
    error_message = "A LIVE or TEST client key is rate limited per key; an IAM caller's signature is not (the per-IP rule covers it)."
  }

  assert {
    condition     = one([for rule in aws_wafv2_web_acl.this.rule : rule.statement[0].rate_based_statement[0] if rule.name == "rate-limit-per-ip"]).limit == 1000
    error_message = "1,000 requests per IP per 5 minutes by default."
  }

  assert {
    condition     = one([for rule in aws_wafv2_web_acl.this.rule : rule.statement[0].managed_rule_group_statement[0].name if rule.name == "aws-known-bad-inputs"]) == "AWSManagedRulesKnownBadInputsRuleSet"
    error_message = "AWS's known-bad-inputs rules (with Log4j) screen every request."
  }

  # --- A body selecting send message twice is blocked and one send is not
  # The regex the rule sends, tried on bodies as clients send them (JSON, line breaks escaped).
  assert {
    condition = alltrue([for body in [
      "{\"query\":\"mutation { a: sendMessage(input: $a) { id } b: sendMessage(input: $b) { id } }\"}",
      "{\"query\":\"mutation(\\n$a: MessageInput!) {\\n  a: sendMessage(\\n input: $a) { id }\\n  b: sendMessage(,input:$a) { id }\\n}\"}",
    ] : can(regex(one([for rule in aws_wafv2_web_acl.this.rule : rule.statement[0].regex_match_statement[0].regex_string if rule.name == "one-send-message-per-request"]), body))])
    error_message = "Two sendMessage selections in one body must match the blocking rule."
  }

  assert {
    condition = !anytrue([for body in [
      "{\"query\":\"mutation sendMessage($input: MessageInput!) { sendMessage(input: $input) { to from body deliveryMethod deliveryStatus recipientId senderId } }\",\"variables\":{\"input\":{\"body\":\"call sendMessage(input: x) twice\"}}}",
      "{\"query\":\"query getMessages($filter: MessageFilter!) { getMessages(filter: $filter) { data { id } } }\"}",
    ] : can(regex(one([for rule in aws_wafv2_web_acl.this.rule : rule.statement[0].regex_match_statement[0].regex_string if rule.name == "one-send-message-per-request"]), body))])
    error_message = "One sendMessage (the original example, whatever its body says) must not match."
  }

  # --- Logs are encrypted bounded and never hold the api key
  assert {
    condition     = aws_cloudwatch_log_group.this.name == "aws-waf-logs-test-messenger-api" && aws_cloudwatch_log_group.this.kms_key_id == var.kms_key_arn && aws_cloudwatch_log_group.this.retention_in_days == 365
    error_message = "WAF's log group (its name must start aws-waf-logs-), encrypted and kept a bounded time."
  }

  assert {
    condition = jsonencode(aws_wafv2_web_acl_logging_configuration.this.redacted_fields) == jsonencode([
      { method = [], query_string = [], single_header = [{ name = "x-api-key" }], uri_path = [] },
      { method = [], query_string = [], single_header = [{ name = "authorization" }], uri_path = [] },
    ])
    error_message = "The x-api-key header (the API key) and the authorization header (client keys, IAM callers' signatures) are redacted from every log record."
  }

  assert {
    condition     = one(aws_wafv2_web_acl_logging_configuration.this.logging_filter).default_behavior == "DROP" && jsonencode([for condition in one(one(aws_wafv2_web_acl_logging_configuration.this.logging_filter).filter).condition : one(condition.action_condition).action]) == jsonencode(["BLOCK"])
    error_message = "Only blocked requests are logged: not counted ones (every backend on a cloud host is counted), not every caller's IP."
  }

  # --- The web acl's metrics are named for the dashboard
  assert {
    condition     = output.name == "test-messenger-api" && output.metric_name == "test-messenger-api"
    error_message = "The ACL's metrics carry its name as their WebACL dimension."
  }
}

# What the variables refuse, tried against variables.tf alone (tests/variables), without planning the web ACL.
run "refuses_a_client_key_prefix_that_is_no_plain_word" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    client_key_prefixes = ["sm_.*"]
  }

  expect_failures = [var.client_key_prefixes]
}

run "refuses_a_rate_limit_waf_does_not_allow" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    rate_limit = 5
  }

  expect_failures = [var.rate_limit]
}

# The names and texts the web ACL sends, against what WAF's API accepts (tests/terraform/aws_constraints.json).
run "what_it_sends_fits_the_waf_api" {
  command = plan

  variables {
    name = "a-web-acl-name-long-enough-to-matter"
  }

  assert {
    condition = alltrue(concat(
      [
        can(regex(jsondecode(file("../../tests/terraform/aws_constraints.json")).constraints["wafv2.Name"].pattern, aws_wafv2_web_acl.this.name)),
        can(regex(jsondecode(file("../../tests/terraform/aws_constraints.json")).constraints["wafv2.Description"].pattern, aws_wafv2_web_acl.this.description)),
        length(aws_wafv2_web_acl.this.description) <= jsondecode(file("../../tests/terraform/aws_constraints.json")).constraints["wafv2.Description"].max,
        can(regex(jsondecode(file("../../tests/terraform/aws_constraints.json")).constraints["wafv2.MetricName"].pattern, aws_wafv2_web_acl.this.visibility_config[0].metric_name)),
        can(regex(jsondecode(file("../../tests/terraform/aws_constraints.json")).constraints["logs.LogGroupName"].pattern, aws_cloudwatch_log_group.this.name)),
      ],
      [for rule in aws_wafv2_web_acl.this.rule : can(regex(jsondecode(file("../../tests/terraform/aws_constraints.json")).constraints["wafv2.Name"].pattern, rule.name))],
      [for rule in aws_wafv2_web_acl.this.rule : can(regex(jsondecode(file("../../tests/terraform/aws_constraints.json")).constraints["wafv2.MetricName"].pattern, rule.visibility_config[0].metric_name))],
    ))
    error_message = "Every name, description and metric name must be one WAF accepts."
  }
}

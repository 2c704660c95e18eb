# The API's firewall. Rules run in priority order; the first BLOCK ends a request. AWS's managed groups
# screen who calls (IP reputation, anonymizers) and what they send (known bad inputs); rate rules cap each
# client IP, each API key and each client key; a body rule refuses a request that selects sendMessage twice (resolver_count_limit
# on the API is the guard that cannot be evaded; this one stops most such requests before they reach it).
resource "aws_wafv2_web_acl" "this" {
  name = var.name
  # WAF allows letters, digits, spaces and +=:#@/-,. in a description (no semicolon).
  description = "Rate limits, IP reputation and known bad inputs for ${var.name}, for the resource associated with it"
  scope       = "REGIONAL"

  default_action {
    allow {}
  }

  rule {
    name     = "aws-ip-reputation"
    priority = 1

    override_action {
      none {}
    }

    statement {
      managed_rule_group_statement {
        name        = "AWSManagedRulesAmazonIpReputationList"
        vendor_name = "AWS"
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-ip-reputation"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = "aws-anonymous-ip"
    priority = 2

    override_action {
      none {}
    }

    statement {
      managed_rule_group_statement {
        name        = "AWSManagedRulesAnonymousIpList"
        vendor_name = "AWS"

        # Backends calling from cloud hosts (EC2, Lambda, containers) are the API's intended callers: counted,
        # not blocked. VPNs, Tor and proxies (AnonymousIPList) are blocked.
        rule_action_override {
          name = "HostingProviderIPList"

          action_to_use {
            count {}
          }
        }
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-anonymous-ip"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = "rate-limit-per-ip"
    priority = 3

    action {
      block {}
    }

    statement {
      rate_based_statement {
        limit                 = var.rate_limit
        evaluation_window_sec = 300
        aggregate_key_type    = "IP"
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-rate-limit"
      sampled_requests_enabled   = true
    }
  }

  # A leaked key is throttled wherever it is used from. Requests without the header (IAM callers) are
  # counted by the per-IP rule only.
  rule {
    name     = "rate-limit-per-api-key"
    priority = 4

    action {
      block {}
    }

    statement {
      rate_based_statement {
        limit                 = var.api_key_rate_limit
        evaluation_window_sec = 300
        aggregate_key_type    = "CUSTOM_KEYS"

        custom_key {
          header {
            name = "x-api-key"

            text_transformation {
              priority = 0
              type     = "NONE"
            }
          }
        }
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-rate-limit-api-key"
      sampled_requests_enabled   = true
    }
  }

  # The same for a client's key, sent in the Authorization header. WAF omits a request that lacks any part of
  # a rule's aggregation key, so the two headers need a rule each (one rule keyed on both would count only
  # requests that carry both). Only headers that hold a client key are counted: an IAM caller's SigV4
  # signature differs on every request and would only crowd the rule's aggregation instances.
  rule {
    name     = "rate-limit-per-client-key"
    priority = 5

    action {
      block {}
    }

    statement {
      rate_based_statement {
        limit                 = var.api_key_rate_limit
        evaluation_window_sec = 300
        aggregate_key_type    = "CUSTOM_KEYS"

        custom_key {
          header {
            name = "authorization"

            text_transformation {
              priority = 0
              type     = "NONE"
            }
          }
        }

        scope_down_statement {
          regex_match_statement {
            regex_string = local.client_key_header

            field_to_match {
              single_header {
                name = "authorization"
              }
            }

            text_transformation {
              priority = 0
              type     = "NONE"
            }
          }
        }
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-rate-limit-client-key"
      sampled_requests_enabled   = true
    }
  }

  # sendMessage called twice in one document (aliases): two `sendMessage(input:` in the body's JSON, whose
  # line breaks arrive escaped (\n). WAF sees the first 8 KB of an AppSync body; the rest is not inspected.
  rule {
    name     = "one-send-message-per-request"
    priority = 6

    action {
      block {}
    }

    statement {
      regex_match_statement {
        regex_string = local.send_message_twice

        field_to_match {
          body {
            oversize_handling = "CONTINUE"
          }
        }

        text_transformation {
          priority = 0
          type     = "NONE"
        }
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-send-message-twice"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = "aws-known-bad-inputs"
    priority = 7

    override_action {
      none {}
    }

    statement {
      managed_rule_group_statement {
        name        = "AWSManagedRulesKnownBadInputsRuleSet"
        vendor_name = "AWS"
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-known-bad-inputs"
      sampled_requests_enabled   = true
    }
  }

  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = var.name
    sampled_requests_enabled   = true
  }
}

locals {
  # An Authorization header that starts with a client key's prefix (sm_live_, sm_test_).
  client_key_header = "^(?:${join("|", var.client_key_prefixes)})"

  # Within the JSON string that holds the query ("query": "..."), so that a message body which mentions
  # sendMessage is never taken for a call. GraphQL separates tokens with white space or commas; in the JSON
  # body, line breaks and tabs arrive escaped (\n, \r, \t).
  json_string_text   = "(?:[^\"\\\\]|\\\\.)*?"
  graphql_space      = "(?:\\s|,|\\\\[nrt])*"
  send_message_call  = "sendMessage${local.graphql_space}\\(${local.graphql_space}input${local.graphql_space}:"
  send_message_twice = "\"query\"\\s*:\\s*\"${local.json_string_text}${local.send_message_call}${local.json_string_text}${local.send_message_call}"
}

resource "aws_cloudwatch_log_group" "this" {
  name              = "aws-waf-logs-${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_wafv2_web_acl_logging_configuration" "this" {
  resource_arn            = aws_wafv2_web_acl.this.arn
  log_destination_configs = [aws_cloudwatch_log_group.this.arn]

  # Credentials never go into a log: the API key travels in x-api-key; a client's key, or an IAM caller's
  # SigV4 signature, in authorization.
  redacted_fields {
    single_header {
      name = "x-api-key"
    }
  }

  redacted_fields {
    single_header {
      name = "authorization"
    }
  }

  # Only what a rule blocked: not every caller's IP for the log's whole retention. COUNT is left out on
  # purpose: the hosting-provider rule counts every request from a cloud host, which is every backend caller.
  logging_filter {
    default_behavior = "DROP"

    filter {
      behavior    = "KEEP"
      requirement = "MEETS_ANY"

      condition {
        action_condition {
          action = "BLOCK"
        }
      }
    }
  }
}

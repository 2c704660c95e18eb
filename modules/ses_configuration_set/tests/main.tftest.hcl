mock_provider "aws" {}

variables {
  name   = "test-messenger-messages"
  region = "eu-west-1"
  sns_event_destination = {
    name        = "delivery-status"
    topic_arn   = "arn:aws:sns:eu-west-1:123456789012:test-messenger-email-events"
    event_types = ["DELIVERY", "BOUNCE", "COMPLAINT", "REJECT", "DELIVERY_DELAY"]
  }
}

run "plan" {
  command = plan

  # --- Mail goes out over tls only with reputation metrics
  assert {
    condition     = aws_sesv2_configuration_set.this.delivery_options[0].tls_policy == "REQUIRE" && aws_sesv2_configuration_set.this.region == "eu-west-1"
    error_message = "Every email through the set is handed over only over TLS, in the SES region."
  }

  assert {
    condition     = aws_sesv2_configuration_set.this.reputation_options[0].reputation_metrics_enabled && aws_sesv2_configuration_set.this.sending_options[0].sending_enabled
    error_message = "Reputation metrics on; sending on."
  }

  assert {
    condition     = jsonencode(aws_sesv2_configuration_set.this.suppression_options[0].suppressed_reasons) == jsonencode(["BOUNCE", "COMPLAINT"])
    error_message = "Bounced and complaining addresses are suppressed."
  }

  # --- Status events go to the topic
  assert {
    condition     = aws_sesv2_configuration_set_event_destination.sns[0].event_destination[0].sns_destination[0].topic_arn == var.sns_event_destination.topic_arn
    error_message = "The events go to the topic given."
  }

  assert {
    condition     = toset(aws_sesv2_configuration_set_event_destination.sns[0].event_destination[0].matching_event_types) == toset(var.sns_event_destination.event_types)
    error_message = "Exactly the event types given."
  }

  # --- What it sends fits the ses api
  assert {
    condition     = can(regex(jsondecode(file("../../tests/terraform/aws_constraints.json")).constraints["sesv2.ConfigurationSetName"].pattern, aws_sesv2_configuration_set.this.configuration_set_name))
    error_message = "The configuration set's name must be one SES accepts."
  }
}

run "no_destination_unless_asked" {
  command = plan

  variables {
    sns_event_destination = null
  }

  assert {
    condition     = length(aws_sesv2_configuration_set_event_destination.sns) == 0
    error_message = "No event destination without a topic."
  }
}

run "refuses_an_event_type_ses_does_not_publish" {
  command = plan

  variables {
    sns_event_destination = { topic_arn = "arn:aws:sns:eu-west-1:123456789012:t", event_types = ["DELIVERED"] }
  }

  expect_failures = [var.sns_event_destination]
}


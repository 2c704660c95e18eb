resource "aws_sesv2_configuration_set" "this" {
  region                 = var.region
  configuration_set_name = var.name

  # Mail is only handed to receiving servers over TLS.
  delivery_options {
    tls_policy = "REQUIRE"
  }

  reputation_options {
    reputation_metrics_enabled = true
  }

  # On when created. Afterwards the channel guardrail (or an operator through it) switches sending off and
  # back on: an apply must not undo a pause, so Terraform leaves the switch alone once the set exists.
  sending_options {
    sending_enabled = true
  }

  suppression_options {
    suppressed_reasons = var.suppressed_reasons
  }

  lifecycle {
    ignore_changes = [sending_options]
  }
}

# Sending events go to an SNS topic, which must be in var.region: the SES developer guide requires
# notification topics in the region SES sends from, and its topic policy for event destinations names
# the configuration set in the topic's own region. The topic's policy must let ses.amazonaws.com publish
# for this configuration set, and a KMS-encrypted topic's key must let SES use it.
resource "aws_sesv2_configuration_set_event_destination" "sns" {
  count = var.sns_event_destination == null ? 0 : 1

  region                 = var.region
  configuration_set_name = aws_sesv2_configuration_set.this.configuration_set_name
  event_destination_name = var.sns_event_destination.name

  event_destination {
    enabled              = true
    matching_event_types = var.sns_event_destination.event_types

    sns_destination {
      topic_arn = var.sns_event_destination.topic_arn
    }
  }
}

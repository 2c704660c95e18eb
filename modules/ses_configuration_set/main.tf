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

  sending_options {
    sending_enabled = true
  }

  suppression_options {
    suppressed_reasons = var.suppressed_reasons
  }
}

mock_provider "aws" {}

variables {
  name          = "test-messages"
  partition_key = "PK"
  sort_key      = "SK"
  kms_key_arn   = "arn:aws:kms:eu-central-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  ttl_attribute = "expiresAt"
  indexes = {
    bySender            = { partition_key = "senderKey", sort_key = "SK" }
    byProviderMessageId = { partition_key = "providerMessageId", projection_type = "KEYS_ONLY" }
  }
}

run "plan" {
  command = plan

  # --- Secure by default
  assert {
    condition     = aws_dynamodb_table.this.server_side_encryption[0].enabled && aws_dynamodb_table.this.server_side_encryption[0].kms_key_arn == var.kms_key_arn
    error_message = "The table must be encrypted with the customer-managed key it is given."
  }

  assert {
    condition     = aws_dynamodb_table.this.point_in_time_recovery[0].enabled && aws_dynamodb_table.this.point_in_time_recovery[0].recovery_period_in_days == 35
    error_message = "Point-in-time recovery must be on, 35 days back by default."
  }

  assert {
    condition     = aws_dynamodb_table.this.deletion_protection_enabled
    error_message = "Deletion protection must be on by default."
  }

  assert {
    condition     = aws_dynamodb_table.this.billing_mode == "PAY_PER_REQUEST"
    error_message = "The table is on demand."
  }

  assert {
    condition     = aws_dynamodb_table.this.ttl[0].enabled && aws_dynamodb_table.this.ttl[0].attribute_name == "expiresAt"
    error_message = "TTL runs on the attribute it is given."
  }

  # A caller that reads no stream pays for none.
  assert {
    condition     = !aws_dynamodb_table.this.stream_enabled && output.stream_arn == null && output.stream_view_type == null
    error_message = "No stream unless a view type is given."
  }

  # --- Indexes are keyed by key schema
  # The index without a sort key has a HASH key alone: no empty RANGE key (hashicorp/aws #46285).
  assert {
    condition = { for index in aws_dynamodb_table.this.global_secondary_index : index.name => [for key in index.key_schema : "${key.key_type}:${key.attribute_name}"] } == {
      bySender            = ["HASH:senderKey", "RANGE:SK"]
      byProviderMessageId = ["HASH:providerMessageId"]
    }
    error_message = "Each index must be keyed as given, through key_schema."
  }

  assert {
    condition     = { for index in aws_dynamodb_table.this.global_secondary_index : index.name => index.projection_type } == { bySender = "ALL", byProviderMessageId = "KEYS_ONLY" }
    error_message = "Each index must project what it is given (ALL by default)."
  }

  # Only attributes some key uses are declared (DynamoDB refuses others).
  assert {
    condition     = toset([for attribute in aws_dynamodb_table.this.attribute : attribute.name]) == toset(["PK", "SK", "senderKey", "providerMessageId"])
    error_message = "Exactly the key attributes must be declared."
  }

  # --- What it sends fits the dynamodb api
  assert {
    condition = alltrue([for index in aws_dynamodb_table.this.global_secondary_index :
      can(regex(jsondecode(file("../../tests/terraform/aws_constraints.json")).constraints["dynamodb.IndexName"].pattern, index.name)) && length(index.name) >= 3 && length(index.name) <= 255
    ])
    error_message = "Every index name must be one DynamoDB accepts."
  }
}

run "index_arns_follow_the_table_arn" {
  override_resource {
    target = aws_dynamodb_table.this
    values = { arn = "arn:aws:dynamodb:eu-central-1:123456789012:table/test-messages" }
  }

  assert {
    condition = output.index_arns == {
      bySender            = "arn:aws:dynamodb:eu-central-1:123456789012:table/test-messages/index/bySender"
      byProviderMessageId = "arn:aws:dynamodb:eu-central-1:123456789012:table/test-messages/index/byProviderMessageId"
    }
    error_message = "Each index ARN is the table's ARN, /index/, its name."
  }
}

run "a_stream_records_the_view_it_is_given" {
  variables {
    stream_view_type = "NEW_AND_OLD_IMAGES"
  }

  assert {
    condition     = aws_dynamodb_table.this.stream_enabled && aws_dynamodb_table.this.stream_view_type == "NEW_AND_OLD_IMAGES" && output.stream_view_type == "NEW_AND_OLD_IMAGES"
    error_message = "The stream is on, with both images of each change."
  }

  assert {
    condition     = output.stream_arn != null && output.stream_arn == aws_dynamodb_table.this.stream_arn
    error_message = "The stream's ARN is the module's output."
  }
}

run "refuses_a_stream_view_dynamodb_does_not_offer" {
  command = plan

  variables {
    stream_view_type = "NEW_AND_OLD"
  }

  expect_failures = [var.stream_view_type]
}

run "protection_may_be_turned_off_for_throw_away_environments" {
  command = plan

  variables {
    deletion_protection_enabled = false
    point_in_time_recovery_days = 7
    ttl_attribute               = null
  }

  assert {
    condition     = !aws_dynamodb_table.this.deletion_protection_enabled && aws_dynamodb_table.this.point_in_time_recovery[0].recovery_period_in_days == 7
    error_message = "The settings given must be applied."
  }

  assert {
    condition     = length(aws_dynamodb_table.this.ttl) == 0
    error_message = "No TTL without an attribute."
  }
}

run "refuses_an_unknown_projection" {
  command = plan

  variables {
    indexes = { bad = { partition_key = "x", projection_type = "INCLUDE" } }
  }

  expect_failures = [var.indexes]
}

run "refuses_a_key_that_is_not_a_kms_key" {
  command = plan

  variables {
    kms_key_arn = "alias/aws/dynamodb"
  }

  expect_failures = [var.kms_key_arn]
}

run "refuses_a_recovery_window_dynamodb_does_not_offer" {
  command = plan

  variables {
    point_in_time_recovery_days = 36
  }

  expect_failures = [var.point_in_time_recovery_days]
}


locals {
  key_attributes = toset(concat(
    [var.partition_key, var.sort_key],
    flatten([for index in values(var.indexes) : [index.partition_key, index.sort_key]]),
  ))
}

resource "aws_dynamodb_table" "this" {
  name                        = var.name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = var.partition_key
  range_key                   = var.sort_key
  deletion_protection_enabled = var.deletion_protection_enabled

  dynamic "attribute" {
    for_each = local.key_attributes

    content {
      name = attribute.value
      type = "S"
    }
  }

  dynamic "global_secondary_index" {
    for_each = var.indexes

    content {
      name            = global_secondary_index.key
      hash_key        = global_secondary_index.value.partition_key
      range_key       = global_secondary_index.value.sort_key
      projection_type = "ALL"
    }
  }

  point_in_time_recovery {
    enabled                 = true
    recovery_period_in_days = var.point_in_time_recovery_days
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }

  dynamic "ttl" {
    for_each = var.ttl_attribute == null ? [] : [var.ttl_attribute]

    content {
      enabled        = true
      attribute_name = ttl.value
    }
  }
}

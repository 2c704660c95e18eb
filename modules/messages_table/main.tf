locals {
  # Only attributes some key uses may be declared: the table's keys and each index's.
  key_attributes = toset([
    for name in concat(
      [var.partition_key, var.sort_key],
      flatten([for index in values(var.indexes) : [index.partition_key, index.sort_key]]),
    ) : name if name != null
  ])
}

resource "aws_dynamodb_table" "this" {
  name                        = var.name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = var.partition_key
  range_key                   = var.sort_key
  deletion_protection_enabled = var.deletion_protection_enabled

  # A stream only for a table that has readers: DynamoDB Streams is billed per read request.
  stream_enabled   = var.stream_view_type != null
  stream_view_type = var.stream_view_type

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
      projection_type = global_secondary_index.value.projection_type

      # key_schema replaces the index's hash_key/range_key, deprecated in hashicorp/aws 6.x.
      # Map keys sort HASH before RANGE; an index without a sort key has only HASH.
      dynamic "key_schema" {
        for_each = { for key_type, name in { HASH = global_secondary_index.value.partition_key, RANGE = global_secondary_index.value.sort_key } : key_type => name if name != null }

        content {
          attribute_name = key_schema.value
          key_type       = key_schema.key
        }
      }
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

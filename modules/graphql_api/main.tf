data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  manifest   = jsondecode(file("${var.graphql_dir}/manifest.json"))
  account_id = data.aws_caller_identity.current.account_id
  # AppSync writes to this group, named by the API's ID.
  log_group_name = "/aws/appsync/apis/${aws_appsync_graphql_api.this.id}"
  runtime        = { name = "APPSYNC_JS", runtime_version = "1.0.0" }

  # The manifest's entries differ in shape; give every entry every attribute so they form maps.
  data_sources = {
    for name, source in local.manifest.dataSources : name => {
      type          = source.type
      table         = try(source.table, null)
      read_actions  = try(tolist(source.readActions), [])
      write_actions = try(tolist(source.writeActions), [])
      # A table's partitions are named by their key prefix in the manifest's storage contract (keyPrefixes).
      writable_partitions = [for partition in try(source.writablePartitions, []) : "${local.manifest.tables[source.table].keyPrefixes[partition]}*"]
      # What the data source reaches, when it was passed in (none or one; the preconditions below name what is
      # missing, so nothing indexes a map by a key it may lack).
      tables    = tolist([for key, table in var.tables : table if source.type == "AMAZON_DYNAMODB" && key == try(source.table, "")])
      functions = tolist([for key, arn in var.lambda_functions : arn if source.type == "AWS_LAMBDA" && key == name])
    }
  }
  role_data_sources = { for name, source in local.data_sources : name => source if source.type != "NONE" }
  functions         = { for name, function in local.manifest.functions : name => { data_source = function.dataSource, code = function.code } }
  resolvers = {
    for field, resolver in local.manifest.resolvers : field => {
      type     = split(".", field)[0]
      field    = split(".", field)[1]
      code     = resolver.code
      pipeline = tolist(resolver.pipeline)
    }
  }
}

resource "aws_appsync_graphql_api" "this" {
  #checkov:skip=CKV2_AWS_78:The web ACL comes from modules/api_firewall, whose AWSManagedRulesKnownBadInputsRuleSet holds the Log4j (Log4JRCE) rules; checkov cannot follow an ACL passed in by ARN, so modules/api_firewall/tests/main.tftest.hcl asserts the rule group and modules/graphql_api/tests/main.tftest.hcl the ACL's association with the API.
  name                 = var.name
  authentication_type  = "AWS_LAMBDA"
  resolver_count_limit = var.resolver_count_limit
  schema               = file("${var.graphql_dir}/${local.manifest.schema}")
  xray_enabled         = true
  introspection_config = var.introspection_enabled ? "ENABLED" : "DISABLED"
  query_depth_limit    = var.query_depth_limit

  # A client's key in the Authorization header, checked by the authorizer function. AppSync refuses a header
  # that does not match the manifest's key form before invoking it, and caches each answer per key for
  # result_ttl_seconds (the function may shorten it, never past the key's expiry).
  lambda_authorizer_config {
    authorizer_uri                   = var.authorizer.function_arn
    authorizer_result_ttl_in_seconds = var.authorizer.result_ttl_seconds
    identity_validation_expression   = local.manifest.clients.identityValidationExpression
  }

  # Backends in AWS call with their own IAM identity (SigV4), mapped to a client; operator-only fields admit
  # IAM alone (@aws_iam in the schema).
  additional_authentication_provider {
    authentication_type = "AWS_IAM"
  }

  # The environment's API key: the `default` client's path from before client keys existed.
  dynamic "additional_authentication_provider" {
    for_each = var.api_key.enabled ? ["API_KEY"] : []

    content {
      authentication_type = additional_authentication_provider.value
    }
  }

  log_config {
    cloudwatch_logs_role_arn = aws_iam_role.logging.arn
    field_log_level          = "ERROR"
    exclude_verbose_content  = true
  }

  lifecycle {
    precondition {
      # Filtered rather than `type != ... || contains(...)`: Terraform before 1.12 evaluates both sides of ||.
      condition     = alltrue([for source in values(local.data_sources) : length(source.tables) == 1 if source.type == "AMAZON_DYNAMODB"])
      error_message = "Every AMAZON_DYNAMODB data source in the manifest needs its table in var.tables."
    }

    precondition {
      condition     = alltrue([for source in values(local.data_sources) : length(source.functions) == 1 if source.type == "AWS_LAMBDA"])
      error_message = "Every AWS_LAMBDA data source in the manifest needs a function ARN in var.lambda_functions."
    }
  }
}

# AppSync invokes the authorizer for this API only.
resource "aws_lambda_permission" "authorizer" {
  statement_id   = "appsync-authorizer"
  action         = "lambda:InvokeFunction"
  function_name  = var.authorizer.function_arn
  principal      = "appsync.amazonaws.com"
  source_arn     = aws_appsync_graphql_api.this.arn
  source_account = local.account_id
}

resource "aws_wafv2_web_acl_association" "this" {
  resource_arn = aws_appsync_graphql_api.this.arn
  web_acl_arn  = var.web_acl_arn
}

resource "aws_cloudwatch_log_group" "this" {
  name              = local.log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = module.log_key.arn
}

# The log group's own key, whose policy lets CloudWatch Logs use it for this API's group alone. A key the API's
# backends share could not name the group: its ID exists only once the API does, and the API depends on that
# key already (its data sources' tables and functions are encrypted with it), so the key's policy and the API
# would wait for each other.
module "log_key" {
  source = "../kms_key"

  alias                  = "${var.name}-logs"
  description            = "Encrypts the ${var.name} API's log group"
  log_group_arn_patterns = ["arn:${data.aws_partition.current.partition}:logs:${data.aws_region.current.region}:${local.account_id}:log-group:${local.log_group_name}"]
}

# --- API key -----------------------------------------------------------------
# Only while api_key.enabled: the `default` client's legacy path. Turning it off deletes the key.

# What the key's anchor stands on. A change of the lifetime settings, or a new API, replaces the anchor at that
# apply (replace_triggered_by, which Terraform itself evaluates): a key made late in a cycle from the old anchor
# could expire within days or, after validity_days was shortened, in the past, which AppSync refuses.
resource "terraform_data" "api_key_lifetime" {
  input = {
    api_id        = aws_appsync_graphql_api.this.id
    validity_days = var.api_key.validity_days
    rotation_days = var.api_key.rotation_days
  }
}

resource "time_rotating" "api_key" {
  count = var.api_key.enabled ? 1 : 0

  rotation_days = var.api_key.rotation_days

  lifecycle {
    replace_triggered_by = [terraform_data.api_key_lifetime]
  }
}

resource "aws_appsync_api_key" "this" {
  count = var.api_key.enabled ? 1 : 0

  api_id      = aws_appsync_graphql_api.this.id
  description = "Replaced every ${var.api_key.rotation_days} days; valid ${var.api_key.validity_days} days"
  # Fixed by the rotation time, so it does not move on every plan; whole hours, as AppSync stores it.
  expires = formatdate("YYYY-MM-DD'T'hh:00:00Z", timeadd(time_rotating.api_key[0].rfc3339, "${var.api_key.validity_days * 24}h"))

  lifecycle {
    create_before_destroy = true
    replace_triggered_by  = [time_rotating.api_key[0]]
  }
}

# --- Data sources, functions and resolvers, all from the manifest ---------------

resource "aws_appsync_datasource" "this" {
  for_each = local.data_sources

  api_id           = aws_appsync_graphql_api.this.id
  name             = each.key
  type             = each.value.type
  service_role_arn = each.value.type == "NONE" ? null : aws_iam_role.data_source[each.key].arn

  dynamic "dynamodb_config" {
    for_each = each.value.tables

    content {
      table_name = dynamodb_config.value.name
    }
  }

  dynamic "lambda_config" {
    for_each = each.value.functions

    content {
      function_arn = lambda_config.value
    }
  }

  depends_on = [aws_iam_role_policy.data_source]
}

resource "aws_appsync_function" "this" {
  for_each = local.functions

  api_id      = aws_appsync_graphql_api.this.id
  name        = each.key
  data_source = aws_appsync_datasource.this[each.value.data_source].name
  code        = file("${var.graphql_dir}/${each.value.code}")

  runtime {
    name            = local.runtime.name
    runtime_version = local.runtime.runtime_version
  }
}

resource "aws_appsync_resolver" "this" {
  for_each = local.resolvers

  api_id = aws_appsync_graphql_api.this.id
  type   = each.value.type
  field  = each.value.field
  kind   = "PIPELINE"
  code   = file("${var.graphql_dir}/${each.value.code}")

  runtime {
    name            = local.runtime.name
    runtime_version = local.runtime.runtime_version
  }

  pipeline_config {
    functions = [for name in each.value.pipeline : aws_appsync_function.this[name].function_id]
  }
}

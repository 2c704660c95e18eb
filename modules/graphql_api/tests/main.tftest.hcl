mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }

  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }

  mock_data "aws_region" {
    defaults = { region = "eu-central-1" }
  }

  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }

  mock_resource "aws_appsync_graphql_api" {
    defaults = {
      id   = "abcdefghijklmnopqrstuvwxyz"
      arn  = "arn:aws:appsync:eu-central-1:123456789012:apis/abcdefghijklmnopqrstuvwxyz"
      uris = { GRAPHQL = "https://abcdefghijklmnopqrstuvwxyz.appsync-api.eu-central-1.amazonaws.com/graphql" }
    }
  }
}

mock_provider "time" {
  mock_resource "time_rotating" {
    defaults = { rfc3339 = "2026-11-29T17:45:12Z" }
  }
}

variables {
  name        = "test-messenger-api"
  graphql_dir = "../../graphql"
  web_acl_arn = "arn:aws:wafv2:eu-central-1:123456789012:regional/webacl/test-messenger-api/1"
  tables = {
    messages = {
      name        = "test-messenger-messages"
      arn         = "arn:aws:dynamodb:eu-central-1:123456789012:table/test-messenger-messages"
      index_arns  = { bySender = "arn:aws:dynamodb:eu-central-1:123456789012:table/test-messenger-messages/index/bySender" }
      kms_key_arn = "arn:aws:kms:eu-central-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    }
  }
  lambda_functions = {
    deliveryFunction         = "arn:aws:lambda:eu-central-1:123456789012:function:test-messenger-delivery"
    erasureFunction          = "arn:aws:lambda:eu-central-1:123456789012:function:test-messenger-erasure"
    operatorsFunction        = "arn:aws:lambda:eu-central-1:123456789012:function:test-messenger-operators"
    webhookEndpointsFunction = "arn:aws:lambda:eu-central-1:123456789012:function:test-messenger-webhook-endpoints"
  }
  authorizer = {
    function_arn = "arn:aws:lambda:eu-central-1:123456789012:function:test-messenger-authorizer"
  }
}

run "plan" {
  command = plan

  # --- Everything the manifest lists and nothing else
  assert {
    condition     = jsonencode(keys(aws_appsync_datasource.this)) == jsonencode(sort(keys(jsondecode(file("../../graphql/manifest.json")).dataSources)))
    error_message = "One data source per manifest entry."
  }

  assert {
    condition     = jsonencode(keys(aws_appsync_function.this)) == jsonencode(sort(keys(jsondecode(file("../../graphql/manifest.json")).functions)))
    error_message = "One pipeline function per manifest entry."
  }

  assert {
    condition     = jsonencode(keys(aws_appsync_resolver.this)) == jsonencode(sort(keys(jsondecode(file("../../graphql/manifest.json")).resolvers)))
    error_message = "One resolver per manifest entry."
  }

  assert {
    condition = alltrue([for name, function in jsondecode(file("../../graphql/manifest.json")).functions :
      aws_appsync_function.this[name].code == file("../../graphql/${function.code}") && aws_appsync_function.this[name].runtime[0].name == "APPSYNC_JS" && aws_appsync_function.this[name].runtime[0].runtime_version == "1.0.0"
    ])
    error_message = "Each function runs its manifest file as APPSYNC_JS 1.0.0."
  }

  assert {
    condition = alltrue([for field, resolver in jsondecode(file("../../graphql/manifest.json")).resolvers :
      aws_appsync_resolver.this[field].kind == "PIPELINE" && aws_appsync_resolver.this[field].code == file("../../graphql/${resolver.code}") && "${aws_appsync_resolver.this[field].type}.${aws_appsync_resolver.this[field].field}" == field
    ])
    error_message = "Each resolver is a pipeline on its Type.field, running its manifest file."
  }

  assert {
    condition     = aws_appsync_graphql_api.this.schema == file("../../graphql/schema.graphql")
    error_message = "The API serves the manifest's schema."
  }

  # --- Secure api
  assert {
    condition     = aws_appsync_graphql_api.this.authentication_type == "AWS_LAMBDA" && aws_appsync_graphql_api.this.xray_enabled && aws_appsync_graphql_api.this.introspection_config == "DISABLED" && aws_appsync_graphql_api.this.query_depth_limit == 10
    error_message = "Client keys through the Lambda authorizer by default, traced, no introspection, bounded depth."
  }

  assert {
    condition = jsonencode(aws_appsync_graphql_api.this.lambda_authorizer_config) == jsonencode([{
      authorizer_result_ttl_in_seconds = 60
      authorizer_uri                   = "arn:aws:lambda:eu-central-1:123456789012:function:test-messenger-authorizer"
      identity_validation_expression   = "^sm_(live|test)_[0-9A-HJKMNP-TV-Z]{26}_[A-Za-z0-9_-]{43}$"
    }])
    error_message = "The authorizer function, its answers cached 60 s by default, invoked only for a header of the key's form."
  }

  assert {
    condition     = aws_appsync_graphql_api.this.lambda_authorizer_config[0].identity_validation_expression == jsondecode(file("../../graphql/manifest.json")).clients.identityValidationExpression
    error_message = "The key form AppSync checks is the manifest's (the authorizer and the local stack check the same)."
  }

  assert {
    condition     = jsonencode(aws_appsync_graphql_api.this.additional_authentication_provider[*].authentication_type) == jsonencode(["AWS_IAM", "API_KEY"])
    error_message = "Backends may call with their IAM identity (SigV4); the default client with the API key while it is enabled."
  }

  assert {
    condition = jsonencode(output.authorization) == jsonencode({
      additional_modes   = ["AWS_IAM", "API_KEY"]
      authorizer_uri     = "arn:aws:lambda:eu-central-1:123456789012:function:test-messenger-authorizer"
      default_mode       = "AWS_LAMBDA"
      result_ttl_seconds = 60
    })
    error_message = "The authorization output says how callers are admitted."
  }

  assert {
    condition     = length(aws_appsync_api_key.this) == 1 && length(time_rotating.api_key) == 1
    error_message = "One rotating API key while api_key.enabled (the default)."
  }

  assert {
    condition     = aws_lambda_permission.authorizer.principal == "appsync.amazonaws.com" && aws_lambda_permission.authorizer.action == "lambda:InvokeFunction" && aws_lambda_permission.authorizer.function_name == var.authorizer.function_arn && aws_lambda_permission.authorizer.source_account == "123456789012"
    error_message = "AppSync of this account may invoke the authorizer."
  }

  assert {
    condition     = aws_appsync_graphql_api.this.resolver_count_limit == 1
    error_message = "One resolver per request: a request selecting sendMessage twice sends one message."
  }

  assert {
    condition     = aws_appsync_graphql_api.this.log_config[0].field_log_level == "ERROR" && aws_appsync_graphql_api.this.log_config[0].exclude_verbose_content
    error_message = "Field logs at ERROR, without request content."
  }

  assert {
    condition     = aws_cloudwatch_log_group.this.retention_in_days == 365
    error_message = "The API's log group is kept a bounded time."
  }

  # --- Roles trust appsync of this account and api only
  assert {
    condition = jsonencode(data.aws_iam_policy_document.logging_assume.statement[0].condition) == jsonencode([
      { test = "ArnLike", values = ["arn:aws:appsync:eu-central-1:123456789012:apis/*"], variable = "aws:SourceArn" },
      { test = "StringEquals", values = ["123456789012"], variable = "aws:SourceAccount" },
    ])
    error_message = "The logging role trusts AppSync of this account's APIs only."
  }

  assert {
    condition     = jsonencode(data.aws_iam_policy_document.logging.statement[*].actions) == jsonencode([["logs:CreateLogGroup"], ["logs:CreateLogStream", "logs:PutLogEvents"]])
    error_message = "The logging role writes its own log group only."
  }

}

run "data_sources_may_do_exactly_what_the_manifest_lists" {
  assert {
    condition = jsonencode(data.aws_iam_policy_document.data_source_assume.statement[0].condition) == jsonencode([
      { test = "ArnEquals", values = [aws_appsync_graphql_api.this.arn], variable = "aws:SourceArn" },
      { test = "StringEquals", values = ["123456789012"], variable = "aws:SourceAccount" },
    ])
    error_message = "Data source roles trust AppSync for this API only."
  }

  assert {
    condition     = [for statement in data.aws_iam_policy_document.data_source["messagesTable"].statement : statement.sid] == ["Read", "WriteOwnPartitionsOnly", "UseTableKeyThroughDynamoDB"]
    error_message = "The table role reads, writes its partitions, and uses the key through DynamoDB."
  }

  assert {
    condition     = toset(data.aws_iam_policy_document.data_source["messagesTable"].statement[0].actions) == toset(jsondecode(file("../../graphql/manifest.json")).dataSources.messagesTable.readActions)
    error_message = "Exactly the read actions the manifest lists."
  }

  assert {
    condition     = toset(data.aws_iam_policy_document.data_source["messagesTable"].statement[1].actions) == toset(jsondecode(file("../../graphql/manifest.json")).dataSources.messagesTable.writeActions)
    error_message = "Exactly the write actions the manifest lists."
  }

  assert {
    condition     = jsonencode(data.aws_iam_policy_document.data_source["messagesTable"].statement[1].condition) == jsonencode([{ test = "ForAllValues:StringLike", values = ["MESSAGE#*", "IDEMPOTENCY#*", "SCOPE#*", "LIMIT#*", "SUBSCRIBERS#*"], variable = "dynamodb:LeadingKeys" }])
    error_message = "Writes only to the partitions the manifest names, by their key prefixes."
  }

  assert {
    condition = jsonencode(data.aws_iam_policy_document.data_source["messagesTable"].statement[2].condition) == jsonencode([
      { test = "StringEquals", values = ["dynamodb.eu-central-1.amazonaws.com"], variable = "kms:ViaService" },
      { test = "StringEquals", values = ["test-messenger-messages"], variable = "kms:EncryptionContext:aws:dynamodb:tableName" },
    ])
    error_message = "The table key only through DynamoDB, for this table."
  }

  assert {
    condition     = jsonencode(data.aws_iam_policy_document.data_source["deliveryFunction"].statement[*].actions) == jsonencode([["lambda:InvokeFunction"]]) && jsonencode(data.aws_iam_policy_document.data_source["deliveryFunction"].statement[0].resources) == jsonencode([var.lambda_functions.deliveryFunction])
    error_message = "The Lambda data source invokes its own function only."
  }

  assert {
    condition = jsonencode({ for name, source in aws_appsync_datasource.this : name => source.lambda_config[0].function_arn if source.type == "AWS_LAMBDA" }) == jsonencode({
      deliveryFunction         = "arn:aws:lambda:eu-central-1:123456789012:function:test-messenger-delivery"
      erasureFunction          = "arn:aws:lambda:eu-central-1:123456789012:function:test-messenger-erasure"
      operatorsFunction        = "arn:aws:lambda:eu-central-1:123456789012:function:test-messenger-operators"
      webhookEndpointsFunction = "arn:aws:lambda:eu-central-1:123456789012:function:test-messenger-webhook-endpoints"
    })
    error_message = "Every Lambda data source of the manifest invokes the function passed in for it."
  }

  assert {
    condition     = jsonencode(data.aws_iam_policy_document.data_source["operatorsFunction"].statement[*].resources) == jsonencode([[var.lambda_functions.operatorsFunction]])
    error_message = "The operators' data source invokes the operators' function only."
  }

  assert {
    condition     = aws_lambda_permission.authorizer.source_arn == aws_appsync_graphql_api.this.arn
    error_message = "Only this API may invoke the authorizer."
  }

  assert {
    condition     = !contains(keys(aws_iam_role.data_source), "NONE")
    error_message = "A NONE data source needs no role."
  }

  assert {
    condition     = aws_wafv2_web_acl_association.this.web_acl_arn == var.web_acl_arn && aws_cloudwatch_log_group.this.name == "/aws/appsync/apis/abcdefghijklmnopqrstuvwxyz"
    error_message = "The firewall screens the API; the log group is the one AppSync writes to."
  }

  assert {
    condition     = aws_cloudwatch_log_group.this.kms_key_id == module.log_key.arn && jsonencode(module.log_key.log_group_arn_patterns) == jsonencode(["arn:aws:logs:eu-central-1:123456789012:log-group:/aws/appsync/apis/abcdefghijklmnopqrstuvwxyz"])
    error_message = "The API's log group is encrypted with a key of its own, which CloudWatch Logs may use for that group alone, not every AppSync API's."
  }
}

run "the_key_expires_within_its_validity_and_is_stable_between_plans" {
  assert {
    condition     = aws_appsync_api_key.this[0].expires == "2027-02-27T17:00:00Z" && output.api_key_expires == "2027-02-27T17:00:00Z"
    error_message = "A key expires validity_days (90) after it was made, on the hour."
  }
}

run "a_second_plan_keeps_the_key" {
  command = plan

  assert {
    condition     = aws_appsync_api_key.this[0].expires == run.the_key_expires_within_its_validity_and_is_stable_between_plans.api_key_expires
    error_message = "The expiry must not move between plans."
  }
}

run "without_the_api_key_only_client_keys_and_iam_remain" {
  variables {
    api_key = { enabled = false }
  }

  assert {
    condition     = length(aws_appsync_api_key.this) == 0 && length(time_rotating.api_key) == 0
    error_message = "No API key exists while api_key.enabled is false."
  }

  assert {
    condition     = aws_appsync_graphql_api.this.authentication_type == "AWS_LAMBDA" && jsonencode(aws_appsync_graphql_api.this.additional_authentication_provider[*].authentication_type) == jsonencode(["AWS_IAM"])
    error_message = "Without the key, AppSync admits client keys and IAM only."
  }

  assert {
    condition     = output.api_key == null && output.api_key_expires == null
    error_message = "The key outputs are null, not an error, without a key."
  }
}

run "the_authorizer_cache_time_is_passed_on" {
  command = plan

  variables {
    authorizer = {
      function_arn       = "arn:aws:lambda:eu-central-1:123456789012:function:test-messenger-authorizer"
      result_ttl_seconds = 0
    }
  }

  assert {
    condition     = aws_appsync_graphql_api.this.lambda_authorizer_config[0].authorizer_result_ttl_in_seconds == 0
    error_message = "0 turns AppSync's authorizer cache off (every request re-checks its key)."
  }
}

run "refuses_an_authorizer_cache_time_appsync_does_not_allow" {
  command = plan

  variables {
    authorizer = {
      function_arn       = "arn:aws:lambda:eu-central-1:123456789012:function:test-messenger-authorizer"
      result_ttl_seconds = 3601
    }
  }

  expect_failures = [var.authorizer]
}

run "refuses_a_resolver_count_appsync_does_not_allow" {
  command = plan

  variables {
    resolver_count_limit = 0
  }

  expect_failures = [var.resolver_count_limit]
}

run "refuses_a_key_lifetime_appsync_does_not_allow" {
  command = plan

  variables {
    api_key = { validity_days = 366, rotation_days = 30 }
  }

  expect_failures = [var.api_key]
}

run "stops_when_a_table_the_manifest_names_is_not_given" {
  command = plan

  variables {
    tables = {}
  }

  expect_failures = [aws_appsync_graphql_api.this]
}

run "stops_when_a_function_the_manifest_names_is_not_given" {
  command = plan

  variables {
    lambda_functions = {}
  }

  expect_failures = [aws_appsync_graphql_api.this]
}

# What the API sends, against what the AWS APIs accept (tests/terraform/aws_constraints.json).
run "what_it_sends_fits_the_aws_apis" {
  command = plan

  variables {
    name = "a-longer-stage-messenger-api"
  }

  assert {
    condition = alltrue(concat(
      [for source in aws_appsync_datasource.this : can(regex(jsondecode(file("../../tests/terraform/aws_constraints.json")).constraints["appsync.DataSourceName"].pattern, source.name))],
      [for function in aws_appsync_function.this : can(regex(jsondecode(file("../../tests/terraform/aws_constraints.json")).constraints["appsync.FunctionName"].pattern, function.name))],
      [for role in concat(values(aws_iam_role.data_source), [aws_iam_role.logging]) : can(regex(jsondecode(file("../../tests/terraform/aws_constraints.json")).constraints["iam.RoleName"].pattern, role.name)) && length(role.name) <= 64],
      [for role in concat(values(aws_iam_role.data_source), [aws_iam_role.logging]) : can(regex(jsondecode(file("../../tests/terraform/aws_constraints.json")).constraints["iam.RoleDescription"].pattern, role.description))],
      [aws_appsync_graphql_api.this.query_depth_limit <= jsondecode(file("../../tests/terraform/aws_constraints.json")).constraints["appsync.QueryDepthLimit"].max],
    ))
    error_message = "Every data source, function and role name must be one the AWS APIs accept."
  }
}

# 52 days into the key's 60-day rotation (anchored 2026-11-29 by the mock), an environment shortens its keys to
# 30 days: a key anchored at the old time would expire on 2026-12-29, already past. The anchor moves to the
# apply that changes the setting (the override stands in for the time of that apply).
run "a_changed_lifetime_anchors_the_key_at_the_change" {
  command = plan

  variables {
    api_key = { validity_days = 30, rotation_days = 20 }
  }

  override_resource {
    target          = time_rotating.api_key
    override_during = plan
    values          = { rfc3339 = "2027-01-20T09:30:00Z" }
  }

  assert {
    condition     = timecmp(aws_appsync_api_key.this[0].expires, "2027-01-20T09:30:00Z") > 0
    error_message = "The key expires after the apply that made it, not 30 days after the old anchor."
  }

  assert {
    condition     = aws_appsync_api_key.this[0].expires == "2027-02-19T09:00:00Z"
    error_message = "The new key is valid validity_days (30) from the new anchor, on the hour."
  }
}

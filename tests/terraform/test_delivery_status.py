"""Delivery status, history by sender and idempotency in the stack (issue 4), read from the HCL itself."""

from __future__ import annotations

import json
import re

from tests.conftest import REPO_ROOT
from tests.terraform.conftest import Stack, statements

MANIFEST = json.loads((REPO_ROOT / "graphql" / "manifest.json").read_text())
SES_STATUS_EVENTS = {"DELIVERY", "BOUNCE", "COMPLAINT", "REJECT", "DELIVERY_DELAY"}


def condition(statement: dict, variable: str) -> tuple[str, list]:
    [found] = [c for c in statement.get("condition", []) if c["variable"] == variable]
    return found["test"], found["values"]


def by_sid(stack: Stack, name: str, directory: str = "terraform") -> dict[str, dict]:
    return {s.get("sid", ""): s for s in stack.policy_statements(stack.one("data", "aws_iam_policy_document", name, directory))}


# --- The table: indexes and TTL from the manifest --------------------------------------------


def test_indexes_and_ttl_come_from_the_manifest(stack: Stack) -> None:
    # GIVEN the table module call
    call = stack.one("module", name="messages_table", directory="terraform").body
    # THEN every index, its keys and its projection, and the TTL attribute, are read from the manifest
    indexes = call["indexes"]
    assert "for name, index in local.messages_table.indexes" in indexes
    for expression in ("partition_key = index.partitionKey", "sort_key = try(index.sortKey, null)", 'projection_type = try(index.projection, "ALL")'):
        assert expression in indexes
    assert call["ttl_attribute"] == "${try(local.messages_table.ttlAttribute, null)}"
    assert stack.locals()["messages_table"] == "${local.manifest.tables.messages}"


def test_the_manifest_indexes_are_ones_the_table_module_accepts() -> None:
    # GIVEN the manifest's table: an index keyed by the sender and one by the provider's message ID alone
    table = MANIFEST["tables"]["messages"]
    assert table["ttlAttribute"] == "expiresAt"
    for index in table["indexes"].values():
        assert set(index) <= {"partitionKey", "sortKey", "projection"}
        assert index.get("projection", "ALL") in ("ALL", "KEYS_ONLY")  # the module's validation
    assert table["indexes"]["byProviderMessageId"] == {"partitionKey": "providerMessageId", "projection": "KEYS_ONLY"}
    assert table["indexes"]["bySender"]["partitionKey"] == "senderKey"


def test_an_index_may_lack_a_sort_key_and_only_key_attributes_are_declared(stack: Stack) -> None:
    table = stack.one("resource", "aws_dynamodb_table", "this")
    dynamic = {name: block for entry in table.body["dynamic"] for name, block in entry.items()}
    [index] = dynamic["global_secondary_index"]["content"]
    assert dynamic["global_secondary_index"]["for_each"] == "${var.indexes}"
    assert dynamic["ttl"]["content"][0] == {"enabled": True, "attribute_name": "${ttl.value}"}
    assert index["projection_type"] == "${global_secondary_index.value.projection_type}"
    [key_schema] = index["dynamic"][0]["key_schema"]["content"]
    assert key_schema == {"attribute_name": "${key_schema.value}", "key_type": "${key_schema.key}"}
    # the RANGE entry is left out when the index has no sort key
    assert "if name != null" in index["dynamic"][0]["key_schema"]["for_each"]
    locals_ = stack.locals("modules/messages_table")["key_attributes"]
    assert "index.partition_key, index.sort_key" in locals_ and "if name != null" in locals_
    variables = (REPO_ROOT / "modules" / "messages_table" / "variables.tf").read_text()
    assert "sort_key        = optional(string)" in variables and 'projection_type = optional(string, "ALL")' in variables


def test_delivery_config_item_names_the_table_for_transactions(stack: Stack) -> None:
    # recordMessage writes the idempotency claim and the message in one TransactWriteItems, whose
    # items must name their table: the CONFIG/DELIVERY item carries it, as the local stack's does.
    from local.config import Settings

    item = stack.one("resource", "aws_dynamodb_table_item", "delivery_config").body["item"]
    names = set(re.findall(r"(\w+)\s+=\s*\{\s*[SL]\s*=", item)) | set(re.findall(r"\(local\.messages_table\.(\w+)\)", item))
    local_item = Settings().delivery_config
    assert {"partitionKey", "sortKey"} | (set(local_item) - {"PK", "SK"}) == names
    assert "messagesTable                       = { S = module.messages_table.name }" in (REPO_ROOT / "terraform" / "main.tf").read_text()


# --- Event handlers: one Lambda per manifest entry -------------------------------------------------


def test_every_manifest_event_handler_becomes_a_lambda(stack: Stack) -> None:
    # GIVEN the manifest's event handlers
    handlers = MANIFEST["eventHandlers"]
    assert set(handlers) == {"emailEvents", "smsEvents", "stalePending"}
    # THEN one module call creates a function per entry, from the entry's source folder and handler,
    # with the module that builds the delivery function (layer, python3.13, X-Ray, reserved concurrency, KMS logs)
    call = stack.one("module", name="event_handlers", directory="terraform").body
    assert call["source"] == "../modules/lambda_function"
    assert call["for_each"] == "${local.event_handlers}"
    assert "in try(local.manifest.eventHandlers, {})" in stack.locals()["event_handlers"]
    assert call["source_dir"] == "${path.module}/../${each.value.source}"
    assert call["handler"] == "${each.value.handler}"
    assert call["reserved_concurrency"] == "${var.status_functions.reserved_concurrency}"
    assert call["dead_letter_queue_enabled"] is True
    for handler in handlers.values():
        assert (REPO_ROOT / handler["source"]).is_dir(), handler["source"]
        assert re.fullmatch(r"\w+\.\w+", handler["handler"])
    # AND every handler has its trigger wired, or the plan stops
    assert set(stack.locals()["event_handler_wiring"]) == set(handlers)
    guard = stack.one("resource", "terraform_data", "event_handler_guard").body
    conditions = [p["condition"] for p in guard["lifecycle"][0]["precondition"]]
    assert "${length(setsubtract(keys(local.event_handlers), keys(local.event_handler_wiring))) == 0}" in conditions


def environment_of(stack: Stack) -> tuple[dict[str, str], str]:
    """The status functions' common environment (name -> expression) and what each handler's wiring adds."""
    expression = stack.one("module", name="event_handlers").body["environment"]
    match = re.fullmatch(r"\$\{merge\(\{(.*)\}, (try\(local\.event_handler_wiring\[each\.key\]\.environment, \{\}\))\)\}", expression, re.DOTALL)
    assert match, expression
    common = dict(re.findall(r"(\w+) = ([^,]+?)(?:,|$)", match.group(1).strip()))
    return common, match.group(2)


def test_status_functions_get_the_table_its_region_and_the_indexes(stack: Stack) -> None:
    common, extra = environment_of(stack)
    assert common == {
        "MESSAGES_TABLE": "module.messages_table.name",
        "MESSAGES_TABLE_REGION": "var.region",
        "PROVIDER_MESSAGE_ID_INDEX": "local.provider_message_id_index",
        "PENDING_INDEX": "local.pending_index",
    }
    # each function adds what its own wiring names: only stalePending adds anything, its cutoff
    assert extra == "try(local.event_handler_wiring[each.key].environment, {})"
    wiring = stack.locals()["event_handler_wiring"]
    assert wiring["emailEvents"]["environment"] == {} and wiring["smsEvents"]["environment"] == {}
    assert wiring["stalePending"]["environment"] == {"STALE_AFTER_SECONDS": "${tostring(var.stale_pending.stale_after_seconds)}"}
    # every variable the status handler reads is set (MESSAGES_TABLE_REGION: the table's region)
    read = set(re.findall(r'os\.environ(?:\.get\(|\[)"(\w+)"', (REPO_ROOT / "handlers" / "status" / "app.py").read_text()))
    assert read == set(common) | {"STALE_AFTER_SECONDS"}
    # POWERTOOLS_SERVICE_NAME comes from the module, named after the function
    function = stack.one("resource", "aws_lambda_function", "this").body
    assert function["environment"][0]["variables"] == "${merge({POWERTOOLS_SERVICE_NAME = var.name}, var.environment)}"
    # the index is the manifest's index keyed by providerMessageId
    assert 'index.partitionKey == "providerMessageId"' in stack.locals()["provider_message_id_index"]
    assert [name for name, index in MANIFEST["tables"]["messages"]["indexes"].items() if index["partitionKey"] == "providerMessageId"] == ["byProviderMessageId"]
    # and the pending index is the manifest's index keyed by pendingShard and sorted by SK
    assert 'index.partitionKey == "pendingShard"' in stack.locals()["pending_index"]
    assert [name for name, index in MANIFEST["tables"]["messages"]["indexes"].items() if index["partitionKey"] == "pendingShard"] == ["byPendingShard"]
    assert MANIFEST["tables"]["messages"]["indexes"]["byPendingShard"] == {"partitionKey": "pendingShard", "sortKey": "SK", "projection": "KEYS_ONLY"}


def test_every_status_function_description_fits_lambdas_limit() -> None:
    # The module call describes each function as "Records delivery status from <trigger>"; Lambda allows 256.
    for name, handler in MANIFEST["eventHandlers"].items():
        assert len(f"Records delivery status from {handler.get('trigger', name)}") <= 256, name


def test_status_roles_update_only_message_partitions_and_query_only_their_index(stack: Stack) -> None:
    statements_ = by_sid(stack, "event_handler")
    assert set(statements_) == {"UpdateMessageItemsOnly", "QueryOwnIndexesOnly", "UseTableKeyThroughDynamoDB"}
    # the update and the key come from the document the delivery role shares
    assert stack.one("data", "aws_iam_policy_document", "event_handler").body["source_policy_documents"] == [
        "${data.aws_iam_policy_document.message_item_update.json}"
    ]
    actions = [a for s in statements_.values() for a in s["actions"]]
    assert [a for a in actions if "*" in a] == []
    update = statements_["UpdateMessageItemsOnly"]
    assert update["actions"] == ["dynamodb:UpdateItem"] and update["resources"] == ["${module.messages_table.arn}"]
    assert condition(update, "dynamodb:LeadingKeys") == ("ForAllValues:StringLike", ["MESSAGE#*"])
    query = statements_["QueryOwnIndexesOnly"]
    assert query["actions"] == ["dynamodb:Query"]
    assert query["resources"] == "${[for index in statement.value : module.messages_table.index_arns[index]]}"  # index ARNs, never the table
    kms = statements_["UseTableKeyThroughDynamoDB"]
    assert kms["actions"] == ["kms:Decrypt", "kms:GenerateDataKey"] and kms["resources"] == ["${module.kms_key.arn}"]
    assert condition(kms, "kms:ViaService") == ("StringEquals", ["dynamodb.${var.region}.amazonaws.com"])
    # smsEvents queries only the provider-message-ID index, stalePending only the pending index, emailEvents none
    wiring = stack.locals()["event_handler_wiring"]
    assert wiring["emailEvents"]["query_indexes"] == []
    assert wiring["smsEvents"]["query_indexes"] == "${local.provider_message_id_index == null ? [] : [local.provider_message_id_index]}"
    assert wiring["stalePending"]["query_indexes"] == "${local.pending_index == null ? [] : [local.pending_index]}"


def test_asynchronous_failures_land_in_an_encrypted_dead_letter_queue(stack: Stack) -> None:
    queue = stack.one("resource", "aws_sqs_queue", "dead_letter").body
    assert queue["kms_master_key_id"] == "${var.kms_key_arn}"
    assert queue["region"] == "${var.region}"
    function = stack.one("resource", "aws_lambda_function", "this").body
    assert function["dynamic"][0]["dead_letter_config"]["for_each"] == "${aws_sqs_queue.dead_letter}"
    send = by_sid(stack, "dead_letter", "modules/lambda_function")
    assert send["SendFailedEventsToOwnDeadLetterQueue"]["resources"] == ["${aws_sqs_queue.dead_letter[0].arn}"]
    assert condition(send["EncryptDeadLettersThroughSqs"], "kms:ViaService") == ("StringEquals", ["sqs.${local.region}.amazonaws.com"])


# --- Email: configuration set -> encrypted topic -> emailEvents ----------------------------------


def test_the_ses_events_topic_is_encrypted_with_a_customer_managed_key_of_its_region(stack: Stack) -> None:
    topic = stack.one("resource", "aws_sns_topic", "ses_events").body
    assert topic["region"] == "${var.ses_region}"
    assert topic["kms_master_key_id"] == "${local.kms_key_arns[var.ses_region]}"
    assert "alias/aws/sns" not in stack.text()  # never the AWS-managed key, whose policy SES cannot be added to
    # the key of each region is one of ours: the main key, or one per other region
    assert stack.locals()["kms_key_arns"] == "${merge({(var.region) = module.kms_key.arn}, {for region, key in module.regional_kms_key : region => key.arn})}"
    assert stack.locals()["extra_regions"] == "${setsubtract(toset([var.ses_region, var.sns_region]), toset([var.region]))}"
    regional = stack.one("module", name="regional_kms_key").body
    assert (regional["source"], regional["for_each"], regional["region"]) == ("../modules/kms_key", "${local.extra_regions}", "${each.key}")
    key = stack.one("resource", "aws_kms_key", "this").body
    assert key["region"] == "${var.region}" and key["enable_key_rotation"] is True


def test_ses_may_use_the_key_only_for_this_topic(stack: Stack) -> None:
    # GIVEN the key policy statement for services that publish to encrypted topics
    publish = [s for s in statements(stack.one("data", "aws_iam_policy_document", "this", "modules/kms_key")) if s.get("sid", "").startswith("TopicPublish")]
    [statement] = publish
    # THEN it grants what SES needs (GenerateDataKey, Decrypt), only with this topic in the encryption context
    assert statement["actions"] == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert condition(statement, "kms:EncryptionContext:aws:sns:topicArn") == ("StringEquals", "${statement.value.topic_arns}")
    # AND the stack names SES and the topic, for the key of ses_region only
    publishers = stack.locals()["key_topic_publishers"]
    assert 'region == var.ses_region ? [{service = "ses.amazonaws.com", topic_arns = [local.ses_events_topic_arn]}] : []' in publishers
    assert stack.one("module", name="kms_key").body["topic_publishers"] == "${local.key_topic_publishers[var.region]}"
    assert stack.one("module", name="regional_kms_key").body["topic_publishers"] == "${local.key_topic_publishers[each.key]}"
    # the ARN named in the key policy is the topic's
    assert stack.one("resource", "aws_sns_topic", "ses_events").body["name"] == "${local.ses_events_topic_name}"
    assert stack.locals()["ses_events_topic_arn"] == "arn:${local.partition}:sns:${var.ses_region}:${local.account_id}:${local.ses_events_topic_name}"


def test_the_event_destination_sends_exactly_the_five_status_events_to_the_topic(stack: Stack) -> None:
    assert set(stack.locals()["ses_status_event_types"]) == SES_STATUS_EVENTS
    assert len(stack.locals()["ses_status_event_types"]) == 5
    call = stack.one("module", name="ses_configuration_set").body
    destination = call["sns_event_destination"]
    assert destination["event_types"] == "${local.ses_status_event_types}"
    assert destination["topic_arn"] == "${aws_sns_topic_policy.ses_events.arn}"  # the topic, once its policy lets SES in
    resource = stack.one("resource", "aws_sesv2_configuration_set_event_destination", "sns").body
    assert resource["region"] == "${var.region}"  # the configuration set's region: var.ses_region from the root
    assert resource["configuration_set_name"] == "${aws_sesv2_configuration_set.this.configuration_set_name}"
    [event_destination] = resource["event_destination"]
    assert event_destination["enabled"] is True
    assert event_destination["matching_event_types"] == "${var.sns_event_destination.event_types}"
    assert event_destination["sns_destination"][0]["topic_arn"] == "${var.sns_event_destination.topic_arn}"
    assert call["region"] == "${var.ses_region}"


def test_the_topic_policy_admits_ses_for_this_configuration_set_only_and_requires_tls(stack: Stack) -> None:
    policy = stack.one("resource", "aws_sns_topic_policy", "ses_events").body
    assert policy["policy"] == "${data.aws_iam_policy_document.ses_events_topic.json}"
    assert policy["region"] == "${var.ses_region}"
    statements_ = by_sid(stack, "ses_events_topic")
    ses = statements_["SesPublishesThisConfigurationSetsEvents"]
    assert ses["actions"] == ["sns:Publish"] and ses["principals"][0]["identifiers"] == ["ses.amazonaws.com"]
    assert condition(ses, "aws:SourceAccount") == ("StringEquals", ["${local.account_id}"])
    assert condition(ses, "aws:SourceArn") == ("ArnEquals", ["${module.ses_configuration_set.arn}"])
    deny = statements_["DenyInsecureTransport"]
    assert deny["effect"] == "Deny" and "sns:Publish" in deny["actions"] and "sns:Subscribe" in deny["actions"]
    assert condition(deny, "aws:SecureTransport") == ("Bool", ["false"])
    assert all(s["resources"] == ["${aws_sns_topic.ses_events.arn}"] for s in statements_.values())


def test_the_email_events_function_is_subscribed_to_the_topic(stack: Stack) -> None:
    subscription = stack.one("resource", "aws_sns_topic_subscription", "ses_events").body
    assert (subscription["protocol"], subscription["topic_arn"], subscription["region"]) == ("lambda", "${aws_sns_topic.ses_events.arn}", "${var.ses_region}")
    assert subscription["endpoint"] == '${module.event_handlers["emailEvents"].arn}'
    permission = stack.one("resource", "aws_lambda_permission", "ses_events").body
    assert permission["principal"] == "sns.amazonaws.com"
    assert permission["source_arn"] == "${aws_sns_topic.ses_events.arn}"
    assert permission["function_name"] == '${module.event_handlers["emailEvents"].name}'
    assert permission["region"] == '${local.event_handler_regions["emailEvents"]}'


# --- SMS: delivery-status logging -> log groups -> subscription filter -> smsEvents ---------------


def test_sms_preferences_log_every_success_through_the_delivery_status_role(stack: Stack) -> None:
    preferences = stack.one("resource", "aws_sns_sms_preferences", "account").body
    assert preferences["region"] == "${var.sns_region}"
    assert preferences["default_sms_type"] == "Transactional"
    assert preferences["delivery_status_success_sampling_rate"] == "100"
    assert preferences["delivery_status_iam_role_arn"] == "${aws_iam_role.sms_delivery_status[0].arn}"
    assert preferences["monthly_spend_limit"] == "${var.sms.monthly_spend_limit_usd}"
    assert preferences["count"] == "${var.sms.manage_account_preferences ? 1 : 0}"


def test_the_delivery_status_role_trusts_sns_and_writes_only_the_sms_log_groups(stack: Stack) -> None:
    [trust] = statements(stack.one("data", "aws_iam_policy_document", "sms_delivery_status_assume"))
    assert trust["principals"][0]["identifiers"] == ["sns.amazonaws.com"]
    assert "condition" not in trust  # SNS is not documented to send aws:SourceAccount for this role
    [write] = statements(stack.one("data", "aws_iam_policy_document", "sms_delivery_status"))
    assert write["actions"] == ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]
    assert write["resources"] == '${flatten([for group in aws_cloudwatch_log_group.sms_delivery : [group.arn, "${group.arn}:*"]])}'


def test_both_sms_log_groups_exist_with_retention_and_kms_and_feed_the_sms_function(stack: Stack) -> None:
    names = stack.locals()["sms_log_groups"]
    assert 'success = "sns/${var.sns_region}/${local.account_id}/DirectPublishToPhoneNumber"' in names
    assert 'failure = "sns/${var.sns_region}/${local.account_id}/DirectPublishToPhoneNumber/Failure"' in names
    groups = stack.one("resource", "aws_cloudwatch_log_group", "sms_delivery").body
    assert groups["for_each"] == "${local.sms_log_groups}"
    assert groups["region"] == "${var.sns_region}"
    assert groups["retention_in_days"] == "${var.sms.delivery_log_retention_days}"  # short: they hold phone numbers
    assert groups["kms_key_id"] == "${local.kms_key_arns[var.sns_region]}"
    # a subscription filter on each, to the SMS status function, with nothing filtered out
    subscription = stack.one("resource", "aws_cloudwatch_log_subscription_filter", "sms_delivery").body
    assert subscription["for_each"] == "${aws_cloudwatch_log_group.sms_delivery}"
    assert subscription["log_group_name"] == "${each.value.name}"
    assert subscription["destination_arn"] == '${module.event_handlers["smsEvents"].arn}'
    assert subscription["filter_pattern"] == "" and subscription["region"] == "${var.sns_region}"
    permission = stack.one("resource", "aws_lambda_permission", "sms_delivery_logs").body
    assert permission["for_each"] == "${aws_cloudwatch_log_group.sms_delivery}"
    assert permission["principal"] == "logs.${var.sns_region}.amazonaws.com"
    assert permission["source_arn"] == "${each.value.arn}:*"
    assert permission["source_account"] == "${local.account_id}"


def test_the_sms_function_runs_beside_its_log_groups(stack: Stack) -> None:
    # CloudWatch Logs invokes a subscription filter's function in the log group's region.
    wiring = stack.locals()["event_handler_wiring"]
    assert wiring["smsEvents"]["region"] == "${var.sns_region}"
    assert wiring["emailEvents"]["region"] == "${var.region}"
    call = stack.one("module", name="event_handlers").body
    assert call["region"] == "${local.event_handler_regions[each.key]}"
    assert call["kms_key_arn"] == "${local.kms_key_arns[local.event_handler_regions[each.key]]}"  # a key of that region
    function = stack.one("resource", "aws_lambda_function", "this").body
    assert function["region"] == "${var.region}"
    assert stack.one("resource", "aws_cloudwatch_log_group", "this", "modules/lambda_function").body["region"] == "${var.region}"
    # the key of sns_region lets CloudWatch Logs encrypt exactly the SMS groups and our functions' logs there
    patterns = stack.locals()["key_log_group_arn_patterns"]
    assert "region == var.sns_region ? [for name in values(local.sms_log_groups)" in patterns
    assert "contains(values(local.event_handler_regions), region)" in patterns


def test_only_one_environment_per_account_and_region_manages_the_sms_account_settings(stack: Stack) -> None:
    variable = stack.one("variable", name="sms", directory="terraform").body
    assert "exactly one environment per account and sns_region" in variable["description"]
    assert re.search(r"manage_account_preferences\s+= optional\(bool, true\)", variable["type"])
    for kind, type_ in (("resource", "aws_iam_role"), ("resource", "aws_iam_role_policy"), ("data", "aws_iam_policy_document")):
        assert stack.one(kind, type_, "sms_delivery_status").body["count"] == "${var.sms.manage_account_preferences ? 1 : 0}"
    assert "var.sms.manage_account_preferences ?" in stack.locals()["sms_log_groups"]
    # the throw-away live-test stack never touches the account's SMS settings
    live = (REPO_ROOT / "tests" / "terraform" / "live" / "messenger" / "main.tf").read_text()
    assert re.search(r"manage_account_preferences\s*=\s*false", live)


def retention_values(condition_: str, attribute: str) -> list[int]:
    match = re.fullmatch(rf"\$\{{contains\(\[([\d, ]+)\], var\.{re.escape(attribute)}\)\}}", condition_)
    assert match, condition_
    return [int(value) for value in match.group(1).split(",")]


def test_the_sms_delivery_logs_keep_phone_numbers_only_briefly(stack: Stack) -> None:
    # GIVEN the sms variable: a typed attribute, 3 days by default
    variable = stack.one("variable", name="sms", directory="terraform").body
    assert re.search(r"delivery_log_retention_days\s+= optional\(number, 3\)", variable["type"])
    assert variable["default"] == {}
    # described: what it keeps and why briefly
    assert "delivery_log_retention_days (default 3" in variable["description"] and "phone number" in variable["description"]
    # THEN it accepts exactly what CloudWatch Logs accepts (the list log_retention_days checks), at least 1 day
    [validation] = [v for v in variable["validation"] if "delivery_log_retention_days" in v["condition"]]
    accepted = retention_values(validation["condition"], "sms.delivery_log_retention_days")
    log_retention = stack.one("variable", name="log_retention_days", directory="terraform").body
    assert accepted == retention_values(log_retention["validation"][0]["condition"], "log_retention_days")
    assert min(accepted) == 1 and 0 not in accepted and 3 in accepted and 2 not in accepted
    assert "sms.delivery_log_retention_days" in validation["error_message"]
    # AND only the two SNS log groups use it; every other log keeps log_retention_days
    assert stack.one("resource", "aws_cloudwatch_log_group", "sms_delivery").body["retention_in_days"] == "${var.sms.delivery_log_retention_days}"
    others = [group for group in stack.find("resource", "aws_cloudwatch_log_group") if group.name != "sms_delivery"]
    assert others and all(group.body["retention_in_days"] == "${var.log_retention_days}" for group in others)
    # the skip of checkov's one-year rule for them says why
    assert "#checkov:skip=CKV_AWS_338:The SNS SMS delivery logs hold recipients' phone numbers" in (REPO_ROOT / "terraform" / "status.tf").read_text()


def deploy_section() -> str:
    readme = (REPO_ROOT / "README.md").read_text()
    return readme.split("\n## Deploy to AWS\n", 1)[1].split("\n## ", 1)[0]


def test_the_readme_says_why_the_sms_logs_are_kept_briefly_and_who_owns_the_sms_settings() -> None:
    section = " ".join(deploy_section().split())
    assert "`sms.delivery_log_retention_days`" in section and "default 3" in section and "phone number" in section
    assert "set it to `false` in all but one" in section and "one account per environment" in section


def test_environments_own_the_sms_settings_and_say_when_not_to() -> None:
    for env in ("dev", "stage", "prod"):
        values = (REPO_ROOT / "envs" / f"{env}.tfvars").read_text()
        assert re.search(r"^  manage_account_preferences = true$", values, re.MULTILINE), env
        comment = " ".join(line.lstrip("# ") for line in values.splitlines() if line.startswith("#"))
        assert "account-and-region singletons" in comment, env
        assert "if environments share one AWS account and sns_region, set manage_account_preferences = false in all but one" in comment, env
        assert "recommended: one account per environment" in comment, env


def test_outputs_name_the_topic_and_the_status_functions(stack: Stack) -> None:
    assert stack.one("output", name="ses_events_topic_arn", directory="terraform").body["value"] == "${aws_sns_topic.ses_events.arn}"
    assert stack.one("output", name="status_function_names", directory="terraform").body["value"] == "${{for name, function in module.event_handlers : name => function.name}}"


# --- Stale PENDING messages: EventBridge rule -> stalePending ----------------------------------


def stale_pending_variable(stack: Stack) -> dict:
    return stack.one("variable", name="stale_pending", directory="terraform").body


def validation_regex(stack: Stack) -> re.Pattern[str]:
    """The schedule_expression validation's pattern, as Terraform sees it (RE2; Python's re reads it alike)."""
    [condition_] = [v["condition"] for v in stale_pending_variable(stack)["validation"] if "schedule_expression" in v["condition"]]
    match = re.fullmatch(r'\$\{can\(regex\("(.*)", var\.stale_pending\.schedule_expression\)\)\}', condition_)
    assert match, condition_
    return re.compile(match.group(1).replace("\\\\", "\\"))


def test_the_sweep_runs_on_an_eventbridge_schedule_every_five_minutes_by_default(stack: Stack) -> None:
    # GIVEN the rule that runs stalePending
    rule = stack.one("resource", "aws_cloudwatch_event_rule", "stale_pending").body
    # THEN its schedule is the variable's (rate(5 minutes) unless an environment says otherwise), in the function's region
    assert rule["schedule_expression"] == "${var.stale_pending.schedule_expression}"
    assert rule["region"] == '${local.event_handler_regions["stalePending"]}'
    assert rule["name"] == "${local.prefix}-stale-pending"
    assert "event_pattern" not in rule and "role_arn" not in rule
    assert 'schedule_expression = optional(string, "rate(5 minutes)")' in (REPO_ROOT / "terraform" / "variables.tf").read_text()
    # AND its one target is the stalePending function, with the scheduled event as it is and no role
    target = stack.one("resource", "aws_cloudwatch_event_target", "stale_pending").body
    assert target["rule"] == "${aws_cloudwatch_event_rule.stale_pending.name}"
    assert target["arn"] == '${module.event_handlers["stalePending"].arn}'
    assert target["region"] == rule["region"]
    assert "role_arn" not in target and "input" not in target
    assert target["depends_on"] == ["${aws_lambda_permission.stale_pending}"]
    # AND the sweep runs beside the table, whose region the function gets
    assert stack.locals()["event_handler_wiring"]["stalePending"]["region"] == "${var.region}"


def test_only_this_rule_may_invoke_the_sweep(stack: Stack) -> None:
    permission = stack.one("resource", "aws_lambda_permission", "stale_pending").body
    assert permission["action"] == "lambda:InvokeFunction"
    assert permission["principal"] == "events.amazonaws.com"
    assert permission["function_name"] == '${module.event_handlers["stalePending"].name}'
    assert permission["source_arn"] == "${aws_cloudwatch_event_rule.stale_pending.arn}"  # this rule, not any rule
    assert permission["source_account"] == "${local.account_id}"
    assert permission["region"] == '${local.event_handler_regions["stalePending"]}'
    # nothing else schedules or invokes it: no EventBridge Scheduler schedule and no role for one
    assert stack.find("resource", "aws_scheduler_schedule") == []
    assert [b.address for b in stack.find("resource", "aws_cloudwatch_event_target") if "stalePending" in json.dumps(b.body)] == [
        "terraform: resource aws_cloudwatch_event_target stale_pending"
    ]


def test_the_schedule_variable_is_typed_described_and_validated(stack: Stack) -> None:
    variable = stale_pending_variable(stack)
    assert "schedule_expression = optional(string," in variable["type"] and "stale_after_seconds = optional(number, 300)" in variable["type"]
    assert variable["default"] == {}
    assert "at least 60" in variable["description"] and "30 s" in variable["description"]
    # the schedule: EventBridge's rate() (singular unit for 1 only) or a six-field cron()
    pattern = validation_regex(stack)
    for accepted in ("rate(5 minutes)", "rate(1 minute)", "rate(2 hours)", "rate(1 day)", "cron(0/5 * * * ? *)"):
        assert pattern.fullmatch(accepted), accepted
    for rejected in ("rate(1 minutes)", "rate(5 minute)", "rate(0 minutes)", "rate(05 minutes)", "every 5 minutes", "cron(0/5 * * * ?)", ""):
        assert not pattern.fullmatch(rejected), rejected
    # the cutoff: whole seconds, at least 60 (AppSync requests last up to 30 s; the delivery function's timeout is shorter)
    [cutoff] = [v for v in variable["validation"] if "stale_after_seconds" in v["condition"]]
    assert cutoff["condition"] == "${var.stale_pending.stale_after_seconds >= 60 && floor(var.stale_pending.stale_after_seconds) == var.stale_pending.stale_after_seconds}"
    delivery = stack.one("variable", name="delivery_function", directory="terraform").body
    assert "var.delivery_function.timeout_seconds <= 25" in delivery["validation"][0]["condition"]


def test_the_sweeps_role_queries_only_the_pending_index_and_updates_only_message_items(stack: Stack) -> None:
    # GIVEN the status functions' policy, resolved for stalePending from its wiring and the manifest
    statements_ = by_sid(stack, "event_handler")
    assert stack.one("data", "aws_iam_policy_document", "event_handler").body["for_each"] == "${local.event_handlers}"
    pending_index = next(name for name, index in MANIFEST["tables"]["messages"]["indexes"].items() if index["partitionKey"] == "pendingShard")
    # THEN it may Query that one index (an index ARN, never the table) ...
    query = statements_["QueryOwnIndexesOnly"]
    assert query["actions"] == ["dynamodb:Query"] and "condition" not in query
    assert query["resources"] == "${[for index in statement.value : module.messages_table.index_arns[index]]}"
    assert stack.one("output", name="index_arns", directory="modules/messages_table").body["value"] == (
        '${{for name in keys(var.indexes) : name => "${aws_dynamodb_table.this.arn}/index/${name}"}}'
    )
    assert stack.locals()["event_handler_wiring"]["stalePending"]["query_indexes"] == "${local.pending_index == null ? [] : [local.pending_index]}"
    assert pending_index == "byPendingShard"
    # ... UpdateItem only items of MESSAGE# partitions, and use the table's key only through DynamoDB
    update = statements_["UpdateMessageItemsOnly"]
    assert update["actions"] == ["dynamodb:UpdateItem"] and update["resources"] == ["${module.messages_table.arn}"]
    assert condition(update, "dynamodb:LeadingKeys") == ("ForAllValues:StringLike", ["MESSAGE#*"])
    assert condition(statements_["UseTableKeyThroughDynamoDB"], "kms:ViaService") == ("StringEquals", ["dynamodb.${var.region}.amazonaws.com"])
    # AND nothing else: no other action, no wildcard
    actions = sorted(a for s in statements_.values() for a in s["actions"])
    assert actions == ["dynamodb:Query", "dynamodb:UpdateItem", "kms:Decrypt", "kms:GenerateDataKey"]
    assert all("effect" not in s or s["effect"] == "Allow" for s in statements_.values())


def test_the_plan_stops_without_a_pending_index_sorted_by_the_tables_sort_key(stack: Stack) -> None:
    guard = stack.one("resource", "terraform_data", "event_handler_guard").body
    conditions = [p["condition"] for p in guard["lifecycle"][0]["precondition"]]
    assert (
        '${!contains(keys(local.event_handlers), "stalePending") || (local.pending_index != null && '
        "try(local.messages_table.indexes[local.pending_index].sortKey, null) == local.messages_table.sortKey)}"
    ) in conditions

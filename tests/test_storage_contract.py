"""The storage contract (graphql/manifest.json, tables.messages) and every copy of it.

Terraform and the local stack read the manifest. The resolvers and the Lambda handlers cannot read it at
run time, so they keep named constants; this module pins each of them to the manifest and fails when a
contract value appears anywhere else, written out by hand.
"""

from __future__ import annotations

import math
import re

import pytest
from graphql import GraphQLEnumType

from local.appsync.auth import FUNCTIONS_ROLE_ARN, FUNCTIONS_ROLE_SESSIONS
from local.appsync.datasources import load_lambda_module
from local.appsync.host import load_schema
from local.config import Settings
from local.manifest import Manifest, StorageContract, load_manifest
from tests.conftest import REPO_ROOT

# (file, constant) -> where its value lives in the contract.
PINNED_CONSTANTS = {
    ("graphql/functions/identifyCaller.js", "CONFIG_PK"): ("configItem", "PK"),
    ("graphql/functions/identifyCaller.js", "CONFIG_SK"): ("configItem", "SK"),
    ("graphql/functions/identifyCaller.js", "CHANNELS_SK"): ("channelsItem", "SK"),
    ("graphql/functions/identifyCaller.js", "SCOPE_PREFIX"): ("keyPrefixes", "scope"),
    ("graphql/functions/identifyCaller.js", "DEFAULT_CLIENT_ID"): ("clients", "defaultClientId"),
    ("graphql/functions/authorizePublisher.js", "CONFIG_PK"): ("configItem", "PK"),
    ("graphql/functions/authorizePublisher.js", "CONFIG_SK"): ("configItem", "SK"),
    ("graphql/functions/validateInput.js", "MESSAGE_PREFIX"): ("keyPrefixes", "message"),
    ("graphql/functions/validateInput.js", "SENDER_PREFIX"): ("keyPrefixes", "sender"),
    ("graphql/functions/loadClient.js", "CLIENTS_PK"): ("clientsItem", "PK"),
    ("graphql/functions/loadClient.js", "CLIENT_PREFIX"): ("keyPrefixes", "client"),
    ("graphql/functions/claimKey.js", "IDEMPOTENCY_PREFIX"): ("keyPrefixes", "idempotencyClaim"),
    ("graphql/functions/limitRecipient.js", "LIMIT_PREFIX"): ("keyPrefixes", "limit"),
    ("graphql/functions/limitRecipient.js", "RECIPIENT_HOUR_PREFIX"): ("keyPrefixes", "recipientHour"),
    ("graphql/functions/limitClient.js", "LIMIT_PREFIX"): ("keyPrefixes", "limit"),
    ("graphql/functions/limitClient.js", "CLIENT_PREFIX"): ("keyPrefixes", "client"),
    ("graphql/functions/limitClient.js", "CLIENT_DAY_PREFIX"): ("keyPrefixes", "clientDay"),
    ("graphql/functions/limitChannel.js", "LIMIT_PREFIX"): ("keyPrefixes", "limit"),
    ("graphql/functions/limitChannel.js", "CHANNEL_MINUTE_PREFIX"): ("keyPrefixes", "channelMinute"),
    ("graphql/functions/queryMessages.js", "MESSAGE_PREFIX"): ("keyPrefixes", "message"),
    ("graphql/functions/queryMessages.js", "SENDER_PREFIX"): ("keyPrefixes", "sender"),
    ("graphql/functions/markSubscribers.js", "SUBSCRIBERS_PREFIX"): ("keyPrefixes", "subscribers"),
    ("handlers/guardrail/app.py", "CONFIG_PK"): ("channelsItem", "PK"),
    ("handlers/guardrail/app.py", "CHANNELS_SK"): ("channelsItem", "SK"),
    ("handlers/delivery/app.py", "MESSAGE_PREFIX"): ("keyPrefixes", "message"),
    ("handlers/status/recording.py", "MESSAGE_PREFIX"): ("keyPrefixes", "message"),
    ("handlers/status/sweep.py", "LIMIT_PREFIX"): ("keyPrefixes", "limit"),
    ("handlers/status/sweep.py", "RECIPIENT_HOUR_PREFIX"): ("keyPrefixes", "recipientHour"),
    ("handlers/status/sweep.py", "SWEEP_PK"): ("sweepItem", "PK"),
    ("handlers/status/sweep.py", "SCOPE_PREFIX"): ("keyPrefixes", "scope"),
    ("handlers/status/sweep.py", "DEFAULT_CLIENT_ID"): ("clients", "defaultClientId"),
    ("handlers/status/sweep.py", "SWEEP_SK"): ("sweepItem", "SK"),
    ("handlers/clients/clients_common.py", "API_KEY_PREFIX"): ("keyPrefixes", "apiKey"),
    ("handlers/clients/clients_common.py", "CLIENT_PREFIX"): ("keyPrefixes", "client"),
    ("handlers/clients/clients_common.py", "CLIENT_KEY_PREFIX"): ("keyPrefixes", "clientKey"),
    ("handlers/clients/clients_common.py", "CLIENTS_PK"): ("clientsItem", "PK"),
    ("handlers/clients/clients_common.py", "AUDIT_PK"): ("auditItem", "PK"),
    ("handlers/clients/operators.py", "CONFIG_PK"): ("configItem", "PK"),
    ("handlers/clients/operators.py", "CONFIG_SK"): ("configItem", "SK"),
    ("handlers/clients/clients_common.py", "MESSAGE_PREFIX"): ("keyPrefixes", "message"),
    ("handlers/clients/clients_common.py", "SCOPE_PREFIX"): ("keyPrefixes", "scope"),
    ("handlers/clients/clients_common.py", "EVENT_PREFIX"): ("keyPrefixes", "event"),
    ("handlers/clients/clients_common.py", "DEFAULT_CLIENT_ID"): ("clients", "defaultClientId"),
    ("handlers/clients/publisher.py", "SUBSCRIBERS_PREFIX"): ("keyPrefixes", "subscribers"),
    ("handlers/clients/publisher.py", "WEBHOOK_PREFIX"): ("keyPrefixes", "webhook"),
    ("graphql/functions/queryEvents.js", "EVENT_PREFIX"): ("keyPrefixes", "event"),
    ("handlers/clients/erasure.py", "IDEMPOTENCY_PREFIX"): ("keyPrefixes", "idempotencyClaim"),
    ("handlers/clients/webhook_common.py", "WEBHOOK_PREFIX"): ("keyPrefixes", "webhook"),
    ("handlers/clients/webhook_common.py", "ATTEMPT_PREFIX"): ("keyPrefixes", "webhookAttempt"),
}
# Numbers of the contract a resolver keeps as a constant.
PINNED_NUMBERS = {
    ("graphql/functions/limitRecipient.js", "SHARDS"): "recipientHour",
    ("graphql/functions/limitChannel.js", "SHARD_CAPACITY"): "channelMinuteCapacity",
    ("handlers/status/sweep.py", "RECIPIENT_SHARDS"): "recipientHour",
}
# Index names the resolvers use, and the partition key each assumes.
PINNED_INDEXES = {("graphql/functions/queryMessages.js", "SENDER_INDEX"): "senderKey"}
SCANNED = ["graphql/**/*.js", "handlers/**/*.py", "local/**/*.py", "bench/*.py", "terraform/*.tf", "modules/**/*.tf"]


def _declaration(path: str, name: str) -> re.Pattern[str]:
    if path.endswith(".js"):
        return re.compile(rf"^const {name} = '([^']*)';$", re.MULTILINE)
    return re.compile(rf'^{name} = "([^"]*)"$', re.MULTILINE)


def _declared(path: str, name: str) -> str:
    found = _declaration(path, name).findall((REPO_ROOT / path).read_text())
    assert len(found) == 1, f"{path} should declare {name} once as a string constant"
    return found[0]


def _settings_read_in(folder: str) -> set[str]:
    """The environment variables a Lambda's modules read at import (a status function reads its own and the shared one's)."""
    return {name for module in sorted((REPO_ROOT / folder).glob("*.py")) for name in re.findall(r'os\.environ\["(\w+)"\]', module.read_text())}


def _contract_value(storage: StorageContract, where: tuple[str, ...]) -> str:
    tables = {
        "keyPrefixes": storage.key_prefixes,
        "configItem": storage.config_item,
        "channelsItem": storage.channels_item,
        "sweepItem": storage.sweep_item,
        "clientsItem": storage.clients_item,
        "auditItem": storage.audit_item,
        "clients": load_manifest().clients,
    }
    value: str = tables[where[0]][where[1]]
    return value


@pytest.fixture(scope="module")
def storage(manifest: Manifest) -> StorageContract:
    return manifest.storage


@pytest.mark.parametrize(("path", "name"), sorted(PINNED_CONSTANTS))
def test_each_copy_in_the_resolvers_and_handlers_equals_the_contract(storage: StorageContract, path: str, name: str) -> None:
    assert _declared(path, name) == _contract_value(storage, PINNED_CONSTANTS[path, name])


@pytest.mark.parametrize(("path", "name"), sorted(PINNED_NUMBERS))
def test_each_number_a_resolver_keeps_equals_the_contract(storage: StorageContract, path: str, name: str) -> None:
    [declared] = re.findall(rf"^(?:const )?{name} = (\d+);?$", (REPO_ROOT / path).read_text(), re.MULTILINE)
    assert int(declared) == storage.limit_shards[PINNED_NUMBERS[path, name]]


def test_the_handlers_know_the_keys_form_and_prefixes_as_the_manifest_does(manifest: Manifest, monkeypatch: pytest.MonkeyPatch) -> None:
    common = load_lambda_module(REPO_ROOT, "handlers/clients", "clients_common")
    assert common.KEY_PREFIXES == manifest.clients["keyPrefixes"]
    # The handler's form and AppSync's validation expression accept the same keys.
    validation = re.compile(manifest.clients["identityValidationExpression"])
    keys = [common.new_key(mode, "01JAAAAAAAAAAAAAAAAAAAAAAA") for mode in ("LIVE", "TEST")]
    variants = [key[:-1] for key in keys] + [key + "x" for key in keys] + [key.replace("_", "-", 1) for key in keys]
    variants += [key.replace("01JAAAA", "01JIAAA") for key in keys] + [key.upper() for key in keys] + ["sm_prod_" + keys[0][8:]]
    for key in keys + variants:
        assert (common.KEY_FORM.fullmatch(key) is not None) == (validation.match(key) is not None), key
    assert all(common.KEY_FORM.fullmatch(key) for key in keys)


@pytest.mark.parametrize(("path", "name"), sorted(PINNED_INDEXES))
def test_each_index_a_resolver_names_exists_with_the_key_it_assumes(storage: StorageContract, path: str, name: str) -> None:
    index = _declared(path, name)
    assert storage.indexes[index]["partitionKey"] == PINNED_INDEXES[path, name]


def test_no_contract_value_is_written_out_anywhere_but_in_a_pinned_constant(storage: StorageContract) -> None:
    # GIVEN every value of the contract, as a quoted literal would begin
    values = [*storage.key_prefixes.values(), storage.config_item["PK"], *storage.indexes]
    literal = re.compile("|".join(rf"""['"`]{re.escape(value)}""" for value in values))
    # WHEN the code is searched for them
    stray = []
    for pattern in SCANNED:
        for file in sorted(REPO_ROOT.glob(pattern)):
            path = str(file.relative_to(REPO_ROOT))
            for number, line in enumerate(file.read_text().splitlines(), 1):
                declared = any(line.startswith((f"const {name} = ", f"{name} = ")) for (pinned_path, name) in [*PINNED_CONSTANTS, *PINNED_INDEXES] if pinned_path == path)
                if literal.search(line) and not declared:
                    stray.append(f"{path}:{number}: {line.strip()}")
    # THEN each appears only as a pinned constant (everything else reads the manifest or uses those constants)
    assert stray == []


def test_the_config_items_publisher_attribute_is_the_one_terraform_and_the_local_stack_write() -> None:
    # GIVEN the attribute publishMessageEvent's guard reads from CONFIG/DELIVERY
    attribute = _declared("graphql/functions/authorizePublisher.js", "PUBLISHER_ATTRIBUTE")
    # THEN the local stack writes it, naming the role its functions sign as (a prefix: it ends in a slash),
    assert Settings().delivery_config[attribute] == FUNCTIONS_ROLE_SESSIONS and FUNCTIONS_ROLE_ARN.startswith(FUNCTIONS_ROLE_SESSIONS)
    # AND Terraform writes it into the same item (its value is asserted on the plan: terraform/tests/stack.tftest.hcl)
    item = re.search(r'resource "aws_dynamodb_table_item" "delivery_config" \{.*?\n\}', (REPO_ROOT / "terraform/main.tf").read_text(), re.DOTALL)
    assert item is not None and re.search(rf"^\s*{attribute} = \{{ S = local\.event_publisher_principal \}}$", item.group(0), re.MULTILINE)


def test_the_status_ranking_covers_exactly_the_schemas_delivery_statuses(manifest: Manifest, storage: StorageContract) -> None:
    enum = load_schema(manifest).get_type("DeliveryStatus")
    assert isinstance(enum, GraphQLEnumType)
    assert set(storage.status_ranks) == set(enum.values)
    # The schema states the order to its callers: the same order.
    tiers = [[status for status, rank in storage.status_ranks.items() if rank == tier] for tier in sorted(set(storage.status_ranks.values()))]
    order = ", ".join(" or ".join(tier) for tier in tiers)
    assert f"A status only moves forward, in this order: {order}." in (enum.description or "")


def test_the_status_handlers_rank_statuses_as_the_contract_does(storage: StorageContract, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _settings_read_in("handlers/status"):
        monkeypatch.setenv(name, "1")
    recording = load_lambda_module(REPO_ROOT, "handlers/status", "recording")
    assert recording.STATUS_RANK == storage.status_ranks


def test_every_index_variable_is_one_the_status_handlers_read(storage: StorageContract) -> None:
    assert set(storage.index_environment()) <= _settings_read_in("handlers/status")


def test_references_inside_the_manifest_resolve(manifest: Manifest, storage: StorageContract) -> None:
    for source in manifest.data_sources.values():
        assert set(source.get("writablePartitions", [])) <= set(storage.key_prefixes)
    for handler in manifest.event_handlers.values():
        assert set(handler.queries) <= set(storage.indexes)


def test_the_event_publishers_stream_filter_passes_the_message_partitions_changes_and_erasures_only(manifest: Manifest, storage: StorageContract) -> None:
    # A MODIFY or a caller's REMOVE (not TTL's, which has a userIdentity) of a message record: what can carry an event.
    [publisher] = manifest.handlers_triggered_by("tableStream")
    assert publisher.stream_filters == (
        {
            "eventName": ["MODIFY", "REMOVE"],
            "userIdentity": {"type": [{"exists": False}]},
            "dynamodb": {"Keys": {"PK": {"S": [{"prefix": storage.key_prefixes["message"]}]}}},
        },
    )


def test_the_sweep_knows_how_long_a_recipients_counter_lives(monkeypatch: pytest.MonkeyPatch) -> None:
    # The sweep finds messages through the counters only while they live.
    [expression] = re.findall(r"^const KEPT_SECONDS = ([0-9 *]+);$", (REPO_ROOT / "graphql/functions/limitRecipient.js").read_text(), re.MULTILINE)
    kept_seconds = math.prod(int(factor) for factor in expression.split("*"))
    for name in _settings_read_in("handlers/status"):
        monkeypatch.setenv(name, "1")
    sweep = load_lambda_module(REPO_ROOT, "handlers/status", "sweep")
    assert sweep.RECIPIENT_COUNTER_KEPT.total_seconds() == kept_seconds


def test_the_webhook_functions_keep_the_manifests_webhook_rules(manifest: Manifest, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _settings_read_in("handlers/clients"):
        monkeypatch.setenv(name, "1")
    monkeypatch.setenv("WEBHOOK_ALLOWED_PORTS", "")
    common = load_lambda_module(REPO_ROOT, "handlers/clients", "webhook_common")
    rules = manifest.webhooks
    assert common.ATTEMPT_TIMEOUT_SECONDS == rules["attemptTimeoutSeconds"]
    assert common.DISABLE_AFTER_FAILING_SECONDS == rules["disableAfterFailingSeconds"]
    assert common.PREVIOUS_SECRET_SECONDS == rules["previousSecretSeconds"]
    assert common.MAX_ENDPOINTS == rules["maxEndpoints"]
    # An endpoint may ask for every status change: each status but the one a message is recorded with.
    enum = load_schema(manifest).get_type("DeliveryStatus")
    assert isinstance(enum, GraphQLEnumType)
    recorded_with = [status for status, rank in manifest.storage.status_ranks.items() if rank == 0]
    assert set(common.EVENT_STATUSES) == set(enum.values) - set(recorded_with)
    # The sender's work fits in its function's time: a batch's attempts run side by side, each within its timeout.
    assert rules["sender"]["timeoutSeconds"] >= 2 * rules["attemptTimeoutSeconds"]

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

from local.appsync.datasources import load_lambda_module
from local.appsync.host import load_schema
from local.manifest import Manifest, StorageContract
from tests.conftest import REPO_ROOT

# (file, constant) -> where its value lives in the contract.
PINNED_CONSTANTS = {
    ("graphql/functions/validateInput.js", "MESSAGE_PREFIX"): ("keyPrefixes", "message"),
    ("graphql/functions/validateInput.js", "SENDER_PREFIX"): ("keyPrefixes", "sender"),
    ("graphql/functions/queryMessages.js", "MESSAGE_PREFIX"): ("keyPrefixes", "message"),
    ("graphql/functions/queryMessages.js", "SENDER_PREFIX"): ("keyPrefixes", "sender"),
    ("graphql/functions/findClaim.js", "IDEMPOTENCY_PREFIX"): ("keyPrefixes", "idempotencyClaim"),
    ("graphql/functions/limitChannel.js", "LIMIT_PREFIX"): ("keyPrefixes", "limit"),
    ("graphql/functions/limitRecipient.js", "LIMIT_PREFIX"): ("keyPrefixes", "limit"),
    ("graphql/functions/limitRecipient.js", "RECIPIENT_HOUR_PREFIX"): ("keyPrefixes", "recipientHour"),
    ("graphql/functions/loadConfig.js", "CONFIG_PK"): ("configItem", "PK"),
    ("graphql/functions/loadConfig.js", "CONFIG_SK"): ("configItem", "SK"),
    ("graphql/functions/loadConfig.js", "CHANNELS_SK"): ("channelsItem", "SK"),
    ("handlers/guardrail/app.py", "CONFIG_PK"): ("channelsItem", "PK"),
    ("handlers/guardrail/app.py", "CHANNELS_SK"): ("channelsItem", "SK"),
    ("handlers/delivery/app.py", "MESSAGE_PREFIX"): ("keyPrefixes", "message"),
    ("handlers/status/app.py", "MESSAGE_PREFIX"): ("keyPrefixes", "message"),
    ("handlers/status/app.py", "LIMIT_PREFIX"): ("keyPrefixes", "limit"),
    ("handlers/status/app.py", "RECIPIENT_HOUR_PREFIX"): ("keyPrefixes", "recipientHour"),
    ("handlers/status/app.py", "SWEEP_PK"): ("sweepItem", "PK"),
    ("handlers/status/app.py", "SWEEP_SK"): ("sweepItem", "SK"),
    ("handlers/erasure/app.py", "MESSAGE_PREFIX"): ("keyPrefixes", "message"),
    ("handlers/erasure/app.py", "IDEMPOTENCY_PREFIX"): ("keyPrefixes", "idempotencyClaim"),
    ("handlers/erasure/app.py", "LIMIT_PREFIX"): ("keyPrefixes", "limit"),
    ("handlers/erasure/app.py", "RECIPIENT_HOUR_PREFIX"): ("keyPrefixes", "recipientHour"),
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


def _contract_value(storage: StorageContract, where: tuple[str, ...]) -> str:
    return {"keyPrefixes": storage.key_prefixes, "configItem": storage.config_item, "channelsItem": storage.channels_item, "sweepItem": storage.sweep_item}[where[0]][where[1]]


@pytest.fixture(scope="module")
def storage(manifest: Manifest) -> StorageContract:
    return manifest.storage


@pytest.mark.parametrize(("path", "name"), sorted(PINNED_CONSTANTS))
def test_each_copy_in_the_resolvers_and_handlers_equals_the_contract(storage: StorageContract, path: str, name: str) -> None:
    assert _declared(path, name) == _contract_value(storage, PINNED_CONSTANTS[path, name])


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


def test_the_status_ranking_covers_exactly_the_schemas_delivery_statuses(manifest: Manifest, storage: StorageContract) -> None:
    enum = load_schema(manifest).get_type("DeliveryStatus")
    assert isinstance(enum, GraphQLEnumType)
    assert set(storage.status_ranks) == set(enum.values)
    # The schema states the order to its callers: the same order.
    tiers = [[status for status, rank in storage.status_ranks.items() if rank == tier] for tier in sorted(set(storage.status_ranks.values()))]
    order = ", ".join(" or ".join(tier) for tier in tiers)
    assert f"A status only moves forward, in this order: {order}." in (enum.description or "")


def test_the_status_handlers_rank_statuses_as_the_contract_does(storage: StorageContract, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in re.findall(r'os\.environ\["(\w+)"\]', (REPO_ROOT / "handlers/status/app.py").read_text()):
        monkeypatch.setenv(name, "1")
    status = load_lambda_module(REPO_ROOT, "handlers/status", "app")
    assert status.STATUS_RANK == storage.status_ranks


def test_every_index_variable_is_one_the_status_handlers_read(storage: StorageContract) -> None:
    read = set(re.findall(r'os\.environ\["(\w+)"\]', (REPO_ROOT / "handlers/status/app.py").read_text()))
    assert set(storage.index_environment()) <= read


def test_references_inside_the_manifest_resolve(manifest: Manifest, storage: StorageContract) -> None:
    for source in manifest.data_sources.values():
        assert set(source.get("writablePartitions", [])) <= set(storage.key_prefixes)
    for handler in manifest.event_handlers.values():
        assert set(handler.queries) <= set(storage.indexes)


def test_the_sweep_and_erasure_know_how_long_a_recipients_counter_lives(monkeypatch: pytest.MonkeyPatch) -> None:
    # The sweep finds messages through the counters only while they live; erasure deletes them by key for as long.
    [expression] = re.findall(r"^const KEPT_SECONDS = ([0-9 *]+);$", (REPO_ROOT / "graphql/functions/limitRecipient.js").read_text(), re.MULTILINE)
    kept_seconds = math.prod(int(factor) for factor in expression.split("*"))
    for handler in ("status", "erasure"):
        for name in re.findall(r'os\.environ\["(\w+)"\]', (REPO_ROOT / f"handlers/{handler}/app.py").read_text()):
            monkeypatch.setenv(name, "1")
    status = load_lambda_module(REPO_ROOT, "handlers/status", "app")
    erasure = load_lambda_module(REPO_ROOT, "handlers/erasure", "app")
    assert status.RECIPIENT_COUNTER_KEPT.total_seconds() == kept_seconds == erasure.RECIPIENT_COUNTER_KEPT_HOURS * erasure.HOUR_SECONDS

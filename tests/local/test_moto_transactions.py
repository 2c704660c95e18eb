"""moto's DynamoDB transactions as the local stack runs them (local/aws/emulator.py:
roll_back_dynamodb_transactions_by_item): one that fails, at any of its items or for any reason, leaves every item
and every index partition as it found them, without copying a table; one that succeeds applies all its items."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.dynamodb.models.table import Table

from local.aws.emulator import (
    index_dynamodb_partitions,
    isolate_dynamodb_transactions,
    roll_back_dynamodb_transactions_by_item,
)
from local.config import Settings
from tests.local.grouped_table import INDEX, create_grouped_table

REGION = Settings().table_region
TABLE = "transactions"


@pytest.fixture
def dynamodb(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    index_dynamodb_partitions()
    roll_back_dynamodb_transactions_by_item()
    isolate_dynamodb_transactions()

    def no_table_copies(self: Table, memo: Any) -> Any:
        raise AssertionError("a transaction copied a whole table")

    monkeypatch.setattr(Table, "__deepcopy__", no_table_copies, raising=False)
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        create_grouped_table(client, TABLE)
        for name, group in (("kept", "a"), ("updated", "a"), ("deleted", "b")):
            client.put_item(TableName=TABLE, Item={"PK": {"S": "p"}, "SK": {"S": name}, "group": {"S": group}, "n": {"N": "1"}})
        yield client


def key(name: str) -> dict[str, Any]:
    return {"PK": {"S": "p"}, "SK": {"S": name}}


def state(client: Any) -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    """Every item, and each index partition's sort keys as a Query of the index reads them."""
    items = sorted(client.scan(TableName=TABLE, ConsistentRead=True)["Items"], key=lambda item: item["SK"]["S"])
    groups = {}
    for group in ("a", "b", "c"):
        page = client.query(TableName=TABLE, IndexName=INDEX, KeyConditionExpression="#g = :g", ExpressionAttributeNames={"#g": "group"}, ExpressionAttributeValues={":g": {"S": group}})
        groups[group] = [item["SK"]["S"] for item in page["Items"]]
    return items, groups


WRITES = [
    {"Put": {"TableName": TABLE, "Item": {**key("new"), "group": {"S": "c"}}}},
    {"Update": {"TableName": TABLE, "Key": key("updated"), "UpdateExpression": "SET n = n + :one, #g = :c", "ExpressionAttributeNames": {"#g": "group"}, "ExpressionAttributeValues": {":one": {"N": "1"}, ":c": {"S": "c"}}}},
    {"Delete": {"TableName": TABLE, "Key": key("deleted")}},
]


def test_a_transaction_that_fails_at_its_last_item_leaves_every_item_and_index_as_it_was(dynamodb: Any) -> None:
    # GIVEN the table as it is
    before = state(dynamodb)
    # WHEN a transaction puts, updates and deletes, then fails a condition on another item
    failing = {"ConditionCheck": {"TableName": TABLE, "Key": key("kept"), "ConditionExpression": "n = :two", "ExpressionAttributeValues": {":two": {"N": "2"}}}}
    with pytest.raises(ClientError) as failed:
        dynamodb.transact_write_items(TransactItems=[*WRITES, failing])
    # THEN it is cancelled for that item alone, as DynamoDB says, and nothing it wrote is left
    assert failed.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert [reason["Code"] for reason in failed.value.response["CancellationReasons"]] == ["None", "None", "None", "ConditionalCheckFailed"]
    assert state(dynamodb) == before


def test_a_transaction_naming_one_item_twice_changes_nothing(dynamodb: Any) -> None:
    before = state(dynamodb)
    with pytest.raises(ClientError) as refused:
        dynamodb.transact_write_items(TransactItems=[*WRITES, {"Delete": {"TableName": TABLE, "Key": key("new")}}])
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert state(dynamodb) == before


def test_a_transaction_that_succeeds_applies_all_its_items(dynamodb: Any) -> None:
    dynamodb.transact_write_items(TransactItems=WRITES)
    items, groups = state(dynamodb)
    assert [item["SK"]["S"] for item in items] == ["kept", "new", "updated"]
    assert next(item for item in items if item["SK"]["S"] == "updated")["n"] == {"N": "2"}
    assert groups == {"a": ["kept"], "b": [], "c": ["new", "updated"]}


def test_after_a_failed_transaction_the_same_items_can_be_written_again(dynamodb: Any) -> None:
    # GIVEN a transaction that failed on a condition of its own
    conditional_put = {"Put": {"TableName": TABLE, "Item": {**key("claim"), "group": {"S": "c"}}, "ConditionExpression": "attribute_not_exists(PK)"}}
    dynamodb.transact_write_items(TransactItems=[conditional_put])
    with pytest.raises(ClientError):
        dynamodb.transact_write_items(TransactItems=[WRITES[1], conditional_put])
    # WHEN the writes it undid are made again, THEN they apply once, from the items as they were
    dynamodb.transact_write_items(TransactItems=[WRITES[1]])
    items, groups = state(dynamodb)
    assert next(item for item in items if item["SK"]["S"] == "updated")["n"] == {"N": "2"}
    assert groups["a"] == ["kept"] and groups["c"] == ["claim", "updated"]


def test_a_failed_transaction_over_two_tables_puts_back_a_created_item_and_a_hash_only_table(dynamodb: Any) -> None:
    # GIVEN a second table, keyed by its partition alone, holding one item
    dynamodb.create_table(
        TableName="counters",
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.put_item(TableName="counters", Item={"PK": {"S": "day"}, "n": {"N": "5"}})
    before = state(dynamodb), dynamodb.scan(TableName="counters")["Items"]
    # WHEN one transaction bumps that counter, creates an item by an update, and fails on a missing item's condition
    bump = {"Update": {"TableName": "counters", "Key": {"PK": {"S": "day"}}, "UpdateExpression": "SET n = n + :one", "ExpressionAttributeValues": {":one": {"N": "1"}}}}
    create = {"Update": {"TableName": TABLE, "Key": key("created"), "UpdateExpression": "SET #g = :c", "ExpressionAttributeNames": {"#g": "group"}, "ExpressionAttributeValues": {":c": {"S": "c"}}}}
    missing = {"ConditionCheck": {"TableName": TABLE, "Key": key("missing"), "ConditionExpression": "attribute_exists(PK)"}}
    with pytest.raises(ClientError) as failed:
        dynamodb.transact_write_items(TransactItems=[bump, create, missing])
    # THEN both tables are as they were: the counter not bumped, the created item gone
    assert failed.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert (state(dynamodb), dynamodb.scan(TableName="counters")["Items"]) == before


def test_a_transaction_with_a_malformed_key_is_refused_by_moto_and_changes_nothing(dynamodb: Any) -> None:
    before = state(dynamodb)
    with pytest.raises(ClientError):
        dynamodb.transact_write_items(TransactItems=[WRITES[0], {"Delete": {"TableName": TABLE, "Key": {"PK": {}, "SK": {"S": "kept"}}}}])
    assert state(dynamodb) == before

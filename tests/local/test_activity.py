"""What the console follows (local/aws/activity.py): the writes of every client made from the stack's session,
and which items each touched, however the request names them (a client's typed values, a resource's plain ones,
transactions and batches), against moto in-process."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local.aws.activity import Activity
from local.aws.emulator import table_definition
from local.manifest import load_manifest
from local.providers.outbox import Outbox

TABLE = "activity-messages"


@pytest.fixture
def session(monkeypatch: pytest.MonkeyPatch) -> Iterator[boto3.Session]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        session = boto3.Session(region_name="eu-central-1")
        session.client("dynamodb").create_table(**table_definition(TABLE, load_manifest().tables["messages"]))
        yield session


def key(pk: str, sk: str) -> dict[str, Any]:
    return {"PK": {"S": pk}, "SK": {"S": sk}}


def test_each_write_is_counted_with_the_items_it_touched(session: boto3.Session) -> None:
    # GIVEN the activity attached to a session before its clients are made
    activity = Activity(Outbox(), ("PK", "SK"))
    activity.attach(session)
    client = session.client("dynamodb")
    table = session.resource("dynamodb").Table(TABLE)
    # WHEN items are put, updated and deleted, alone, in a transaction and in a batch, by a client and a resource
    client.put_item(TableName=TABLE, Item={**key("MESSAGE#a", "MESSAGE#1"), "deliveryStatus": {"S": "PENDING"}})
    assert activity.written_since(0) == (1, {("MESSAGE#a", "MESSAGE#1")})
    client.update_item(TableName=TABLE, Key=key("MESSAGE#a", "MESSAGE#1"), UpdateExpression="SET deliveryStatus = :s", ExpressionAttributeValues={":s": {"S": "ACCEPTED"}})
    table.put_item(Item={"PK": "MESSAGE#b", "SK": "MESSAGE#2"})
    client.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": TABLE, "Item": key("MESSAGE#c", "MESSAGE#3")}},
            {"Update": {"TableName": TABLE, "Key": key("LIMIT#EMAIL", "HOUR#1"), "UpdateExpression": "SET n = :n", "ExpressionAttributeValues": {":n": {"N": "1"}}}},
            {"ConditionCheck": {"TableName": TABLE, "Key": key("MESSAGE#a", "MESSAGE#1"), "ConditionExpression": "attribute_exists(PK)"}},
        ]
    )
    client.batch_write_item(RequestItems={TABLE: [{"PutRequest": {"Item": key("MESSAGE#d", "MESSAGE#4")}}, {"DeleteRequest": {"Key": key("MESSAGE#b", "MESSAGE#2")}}]})
    # THEN each counts once, and the items written after a count are those it touched since
    writes, written = activity.written_since(1)
    assert writes == activity.writes == 5
    assert written == {("MESSAGE#a", "MESSAGE#1"), ("MESSAGE#b", "MESSAGE#2"), ("MESSAGE#c", "MESSAGE#3"), ("LIMIT#EMAIL", "HOUR#1"), ("MESSAGE#d", "MESSAGE#4")}
    assert activity.written_since(4) == (5, {("MESSAGE#d", "MESSAGE#4"), ("MESSAGE#b", "MESSAGE#2")})
    assert activity.written_since(5) == (5, set())
    # AND a read is no write
    client.get_item(TableName=TABLE, Key=key("MESSAGE#a", "MESSAGE#1"))
    assert activity.writes == 5

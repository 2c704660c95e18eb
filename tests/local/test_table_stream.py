"""The local stack's DynamoDB Stream (local/aws/table_stream.py): the old and new image of every write of the
stack's session to the items its filters pass, in AWS's record shape and in write order, handed to functions as an
event source mapping does, against moto in-process."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.data_classes import DynamoDBStreamEvent
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
    DynamoDBRecordEventName,
)
from moto import mock_aws

from local.appsync.datasources import LambdaDataSource
from local.aws import table_stream
from local.aws.emulator import delete_expired, table_definition
from local.aws.table_stream import EventSourceMapping, TableStream, matches, passes
from local.config import Settings
from local.manifest import load_manifest

TABLE = "stream-messages"
MESSAGES_ONLY = [{"dynamodb": {"Keys": {"PK": {"S": [{"prefix": "MESSAGE#"}]}}}}]


class Recorder:
    """A function that keeps every batch it is handed, and fails as it is told to."""

    def __init__(self, failures: dict[str, int] | None = None) -> None:
        self.batches: list[list[dict[str, Any]]] = []
        self.failures = dict(failures or {})  # sequence number -> how many more times it fails
        self.lock = threading.Lock()

    def __call__(self, event: dict[str, Any], _context: Any) -> dict[str, Any]:
        with self.lock:
            self.batches.append(event["Records"])
            for record in event["Records"]:
                number = record["dynamodb"]["SequenceNumber"]
                if self.failures.get(number, 0) > 0:
                    self.failures[number] -= 1
                    return {"batchItemFailures": [{"itemIdentifier": number}]}
            return {"batchItemFailures": []}

    @property
    def delivered(self) -> list[dict[str, Any]]:
        return [record for batch in self.batches for record in batch]


@pytest.fixture
def session(monkeypatch: pytest.MonkeyPatch) -> Iterator[boto3.Session]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setattr(table_stream, "RETRY_PAUSE_SECONDS", 0.01)
    with mock_aws():
        session = boto3.Session(region_name="eu-central-1")
        session.client("dynamodb").create_table(**table_definition(TABLE, load_manifest().tables["messages"]))
        yield session


def stream_of(session: boto3.Session, function: Recorder, filters: list[dict[str, Any]] = MESSAGES_ONLY) -> TableStream:
    stream = TableStream(TABLE, ("PK", "SK"), "eu-central-1")
    stream.attach(session)
    stream.start([EventSourceMapping(LambdaDataSource("test-stream", function), filters)])
    return stream


def key(pk: str, sk: str) -> dict[str, Any]:
    return {"PK": {"S": pk}, "SK": {"S": sk}}


def test_each_change_is_a_record_with_its_old_and_new_image_however_it_was_written(session: boto3.Session) -> None:
    # GIVEN the stream of message items, attached before the clients are made
    function = Recorder()
    stream = stream_of(session, function)
    client = session.client("dynamodb")
    table = session.resource("dynamodb").Table(TABLE)
    # WHEN items are written by a client and a resource, alone, in a transaction and in a batch, one write
    # changes nothing (a failed condition) and one writes a limit counter
    client.put_item(TableName=TABLE, Item={**key("MESSAGE#a", "MESSAGE#1"), "deliveryStatus": {"S": "PENDING"}})
    table.update_item(Key={"PK": "MESSAGE#a", "SK": "MESSAGE#1"}, UpdateExpression="SET deliveryStatus = :s", ExpressionAttributeValues={":s": "ACCEPTED"})
    with pytest.raises(client.exceptions.ConditionalCheckFailedException):
        client.update_item(TableName=TABLE, Key=key("MESSAGE#a", "MESSAGE#1"), UpdateExpression="SET deliveryStatus = :s", ConditionExpression="deliveryStatus = :p", ExpressionAttributeValues={":s": {"S": "UNKNOWN"}, ":p": {"S": "PENDING"}})
    client.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": TABLE, "Item": key("MESSAGE#b", "MESSAGE#2")}},
            {"Update": {"TableName": TABLE, "Key": key("LIMIT#EMAIL", "HOUR#1"), "UpdateExpression": "SET n = :n", "ExpressionAttributeValues": {":n": {"N": "1"}}}},
        ]
    )
    client.batch_write_item(RequestItems={TABLE: [{"DeleteRequest": {"Key": key("MESSAGE#a", "MESSAGE#1")}}, {"PutRequest": {"Item": key("MESSAGE#b", "MESSAGE#2")}}]})
    assert stream.drain(timeout=10)
    # THEN the function got one record per change of a message item, in order, each with its images
    summary = [(r["eventName"], r["dynamodb"]["Keys"]["PK"]["S"], r["dynamodb"].get("OldImage", {}).get("deliveryStatus"), r["dynamodb"].get("NewImage", {}).get("deliveryStatus")) for r in function.delivered]
    assert summary == [
        ("INSERT", "MESSAGE#a", None, {"S": "PENDING"}),
        ("MODIFY", "MESSAGE#a", {"S": "PENDING"}, {"S": "ACCEPTED"}),
        ("INSERT", "MESSAGE#b", None, None),
        ("REMOVE", "MESSAGE#a", {"S": "ACCEPTED"}, None),
    ]
    numbers = [int(record["dynamodb"]["SequenceNumber"]) for record in function.delivered]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)
    stream.stop()


def test_records_are_in_the_shape_lambda_delivers(session: boto3.Session) -> None:
    function = Recorder()
    stream = stream_of(session, function)
    client = session.client("dynamodb")
    client.put_item(TableName=TABLE, Item={**key("MESSAGE#a", "MESSAGE#1"), "expiresAt": {"N": "1802776000"}, "statusHistory": {"L": [{"M": {"status": {"S": "PENDING"}}}]}})
    client.update_item(TableName=TABLE, Key=key("MESSAGE#a", "MESSAGE#1"), UpdateExpression="SET deliveryStatus = :s", ExpressionAttributeValues={":s": {"S": "ACCEPTED"}})
    assert stream.drain(timeout=10)
    # Powertools' own data classes read them as they read AWS's.
    parsed = list(DynamoDBStreamEvent({"Records": function.delivered}).records)
    assert [record.event_name for record in parsed] == [DynamoDBRecordEventName.INSERT, DynamoDBRecordEventName.MODIFY]
    modify = parsed[1]
    assert modify.event_source == "aws:dynamodb" and modify.aws_region == "eu-central-1" and modify.event_source_arn == stream.arn
    assert modify.dynamodb is not None and modify.dynamodb.stream_view_type is not None and modify.dynamodb.stream_view_type.name == "NEW_AND_OLD_IMAGES"
    assert modify.dynamodb.keys == {"PK": "MESSAGE#a", "SK": "MESSAGE#1"}
    assert modify.dynamodb.old_image["statusHistory"] == [{"status": "PENDING"}] and modify.dynamodb.new_image["deliveryStatus"] == "ACCEPTED"
    assert modify.dynamodb.new_image["expiresAt"] == 1802776000
    stream.stop()


def test_concurrent_writes_to_one_item_chain_their_images(session: boto3.Session) -> None:
    # GIVEN a message item
    function = Recorder()
    stream = stream_of(session, function)
    client = session.client("dynamodb")
    client.put_item(TableName=TABLE, Item={**key("MESSAGE#a", "MESSAGE#1"), "statusHistory": {"L": []}})

    def append(number: int) -> None:
        client.update_item(
            TableName=TABLE,
            Key=key("MESSAGE#a", "MESSAGE#1"),
            UpdateExpression="SET statusHistory = list_append(statusHistory, :entry)",
            ExpressionAttributeValues={":entry": {"L": [{"N": str(number)}]}},
        )

    # WHEN 40 writes to it run at once
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(append, range(40)))
    assert stream.drain(timeout=20)
    # THEN each record's old image is the previous record's new image: no write fell between a read and its write
    changes = [record["dynamodb"] for record in function.delivered[1:]]
    assert len(changes) == 40
    for earlier, later in itertools.pairwise(changes):
        assert later["OldImage"] == earlier["NewImage"]
    assert [len(change["NewImage"]["statusHistory"]["L"]) for change in changes] == list(range(1, 41))
    stream.stop()


def test_a_failed_record_comes_again_with_those_after_it_and_is_discarded_after_its_last_attempt(session: boto3.Session) -> None:
    # GIVEN a function that fails the second message's record twice, and the fourth's always
    function = Recorder()
    stream = stream_of(session, function)
    client = session.client("dynamodb")
    # WHEN four messages are written one after another, each delivered as it comes
    for number in range(1, 5):
        if number == 2:
            function.failures[f"{2:021d}"] = 2
        if number == 4:
            function.failures[f"{4:021d}"] = table_stream.MAX_ATTEMPTS + 10
        client.put_item(TableName=TABLE, Item=key(f"MESSAGE#{number}", "MESSAGE#1"))
        assert stream.drain(timeout=10)
    # THEN the second came three times (failing twice), never before the first was done, and the third only
    # after it; the fourth was handed over MAX_ATTEMPTS times, then dropped
    order = [record["dynamodb"]["Keys"]["PK"]["S"] for record in function.delivered]
    assert order == ["MESSAGE#1", "MESSAGE#2", "MESSAGE#2", "MESSAGE#2", "MESSAGE#3"] + ["MESSAGE#4"] * table_stream.MAX_ATTEMPTS
    # AND the stream goes on after it
    client.put_item(TableName=TABLE, Item=key("MESSAGE#5", "MESSAGE#1"))
    assert stream.drain(timeout=10)
    assert function.delivered[-1]["dynamodb"]["Keys"]["PK"]["S"] == "MESSAGE#5"
    stream.stop()


def test_a_function_that_raises_gets_the_whole_batch_again(session: boto3.Session) -> None:
    calls: list[int] = []

    def crashing_once(event: dict[str, Any], _context: Any) -> dict[str, Any]:
        calls.append(len(event["Records"]))
        if len(calls) == 1:
            raise RuntimeError("the function crashed")
        return {"batchItemFailures": []}

    stream = TableStream(TABLE, ("PK", "SK"), "eu-central-1")
    stream.attach(session)
    stream.start([EventSourceMapping(LambdaDataSource("test-stream", crashing_once), MESSAGES_ONLY)])
    session.client("dynamodb").put_item(TableName=TABLE, Item=key("MESSAGE#1", "MESSAGE#1"))
    assert stream.drain(timeout=10)
    assert calls == [1, 1]
    stream.stop()


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ({"PK": {"S": [{"prefix": "MESSAGE#"}]}}, {"PK": {"S": "MESSAGE#a"}}, True),
        ({"PK": {"S": [{"prefix": "MESSAGE#"}]}}, {"PK": {"S": "EVENT#a"}}, False),
        ({"PK": {"S": [{"prefix": "MESSAGE#"}]}}, {"SK": {"S": "MESSAGE#a"}}, False),
        ({"eventName": ["INSERT", "MODIFY"]}, {"eventName": "MODIFY"}, True),
        ({"eventName": ["INSERT", "MODIFY"]}, {"eventName": "REMOVE"}, False),
        ({"userIdentity": {"type": [{"exists": False}]}}, {}, True),
        ({"userIdentity": {"type": [{"exists": False}]}}, {"userIdentity": {"type": "Service"}}, False),
        ({"userIdentity": {"type": [{"exists": True}]}}, {"userIdentity": {"type": "Service"}}, True),
        # `exists` sees leaf values only: an object is no value of its own, whatever it holds
        ({"userIdentity": [{"exists": False}]}, {"userIdentity": {"type": "Service"}}, True),
        ({"userIdentity": [{"exists": True}]}, {"userIdentity": {"type": "Service"}}, False),
        ({"tags": [{"exists": True}]}, {"tags": ["a"]}, True),
        ({"tags": [{"exists": True}]}, {"tags": []}, False),
        # below a value that is no object, every field is missing
        ({"userIdentity": {"type": [{"exists": False}]}}, {"userIdentity": "Service"}, True),
        ({"userIdentity": {"type": ["Service"]}}, {"userIdentity": "Service"}, False),
    ],
)
def test_filter_patterns_match_as_lambdas_do(pattern: dict[str, Any], value: dict[str, Any], expected: bool) -> None:
    assert matches(pattern, value) is expected


def stream_record(event_name: str, pk: str, user_identity: dict[str, str] | None = None) -> dict[str, Any]:
    record: dict[str, Any] = {"eventName": event_name, "eventSource": "aws:dynamodb", "dynamodb": {"Keys": key(pk, pk), "StreamViewType": "NEW_AND_OLD_IMAGES"}}
    if user_identity is not None:
        record["userIdentity"] = user_identity
    return record


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        (stream_record("MODIFY", "MESSAGE#a"), True),  # a status change
        (stream_record("REMOVE", "MESSAGE#a"), True),  # an operator's erasure
        (stream_record("INSERT", "MESSAGE#a"), False),  # a new message, PENDING: no event
        (stream_record("REMOVE", "MESSAGE#a", table_stream.TTL_IDENTITY), False),  # TTL, at the end of retention
        (stream_record("MODIFY", "EVENT#default#LIVE"), False),
        (stream_record("REMOVE", "EVENT#default#LIVE"), False),
    ],
)
def test_the_manifests_stream_filters_pass_only_the_records_that_can_carry_an_event(record: dict[str, Any], expected: bool) -> None:
    [publisher] = load_manifest().handlers_triggered_by("tableStream")
    assert passes(publisher.stream_filters, record) is expected


def test_ttls_deletions_carry_its_user_identity_and_the_manifests_filters_leave_them_out(session: boto3.Session) -> None:
    # GIVEN the stream handed whole to one function and through the manifest's filters to another
    everything, filtered = Recorder(), Recorder()
    [publisher] = load_manifest().handlers_triggered_by("tableStream")
    stream = TableStream(TABLE, ("PK", "SK"), "eu-central-1")
    stream.attach(session)
    stream.start([EventSourceMapping(LambdaDataSource("everything", everything)), EventSourceMapping(LambdaDataSource("filtered", filtered), publisher.stream_filters)])
    client = session.client("dynamodb")
    past = {"N": str(int(time.time()) - 10)}
    # WHEN a message is written, changes status and is erased, and another expires and the local TTL deletes it
    client.put_item(TableName=TABLE, Item={**key("MESSAGE#a", "MESSAGE#1"), "expiresAt": {"N": "1802776000"}})
    client.update_item(TableName=TABLE, Key=key("MESSAGE#a", "MESSAGE#1"), UpdateExpression="SET deliveryStatus = :s", ExpressionAttributeValues={":s": {"S": "ACCEPTED"}})
    client.delete_item(TableName=TABLE, Key=key("MESSAGE#a", "MESSAGE#1"))
    client.put_item(TableName=TABLE, Item={**key("MESSAGE#b", "MESSAGE#2"), "expiresAt": past})
    deleted = delete_expired(Settings(table_region="eu-central-1"), TABLE, load_manifest().tables["messages"], stream.ttl_deleter)
    assert deleted == 1 and stream.drain(timeout=10)
    # THEN TTL's deletion is a REMOVE with TTL's userIdentity, as Powertools reads AWS's; a caller's has none
    parsed = list(DynamoDBStreamEvent({"Records": everything.delivered}).records)
    assert [record.event_name for record in parsed] == [DynamoDBRecordEventName.INSERT, DynamoDBRecordEventName.MODIFY, DynamoDBRecordEventName.REMOVE, DynamoDBRecordEventName.INSERT, DynamoDBRecordEventName.REMOVE]
    assert parsed[-1].user_identity == {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
    assert ["userIdentity" in record for record in everything.delivered] == [False, False, False, False, True]
    # AND the publisher's filters pass the status change and the erasure alone
    assert [(record["eventName"], record["dynamodb"]["Keys"]["PK"]["S"]) for record in filtered.delivered] == [("MODIFY", "MESSAGE#a"), ("REMOVE", "MESSAGE#a")]
    stream.stop()


def test_a_filter_rule_it_does_not_implement_is_an_error_not_a_silent_match() -> None:
    with pytest.raises(ValueError, match="does not implement"):
        passes([{"dynamodb": {"Keys": {"PK": {"S": [{"anything-but": ["x"]}]}}}}], {"dynamodb": {"Keys": {"PK": {"S": "y"}}}})

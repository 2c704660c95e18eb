"""bench/local_api.py's raw side replays the AWS calls a local request made: recorded in the stack's own
process from a real request, not written down. No timing is asserted."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest

from bench import local_api
from bench.aws_calls import ApiCall, Replayer, shape
from bench.recording_stack import RecorderControl, recording_stack
from bench.stats import measure_side_by_side
from local.launcher import LocalStackProcess
from local.operations import SEND_MESSAGE

Recorded = tuple[LocalStackProcess, RecorderControl]


@pytest.fixture(scope="module")
def recorded() -> Iterator[Recorded]:
    with recording_stack(local_api.API_KEY, local_api.STACK_ENV) as (stack, recorder):
        yield stack, recorder


def where(calls: list[ApiCall]) -> list[tuple[str, str, str, str | None]]:
    return [(call.service, call.region, call.operation, call.table) for call in calls]


def get_record(stack: LocalStackProcess, region: str, table: str, key: dict[str, Any]) -> dict[str, Any]:
    dynamodb = boto3.client("dynamodb", region_name=region, endpoint_url=stack.aws_endpoint, aws_access_key_id=stack.access_key_id, aws_secret_access_key=stack.secret_access_key)
    item: dict[str, Any] = dynamodb.get_item(TableName=table, Key={"PK": key["PK"], "SK": key["SK"]}, ConsistentRead=True)["Item"]
    return item


def test_a_replayed_send_makes_the_calls_the_local_send_made_and_leaves_a_record_alike(recorded: Recorded) -> None:
    stack, recorder = recorded
    # GIVEN the calls one local sendMessage made, recorded in the stack's process
    captured, ulid = local_api.capture_send(stack, recorder)
    assert captured and all(call.error is None for call in captured)
    # (sent with the local client's key, in its scope, the authorizer's answer cached: no key was read)
    [put] = [call for call in captured if call.operation == "PutItem"]
    assert put.params["Item"]["SK"]["S"].startswith("SCOPE#")
    assert not any("APIKEY#" in json.dumps(call.params) for call in captured)
    # WHEN they are prepared for the raw side's request 3
    [replay] = local_api.send_replays(captured, ulid, range(3, 4), recipients=6)
    # THEN they are the same operations, of the same services, regions and tables, with parameters of the same shape
    assert where(replay) == where(captured)
    assert [shape(call.params) for call in replay] == [shape(call.params) for call in captured]
    # AND nothing of the local request's own is left in them: its recipient (plain or encoded) and its message id
    text = json.dumps([call.params for call in replay])
    encoded = base64.urlsafe_b64encode(local_api.CAPTURED.encode()).decode().rstrip("=")
    assert local_api.CAPTURED not in text and encoded not in text and ulid not in text
    assert local_api.raw_recipient(3, 6) in text
    # AND made against the stack's moto, they hold (a fresh key) and leave a record of the local one's shape and status
    Replayer(stack.aws_endpoint, stack.access_key_id, stack.secret_access_key).make(replay)
    [(local_put, raw_put)] = [(local, raw) for local, raw in zip(captured, replay, strict=True) if local.operation == "PutItem"]
    local_record = get_record(stack, local_put.region, str(local_put.table), local_put.params["Item"])
    raw_record = get_record(stack, raw_put.region, str(raw_put.table), raw_put.params["Item"])
    assert raw_record["PK"] != local_record["PK"] and raw_record["SK"] != local_record["SK"]
    assert shape(raw_record) == shape(local_record)
    assert raw_record["deliveryStatus"] == local_record["deliveryStatus"] == {"S": "ACCEPTED"}


def test_a_replayed_read_queries_the_raw_recipient_as_the_local_read_queried_its_own(recorded: Recorded) -> None:
    stack, recorder = recorded
    # GIVEN two messages to a local recipient, and the replays of a send twice to the raw one
    for index in range(2):
        local_api._call(stack, SEND_MESSAGE, {"input": {"to": local_api.local_recipient(0, 1), "body": f"m{index}", "deliveryMethod": "EMAIL"}}, key=stack.live_key)
    send, ulid = local_api.capture_send(stack, recorder)
    replayer = Replayer(stack.aws_endpoint, stack.access_key_id, stack.secret_access_key)
    for calls in local_api.send_replays(send, ulid, range(2), recipients=1):
        replayer.make(calls)
    # WHEN the local read of its page is recorded, and prepared for the raw side
    captured = local_api.capture_read(stack, recorder, local_api.local_recipient(0, 1))
    [replay] = local_api.read_replays(captured, local_api.local_recipient(0, 1), range(1), recipients=1)
    # THEN the same query, of the raw recipient's partition
    assert where(replay) == where(captured) and [shape(call.params) for call in replay] == [shape(call.params) for call in captured]
    assert local_api.local_recipient(0, 1) in json.dumps(captured[-1].params)
    assert local_api.raw_recipient(0, 1) in json.dumps(replay[-1].params)
    # AND it reads the two raw messages, as the local one's read the two local ones
    [answer] = [answer for answer in replayer.make(replay) if "Items" in answer]
    assert answer["Count"] == 2 and all(item["PK"]["S"].endswith(local_api.raw_recipient(0, 1)) for item in answer["Items"])


def test_the_recording_follows_the_request_and_only_inside_its_block(recorded: Recorded) -> None:
    stack, recorder = recorded
    # GIVEN a send made while nothing records
    key = stack.live_key
    local_api._call(stack, SEND_MESSAGE, {"input": {"to": "before@example.com", "body": "b", "deliveryMethod": "EMAIL"}}, key=key)
    # WHEN a plain send, then one with a sender and an idempotency key, are recorded
    with recorder.recording() as plain:
        local_api._call(stack, SEND_MESSAGE, {"input": {"to": "plain@example.com", "body": "p", "deliveryMethod": "EMAIL"}}, key=key)
    keyed_input = {"to": "keyed@example.com", "body": "k", "deliveryMethod": "EMAIL", "senderId": "shop-1", "idempotencyKey": "k-1"}
    with recorder.recording() as keyed:
        local_api._call(stack, SEND_MESSAGE, {"input": keyed_input}, key=key)
    # THEN each recording holds its own request's calls only
    assert "before@example.com" not in json.dumps([call.params for call in plain + keyed])
    assert "keyed@example.com" not in json.dumps([call.params for call in plain])
    # AND the keyed send's differ as its code path does: its claim is put first, before the limits are counted
    plain_operations, keyed_operations = [call.operation for call in plain], [call.operation for call in keyed]
    assert plain_operations.count("PutItem") == 1 and keyed_operations.count("PutItem") == 2
    assert keyed_operations.index("PutItem") < keyed_operations.index("UpdateItem")
    assert plain_operations.index("UpdateItem") < plain_operations.index("PutItem")
    assert "TransactWriteItems" not in plain_operations + keyed_operations
    # AND nothing the stack's own threads did in between (the TEST outcomes queue's poller) is in either
    assert {call.service for call in plain + keyed} == {"dynamodb", "sesv2"}


def test_side_by_side_blocks_take_turns_and_run_each_index_once() -> None:
    # GIVEN two operations that note what they ran
    ran: list[tuple[str, int]] = []

    def noting(name: str) -> Callable[[int], None]:
        return lambda index: ran.append((name, index))

    operations = {name: noting(name) for name in ("local", "raw")}
    # WHEN they are measured side by side, 6 each in 3 rounds
    figures = measure_side_by_side(operations, count=6, concurrency=1, rounds=3)
    # THEN the blocks alternate, the order reversed each round, and each index runs once per operation
    assert ran == [("local", 0), ("local", 1), ("raw", 0), ("raw", 1), ("raw", 2), ("raw", 3), ("local", 2), ("local", 3), ("local", 4), ("local", 5), ("raw", 4), ("raw", 5)]
    assert {name: result.requests for name, result in figures.items()} == {"local": 6, "raw": 6}

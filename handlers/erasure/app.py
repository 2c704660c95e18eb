"""Erases everything stored about one recipient: a person's right to erasure (GDPR Art. 17).

Invoked by the AppSync `eraseRecipient` pipeline function (IAM callers only) with the recipient in
canonical form. It deletes the recipient's messages (their partition of the table, and so their entries in
every index), the idempotency claims that name those messages, and the recipient's sending-limit counters,
page by page, so a recipient with thousands of messages is erased in one call. If the invocation's time
runs short it raises, having erased part, and a second call finishes; once everything is gone a call
erases 0. Logs carry counts only, never the recipient.
"""

from __future__ import annotations

import base64
import functools
import os
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypedDict

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

if TYPE_CHECKING:  # the stubs are a development dependency; Lambda's runtime has boto3 alone
    from mypy_boto3_dynamodb import DynamoDBClient

MESSAGES_TABLE = os.environ["MESSAGES_TABLE"]
MESSAGES_TABLE_REGION = os.environ["MESSAGES_TABLE_REGION"]
# The storage contract (graphql/manifest.json, tables.messages; tests/test_storage_contract.py pins these copies).
MESSAGE_PREFIX = "MESSAGE#"
IDEMPOTENCY_PREFIX = "IDEMPOTENCY#"
LIMIT_PREFIX = "LIMIT#"
RECIPIENT_HOUR_PREFIX = "HOUR#"
# A recipient's counter (LIMIT#<channel> / HOUR#<hour start>#<recipient>) lives this long after its hour began
# (graphql/functions/limitRecipient.js: KEPT_SECONDS; tests/test_storage_contract.py pins the copies), and
# DynamoDB's TTL deletes it typically within a few days after: every hour of that span is deleted by key.
RECIPIENT_COUNTER_KEPT_HOURS = 26
TTL_DELAY_HOURS = 7 * 24
HOUR_SECONDS = 3600
CHANNELS = ("EMAIL", "SMS")
BATCH_SIZE = 25  # BatchWriteItem's limit
# Stop while this much of the invocation's time remains, so AppSync hears why.
RESERVE_MILLIS = 3000

logger = Logger(service="erasure")
_client_creation = threading.Lock()  # boto3's default session is not safe to build clients from concurrently


@functools.cache
def dynamodb() -> DynamoDBClient:
    with _client_creation:
        return boto3.client("dynamodb", region_name=MESSAGES_TABLE_REGION)


class ErasureRequest(TypedDict):
    recipient: str


class Erasure(TypedDict):
    messagesErased: int


class OutOfTime(Exception):
    """The invocation's time ran short; what was deleted stays deleted, a second call finishes."""


Key = dict[str, dict[str, str]]


def partition(partition_key: str, attributes: str = "PK, SK") -> Iterator[dict[str, Any]]:
    """Every item of one partition, page by page (strongly consistent: nothing just written is missed)."""
    arguments: dict[str, Any] = {
        "TableName": MESSAGES_TABLE,
        "KeyConditionExpression": "PK = :pk",
        "ExpressionAttributeValues": {":pk": {"S": partition_key}},
        "ProjectionExpression": attributes,
        "ConsistentRead": True,
    }
    while True:
        page = dynamodb().query(**arguments)
        yield from page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            return
        arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def counter_keys(recipient: str, now: int) -> Iterator[Key]:
    """The keys of every hourly limit counter the recipient may still have, in both channels: no read, as
    their channel's partition holds every other recipient's too."""
    this_hour = now - now % HOUR_SECONDS
    for hours_ago in range(RECIPIENT_COUNTER_KEPT_HOURS + TTL_DELAY_HOURS + 1):
        for channel in CHANNELS:
            sort_key = f"{RECIPIENT_HOUR_PREFIX}{this_hour - hours_ago * HOUR_SECONDS}#{recipient}"
            yield {"PK": {"S": f"{LIMIT_PREFIX}{channel}"}, "SK": {"S": sort_key}}


def claim_key(message: dict[str, Any]) -> Key | None:
    """The idempotency claim a message was sent under, keyed as findClaim.js keys it (senderId in base64)."""
    if "idempotencyKey" not in message:
        return None
    sender = message.get("senderId", {}).get("S", "")
    encoded = base64.b64encode(sender.encode()).decode()
    return {"PK": {"S": f"{IDEMPOTENCY_PREFIX}{encoded}#{message['idempotencyKey']['S']}"}, "SK": {"S": "IDEMPOTENCY"}}


def delete_batch(keys: list[Key]) -> None:
    requests: list[Any] = [{"DeleteRequest": {"Key": key}} for key in keys]
    while requests:
        unprocessed = dynamodb().batch_write_item(RequestItems={MESSAGES_TABLE: requests}).get("UnprocessedItems", {})
        requests = list(unprocessed.get(MESSAGES_TABLE, []))
        if requests:
            time.sleep(0.05)  # DynamoDB throttled part of the batch: try it again shortly


def delete_claim(claim: Key, message: Key) -> None:
    """Delete a claim only if it still names this message: after 24 h its key may name another."""
    try:
        dynamodb().delete_item(
            TableName=MESSAGES_TABLE,
            Key=claim,
            ConditionExpression="messagePK = :pk AND messageSK = :sk",
            ExpressionAttributeValues={":pk": message["PK"], ":sk": message["SK"]},
        )
    except dynamodb().exceptions.ConditionalCheckFailedException:
        pass


def erase(recipient: str, remaining_millis: Callable[[], int]) -> int:
    """Delete the recipient's messages, their claims and the recipient's limit counters; how many messages."""
    erased = 0
    batch: list[Key] = []

    def flush() -> None:
        if remaining_millis() < RESERVE_MILLIS:
            raise OutOfTime(f"erased {erased} messages before the time ran short")
        delete_batch(batch)
        batch.clear()

    for message in partition(f"{MESSAGE_PREFIX}{recipient}", "PK, SK, senderId, idempotencyKey"):
        key = {"PK": message["PK"], "SK": message["SK"]}
        if (claim := claim_key(message)) is not None:
            delete_claim(claim, key)
        batch.append(key)
        erased += 1
        if len(batch) == BATCH_SIZE:
            flush()
    for counter in counter_keys(recipient, int(time.time())):
        batch.append(counter)
        if len(batch) == BATCH_SIZE:
            flush()
    flush()
    return erased


@logger.inject_lambda_context(clear_state=True)
def handler(event: ErasureRequest, context: LambdaContext) -> Erasure:
    erased = erase(event["recipient"], context.get_remaining_time_in_millis)
    logger.info("recipient erased", extra={"messages_erased": erased})
    return {"messagesErased": erased}

"""Erases everything stored about one recipient's mailbox: a person's right to erasure (GDPR Art. 17).

Invoked by the AppSync `eraseRecipient` pipeline function (IAM callers only) with the recipient's mailbox
(every variant of an address: graphql/functions/validateInput.js), the address as typed, and the operator's
ARN. It deletes, for every client and mode, the mailbox's messages (their partition of the table, and so their
entries in every index), the idempotency claims that name them and their events (whose keys follow from each
message's status history: handlers/clients/clients_common.py, event_keys), page by page, so a recipient with thousands
of messages is erased in one call; and the messages recorded under the typed address itself before the mailbox
rule existed. If the invocation's time runs short it raises, having erased part, and a second call finishes;
once everything is gone a call erases 0. It writes an audit record naming the operator and a digest of the
mailbox, never the mailbox. Logs carry counts only.

The recipient's sending-limit counters are kept: erasing a person must not reset the limit that protects them.
They hold the mailbox and a count, and DynamoDB's TTL deletes them a day after their hour.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import os
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypedDict

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from boto3.dynamodb.types import TypeDeserializer

from clients_common import MESSAGE_PREFIX, audit_item, event_keys

if TYPE_CHECKING:  # the stubs are a development dependency; Lambda's runtime has boto3 alone
    from mypy_boto3_dynamodb import DynamoDBClient

MESSAGES_TABLE = os.environ["MESSAGES_TABLE"]
MESSAGES_TABLE_REGION = os.environ["MESSAGES_TABLE_REGION"]
# The storage contract (graphql/manifest.json, tables.messages; tests/test_storage_contract.py pins these copies).
IDEMPOTENCY_PREFIX = "IDEMPOTENCY#"
BATCH_SIZE = 25  # BatchWriteItem's limit
# Stop while this much of the invocation's time remains, so AppSync hears why.
RESERVE_MILLIS = 3000

logger = Logger(service="erasure")
_deserializer = TypeDeserializer()
_client_creation = threading.Lock()  # boto3's default session is not safe to build clients from concurrently


@functools.cache
def dynamodb() -> DynamoDBClient:
    with _client_creation:
        return boto3.client("dynamodb", region_name=MESSAGES_TABLE_REGION)


class ErasureRequest(TypedDict):
    recipient: str  # the mailbox
    address: str  # the address as typed, in canonical case
    actor: str  # the operator's IAM ARN


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


def claim_key(message: dict[str, Any]) -> Key | None:
    """The idempotency claim a message was sent under, keyed as claimKey.js keys it: the message's scope (the
    start of its sort key), then the senderId in base64 and the key."""
    if "idempotencyKey" not in message:
        return None
    scope = message["SK"]["S"][: message["SK"]["S"].index(MESSAGE_PREFIX)]
    sender = message.get("senderId", {}).get("S", "")
    encoded = base64.b64encode(sender.encode()).decode()
    return {"PK": {"S": f"{scope}{IDEMPOTENCY_PREFIX}{encoded}#{message['idempotencyKey']['S']}"}, "SK": {"S": "IDEMPOTENCY"}}


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


def events_of(message: dict[str, Any]) -> list[Key]:
    """The keys of a message's events, computed from its status history (no event partition is read)."""
    history = _deserializer.deserialize(message["statusHistory"]) if "statusHistory" in message else []
    return [{name: {"S": value} for name, value in key.items()} for key in event_keys(message["SK"]["S"], history)]


def erase(partitions: list[str], remaining_millis: Callable[[], int]) -> int:
    """Delete every message of these partitions, and their claims and events; how many messages.

    A message's events go in the same batch as the message or an earlier one, so a call cut short never
    leaves events whose message is gone (a second call could no longer find them)."""
    erased = 0
    batch: list[Key] = []

    def flush() -> None:
        if remaining_millis() < RESERVE_MILLIS:
            raise OutOfTime(f"erased {erased} messages before the time ran short")
        delete_batch(batch)
        batch.clear()

    for partition_key in partitions:
        for message in partition(partition_key, "PK, SK, senderId, idempotencyKey, statusHistory"):
            key = {"PK": message["PK"], "SK": message["SK"]}
            if (claim := claim_key(message)) is not None:
                delete_claim(claim, key)
            for deleted in [*events_of(message), key]:
                batch.append(deleted)
                if len(batch) == BATCH_SIZE:
                    flush()
            erased += 1
    flush()
    return erased


def audit(actor: str, mailbox: str, erased: int) -> None:
    """The operator's action in the audit log: the mailbox as a SHA-256 digest (it can confirm a given person's
    erasure), never the mailbox itself."""
    details = {"mailboxSha256": hashlib.sha256(mailbox.encode()).hexdigest(), "messagesErased": erased}
    item = audit_item(actor, "recipientErased", datetime.now(UTC), details=details)
    dynamodb().put_item(TableName=MESSAGES_TABLE, Item=item, ConditionExpression="attribute_not_exists(PK)")


@logger.inject_lambda_context(clear_state=True)
def handler(event: ErasureRequest, context: LambdaContext) -> Erasure:
    mailbox, address = event["recipient"], event["address"]
    # Messages recorded under the typed address before the mailbox rule existed are erased with the mailbox.
    partitions = [f"{MESSAGE_PREFIX}{mailbox}"] + ([f"{MESSAGE_PREFIX}{address}"] if address != mailbox else [])
    erased = erase(partitions, context.get_remaining_time_in_millis)
    audit(event["actor"], mailbox, erased)
    logger.info("recipient erased", extra={"messages_erased": erased})
    return {"messagesErased": erased}

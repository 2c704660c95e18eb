"""The messageEvents function: every status change of a message becomes one event, stored, pushed and queued.

Triggered by the messages table's DynamoDB Stream (NEW_AND_OLD_IMAGES; graphql/manifest.json: eventHandlers,
whose stream filters pass only a message record's MODIFY and a REMOVE that DynamoDB's TTL did not make: a
message's INSERT, its PENDING, carries no event, nor does the end of its retention). A record whose
`statusHistory` grew yields one event per new entry (PENDING is none), whatever wrote it: the delivery
outcome, a provider's report, the sweep.
For each event, in this order:

1. it is stored as EVENT#<clientId>#<mode> / <event id> (the caller's feed, Query.messageEvents), with a
   conditional put: the id follows from the change (clients_common.event_id), so a retried batch rewrites
   nothing;
2. one delivery per enabled webhook endpoint of the client and mode that wants its status is queued for the
   webhook sender (`{"webhookId", "eventId", "event", "attempt": 1}`);
3. if the client and mode has had a subscriber lately (a live SUBSCRIBERS#<clientId>#<mode> marker, which the
   subscription resolver writes), it is published through the API's IAM-only `publishMessageEvent` mutation,
   signed with SigV4, so that AppSync pushes it to `onMessageStatus`. Without a marker nothing is published:
   AppSync bills every mutation, and nobody would receive it.

A failed record is reported (partial batch response) and Lambda retries the stream from it; the records after
it are reported with it, unprocessed, so a message's events are stored, queued and pushed in order, and a
record that succeeded is never retried. A retried record queues and publishes its events again (its earlier
attempt may have failed before doing so): webhook receivers drop repeats by `webhook-id`, the event id. A
failed publication is logged and counted, never retried: subscriptions are lossy by nature (a subscriber
catches up from the feed), and a retry would hold back every later event of the shard.

A message's deletion by an operator (erasure) deletes its events too, in case one was stored after erasure
deleted them. DynamoDB's TTL deletes them itself, with their message: the stream filter leaves its deletions
out (their records alone carry a userIdentity), and the publisher ignores one should it come. Events hold no address: an address or a
phone number in a provider's reason is masked. Logs carry counts and ids only.
"""

from __future__ import annotations

import functools
import json
import os
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypedDict

import boto3
from aws_lambda_powertools import Logger, single_metric
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
    DynamoDBRecord,
    DynamoDBRecordEventName,
)
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.httpsession import URLLib3Session

from clients_common import (
    MESSAGE_PREFIX,
    Caller,
    caller_of,
    event_id,
    event_keys,
    is_event,
)

if TYPE_CHECKING:  # the stubs are a development dependency; Lambda's runtime has boto3 alone
    from aws_lambda_powertools.utilities.batch.base import (
        FailureResponse,
        SuccessResponse,
    )
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_sqs import SQSClient

MESSAGES_TABLE = os.environ["MESSAGES_TABLE"]
MESSAGES_TABLE_REGION = os.environ["MESSAGES_TABLE_REGION"]
# The API's GraphQL endpoint and region (the function signs for service appsync there).
GRAPHQL_API_URL = os.environ["GRAPHQL_API_URL"]
GRAPHQL_API_REGION = os.environ["GRAPHQL_API_REGION"]
WEBHOOK_QUEUE_URL = os.environ["WEBHOOK_QUEUE_URL"]
METRICS_NAMESPACE = os.environ["POWERTOOLS_METRICS_NAMESPACE"]
# The storage contract (graphql/manifest.json, tables.messages; tests/test_storage_contract.py pins these copies).
SUBSCRIBERS_PREFIX = "SUBSCRIBERS#"
WEBHOOK_PREFIX = "WEBHOOK#"

# How long the function trusts what it learnt of a client's subscribers: a new subscriber may miss this much
# (it catches up from the feed), and a marker read costs once per client and mode per this time, not per event.
SUBSCRIBERS_CACHE_SECONDS = 5.0
PUBLISH_TIMEOUT_SECONDS = 3
SQS_BATCH = 10  # SendMessageBatch's limit
DYNAMODB_BATCH = 25  # BatchWriteItem's limit
PUBLISH = (
    "mutation PublishMessageEvent($event: MessageEventInput!) {"
    " publishMessageEvent(event: $event) { id messageId senderId status reason at clientId mode } }"
)
# What an event's reason may not carry: a provider's diagnostic can quote the recipient.
EMAIL_ADDRESS = re.compile(r"[^\s<>()\[\]{},;:\"'`]+@[^\s<>()\[\]{},;:\"'`]+\.[^\s<>()\[\]{},;:\"'`.]+")
PHONE_NUMBER = re.compile(r"\+[1-9]\d{6,14}\b")  # E.164, as the table keeps numbers

logger = Logger(service="events")
_client_creation = threading.Lock()  # boto3's default session is not safe to build clients from concurrently


@functools.cache
def dynamodb() -> DynamoDBClient:
    with _client_creation:
        return boto3.client("dynamodb", region_name=MESSAGES_TABLE_REGION)


@functools.cache
def sqs() -> SQSClient:
    with _client_creation:
        return boto3.client("sqs", region_name=MESSAGES_TABLE_REGION)


@functools.cache
def credentials() -> Credentials:
    """The function's role's credentials (botocore refreshes them when they are temporary and near expiry)."""
    with _client_creation:
        found = boto3.Session().get_credentials()
    if found is None:
        raise RuntimeError("the function has no AWS credentials to sign with")
    return found


@functools.cache
def http() -> URLLib3Session:
    """botocore's own HTTP session (kept-alive connections; it never follows a redirect)."""
    return URLLib3Session(timeout=PUBLISH_TIMEOUT_SECONDS)


class EventFields(TypedDict):
    """A MessageEvent as the schema has it (graphql/schema.graphql), and as webhooks and subscribers get it."""

    id: str
    messageId: str
    senderId: str | None
    status: str
    reason: str
    at: str
    clientId: str
    mode: str


@dataclass(frozen=True)
class MessageEvent:
    fields: EventFields
    caller: Caller
    expires_at: int | None  # the message's, so an event is kept exactly as long as its message

    def item(self) -> dict[str, Any]:
        """The stored event: its feed's partition, its id as the sort key, its fields."""
        item: dict[str, Any] = {"PK": {"S": self.caller.event_partition}, "SK": {"S": self.fields["id"]}}
        item |= {name: {"S": value} for name, value in self.fields.items() if isinstance(value, str)}
        if self.expires_at is not None:
            item["expiresAt"] = {"N": str(self.expires_at)}
        return item


def without_addresses(reason: str) -> str:
    return PHONE_NUMBER.sub("[number]", EMAIL_ADDRESS.sub("[address]", reason))


def new_changes(old_image: Mapping[str, Any], new_image: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The history entries the write added that are events, oldest first."""
    before = old_image.get("statusHistory") or []
    return [entry for entry in new_image.get("statusHistory") or [] if entry not in before and is_event(entry)]


def is_message(image: Mapping[str, Any]) -> bool:
    sort_key = image.get("SK")
    return str(image.get("PK", "")).startswith(MESSAGE_PREFIX) and isinstance(sort_key, str) and MESSAGE_PREFIX in sort_key


def events_of(old_image: Mapping[str, Any], new_image: Mapping[str, Any]) -> list[MessageEvent]:
    """The events of one write to the table: none unless it grew a message's status history."""
    if not is_message(new_image):
        return []
    sort_key = str(new_image["SK"])
    caller = caller_of(sort_key)
    expires_at = new_image.get("expiresAt")
    sender = new_image.get("senderId")
    return [
        MessageEvent(
            fields={
                "id": event_id(sort_key, entry),
                "messageId": str(new_image["id"]),
                "senderId": sender if isinstance(sender, str) else None,
                "status": str(entry["status"]),
                "reason": without_addresses(str(entry.get("reason", ""))),
                "at": str(entry["at"]),
                "clientId": caller.client_id,
                "mode": caller.mode,
            },
            caller=caller,
            expires_at=int(expires_at) if isinstance(expires_at, (int, Decimal)) else None,
        )
        for entry in new_changes(old_image, new_image)
    ]


def store(event: MessageEvent) -> bool:
    """Write the event unless it is there already (a retried record); True if this call wrote it."""
    try:
        dynamodb().put_item(TableName=MESSAGES_TABLE, Item=event.item(), ConditionExpression="attribute_not_exists(PK)")
    except dynamodb().exceptions.ConditionalCheckFailedException:
        return False
    return True


def delete_events(keys: list[dict[str, str]]) -> None:
    requests: list[Any] = [{"DeleteRequest": {"Key": {name: {"S": value} for name, value in key.items()}}} for key in keys]
    for start in range(0, len(requests), DYNAMODB_BATCH):
        pending = requests[start : start + DYNAMODB_BATCH]
        while pending:
            unprocessed = dynamodb().batch_write_item(RequestItems={MESSAGES_TABLE: pending}).get("UnprocessedItems", {})
            pending = list(unprocessed.get(MESSAGES_TABLE, []))
            if pending:
                time.sleep(0.05)  # throttled: try the rest again shortly


# --- subscribers -----------------------------------------------------------------------------------------------

_subscribers_seen: dict[Caller, tuple[float, bool]] = {}


def has_subscribers(caller: Caller) -> bool:
    """Whether the client and mode has a live SUBSCRIBERS# marker (an item of its partition whose expiresAt is
    still ahead: DynamoDB's TTL deletes expired items only within days), as learnt at most a few seconds ago."""
    now = time.monotonic()
    seen = _subscribers_seen.get(caller)
    if seen is not None and now - seen[0] < SUBSCRIBERS_CACHE_SECONDS:
        return seen[1]
    live = dynamodb().query(
        TableName=MESSAGES_TABLE,
        KeyConditionExpression="PK = :pk",
        FilterExpression="expiresAt > :now",
        ExpressionAttributeValues={":pk": {"S": f"{SUBSCRIBERS_PREFIX}{caller.client_id}#{caller.mode}"}, ":now": {"N": str(int(time.time()))}},
        Select="COUNT",
    )["Count"] > 0
    _subscribers_seen[caller] = (now, live)
    return live


class PublishFailed(Exception):
    pass


def publish(event: MessageEvent) -> None:
    """Call publishMessageEvent with the event, signed with SigV4 by the function's role (service appsync)."""
    body = json.dumps({"query": PUBLISH, "variables": {"event": event.fields}}).encode()
    request = AWSRequest(method="POST", url=GRAPHQL_API_URL, data=body, headers={"Content-Type": "application/json"})
    SigV4Auth(credentials().get_frozen_credentials(), "appsync", GRAPHQL_API_REGION).add_auth(request)
    response = http().send(request.prepare())
    errors = json.loads(response.content or b"{}").get("errors") if response.status_code == 200 else None
    if response.status_code != 200 or errors:
        kinds = sorted({str(error.get("errorType", "")) for error in errors or []})
        raise PublishFailed(f"publishMessageEvent answered HTTP {response.status_code} {', '.join(kinds)}".strip())


def publish_all(events: list[MessageEvent]) -> int:
    """Publish each event whose client and mode has subscribers; how many were published."""
    published = 0
    for event in events:
        if not has_subscribers(event.caller):
            continue
        try:
            publish(event)
            published += 1
        except Exception as error:  # noqa: BLE001 - a lost push is counted, never retried (see the module's docstring)
            logger.warning("an event could not be published to subscribers", extra={"event_id": event.fields["id"], "error": type(error).__name__, "detail": str(error)})
            with single_metric(name="EventPublishFailures", unit=MetricUnit.Count, value=1, namespace=METRICS_NAMESPACE) as metric:
                metric.add_dimension(name="service", value="events")
    return published


# --- webhooks --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    webhook_id: str
    statuses: frozenset[str] | None  # None: every status

    def wants(self, status: str) -> bool:
        return self.statuses is None or status in self.statuses


def endpoints(caller: Caller) -> list[Endpoint]:
    """The client and mode's enabled webhook endpoints (WEBHOOK#<clientId>#<mode> / WEBHOOK#<id>); the secret
    stored with each is not read."""
    arguments: dict[str, Any] = {
        "TableName": MESSAGES_TABLE,
        "KeyConditionExpression": "PK = :pk AND begins_with(SK, :webhook)",
        "ExpressionAttributeValues": {":pk": {"S": f"{WEBHOOK_PREFIX}{caller.client_id}#{caller.mode}"}, ":webhook": {"S": WEBHOOK_PREFIX}},
        "ProjectionExpression": "SK, id, events, disabledAt",
    }
    found = []
    while True:
        page = dynamodb().query(**arguments)
        for item in page.get("Items", []):
            if "S" in item.get("disabledAt", {}):
                continue
            wanted = item.get("events", {})  # a list, as AppSync writes one, or a string set
            statuses = [value["S"] for value in wanted.get("L", []) if "S" in value] + list(wanted.get("SS", []))
            webhook_id = item["id"]["S"] if "S" in item.get("id", {}) else item["SK"]["S"].removeprefix(WEBHOOK_PREFIX)
            found.append(Endpoint(webhook_id, frozenset(statuses) or None))
        if "LastEvaluatedKey" not in page:
            return found
        arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]


class EnqueueFailed(Exception):
    pass


def enqueue(events: list[MessageEvent], endpoints_of: dict[Caller, list[Endpoint]]) -> int:
    """Queue one delivery per event and endpoint that wants its status; how many were queued. `endpoints_of`
    holds the endpoints already read, by client and mode."""
    for caller in {event.caller for event in events} - set(endpoints_of):
        endpoints_of[caller] = endpoints(caller)
    bodies = [
        json.dumps({"webhookId": endpoint.webhook_id, "eventId": event.fields["id"], "event": event.fields, "attempt": 1})
        for event in events
        for endpoint in endpoints_of[event.caller]
        if endpoint.wants(event.fields["status"])
    ]
    for start in range(0, len(bodies), SQS_BATCH):
        entries: Any = [{"Id": str(number), "MessageBody": body} for number, body in enumerate(bodies[start : start + SQS_BATCH])]
        failed = sqs().send_message_batch(QueueUrl=WEBHOOK_QUEUE_URL, Entries=entries).get("Failed", [])
        if failed:
            raise EnqueueFailed(f"{len(failed)} webhook deliveries were not queued: {', '.join(sorted({entry['Code'] for entry in failed}))}")
    return len(bodies)


# --- the stream ------------------------------------------------------------------------------------------------


class Skipped(Exception):
    """Not processed: an earlier record of the batch failed, and the stream resumes from that one."""


class InOrderBatchProcessor(BatchProcessor):
    """Powertools' partial batch processing, stopping at a batch's first failure.

    Lambda resumes a DynamoDB stream from the lowest sequence number reported, so every record after it comes
    again anyway: processing them now would only push a message's later events before its earlier ones.
    """

    def _process_record(self, record: dict[str, Any]) -> SuccessResponse | FailureResponse:
        if self.fail_messages:
            skipped = Skipped("an earlier record of this batch failed")
            return self.failure_handler(record=DynamoDBRecord(record), exception=(Skipped, skipped, None))
        return super()._process_record(record)


processor = InOrderBatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)


@dataclass
class Tally:
    events: int = 0
    stored: int = 0
    queued: int = 0
    published: int = 0
    erased: int = 0


def deleted_by_ttl(record: DynamoDBRecord) -> bool:
    identity = record.user_identity or {}
    return identity.get("type") == "Service" and identity.get("principalId") == "dynamodb.amazonaws.com"


def process(record: DynamoDBRecord, endpoints_of: dict[Caller, list[Endpoint]], tally: Tally) -> None:
    try:
        process_change(record, endpoints_of, tally)
    except Exception:
        sequence_number = record.dynamodb.sequence_number if record.dynamodb else None
        logger.exception("a stream record failed: the stream resumes from it", extra={"sequence_number": sequence_number})
        raise


def process_change(record: DynamoDBRecord, endpoints_of: dict[Caller, list[Endpoint]], tally: Tally) -> None:
    stream = record.dynamodb
    if stream is None:
        return
    if record.event_name == DynamoDBRecordEventName.REMOVE:
        old = stream.old_image
        # DynamoDB's TTL deletes the events themselves: they expire with their message.
        if is_message(old) and not deleted_by_ttl(record):
            keys = event_keys(str(old["SK"]), list(old.get("statusHistory") or []))
            delete_events(keys)
            tally.erased += len(keys)
        return
    events = events_of(stream.old_image, stream.new_image)
    tally.events += len(events)
    tally.stored += sum(store(event) for event in events)
    tally.queued += enqueue(events, endpoints_of)
    tally.published += publish_all(events)


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    # Endpoints are read once per client and mode per batch: a batch's events see the same endpoints.
    endpoints_of: dict[Caller, list[Endpoint]] = {}
    tally = Tally()
    response = process_partial_response(event=event, record_handler=lambda record: process(record, endpoints_of, tally), processor=processor, context=context)
    failed = len(response.get("batchItemFailures", []))
    # One line for an invocation that did something; none for the records that change no status.
    if failed or tally.events or tally.erased:
        logger.info("stream records processed", extra={"records": len(event.get("Records", [])), "failed": failed, **vars(tally)})
    return response

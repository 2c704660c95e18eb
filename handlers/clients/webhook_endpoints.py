"""The webhook endpoints' API: createWebhook, webhooks, deleteWebhook, rotateWebhookSecret, webhookAttempts and
replayWebhookEvent, for the caller's own client and mode.

Invoked by the AppSync `webhookAction` pipeline function with the field, its arguments and the caller that
identifyCaller found ({clientId, mode}). Every read and write is in that caller's partitions (WEBHOOK#<client>#
<mode>, EVENT#<client>#<mode>, and ATTEMPT#<webhook id> of an endpoint found there), so a caller never reaches
another client's, or its other mode's, endpoints, events or attempts. It answers `{"result": ...}` in the
schema's shapes, or `{"error": {...}}` for input it refuses; bad input changes nothing.

- An endpoint's URL is checked before anything is stored (webhook_common.check_url: HTTPS, an allowed port, and
  every address its host resolves to public); the sender checks it again before every attempt.
- The signing secret is made here, returned once, and stored only encrypted with the stack's KMS key, under an
  encryption context naming the endpoint. A rotation keeps the previous secret signing for 24 hours.
- Logs carry ids, never a URL (its path or query may hold the caller's token) or a secret.
"""

from __future__ import annotations

import functools
import json
import os
import threading
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypedDict

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from clients_common import EVENT_PREFIX, iso, new_ulid, ulid_floor
from webhook_common import (
    ATTEMPT_PREFIX,
    EVENT_STATUSES,
    MAX_ENDPOINTS,
    MODES,
    PREVIOUS_SECRET_SECONDS,
    ULID_FORM,
    WEBHOOK_PREFIX,
    AddressRefused,
    Resolver,
    check_url,
    encryption_context,
    new_secret,
    system_resolver,
    webhook_key,
    webhook_view,
)

if TYPE_CHECKING:  # the stubs are a development dependency; Lambda's runtime has boto3 alone
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_sqs import SQSClient

MESSAGES_TABLE = os.environ["MESSAGES_TABLE"]
MESSAGES_TABLE_REGION = os.environ["MESSAGES_TABLE_REGION"]
# The stack's customer-managed key, which encrypts the signing secrets.
KMS_KEY_ID = os.environ["WEBHOOK_KMS_KEY_ID"]
# The sender's queue: a replay is one more message on it.
WEBHOOK_QUEUE_URL = os.environ["WEBHOOK_QUEUE_URL"]
MAX_PAGE_SIZE = 100
# A rotation keeps the previous secrets still signing; the oldest beyond this many stop at once.
MAX_SECRETS = 3

logger = Logger(service="webhook-endpoints")
_client_creation = threading.Lock()  # boto3's default session is not safe to build clients from concurrently


@functools.cache
def dynamodb() -> DynamoDBClient:
    with _client_creation:
        return boto3.client("dynamodb", region_name=MESSAGES_TABLE_REGION)


@functools.cache
def kms() -> KMSClient:
    with _client_creation:
        return boto3.client("kms", region_name=MESSAGES_TABLE_REGION)


@functools.cache
def sqs() -> SQSClient:
    with _client_creation:
        return boto3.client("sqs", region_name=MESSAGES_TABLE_REGION)


class Caller(TypedDict):
    clientId: str
    mode: str


class WebhookRequest(TypedDict):
    field: str
    arguments: dict[str, Any]
    caller: Caller


class Refused(Exception):
    """Input the API refuses: a GraphQL error with this type and errorInfo; nothing was changed."""

    def __init__(self, message: str, error_type: str = "ValidationError", field: str | None = None, rule: str | None = None) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.info = {"field": field, "rule": rule} if field else None


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _partition(caller: Caller) -> str:
    return f"{WEBHOOK_PREFIX}{caller['clientId']}#{caller['mode']}"


def _checked_id(value: Any, field: str, what: str) -> str:
    if not isinstance(value, str) or not ULID_FORM.fullmatch(value):
        raise Refused(f"{field}: no {what} of yours has this id", "NotFound", field, "exists")
    return value


def checked_events(given: Any) -> list[str]:
    """The statuses an endpoint receives: those asked for, each once, in the schema's order; every one if none."""
    if given is None:
        return list(EVENT_STATUSES)
    if not isinstance(given, list) or not given or not all(isinstance(status, str) for status in given):
        raise Refused("input.events: must list at least one status (or be left out for every status)", field="input.events", rule="format")
    unknown = sorted(set(given) - set(EVENT_STATUSES))
    if unknown:
        raise Refused(f"input.events: {', '.join(unknown)} is never a status change (choose from {', '.join(EVENT_STATUSES)})", field="input.events", rule="enum")
    return [status for status in EVENT_STATUSES if status in given]


def _encrypted_secret(caller: Caller, webhook_id: str) -> tuple[str, bytes]:
    """A new secret (whsec_...) and its key's ciphertext under the stack's key, bound to the endpoint."""
    secret, key = new_secret()
    context = encryption_context(caller["clientId"], caller["mode"], webhook_id)
    ciphertext = kms().encrypt(KeyId=KMS_KEY_ID, Plaintext=key, EncryptionContext=context)["CiphertextBlob"]
    return secret, ciphertext


def _endpoint(caller: Caller, webhook_id: str, consistent: bool = True) -> dict[str, Any]:
    item = dynamodb().get_item(TableName=MESSAGES_TABLE, Key=webhook_key(caller["clientId"], caller["mode"], webhook_id), ConsistentRead=consistent).get("Item")
    if item is None:
        raise Refused("id: no webhook endpoint of yours has this id", "NotFound", "id", "exists")
    return item


# --- the fields -----------------------------------------------------------------------------------


def create_webhook(caller: Caller, given: dict[str, Any], now: datetime, resolver: Resolver = system_resolver) -> dict[str, Any]:
    try:
        check_url(given.get("url"), resolver)
    except AddressRefused as refused:
        raise Refused(f"input.url: {refused}", field="input.url", rule="address") from None
    statuses = checked_events(given.get("events"))
    existing = dynamodb().query(
        TableName=MESSAGES_TABLE,
        KeyConditionExpression="PK = :pk AND begins_with(SK, :webhooks)",
        ExpressionAttributeValues={":pk": _s(_partition(caller)), ":webhooks": _s(WEBHOOK_PREFIX)},
        Select="COUNT",
        ConsistentRead=True,
    )["Count"]
    if existing >= MAX_ENDPOINTS:
        raise Refused(f"input: you have {MAX_ENDPOINTS} webhook endpoints, the most a client may have in a mode: delete one first", "LimitExceeded", "input", "count")
    webhook_id = new_ulid(now)
    secret, ciphertext = _encrypted_secret(caller, webhook_id)
    item: dict[str, Any] = {
        **webhook_key(caller["clientId"], caller["mode"], webhook_id),
        "id": _s(webhook_id),
        "url": _s(given["url"]),
        "events": {"L": [_s(status) for status in statuses]},
        "createdAt": _s(iso(now)),
        "secrets": {"L": [{"M": {"key": {"B": ciphertext}, "createdAt": _s(iso(now))}}]},
        "secretsVersion": {"N": "1"},
    }
    dynamodb().put_item(TableName=MESSAGES_TABLE, Item=item, ConditionExpression="attribute_not_exists(PK)")
    logger.info("webhook created", extra={"client_id": caller["clientId"], "mode": caller["mode"], "webhook_id": webhook_id})
    return {"secret": secret, "webhook": webhook_view(item)}


def list_webhooks(caller: Caller) -> list[dict[str, Any]]:
    items = dynamodb().query(
        TableName=MESSAGES_TABLE,
        KeyConditionExpression="PK = :pk AND begins_with(SK, :webhooks)",
        ExpressionAttributeValues={":pk": _s(_partition(caller)), ":webhooks": _s(WEBHOOK_PREFIX)},
        ProjectionExpression="id, #url, events, createdAt, disabledAt",
        ExpressionAttributeNames={"#url": "url"},
        ConsistentRead=True,
    ).get("Items", [])
    return [webhook_view(item) for item in items]


def delete_webhook(caller: Caller, webhook_id: Any) -> dict[str, Any]:
    checked = _checked_id(webhook_id, "id", "webhook endpoint")
    try:
        old = dynamodb().delete_item(
            TableName=MESSAGES_TABLE,
            Key=webhook_key(caller["clientId"], caller["mode"], checked),
            ConditionExpression="attribute_exists(PK)",
            ReturnValues="ALL_OLD",
        )["Attributes"]
    except dynamodb().exceptions.ConditionalCheckFailedException:
        raise Refused("id: no webhook endpoint of yours has this id", "NotFound", "id", "exists") from None
    logger.info("webhook deleted", extra={"client_id": caller["clientId"], "mode": caller["mode"], "webhook_id": checked})
    return webhook_view(old)


def _still_signing(secret: dict[str, Any], now: datetime) -> bool:
    valid_until = secret["M"].get("validUntil")
    return valid_until is None or datetime.fromisoformat(valid_until["S"]) > now


def rotate_secret(caller: Caller, webhook_id: Any, now: datetime) -> dict[str, Any]:
    """A new secret signs from now on; the previous ones keep signing for PREVIOUS_SECRET_SECONDS."""
    checked = _checked_id(webhook_id, "id", "webhook endpoint")
    item = _endpoint(caller, checked)
    secret, ciphertext = _encrypted_secret(caller, checked)
    ending = _s(iso(now + timedelta(seconds=PREVIOUS_SECRET_SECONDS)))
    previous = [
        {"M": {**old["M"], "validUntil": old["M"].get("validUntil", ending)}} for old in item["secrets"]["L"] if _still_signing(old, now)
    ]
    secrets = [{"M": {"key": {"B": ciphertext}, "createdAt": _s(iso(now))}}, *previous][:MAX_SECRETS]
    try:
        dynamodb().update_item(
            TableName=MESSAGES_TABLE,
            Key=webhook_key(caller["clientId"], caller["mode"], checked),
            UpdateExpression="SET secrets = :secrets, secretsVersion = secretsVersion + :one",
            # Two rotations at once: one wins, the other changes nothing.
            ConditionExpression="secretsVersion = :seen",
            ExpressionAttributeValues={":secrets": {"L": secrets}, ":one": {"N": "1"}, ":seen": item["secretsVersion"]},
        )
    except dynamodb().exceptions.ConditionalCheckFailedException:
        raise Refused("id: the endpoint's secret was rotated at the same moment by another request: try again", "ConcurrentModification", "id", "concurrent") from None
    logger.info("webhook secret rotated", extra={"client_id": caller["clientId"], "mode": caller["mode"], "webhook_id": checked})
    return {"secret": secret, "webhook": webhook_view(item)}


def attempt_view(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": item["id"]["S"],
        "webhookId": item["webhookId"]["S"],
        "eventId": item["eventId"]["S"],
        "attempt": int(item["attempt"]["N"]),
        "at": item["at"]["S"],
        "statusCode": int(item["statusCode"]["N"]) if "statusCode" in item else None,
        "outcome": item["outcome"]["S"],
        "error": item["error"]["S"] if "error" in item else None,
        "durationMs": int(item["durationMs"]["N"]) if "durationMs" in item else None,
    }


def list_attempts(caller: Caller, webhook_id: Any, first: Any, after: Any) -> dict[str, Any]:
    """One page of an endpoint's attempts, newest first; the cursor is the last attempt's id."""
    checked = _checked_id(webhook_id, "webhookId", "webhook endpoint")
    size = MAX_PAGE_SIZE if first is None else first
    if not isinstance(size, int) or not 1 <= size <= MAX_PAGE_SIZE:
        raise Refused(f"first: must be between 1 and {MAX_PAGE_SIZE}", field="first", rule="range")
    if after is not None and (not isinstance(after, str) or not ULID_FORM.fullmatch(after)):
        raise Refused("after: is not a cursor returned by this field", field="after", rule="cursor")
    try:
        _endpoint(caller, checked, consistent=False)
    except Refused:
        raise Refused("webhookId: no webhook endpoint of yours has this id", "NotFound", "webhookId", "exists") from None
    condition, values = "PK = :pk", {":pk": _s(f"{ATTEMPT_PREFIX}{checked}")}
    if after is not None:
        condition, values = "PK = :pk AND SK < :after", {**values, ":after": _s(after)}
    items = dynamodb().query(
        TableName=MESSAGES_TABLE, KeyConditionExpression=condition, ExpressionAttributeValues=values, ScanIndexForward=False, Limit=size + 1, ConsistentRead=True
    ).get("Items", [])
    shown = items[:size]
    return {"data": [attempt_view(item) for item in shown], "pageInfo": {"hasNextPage": len(items) > size, "endCursor": shown[-1]["id"]["S"] if shown else None}}


def attempts_made(webhook_id: str, event_id: str, since: datetime) -> int:
    """How many attempts of an event an endpoint has had: its attempts since the event happened, of this event."""
    arguments: dict[str, Any] = {
        "TableName": MESSAGES_TABLE,
        "KeyConditionExpression": "PK = :pk AND SK >= :since",
        "FilterExpression": "eventId = :event",
        "ExpressionAttributeValues": {":pk": _s(f"{ATTEMPT_PREFIX}{webhook_id}"), ":since": _s(ulid_floor(since)), ":event": _s(event_id)},
        "Select": "COUNT",
    }
    count = 0
    while True:
        page = dynamodb().query(**arguments)
        count += page["Count"]
        if "LastEvaluatedKey" not in page:
            return count
        arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]


EVENT_FIELDS = ("id", "messageId", "senderId", "status", "reason", "at", "clientId", "mode")


def replay_event(caller: Caller, webhook_id: Any, event_id: Any, now: datetime) -> dict[str, Any]:
    """Queue one more attempt of one of the caller's events to one of its endpoints; the queued attempt."""
    checked = _checked_id(webhook_id, "webhookId", "webhook endpoint")
    event_checked = _checked_id(event_id, "eventId", "event")
    try:
        endpoint = _endpoint(caller, checked)
    except Refused:
        raise Refused("webhookId: no webhook endpoint of yours has this id", "NotFound", "webhookId", "exists") from None
    if "disabledAt" in endpoint:
        raise Refused("webhookId: the endpoint is disabled (it answered 410 Gone, or failed for five days): create a new one", "WebhookDisabled", "webhookId", "enabled")
    stored = dynamodb().get_item(
        TableName=MESSAGES_TABLE, Key={"PK": _s(f"{EVENT_PREFIX}{caller['clientId']}#{caller['mode']}"), "SK": _s(event_checked)}, ConsistentRead=True
    ).get("Item")
    if stored is None:
        raise Refused("eventId: no event of yours has this id", "NotFound", "eventId", "exists")
    event = {name: stored[name]["S"] if name in stored and "S" in stored[name] else None for name in EVENT_FIELDS}
    attempt = attempts_made(checked, event_checked, datetime.fromisoformat(str(event["at"]))) + 1
    attempt_id = new_ulid(now)
    message = {"webhookId": checked, "eventId": event_checked, "event": event, "attempt": attempt, "attemptId": attempt_id, "replay": True}
    sqs().send_message(QueueUrl=WEBHOOK_QUEUE_URL, MessageBody=json.dumps(message))
    logger.info("webhook event replayed", extra={"client_id": caller["clientId"], "webhook_id": checked, "event_id": event_checked, "attempt": attempt})
    return {
        "id": attempt_id,
        "webhookId": checked,
        "eventId": event_checked,
        "attempt": attempt,
        "at": iso(now),
        "statusCode": None,
        "outcome": "queued",
        "error": None,
        "durationMs": None,
    }


def act(request: WebhookRequest, now: datetime) -> Any:
    """The field's answer, in the schema's shape."""
    arguments, caller = request["arguments"], request["caller"]
    if caller.get("mode") not in MODES or not caller.get("clientId"):
        raise ValueError("the webhook action has no caller: identifyCaller must run first")
    match request["field"]:
        case "createWebhook":
            return create_webhook(caller, arguments["input"], now)
        case "webhooks":
            return list_webhooks(caller)
        case "deleteWebhook":
            return delete_webhook(caller, arguments["id"])
        case "rotateWebhookSecret":
            return rotate_secret(caller, arguments["id"], now)
        case "webhookAttempts":
            return list_attempts(caller, arguments["webhookId"], arguments.get("first"), arguments.get("after"))
        case "replayWebhookEvent":
            return replay_event(caller, arguments["webhookId"], arguments["eventId"], now)
    raise ValueError(f"no webhook field {request['field']!r}")


@logger.inject_lambda_context(clear_state=True)
def handler(event: WebhookRequest, context: LambdaContext) -> dict[str, Any]:
    try:
        return {"result": act(event, datetime.now(UTC))}
    except Refused as refused:
        return {"error": {"message": str(refused), "type": refused.error_type, "info": refused.info}}

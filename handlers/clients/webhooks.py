"""The webhook sender: one delivery attempt per message of the webhook queue, signed as Standard Webhooks says.

A message is `{"webhookId", "eventId", "event": {id messageId senderId status reason at clientId mode},
"attempt": n}` (the event publisher queues attempt 1 for every enabled endpoint of the event's client and mode
that asked for its status; replayWebhookEvent queues one more, with its attempt's id and `"replay": true`).

Each attempt:
- finds the endpoint in the event's own client's and mode's partition (a message naming another client's
  endpoint finds nothing, and sends nothing), and skips a deleted or disabled one;
- checks the URL again (webhook_common.check_url) and connects to the very addresses it checked, with no second
  DNS lookup (DNS rebinding reaches nothing new), verifying HTTPS certificates for the URL's host name;
- POSTs `{"type": "message.status", "timestamp": <the event's time>, "data": <the event>}` with `webhook-id`
  (the event id: the same on every attempt), `webhook-timestamp` (now: each attempt is signed afresh, so a
  receiver's five-minute tolerance holds on retries) and `webhook-signature` (`v1,<base64 HMAC-SHA256 of
  id.timestamp.body>`, one per secret still signing: two for a day after a rotation);
- gives the endpoint ATTEMPT_TIMEOUT_SECONDS in all, follows no redirect, and reads nothing of its answer but the
  status and Retry-After (the answer's body is never read, stored or logged);
- records the attempt (ATTEMPT#<webhook id>, kept WEBHOOK_ATTEMPT_RETENTION_DAYS): its status code, outcome,
  duration, and an error in our words.

A 2xx is delivered. A 410 disables the endpoint at once; so do failures that have lasted five days. Any other
failure is tried again after the next wait of WEBHOOK_RETRY_SCHEDULE_SECONDS (or later, if a 429's Retry-After
asks, up to an hour), by queueing the message again: SQS delays a message 15 minutes at most, so a longer wait
is queued in steps, each message carrying the moment it is due (`notBefore`). After the last attempt (or a
410, or five days) the message goes to the dead-letter queue, whose alarm tells the operators. A replay is one
attempt, never retried.

Logs carry ids, attempt numbers, outcomes and status codes: never a URL, a secret, a body or an answer.
"""

from __future__ import annotations

import base64
import email.utils
import functools
import hashlib
import hmac
import http.client
import json
import os
import socket
import ssl
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import SQSEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from clients_common import iso, new_ulid
from webhook_common import (
    ATTEMPT_PREFIX,
    ATTEMPT_TIMEOUT_SECONDS,
    DISABLE_AFTER_FAILING_SECONDS,
    EVENT_STATUSES,
    MODES,
    ULID_FORM,
    AddressRefused,
    Resolver,
    Target,
    check_url,
    encryption_context,
    system_resolver,
    webhook_key,
)

if TYPE_CHECKING:  # the stubs are a development dependency; Lambda's runtime has boto3 alone
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_sqs import SQSClient

MESSAGES_TABLE = os.environ["MESSAGES_TABLE"]
MESSAGES_TABLE_REGION = os.environ["MESSAGES_TABLE_REGION"]
KMS_KEY_ID = os.environ["WEBHOOK_KMS_KEY_ID"]
WEBHOOK_QUEUE_URL = os.environ["WEBHOOK_QUEUE_URL"]
DEAD_LETTER_QUEUE_URL = os.environ["WEBHOOK_DEAD_LETTER_QUEUE_URL"]
# The wait before each attempt of an event, the first included (graphql/manifest.json: webhooks.retryScheduleSeconds;
# the local stack compresses it).
RETRY_SCHEDULE_SECONDS = tuple(int(wait) for wait in os.environ["WEBHOOK_RETRY_SCHEDULE_SECONDS"].split(","))
ATTEMPT_RETENTION = timedelta(days=int(os.environ["WEBHOOK_ATTEMPT_RETENTION_DAYS"]))
MAX_QUEUE_DELAY_SECONDS = 900  # SQS's DelaySeconds limit
MAX_RETRY_AFTER_SECONDS = 3600
# A decrypted key is kept this long in a warm instance: one KMS call per endpoint and secret, not per attempt.
KEY_CACHE_SECONDS = 300
KEY_CACHE_ENTRIES = 1000
WORKERS = 10  # the event source's batch size: a batch's attempts run side by side
USER_AGENT = "serverless-messenger-webhooks/1"
EVENT_TYPE = "message.status"

logger = Logger(service="webhooks")
_client_creation = threading.Lock()  # boto3's default session is not safe to build clients from concurrently
_runner = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="webhook")


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


@functools.cache
def tls_context() -> ssl.SSLContext:
    """Certificates verified against the system's trust store, for the URL's host name; TLS 1.2 at least."""
    context = ssl.create_default_context()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


# --- the queue's messages -------------------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    webhook_id: str
    event: dict[str, Any]
    attempt: int
    attempt_id: str | None = None  # a replay's, made when it was queued
    replay: bool = False
    not_before: float | None = None  # epoch seconds: a long wait queued in steps

    @property
    def event_id(self) -> str:
        return str(self.event["id"])

    def body(self) -> str:
        message: dict[str, Any] = {"webhookId": self.webhook_id, "eventId": self.event_id, "event": self.event, "attempt": self.attempt}
        if self.attempt_id is not None:
            message |= {"attemptId": self.attempt_id, "replay": self.replay}
        if self.not_before is not None:
            message["notBefore"] = self.not_before
        return json.dumps(message, separators=(",", ":"))


def parse_delivery(body: str) -> Delivery | None:
    """The delivery a queue message asks for; None for one that is not one (nothing is sent for it)."""
    try:
        message = json.loads(body)
        event = message["event"]
        delivery = Delivery(
            webhook_id=message["webhookId"],
            event={name: event.get(name) for name in ("id", "messageId", "senderId", "status", "reason", "at", "clientId", "mode")},
            attempt=message["attempt"],
            attempt_id=message.get("attemptId"),
            replay=message.get("replay") is True,
            not_before=message.get("notBefore"),
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    event = delivery.event
    well_formed = (
        isinstance(delivery.webhook_id, str)
        and ULID_FORM.fullmatch(delivery.webhook_id) is not None
        and isinstance(event["id"], str)
        and ULID_FORM.fullmatch(event["id"]) is not None
        and message["eventId"] == event["id"]
        and isinstance(event["clientId"], str)
        and bool(event["clientId"])
        and "#" not in event["clientId"]
        and event["mode"] in MODES
        and event["status"] in EVENT_STATUSES
        and isinstance(event["at"], str)
        and isinstance(delivery.attempt, int)
        and not isinstance(delivery.attempt, bool)
        and delivery.attempt >= 1
        and (delivery.attempt_id is None or (isinstance(delivery.attempt_id, str) and ULID_FORM.fullmatch(delivery.attempt_id) is not None))
        and (delivery.not_before is None or isinstance(delivery.not_before, int | float))
    )
    return delivery if well_formed else None


# --- signing ----------------------------------------------------------------------------------------


def signature(key: bytes, webhook_id: str, timestamp: int, body: bytes) -> str:
    """Standard Webhooks' v1 signature: base64 of HMAC-SHA256 over `<id>.<timestamp>.<body>`."""
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def payload(event: dict[str, Any]) -> bytes:
    return json.dumps({"type": EVENT_TYPE, "timestamp": event["at"], "data": event}, separators=(",", ":")).encode()


def signed_headers(event_id: str, keys: list[bytes], body: bytes, timestamp: int) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": event_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signature(key, event_id, timestamp, body) for key in keys),
    }


_keys: dict[bytes, tuple[float, bytes]] = {}
_keys_lock = threading.Lock()


def signing_keys(endpoint: dict[str, Any], client_id: str, mode: str, webhook_id: str, now: datetime) -> list[bytes]:
    """The keys of the endpoint's secrets that still sign (the newest first), decrypted under their context."""
    found = []
    for secret in endpoint["secrets"]["L"]:
        valid_until = secret["M"].get("validUntil")
        if valid_until is not None and datetime.fromisoformat(valid_until["S"]) <= now:
            continue
        ciphertext: bytes = secret["M"]["key"]["B"]
        with _keys_lock:
            cached = _keys.get(ciphertext)
        if cached is not None and cached[0] > time.monotonic():
            found.append(cached[1])
            continue
        key = kms().decrypt(CiphertextBlob=ciphertext, KeyId=KMS_KEY_ID, EncryptionContext=encryption_context(client_id, mode, webhook_id))["Plaintext"]
        with _keys_lock:
            if len(_keys) >= KEY_CACHE_ENTRIES:
                _keys.clear()
            _keys[ciphertext] = (time.monotonic() + KEY_CACHE_SECONDS, key)
        found.append(key)
    return found


# --- one HTTP request ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    status: int | None
    error: str | None = None
    retry_after: str | None = None


def post(target: Target, body: bytes, headers: dict[str, str], timeout: float = ATTEMPT_TIMEOUT_SECONDS, context: ssl.SSLContext | None = None) -> Answer:
    """POST to the target's checked addresses (the first that connects), within `timeout` seconds in all.

    The socket is opened to an address, never to the name; TLS verifies the certificate for the URL's host name
    (sent as SNI and Host). Only the status line and headers are read."""
    deadline = time.monotonic() + timeout
    connection: socket.socket | None = None
    for address in target.addresses:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        try:
            connection = socket.create_connection((address, target.port), timeout=remaining)
            break
        except TimeoutError:
            return Answer(None, f"no connection within {timeout:g} s")
        except OSError:
            continue
    if connection is None:
        return Answer(None, "the endpoint could not be reached (the connection was refused or failed)")
    # Whatever the endpoint does (a slow handshake, headers a byte at a time), the attempt ends at the deadline:
    # the connection is shut then, and whatever was read by then does not count.
    expired = threading.Event()
    watchdog = threading.Timer(max(0.0, deadline - time.monotonic()), _expire, (connection, expired))
    watchdog.start()
    try:
        if target.scheme == "https":
            connection = (context or tls_context()).wrap_socket(connection, server_hostname=target.host)
        request = http.client.HTTPConnection(target.host, target.port, timeout=max(0.001, deadline - time.monotonic()))
        request.sock = connection
        request.request("POST", target.path, body=body, headers={"Host": target.host_header, "Connection": "close", **headers})
        response = request.getresponse()
        if expired.is_set():
            return Answer(None, f"no answer within {timeout:g} s")
        return Answer(response.status, None, response.getheader("retry-after"))
    except ssl.SSLCertVerificationError:
        return Answer(None, "the endpoint's TLS certificate could not be verified for its host name")
    except (TimeoutError, OSError, http.client.HTTPException) as error:
        if expired.is_set() or isinstance(error, TimeoutError):
            return Answer(None, f"no answer within {timeout:g} s")
        if isinstance(error, ssl.SSLError):
            return Answer(None, "the TLS handshake with the endpoint failed")
        if isinstance(error, http.client.HTTPException):
            return Answer(None, "the endpoint's answer was not HTTP")
        return Answer(None, "the connection to the endpoint failed before it answered")
    finally:
        watchdog.cancel()
        connection.close()


def _expire(connection: socket.socket, expired: threading.Event) -> None:
    expired.set()
    try:
        connection.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def retry_after_seconds(value: str | None, now: datetime) -> float:
    """A Retry-After header (seconds, or an HTTP date) as seconds from now, within 0..MAX_RETRY_AFTER_SECONDS."""
    if not value:
        return 0.0
    try:
        seconds = float(int(value.strip()))
    except ValueError:
        try:
            seconds = (email.utils.parsedate_to_datetime(value) - now).total_seconds()
        except (TypeError, ValueError, IndexError):
            return 0.0
    return min(max(0.0, seconds), MAX_RETRY_AFTER_SECONDS)


# --- one attempt ----------------------------------------------------------------------------------------


Post = Callable[[Target, bytes, dict[str, str]], Answer]


@dataclass(frozen=True)
class Attempted:
    outcome: str  # delivered, failed, refused, gaveUp
    status: int | None
    error: str | None
    duration_ms: int


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def record_attempt(delivery: Delivery, attempted: Attempted, now: datetime) -> None:
    attempt_id = delivery.attempt_id or new_ulid(now)
    item: dict[str, Any] = {
        "PK": _s(f"{ATTEMPT_PREFIX}{delivery.webhook_id}"),
        "SK": _s(attempt_id),
        "id": _s(attempt_id),
        "webhookId": _s(delivery.webhook_id),
        "eventId": _s(delivery.event_id),
        "attempt": {"N": str(delivery.attempt)},
        "at": _s(iso(now)),
        "outcome": _s(attempted.outcome),
        "durationMs": {"N": str(attempted.duration_ms)},
        "expiresAt": {"N": str(int((now + ATTEMPT_RETENTION).timestamp()))},
    }
    if attempted.status is not None:
        item["statusCode"] = {"N": str(attempted.status)}
    if attempted.error is not None:
        item["error"] = _s(attempted.error)
    dynamodb().put_item(TableName=MESSAGES_TABLE, Item=item)


def _update_endpoint(key: dict[str, Any], expression: str, condition: str, values: dict[str, Any] | None = None) -> None:
    arguments: dict[str, Any] = {"TableName": MESSAGES_TABLE, "Key": key, "UpdateExpression": expression, "ConditionExpression": condition}
    if values:
        arguments["ExpressionAttributeValues"] = values
    try:
        dynamodb().update_item(**arguments)
    except dynamodb().exceptions.ConditionalCheckFailedException:
        pass  # deleted, or disabled, meanwhile: nothing to change


def _requeue(delivery: Delivery, wait: float, now: datetime) -> None:
    due = now.timestamp() + wait
    later = replace(delivery, not_before=due if wait > MAX_QUEUE_DELAY_SECONDS else None)
    sqs().send_message(QueueUrl=WEBHOOK_QUEUE_URL, MessageBody=later.body(), DelaySeconds=int(min(MAX_QUEUE_DELAY_SECONDS, max(0, round(wait)))))


def give_up(body: str, reason: str) -> None:
    """To the dead-letter queue, with why in our words: its alarm tells the operators."""
    sqs().send_message(QueueUrl=DEAD_LETTER_QUEUE_URL, MessageBody=body, MessageAttributes={"reason": {"DataType": "String", "StringValue": reason}})


def attempt(delivery: Delivery, now: datetime, post: Post = post, resolver: Resolver = system_resolver) -> str:
    """Make one attempt of a delivery and arrange what follows; what happened, for the logs."""
    event, webhook_id = delivery.event, delivery.webhook_id
    if delivery.not_before is not None and delivery.not_before > now.timestamp():
        # Not due yet: queued again as it is, for the rest of its wait (or SQS's longest delay).
        rest = min(MAX_QUEUE_DELAY_SECONDS, max(0, round(delivery.not_before - now.timestamp())))
        sqs().send_message(QueueUrl=WEBHOOK_QUEUE_URL, MessageBody=delivery.body(), DelaySeconds=rest)
        return "waiting"
    key = webhook_key(event["clientId"], event["mode"], webhook_id)
    endpoint = dynamodb().get_item(TableName=MESSAGES_TABLE, Key=key).get("Item")
    if endpoint is None:
        return "noEndpoint"  # deleted, or never the event's client's
    if "disabledAt" in endpoint:
        return "disabled"
    started = time.monotonic()
    try:
        target = check_url(endpoint["url"]["S"], resolver)
    except AddressRefused as refused:
        answer = Answer(None, f"the URL {refused}")
        refusal = True
    else:
        refusal = False
        keys = signing_keys(endpoint, event["clientId"], event["mode"], webhook_id, now)
        body = payload(event)
        answer = post(target, body, signed_headers(delivery.event_id, keys, body, int(now.timestamp())))
    duration_ms = int((time.monotonic() - started) * 1000)
    status = answer.status
    delivered = status is not None and 200 <= status < 300
    error = answer.error
    if status is not None and not delivered:
        error = {
            410: "the endpoint answered 410 Gone: it is disabled",
            429: "the endpoint answered 429 Too Many Requests",
        }.get(status, f"the endpoint answered {status} (a redirect, which webhooks do not follow)" if 300 <= status < 400 else f"the endpoint answered {status}")

    disable = status == 410
    failing_since = endpoint.get("failingSince", {}).get("S")
    if not delivered and failing_since is not None and (now - datetime.fromisoformat(failing_since)).total_seconds() >= DISABLE_AFTER_FAILING_SECONDS:
        disable, error = True, f"{error}; the endpoint has failed for five days: it is disabled"
    last = delivery.attempt >= len(RETRY_SCHEDULE_SECONDS)
    if delivered:
        outcome = "delivered"
    elif disable or (last and not delivery.replay):
        outcome = "gaveUp"
    else:
        outcome = "refused" if refusal else "failed"
    record_attempt(delivery, Attempted(outcome, status, error, duration_ms), now)

    if delivered and failing_since is not None:
        _update_endpoint(key, "REMOVE failingSince", "attribute_exists(PK)")
    elif not delivered and failing_since is None:
        _update_endpoint(key, "SET failingSince = :now", "attribute_exists(PK) AND attribute_not_exists(failingSince)", {":now": _s(iso(now))})
    if disable:
        _update_endpoint(key, "SET disabledAt = :now", "attribute_exists(PK) AND attribute_not_exists(disabledAt)", {":now": _s(iso(now))})
    if outcome == "gaveUp":
        give_up(delivery.body(), error or "the endpoint failed")
    elif outcome in ("failed", "refused") and not delivery.replay:
        wait = max(float(RETRY_SCHEDULE_SECONDS[delivery.attempt]), retry_after_seconds(answer.retry_after, now) if status == 429 else 0.0)
        _requeue(replace(delivery, attempt=delivery.attempt + 1, attempt_id=None, replay=False), wait, now)
    logger.info(
        "webhook attempt",
        extra={"webhook_id": webhook_id, "event_id": delivery.event_id, "attempt": delivery.attempt, "outcome": outcome, "status_code": status, "duration_ms": duration_ms},
    )
    return outcome


def handle(body: str, message_id: str) -> str:
    delivery = parse_delivery(body)
    if delivery is None:
        logger.error("a webhook delivery that names no endpoint and event went to the dead-letter queue", extra={"sqs_message_id": message_id})
        give_up(body, "not a webhook delivery message")
        return "malformed"
    return attempt(delivery, datetime.now(UTC))


@logger.inject_lambda_context(clear_state=True)
@event_source(data_class=SQSEvent)
def handler(event: SQSEvent, context: LambdaContext) -> dict[str, Any]:
    """Every message of the batch at once; those that could not be handled (an AWS call failed) come back
    (ReportBatchItemFailures), the rest are done."""
    records = list(event.records)
    running = [(record.message_id, _runner.submit(handle, record.body, record.message_id)) for record in records]
    failures = []
    for message_id, future in running:
        try:
            future.result()
        except Exception:  # the message comes back after its visibility timeout
            logger.exception("a webhook delivery could not be handled: it will be tried again", extra={"sqs_message_id": message_id})
            failures.append({"itemIdentifier": message_id})
    return {"batchItemFailures": failures}

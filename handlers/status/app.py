"""Turns providers' delivery reports into message status changes.

- `ses_event_handler`: SES configuration-set events, one per SNS notification. Every email
  carries its record's key as message tags, so the event finds its record without a lookup.
- `sms_delivery_log_handler`: SNS SMS delivery-status logs, through a CloudWatch Logs
  subscription. The record is found by the provider's message id through a KEYS_ONLY index.
- `stale_pending_handler`: on a schedule, marks UNKNOWN the messages whose outcome was never
  recorded (the request failed after the record was written), found through the recipients'
  hourly limit counters.

A status only moves forward (STATUS_RANK): a late DELIVERY never overwrites BOUNCED, a
duplicate changes nothing, and events in any order end in the same state. Every change is
appended to the record's statusHistory. Logs carry message ids and statuses only, never
addresses, numbers or bodies.
"""

from __future__ import annotations

import base64
import functools
import json
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

import boto3
from aws_lambda_powertools import Logger, single_metric
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import (
    CloudWatchLogsEvent,
    SNSEvent,
    event_source,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

if TYPE_CHECKING:  # the stubs are a development dependency; Lambda's runtime has boto3 alone
    from mypy_boto3_dynamodb import DynamoDBClient

# Every function of this package gets the same environment (terraform/main.tf: status_environment) and
# reads all of it here: a missing setting stops the function at start-up, never falls back to a guess.
MESSAGES_TABLE = os.environ["MESSAGES_TABLE"]
MESSAGES_TABLE_REGION = os.environ["MESSAGES_TABLE_REGION"]
PROVIDER_MESSAGE_ID_INDEX = os.environ["PROVIDER_MESSAGE_ID_INDEX"]
# Longer than any sendMessage can run (AppSync stops a request after 30 s).
STALE_AFTER_SECONDS = int(os.environ["STALE_AFTER_SECONDS"])
STALE_REASON = "The delivery outcome was never recorded (the request failed after the message was recorded): it may have been sent"

# The storage contract (graphql/manifest.json, tables.messages; tests/test_storage_contract.py pins these copies).
MESSAGE_PREFIX = "MESSAGE#"
# Every send first counts against its recipient's hourly limit: the counter LIMIT#<channel> /
# HOUR#<hour start>#<recipient> (graphql/functions/limitRecipient.js) keeps the record's time of the hour's
# first and last send. The sweep reads each stretch of time once, from where its last run stopped
# (SWEEP/SWEEP): the counters tell it whose partitions hold messages of that stretch, and it reads only
# their status. So the sweep needs no index, and a message costs it no write.
LIMIT_PREFIX = "LIMIT#"
RECIPIENT_HOUR_PREFIX = "HOUR#"
SWEEP_PK = "SWEEP"
SWEEP_SK = "SWEEP"
CHANNELS = ("EMAIL", "SMS")
# ULIDs are written in Crockford's base32.
CROCKFORD_BASE32 = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# The tags the delivery function puts on every email (see handlers/delivery/app.py: message_tags).
MESSAGE_TAG = "message"
RECIPIENT_TAG = "recipient"

SERVICE = "delivery-status"
logger = Logger(service=SERVICE)
# Where a report comes from: a provider's delivery event (by the channel it reports on), or the sweep.
PROVIDER_CHANNELS = {"ses": "EMAIL", "sms": "SMS"}
SWEEP = "sweep"
METRICS_NAMESPACE = os.environ["POWERTOOLS_METRICS_NAMESPACE"]


_client_creation = threading.Lock()  # boto3's default session is not safe to build clients from concurrently


@functools.cache
def dynamodb() -> DynamoDBClient:
    """Made on first use and kept for the instance's life, so that importing the module stays cheap."""
    with _client_creation:
        return boto3.client("dynamodb", region_name=MESSAGES_TABLE_REGION)


Status = Literal["PENDING", "ACCEPTED", "UNKNOWN", "DELAYED", "DELIVERED", "BOUNCED", "REJECTED", "FAILED", "COMPLAINED"]

# A status may only be replaced by one of a higher rank, so any set of reports ends in the same
# state whatever their order. Only the pipeline's own outcomes share a rank (ACCEPTED and UNKNOWN
# both follow PENDING alone). A soft bounce (FAILED) does not undo a delivery; a permanent one
# (BOUNCED, possibly after the receiving server first accepted the mail) does; a complaint can
# only follow a delivery.
STATUS_RANK: dict[str, int] = {
    "PENDING": 0,
    "ACCEPTED": 1,
    "UNKNOWN": 1,
    "DELAYED": 2,
    "FAILED": 3,
    "DELIVERED": 4,
    "BOUNCED": 5,
    "REJECTED": 6,
    "COMPLAINED": 7,
}


@dataclass(frozen=True)
class MessageKey:
    partition: str
    sort: str

    @property
    def message_id(self) -> str:
        return self.sort


@dataclass(frozen=True)
class StatusChange:
    status: Status
    reason: str
    at: str  # when the provider reported it, ISO 8601


# --- SES events --------------------------------------------------------------------


def record_key_from_tags(tags: dict[str, list[str]]) -> MessageKey | None:
    """The record's key from an email's tags; the recipient is base64url, split over numbered tags."""
    ulid = next(iter(tags.get(MESSAGE_TAG) or []), None)
    parts = sorted((name for name in tags if name.startswith(RECIPIENT_TAG)), key=lambda name: int(name[len(RECIPIENT_TAG) :] or 0))
    if not ulid or not parts:
        return None
    encoded = "".join(tags[name][0] for name in parts)
    recipient = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    return MessageKey(partition=f"{MESSAGE_PREFIX}{recipient}", sort=f"{MESSAGE_PREFIX}{ulid}")


def _join(*parts: str | None) -> str:
    return ": ".join(part for part in parts if part)


def ses_status_change(ses_event: dict[str, Any]) -> StatusChange | None:
    """The status an SES event means, or None for events that do not change delivery status."""
    kind = ses_event.get("eventType") or ses_event.get("notificationType")
    if kind == "Delivery":
        delivery = ses_event["delivery"]
        return StatusChange("DELIVERED", _join("Delivered to the recipient's mail server", delivery.get("smtpResponse")), delivery["timestamp"])
    if kind == "Bounce":
        bounce = ses_event["bounce"]
        diagnostic = next((r.get("diagnosticCode") for r in bounce.get("bouncedRecipients", []) if r.get("diagnosticCode")), None)
        if bounce.get("bounceType") == "Permanent":
            return StatusChange("BOUNCED", _join(f"Permanent bounce ({bounce.get('bounceSubType', 'General')})", diagnostic), bounce["timestamp"])
        # SES has stopped trying; the address may accept mail again later.
        return StatusChange(
            "FAILED", _join(f"{bounce.get('bounceType', 'Undetermined')} bounce ({bounce.get('bounceSubType', 'General')})", diagnostic), bounce["timestamp"]
        )
    if kind == "Complaint":
        complaint = ses_event["complaint"]
        feedback = complaint.get("complaintFeedbackType")
        return StatusChange("COMPLAINED", "The recipient marked the email as spam" + (f" ({feedback})" if feedback else ""), complaint["timestamp"])
    if kind == "Reject":
        return StatusChange("REJECTED", _join("SES rejected the email", ses_event["reject"].get("reason")), ses_event["mail"]["timestamp"])
    if kind == "DeliveryDelay":
        delay = ses_event["deliveryDelay"]
        reason = _join("Delivery delayed", delay.get("delayType"))
        if expires := delay.get("expirationTime"):
            reason += f"; SES keeps trying until {expires}"
        return StatusChange("DELAYED", reason, delay["timestamp"])
    return None


# --- SMS delivery logs ---------------------------------------------------------------


def sms_status_change(log_entry: dict[str, Any]) -> tuple[str, StatusChange]:
    """The provider message id of an SNS SMS delivery log entry, and the status it means."""
    notification = log_entry["notification"]
    response = (log_entry.get("delivery") or {}).get("providerResponse")
    at = _sns_log_time(notification["timestamp"])
    if log_entry.get("status") == "SUCCESS":
        return notification["messageId"], StatusChange("DELIVERED", _join("Delivered to the phone carrier", response), at)
    return notification["messageId"], StatusChange("FAILED", _join("The phone carrier did not deliver the SMS", response), at)


def _sns_log_time(text: str) -> str:
    """SNS writes '2026-11-25 12:00:00.123' (UTC); records use ISO 8601 with a Z."""
    moment = datetime.fromisoformat(text.replace("Z", "")).replace(tzinfo=UTC)
    return _iso(moment)


def find_by_provider_message_id(provider_message_id: str) -> MessageKey | None:
    page = dynamodb().query(
        TableName=MESSAGES_TABLE,
        IndexName=PROVIDER_MESSAGE_ID_INDEX,
        KeyConditionExpression="providerMessageId = :id",
        ExpressionAttributeValues={":id": {"S": provider_message_id}},
        Limit=1,
    )
    items = page.get("Items") or []
    return MessageKey(items[0]["PK"]["S"], items[0]["SK"]["S"]) if items else None


# --- Recording -------------------------------------------------------------------------


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def record_status(key: MessageKey, change: StatusChange) -> bool:
    """Move the record to the change's status if that is forward; False if it was not (stale or duplicate)."""
    earlier = [status for status, rank in STATUS_RANK.items() if rank < STATUS_RANK[change.status]]
    placeholders = {f":earlier{n}": {"S": status} for n, status in enumerate(earlier)}
    try:
        dynamodb().update_item(
            TableName=MESSAGES_TABLE,
            Key={"PK": {"S": key.partition}, "SK": {"S": key.sort}},
            UpdateExpression=(
                "SET deliveryStatus = :status, statusReason = :reason, updatedAt = :now,"
                " statusHistory = list_append(if_not_exists(statusHistory, :none), :change)"
            ),
            ConditionExpression=f"attribute_exists(PK) AND deliveryStatus IN ({', '.join(placeholders)})",
            ExpressionAttributeValues={
                ":status": {"S": change.status},
                ":reason": {"S": change.reason},
                ":now": {"S": _iso(datetime.now(UTC))},
                ":none": {"L": []},
                ":change": {"L": [{"M": {"status": {"S": change.status}, "reason": {"S": change.reason}, "at": {"S": change.at}}}]},
                **placeholders,
            },
        )
    except dynamodb().exceptions.ConditionalCheckFailedException:
        return False
    return True


def emit(name: str, value: int, dimensions: dict[str, str], metadata: dict[str, str] | None = None) -> None:
    """One CloudWatch metric as an EMF log line, with exactly these dimensions (never an address or a number).

    Metadata goes into the same line, unindexed: the line is also the log of what happened, so a
    successful event costs one log line, not two.
    """
    with single_metric(name=name, unit=MetricUnit.Count, value=value, namespace=METRICS_NAMESPACE) as metric:
        metric.add_dimension(name="service", value=SERVICE)
        for dimension, dimension_value in dimensions.items():
            metric.add_dimension(name=dimension, value=dimension_value)
        for key, item in (metadata or {}).items():
            metric.add_metadata(key=key, value=item)


def apply(source: str, key: MessageKey | None, change: StatusChange | None) -> str:
    """Record one report; returns what happened to it, for the handler's summary."""
    if change is None:
        return "ignored"
    outcome = "unmatched" if key is None else "changed" if record_status(key, change) else "unchanged"
    details = {"source": source, "status": change.status, "outcome": outcome, **({"message_id": key.message_id} if key else {})}
    if source in PROVIDER_CHANNELS:
        emit("StatusEvents", 1, {"Channel": PROVIDER_CHANNELS[source], "Status": change.status}, details)
    if outcome == "unmatched":
        logger.info("no record for this report", extra=details)
    elif source == SWEEP and outcome == "changed":
        logger.warning("a message left PENDING is now UNKNOWN", extra=details)
    else:
        logger.debug("status changed" if outcome == "changed" else "status kept: the record is already at or beyond this status", extra=details)
    return outcome


# --- Stale PENDING messages ------------------------------------------------------------


def ulid_time_prefix(moment: datetime) -> str:
    """The first 10 characters of any ULID made at `moment`: its milliseconds in Crockford base32."""
    millis = int(moment.timestamp() * 1000)
    return "".join(CROCKFORD_BASE32[(millis >> shift) & 31] for shift in range(45, -1, -5))


# One run covers at most this stretch of time, so a sweep catching up after an outage stays well inside the
# function's timeout (three times as fast as time passes, at the default 5-minute schedule). A first run (no
# SWEEP/SWEEP yet) looks back as far.
SWEEP_WINDOW = timedelta(minutes=15)
# A counter's times are its records' own, written by the same request a moment later, and concurrent sends may
# write them out of order: a request lasts at most 30 s, so this margin covers both.
COUNTER_MARGIN = timedelta(seconds=60)
HOUR_SECONDS = 3600
# A recipient's counter lives until this long after its hour began (graphql/functions/limitRecipient.js:
# KEPT_SECONDS; tests/test_storage_contract.py pins the two), so a sweep can catch up after a day's outage.
RECIPIENT_COUNTER_KEPT = timedelta(hours=26)
# Recipients' partitions read at once, and the invocation time kept back to record how far a run got.
SWEEP_READERS = 16
SWEEP_RESERVE_MILLIS = 5000


def swept_until() -> datetime | None:
    """Where the last sweep stopped: every message recorded before it has been checked."""
    item = dynamodb().get_item(
        TableName=MESSAGES_TABLE, Key={"PK": {"S": SWEEP_PK}, "SK": {"S": SWEEP_SK}}, ProjectionExpression="sweptUntil", ConsistentRead=True
    ).get("Item")
    return datetime.fromisoformat(item["sweptUntil"]["S"]) if item else None


def record_swept_until(moment: datetime, previous: datetime | None) -> None:
    """Move the mark forward, unless an overlapping run already moved it (both did the same, harmless work)."""
    condition = "attribute_not_exists(sweptUntil)" if previous is None else "sweptUntil = :previous"
    values = {":until": {"S": _iso(moment)}} | ({} if previous is None else {":previous": {"S": _iso(previous)}})
    try:
        dynamodb().update_item(
            TableName=MESSAGES_TABLE,
            Key={"PK": {"S": SWEEP_PK}, "SK": {"S": SWEEP_SK}},
            UpdateExpression="SET sweptUntil = :until",
            ConditionExpression=condition,
            ExpressionAttributeValues=values,
        )
    except dynamodb().exceptions.ConditionalCheckFailedException:
        logger.info("another sweep moved the mark first")


def _pages(arguments: dict[str, Any]) -> Iterator[dict[str, Any]]:
    while True:
        page = dynamodb().query(**arguments)
        yield from page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            return
        arguments = {**arguments, "ExclusiveStartKey": page["LastEvaluatedKey"]}


def _hour_start(moment: datetime) -> int:
    seconds = int(moment.timestamp())
    return seconds - seconds % HOUR_SECONDS


def recipients_sent_to_between(start: datetime, end: datetime) -> dict[str, datetime]:
    """The message partitions (MESSAGE#<recipient>) that may hold a message recorded in [start, end), from the
    hourly limit counters of the hours around it whose first and last sends bracket it; each with its
    earliest first send, so no message of the partition in the stretch is older than that less the margin."""
    low, high = start - COUNTER_MARGIN, end + COUNTER_MARGIN
    earliest: dict[str, datetime] = {}
    for channel in CHANNELS:
        counters = _pages(
            {
                "TableName": MESSAGES_TABLE,
                "KeyConditionExpression": "PK = :channel AND SK BETWEEN :low AND :high",
                # '$' follows '#': the high bound takes in every recipient of the last hour.
                "ExpressionAttributeValues": {
                    ":channel": {"S": f"{LIMIT_PREFIX}{channel}"},
                    ":low": {"S": f"{RECIPIENT_HOUR_PREFIX}{_hour_start(low)}#"},
                    ":high": {"S": f"{RECIPIENT_HOUR_PREFIX}{_hour_start(high)}$"},
                },
                "Select": "SPECIFIC_ATTRIBUTES",
                "ProjectionExpression": "SK, firstSentAt, lastSentAt",
            }
        )
        for counter in counters:
            first = datetime.fromisoformat(counter["firstSentAt"]["S"])
            if datetime.fromisoformat(counter["lastSentAt"]["S"]) < low or first >= high:
                continue
            partition = MESSAGE_PREFIX + counter["SK"]["S"].split("#", 2)[2]
            earliest[partition] = min(first, earliest.get(partition, first))
    return earliest


def pending_in(partition: str, start: datetime, end: datetime) -> list[MessageKey]:
    """The partition's messages recorded in [start, end), by their ULID's time, that are still PENDING
    (eventually consistent: a stale read can only show an earlier status, and the conditional update that
    follows checks again)."""
    low, high = f"{MESSAGE_PREFIX}{ulid_time_prefix(start)}", f"{MESSAGE_PREFIX}{ulid_time_prefix(end)}"
    records = _pages(
        {
            "TableName": MESSAGES_TABLE,
            "KeyConditionExpression": "PK = :partition AND SK BETWEEN :low AND :high",
            "ExpressionAttributeValues": {":partition": {"S": partition}, ":low": {"S": low}, ":high": {"S": high}},
            "Select": "SPECIFIC_ATTRIBUTES",
            "ProjectionExpression": "PK, SK, deliveryStatus",
        }
    )
    # BETWEEN includes its upper bound: a ULID of exactly `end`'s millisecond is the next window's.
    return [
        MessageKey(record["PK"]["S"], record["SK"]["S"])
        for record in records
        if record["SK"]["S"] < high and record.get("deliveryStatus", {}).get("S") == "PENDING"
    ]


def stale_pending_keys(start: datetime, end: datetime, remaining_millis: Callable[[], int]) -> tuple[list[MessageKey], datetime]:
    """The messages recorded in [start, end) still PENDING, and how far the sweep got: to `end`, or, when the
    invocation's time runs short, to just before the earliest first send of the recipients it did not read
    (every message older than that less the margin belongs to one it read)."""
    recipients = sorted(recipients_sent_to_between(start, end).items(), key=lambda recipient: recipient[1])
    found: list[MessageKey] = []
    with ThreadPoolExecutor(max_workers=SWEEP_READERS) as readers:
        for batch_start in range(0, len(recipients), SWEEP_READERS):
            if batch_start and remaining_millis() < SWEEP_RESERVE_MILLIS:
                return found, max(start, min(end, recipients[batch_start][1] - COUNTER_MARGIN))
            batch = recipients[batch_start : batch_start + SWEEP_READERS]
            for keys in readers.map(lambda recipient: pending_in(recipient[0], start, end), batch):
                found.extend(keys)
    return found, end


def _summary(outcomes: list[str]) -> dict[str, int]:
    counts = {outcome: outcomes.count(outcome) for outcome in ("changed", "unchanged", "unmatched", "ignored")}
    if "malformed" in outcomes:
        counts["malformed"] = outcomes.count("malformed")
    return counts


@logger.inject_lambda_context(clear_state=True)
@event_source(data_class=SNSEvent)
def ses_event_handler(event: SNSEvent, context: LambdaContext) -> dict[str, int]:
    outcomes = []
    for record in event.records:
        ses_event = json.loads(record.sns.message)
        key = record_key_from_tags(ses_event.get("mail", {}).get("tags", {}))
        outcomes.append(apply("ses", key, ses_status_change(ses_event)))
    return _summary(outcomes)


@logger.inject_lambda_context(clear_state=True)
@event_source(data_class=CloudWatchLogsEvent)
def sms_delivery_log_handler(event: CloudWatchLogsEvent, context: LambdaContext) -> dict[str, int]:
    logs = event.parse_logs_data()
    if logs.message_type != "DATA_MESSAGE":
        return _summary([])  # CloudWatch Logs checking that the destination is reachable
    outcomes = []
    for log_event in logs.log_events:
        try:
            provider_message_id, change = sms_status_change(json.loads(log_event.message))
        except (ValueError, KeyError, TypeError):
            # One unreadable entry must not send the whole batch to the dead-letter queue.
            logger.warning("unreadable SMS delivery log entry", extra={"log_event_id": log_event.get_id})
            outcomes.append("malformed")
            continue
        # Delivery logs are account-wide: SMS sent outside this stack find no record.
        outcomes.append(apply("sms", find_by_provider_message_id(provider_message_id), change))
    return _summary(outcomes)


@logger.inject_lambda_context(clear_state=True)
def stale_pending_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    """Scheduled; the event may set `staleAfterSeconds` (default STALE_AFTER_SECONDS)."""
    now = datetime.now(UTC)
    cutoff = now - timedelta(seconds=int((event or {}).get("staleAfterSeconds", STALE_AFTER_SECONDS)))
    previous = swept_until()
    start = previous or cutoff - SWEEP_WINDOW
    # The counters point to a stretch's messages only while they live: after a longer outage (which the
    # sweep's missing-data alarm has reported), say which stretch cannot be checked, and go on from there.
    checkable = now - RECIPIENT_COUNTER_KEPT + timedelta(seconds=HOUR_SECONDS) + COUNTER_MARGIN
    if start < checkable:
        logger.error("the sweep fell behind its limit counters: messages recorded in this stretch were not checked", extra={"unchecked_from": _iso(start), "unchecked_until": _iso(checkable)})
        start = checkable
    end = min(cutoff, start + SWEEP_WINDOW)
    keys, swept_to = stale_pending_keys(start, end, context.get_remaining_time_in_millis) if start < end else ([], start)
    change = StatusChange("UNKNOWN", STALE_REASON, _iso(now))
    summary = _summary([apply(SWEEP, key, change) for key in keys])
    if previous is None or swept_to > previous:
        record_swept_until(swept_to, previous)
    # Every run, 0 included, so an alarm on it has data: anything above 0 is a request that failed mid-way.
    emit("StalePendingFound", summary["changed"], {})
    return summary

"""Recording a message's status change: what every delivery-status function shares.

Each function of this folder (graphql/manifest.json: eventHandlers) is its own module, which imports this
one and nothing of the others', so a cold start loads only what that function uses:

- `ses_events`: SES configuration-set events, through SNS;
- `sms_events`: SNS SMS delivery-status logs, through CloudWatch Logs;
- `sweep`: on a schedule, the messages left PENDING.

A status only moves forward (STATUS_RANK): a late DELIVERY never overwrites BOUNCED, a duplicate changes
nothing, and reports in any order end in the same state. Every change is appended to the record's
statusHistory. Logs carry message ids and statuses only, never addresses, numbers or bodies.
"""

from __future__ import annotations

import functools
import os
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

import boto3
from aws_lambda_powertools import Logger, single_metric
from aws_lambda_powertools.metrics import MetricUnit

if TYPE_CHECKING:  # the stubs are a development dependency; Lambda's runtime has boto3 alone
    from mypy_boto3_dynamodb import DynamoDBClient

# Every status function gets the same environment (terraform/main.tf: status_environment); each module reads
# what it uses at import, so a missing setting stops the function at start-up, never falls back to a guess.
MESSAGES_TABLE = os.environ["MESSAGES_TABLE"]
MESSAGES_TABLE_REGION = os.environ["MESSAGES_TABLE_REGION"]
METRICS_NAMESPACE = os.environ["POWERTOOLS_METRICS_NAMESPACE"]

# The storage contract (graphql/manifest.json, tables.messages; tests/test_storage_contract.py pins this copy).
MESSAGE_PREFIX = "MESSAGE#"

SERVICE = "delivery-status"
logger = Logger(service=SERVICE)
# Where a report comes from: a provider's delivery event (by the channel it reports on), or the sweep.
PROVIDER_CHANNELS = {"ses": "EMAIL", "sms": "SMS"}
SWEEP = "sweep"

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
    """A message record's key in the messages table."""

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


def iso_time(moment: datetime) -> str:
    """The records' time format: ISO 8601 in UTC, to the millisecond, with a Z."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def join_reason(*parts: str | None) -> str:
    """A status reason from its parts, the ones a report left out skipped."""
    return ": ".join(part for part in parts if part)


def record_status(key: MessageKey, change: StatusChange) -> bool:
    """Move the record to the change's status if that is forward; False if it was not (stale or duplicate).

    The history entry keeps when it was recorded (`recordedAt`) beside when the provider reported it (`at`):
    the change's event is ordered by the former (handlers/clients/clients_common.py: event_id)."""
    now = iso_time(datetime.now(UTC))
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
                ":now": {"S": now},
                ":none": {"L": []},
                ":change": {"L": [{"M": {"status": {"S": change.status}, "reason": {"S": change.reason}, "at": {"S": change.at}, "recordedAt": {"S": now}}}]},
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


def summary(outcomes: list[str]) -> dict[str, int]:
    """What a handler returns: how many reports of its invocation came to each outcome."""
    counts = {outcome: outcomes.count(outcome) for outcome in ("changed", "unchanged", "unmatched", "ignored")}
    if "malformed" in outcomes:
        counts["malformed"] = outcomes.count("malformed")
    return counts

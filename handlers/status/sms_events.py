"""The smsEvents function: SNS SMS delivery-status logs, through a CloudWatch Logs subscription, become status
changes. The record is found by the provider's message id through a KEYS_ONLY index.

The subscription's payload is decoded here, into TypedDicts, as Powertools' CloudWatchLogsEvent decodes it:
importing any of Powertools' event classes imports all of them (see ses_events).
"""

from __future__ import annotations

import base64
import json
import os
import zlib
from datetime import UTC, datetime
from typing import Any, TypedDict, cast

from aws_lambda_powertools.utilities.typing import LambdaContext

from recording import (
    MESSAGES_TABLE,
    MessageKey,
    StatusChange,
    apply,
    dynamodb,
    iso_time,
    join_reason,
    logger,
    summary,
)

# The index's name, from the manifest (tables.messages.indexes: environment).
PROVIDER_MESSAGE_ID_INDEX = os.environ["PROVIDER_MESSAGE_ID_INDEX"]


class AwsLogs(TypedDict):
    data: str  # base64 of the gzipped LogsData


class CloudWatchLogsEvent(TypedDict):
    """What a CloudWatch Logs subscription filter delivers to its function."""

    awslogs: AwsLogs


class LogEvent(TypedDict):
    id: str
    timestamp: int
    message: str  # here, one SNS delivery-status entry as JSON


class LogsData(TypedDict):
    """The decoded batch (the fields read here)."""

    messageType: str  # DATA_MESSAGE, or CONTROL_MESSAGE when CloudWatch Logs checks the destination
    logEvents: list[LogEvent]


def logs_data(event: CloudWatchLogsEvent) -> LogsData:
    """The batch a subscription event carries: base64, then gzip (zlib's header detection), then JSON."""
    return cast(LogsData, json.loads(zlib.decompress(base64.b64decode(event["awslogs"]["data"]), zlib.MAX_WBITS | 32).decode("UTF-8")))


def sms_status_change(log_entry: dict[str, Any]) -> tuple[str, StatusChange]:
    """The provider message id of an SNS SMS delivery log entry, and the status it means."""
    notification = log_entry["notification"]
    response = (log_entry.get("delivery") or {}).get("providerResponse")
    at = _sns_log_time(notification["timestamp"])
    if log_entry.get("status") == "SUCCESS":
        return notification["messageId"], StatusChange("DELIVERED", join_reason("Delivered to the phone carrier", response), at)
    return notification["messageId"], StatusChange("FAILED", join_reason("The phone carrier did not deliver the SMS", response), at)


def _sns_log_time(text: str) -> str:
    """SNS writes '2026-11-25 12:00:00.123' (UTC); records use ISO 8601 with a Z."""
    moment = datetime.fromisoformat(text.replace("Z", "")).replace(tzinfo=UTC)
    return iso_time(moment)


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


@logger.inject_lambda_context(clear_state=True)
def sms_delivery_log_handler(event: CloudWatchLogsEvent, context: LambdaContext) -> dict[str, int]:
    logs = logs_data(event)
    if logs["messageType"] != "DATA_MESSAGE":
        return summary([])  # CloudWatch Logs checking that the destination is reachable
    outcomes = []
    for log_event in logs["logEvents"]:
        try:
            provider_message_id, change = sms_status_change(json.loads(log_event["message"]))
        except (ValueError, KeyError, TypeError):
            # One unreadable entry must not send the whole batch to the dead-letter queue.
            logger.warning("unreadable SMS delivery log entry", extra={"log_event_id": log_event["id"]})
            outcomes.append("malformed")
            continue
        # Delivery logs are account-wide: SMS sent outside this stack find no record.
        outcomes.append(apply("sms", find_by_provider_message_id(provider_message_id), change))
    return summary(outcomes)

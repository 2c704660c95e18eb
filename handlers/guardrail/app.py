"""Pauses a channel before AWS does, and resumes it when an operator says so.

- From the alarm topic: a CloudWatch alarm that went to ALARM and is one of this stack's guardrail alarms
  (GUARDRAIL_ALARMS: alarm ARN -> channel) pauses its channel: SES bounce or complaint rate near the level
  at which AWS reviews or pauses the account pauses EMAIL; SMS spend near the monthly limit pauses SMS.
  An alarm going back to OK resumes nothing: resuming is a deliberate act. Any other notification (another
  alarm, of this stack or not, or no alarm's at all) changes nothing and is logged without its content.
- From an operator (`make pause|resume ENV=... CHANNEL=...`, the local stack's /local/channels):
  `{"action": "pause" | "resume" | "status", "channel": "EMAIL" | "SMS", "reason": "..."}`.

A paused channel is recorded in the CONFIG/CHANNELS item, which the sendMessage pipeline reads (loadConfig)
and obeys (deliverMessage: the message is recorded FAILED, "<channel> sending is paused"; nothing reaches the
provider). The reason stays with the channel's state, for operators (`make channels`), never in a record.
Pausing EMAIL also turns the SES configuration set's sending off, so nothing at all goes out through it.
"""

from __future__ import annotations

import functools
import json
import os
import threading
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, TypedDict

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

if TYPE_CHECKING:  # the stubs are a development dependency; Lambda's runtime has boto3 alone
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_sesv2 import SESV2Client

MESSAGES_TABLE = os.environ["MESSAGES_TABLE"]
MESSAGES_TABLE_REGION = os.environ["MESSAGES_TABLE_REGION"]
SES_REGION = os.environ["SES_REGION"]
SES_CONFIGURATION_SET = os.environ["SES_CONFIGURATION_SET"]
# This stack's alarms that pause a channel, by ARN (the notification's AlarmArn, which the topic's policy lets
# only CloudWatch set, for this stack's alarms): a name alone could be any account's or region's alarm.
GUARDRAIL_ALARMS: dict[str, str] = json.loads(os.environ["GUARDRAIL_ALARMS"])
# The storage contract (graphql/manifest.json, tables.messages; tests/test_storage_contract.py pins these copies).
CONFIG_PK = "CONFIG"
CHANNELS_SK = "CHANNELS"
CHANNELS = ("EMAIL", "SMS")
MAX_REASON_LENGTH = 200

logger = Logger(service="guardrail")
_client_creation = threading.Lock()  # boto3's default session is not safe to build clients from concurrently

Channel = Literal["EMAIL", "SMS"]


class ChannelState(TypedDict, total=False):
    paused: bool
    reason: str
    since: str


@functools.cache
def dynamodb() -> DynamoDBClient:
    with _client_creation:
        return boto3.client("dynamodb", region_name=MESSAGES_TABLE_REGION)


@functools.cache
def sesv2() -> SESV2Client:
    with _client_creation:
        return boto3.client("sesv2", region_name=SES_REGION)


def _now() -> str:
    moment = datetime.now(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def set_paused(channel: Channel, paused: bool, reason: str) -> None:
    """Record the channel's state for the pipeline; for EMAIL, switch the configuration set's sending too."""
    key = {"PK": {"S": CONFIG_PK}, "SK": {"S": CHANNELS_SK}}
    if paused:
        state = {"M": {"paused": {"BOOL": True}, "reason": {"S": reason}, "since": {"S": _now()}}}
        dynamodb().update_item(
            TableName=MESSAGES_TABLE, Key=key, UpdateExpression="SET #channel = :state",
            ExpressionAttributeNames={"#channel": channel}, ExpressionAttributeValues={":state": state},
        )
    else:
        dynamodb().update_item(TableName=MESSAGES_TABLE, Key=key, UpdateExpression="REMOVE #channel", ExpressionAttributeNames={"#channel": channel})
    if channel == "EMAIL":
        sesv2().put_configuration_set_sending_options(ConfigurationSetName=SES_CONFIGURATION_SET, SendingEnabled=not paused)
    logger.warning("channel paused" if paused else "channel resumed", extra={"channel": channel, "reason": reason})


def states() -> dict[str, ChannelState]:
    item = dynamodb().get_item(TableName=MESSAGES_TABLE, Key={"PK": {"S": CONFIG_PK}, "SK": {"S": CHANNELS_SK}}, ConsistentRead=True).get("Item", {})
    found: dict[str, ChannelState] = {}
    for channel in CHANNELS:
        state = item.get(channel, {}).get("M", {})
        found[channel] = {"paused": True, "reason": state["reason"]["S"], "since": state["since"]["S"]} if state else {"paused": False}
    return found


def _sns(record: Any) -> dict[str, Any]:
    """The SNS part of a record (the envelope SNS itself sets: topic, message ID, message), or nothing."""
    sns = record.get("Sns") if isinstance(record, dict) else None
    return sns if isinstance(sns, dict) else {}


def _alarm_notification(record: Any) -> dict[str, Any] | None:
    """The CloudWatch alarm notification an SNS record carries, or None for anything else."""
    message = _sns(record).get("Message")
    try:
        notification = json.loads(message) if isinstance(message, str) else None
    except ValueError:
        return None
    return notification if isinstance(notification, dict) else None


def alarm_actions(event: dict[str, Any]) -> list[tuple[Channel, str]]:
    """The channels to pause for the alarm notifications in an SNS event, with why.

    Only one of this stack's guardrail alarms (by ARN) going to ALARM acts; its return to OK resumes nothing,
    and any other notification on the topic (DLQ depth, errors, an alarm of another stack, a message that is
    no alarm's) is for people only. What is ignored is logged by its SNS envelope alone: its content is not
    ours to trust or to keep.
    """
    actions: list[tuple[Channel, str]] = []
    for record in event.get("Records", []):
        notification = _alarm_notification(record) or {}
        arn = notification.get("AlarmArn")
        channel = GUARDRAIL_ALARMS.get(arn) if isinstance(arn, str) else None
        if not isinstance(arn, str) or channel is None or notification.get("NewStateValue") != "ALARM":
            sns = _sns(record)
            logger.info(
                "alarm notification ignored",
                extra={"topic": sns.get("TopicArn"), "sns_message_id": sns.get("MessageId"), "guardrail_alarm": channel is not None},
            )
            continue
        name = arn.split(":alarm:", 1)[1]
        logger.warning("guardrail alarm", extra={"alarm": name, "channel": channel, "state_reason": notification.get("NewStateReason")})
        actions.append((channel, f"alarm {name}"))  # type: ignore[arg-type]
    return actions


def operator_action(event: dict[str, Any]) -> tuple[str, Channel | None, str]:
    """What an operator asked for; ValueError for anything else, which then changes nothing."""
    action, channel, reason = event.get("action"), event.get("channel"), event.get("reason")
    if action not in ("pause", "resume", "status") or (action != "status" and channel not in CHANNELS):
        raise ValueError('expected {"action": "pause" | "resume" | "status", "channel": "EMAIL" | "SMS", "reason": "..."}')
    # The reason is kept with the channel's state and shown to operators (make channels): short, said by a person.
    if reason is not None and (not isinstance(reason, str) or not 0 < len(reason.strip()) <= MAX_REASON_LENGTH):
        raise ValueError(f"reason must be text of 1 to {MAX_REASON_LENGTH} characters")
    return action, channel, reason.strip() if reason else f"{action}d by an operator"


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, ChannelState]:
    """Alarm notifications (SNS) or an operator's request; the channels' state after either."""
    if "Records" in event:
        for channel, reason in alarm_actions(event):
            set_paused(channel, True, reason)
    else:
        action, operator_channel, reason = operator_action(event)
        if operator_channel is not None and action != "status":
            set_paused(operator_channel, action == "pause", reason)
    return states()

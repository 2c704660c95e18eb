"""The emailEvents function: SES configuration-set events, one per SNS notification, become status changes.

Every email carries its record's key as message tags, so the event finds its record without a lookup.
The SNS envelope is read through its TypedDict, not Powertools' SNSEvent: importing any of Powertools'
event classes imports all of them (its data_classes package, about a tenth of `import boto3`), which
would be most of what this function's cold start adds to boto3's.
"""

from __future__ import annotations

import base64
import json
from typing import Any, TypedDict

from aws_lambda_powertools.utilities.typing import LambdaContext

from recording import (
    MESSAGE_PREFIX,
    MessageKey,
    StatusChange,
    apply,
    join_reason,
    logger,
    summary,
)

# The tags the delivery function puts on every email (see handlers/delivery/app.py: message_tags).
MESSAGE_TAG = "message"
SCOPE_TAG = "scope"
RECIPIENT_TAG = "recipient"


def _unbase64(encoded: str) -> str:
    return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()


class SnsMessage(TypedDict):
    Message: str  # the SES event, as JSON


class SnsRecord(TypedDict):
    Sns: SnsMessage


class SnsEvent(TypedDict):
    """What SNS delivers to a subscribed function (the fields read here)."""

    Records: list[SnsRecord]


def record_key_from_tags(tags: dict[str, list[str]]) -> MessageKey | None:
    """The record's key from an email's tags: the ULID, the client's scope (none on the records that have none),
    and the partition's mailbox, base64url, split over numbered tags."""
    ulid = next(iter(tags.get(MESSAGE_TAG) or []), None)
    parts = sorted((name for name in tags if name.startswith(RECIPIENT_TAG)), key=lambda name: int(name[len(RECIPIENT_TAG) :] or 0))
    if not ulid or not parts:
        return None
    mailbox = _unbase64("".join(tags[name][0] for name in parts))
    scope = _unbase64(next(iter(tags.get(SCOPE_TAG) or [""])))
    return MessageKey(partition=f"{MESSAGE_PREFIX}{mailbox}", sort=f"{scope}{MESSAGE_PREFIX}{ulid}")


def ses_status_change(ses_event: dict[str, Any]) -> StatusChange | None:
    """The status an SES event means, or None for events that do not change delivery status."""
    kind = ses_event.get("eventType") or ses_event.get("notificationType")
    if kind == "Delivery":
        delivery = ses_event["delivery"]
        return StatusChange("DELIVERED", join_reason("Delivered to the recipient's mail server", delivery.get("smtpResponse")), delivery["timestamp"])
    if kind == "Bounce":
        bounce = ses_event["bounce"]
        diagnostic = next((r.get("diagnosticCode") for r in bounce.get("bouncedRecipients", []) if r.get("diagnosticCode")), None)
        if bounce.get("bounceType") == "Permanent":
            return StatusChange("BOUNCED", join_reason(f"Permanent bounce ({bounce.get('bounceSubType', 'General')})", diagnostic), bounce["timestamp"])
        # SES has stopped trying; the address may accept mail again later.
        return StatusChange(
            "FAILED", join_reason(f"{bounce.get('bounceType', 'Undetermined')} bounce ({bounce.get('bounceSubType', 'General')})", diagnostic), bounce["timestamp"]
        )
    if kind == "Complaint":
        complaint = ses_event["complaint"]
        feedback = complaint.get("complaintFeedbackType")
        return StatusChange("COMPLAINED", "The recipient marked the email as spam" + (f" ({feedback})" if feedback else ""), complaint["timestamp"])
    if kind == "Reject":
        return StatusChange("REJECTED", join_reason("SES rejected the email", ses_event["reject"].get("reason")), ses_event["mail"]["timestamp"])
    if kind == "DeliveryDelay":
        delay = ses_event["deliveryDelay"]
        reason = join_reason("Delivery delayed", delay.get("delayType"))
        if expires := delay.get("expirationTime"):
            reason += f"; SES keeps trying until {expires}"
        return StatusChange("DELAYED", reason, delay["timestamp"])
    return None


@logger.inject_lambda_context(clear_state=True)
def ses_event_handler(event: SnsEvent, context: LambdaContext) -> dict[str, int]:
    outcomes = []
    for record in event["Records"]:
        ses_event = json.loads(record["Sns"]["Message"])
        key = record_key_from_tags(ses_event.get("mail", {}).get("tags", {}))
        outcomes.append(apply("ses", key, ses_status_change(ses_event)))
    return summary(outcomes)

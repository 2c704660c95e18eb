"""The payloads AWS delivers to the status handlers, built for a message the local stack sent.

- Email: an SES configuration-set event (event publishing format) inside an SNS notification,
  as an SNS subscription hands it to Lambda. It echoes the email's tags as SES does.
- SMS: an SNS SMS delivery-status log entry inside a CloudWatch Logs subscription payload
  (gzip, then base64, under `awslogs.data`).

Shapes follow the examples in the SES and SNS developer guides; tests/handlers/events holds
those examples and tests/local checks that these builders produce the same structure.
"""

from __future__ import annotations

import base64
import gzip
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from local.appsync.js_engine import iso8601

ACCOUNT_ID = "123456789012"

SES_EVENTS = {"DELIVERY", "BOUNCE", "COMPLAINT", "REJECT", "DELIVERY_DELAY"}
SMS_EVENTS = {"SMS_SUCCESS", "SMS_FAILURE"}
EVENTS = SES_EVENTS | SMS_EVENTS


# A permanent bounce's sub-type, and what the recipient's mail server (or SES itself) said.
BOUNCE_DIAGNOSTICS = {
    "General": ("5.1.1", "smtp; 550 5.1.1 user unknown"),
    "Suppressed": ("5.1.1", "Amazon SES has suppressed sending to this address because it has a recent history of bouncing as an invalid address."),
}


def ses_event(event: str, sent: dict[str, Any], region: str, configuration_set: str, now: datetime, bounce_sub_type: str = "General") -> dict[str, Any]:
    """One SES event for an email as the outbox captured it (recipient, sender, tags, SES message id); a BOUNCE
    is permanent, of the sub-type given (`General`, or `Suppressed` for an address on the suppression list)."""
    bounce_status, diagnostic = BOUNCE_DIAGNOSTICS[bounce_sub_type]
    recipient = sent["to"][0]
    sender = sent["from"]
    tags = {
        "ses:configuration-set": [configuration_set],
        "ses:source-ip": ["192.0.2.0"],
        "ses:from-domain": [sender.rsplit("@", 1)[-1]],
        "ses:caller-identity": ["local"],
        **{name: [value] for name, value in sent.get("tags", {}).items()},
    }
    sent_at = now - timedelta(seconds=2)
    mail = {
        "timestamp": iso8601(sent_at),
        "source": sender,
        "sourceArn": f"arn:aws:ses:{region}:{ACCOUNT_ID}:identity/{sender}",
        "sendingAccountId": ACCOUNT_ID,
        "messageId": sent["providerMessageId"],
        "destination": [recipient],
        "headersTruncated": False,
        "commonHeaders": {"from": [sender], "to": [recipient], "messageId": sent["providerMessageId"], "subject": sent.get("subject")},
        "tags": tags,
    }
    details: dict[str, dict[str, Any]] = {
        "DELIVERY": {
            "eventType": "Delivery",
            "delivery": {
                "timestamp": iso8601(now),
                "processingTimeMillis": 2000,
                "recipients": [recipient],
                "smtpResponse": "250 2.6.0 Message received",
                "reportingMTA": "a1-2.smtp-out.eu-central-1.amazonses.com",
            },
        },
        "BOUNCE": {
            "eventType": "Bounce",
            "bounce": {
                "bounceType": "Permanent",
                "bounceSubType": bounce_sub_type,
                "bouncedRecipients": [{"emailAddress": recipient, "action": "failed", "status": bounce_status, "diagnosticCode": diagnostic}],
                "timestamp": iso8601(now),
                "feedbackId": f"{uuid.uuid4()}-000000",
                "reportingMTA": "dsn; a1-2.smtp-out.eu-central-1.amazonses.com",
            },
        },
        "COMPLAINT": {
            "eventType": "Complaint",
            "complaint": {
                "complainedRecipients": [{"emailAddress": recipient}],
                "timestamp": iso8601(now),
                "feedbackId": f"{uuid.uuid4()}-000000",
                "userAgent": "Mozilla/5.0",
                "complaintFeedbackType": "abuse",
                "arrivalDate": iso8601(sent_at),
            },
        },
        "REJECT": {"eventType": "Reject", "reject": {"reason": "Bad content"}},
        "DELIVERY_DELAY": {
            "eventType": "DeliveryDelay",
            "deliveryDelay": {
                "timestamp": iso8601(now),
                "delayType": "TransientCommunicationFailure",
                "expirationTime": iso8601(now + timedelta(hours=14)),
                "delayedRecipients": [
                    {"emailAddress": recipient, "status": "4.4.1", "diagnosticCode": "smtp; 421 4.4.1 Unable to connect to remote host"}
                ],
            },
        },
    }
    return {**details[event], "mail": mail}


def sns_notification(message: dict[str, Any], topic_arn: str, now: datetime) -> dict[str, Any]:
    """An SNS notification as a Lambda subscription receives it."""
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": f"{topic_arn}:{uuid.uuid4()}",
                "Sns": {
                    "Type": "Notification",
                    "MessageId": str(uuid.uuid4()),
                    "TopicArn": topic_arn,
                    "Subject": None,
                    "Message": json.dumps(message),
                    "Timestamp": iso8601(now),
                    "SignatureVersion": "1",
                    "Signature": "EXAMPLE",
                    "SigningCertUrl": "https://sns.example.com/cert.pem",
                    "UnsubscribeUrl": "https://sns.example.com/unsubscribe",
                    "MessageAttributes": {},
                },
            }
        ]
    }


def alarm_notification(alarm_name: str, state: str, region: str, now: datetime) -> dict[str, Any]:
    """The message a CloudWatch alarm publishes to its SNS topic when its state changes."""
    return {
        "AlarmName": alarm_name,
        "AlarmDescription": None,
        "AWSAccountId": ACCOUNT_ID,
        "AlarmConfigurationUpdatedTimestamp": iso8601(now),
        "NewStateValue": state,
        "NewStateReason": "Played by the local stack (POST /local/alarms)",
        "StateChangeTime": iso8601(now),
        "Region": region,
        "AlarmArn": f"arn:aws:cloudwatch:{region}:{ACCOUNT_ID}:alarm:{alarm_name}",
        "OldStateValue": "OK" if state == "ALARM" else "ALARM",
        "OKActions": [],
        "AlarmActions": [],
        "InsufficientDataActions": [],
    }


SMS_PROVIDER_RESPONSES = {"SMS_SUCCESS": "Message has been accepted by phone carrier", "SMS_FAILURE": "Phone is currently unreachable/unavailable"}


def sms_delivery_log(event: str, provider_message_id: str, phone_number: str, now: datetime, provider_response: str | None = None) -> dict[str, Any]:
    """One SNS SMS delivery-status log entry; `provider_response` is the carrier's text (a typical one by default)."""
    succeeded = event == "SMS_SUCCESS"
    return {
        "notification": {"messageId": provider_message_id, "timestamp": now.strftime("%Y-%m-%d %H:%M:%S.") + f"{now.microsecond // 1000:03d}"},
        "delivery": {
            "phoneCarrier": "Local Carrier",
            "mnc": 270,
            "destination": phone_number,
            "priceInUSD": 0.00645,
            "smsType": "Transactional",
            "mcc": 310,
            "providerResponse": provider_response or SMS_PROVIDER_RESPONSES[event],
            "dwellTimeMs": 599,
            "dwellTimeMsUntilDeviceAck": 1344,
        },
        "status": "SUCCESS" if succeeded else "FAILURE",
    }


def sms_log_group(region: str, succeeded: bool) -> str:
    return f"sns/{region}/{ACCOUNT_ID}/DirectPublishToPhoneNumber" + ("" if succeeded else "/Failure")


def cloudwatch_logs_payload(entry: dict[str, Any], log_group: str, now: datetime) -> dict[str, Any]:
    """A CloudWatch Logs subscription's Lambda event carrying one log entry."""
    data = {
        "messageType": "DATA_MESSAGE",
        "owner": ACCOUNT_ID,
        "logGroup": log_group,
        "logStream": str(uuid.uuid4()),
        "subscriptionFilters": ["sms-delivery-status"],
        "logEvents": [{"id": str(uuid.uuid4().int)[:56], "timestamp": int(now.timestamp() * 1000), "message": json.dumps(entry)}],
    }
    return {"awslogs": {"data": base64.b64encode(gzip.compress(json.dumps(data).encode())).decode()}}


def now_utc() -> datetime:
    return datetime.now(UTC)

"""Delivers one recorded message: email through SES v2, SMS through SNS.

Invoked by the AppSync `deliverMessage` pipeline function with the stored record.
It returns the outcome for the record instead of raising: a provider refusal is a
FAILED delivery with a reason, not a crash. Logs carry ids and outcomes only, never
addresses or bodies.
"""

from __future__ import annotations

import base64
import html
import os
from typing import Literal, NotRequired, TypedDict

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import BotoCoreError, ClientError

DEFAULT_EMAIL_FROM = os.environ["DEFAULT_EMAIL_FROM"]
DEFAULT_SUBJECT = "Message"
MESSAGE_PREFIX = "MESSAGE#"
# SES tag values allow only letters, digits, "_" and "-", up to 256 characters.
TAG_VALUE_LIMIT = 256
SES_CONFIGURATION_SET = os.environ.get("SES_CONFIGURATION_SET") or None

logger = Logger(service="delivery")
# The original design swapped these two regions; each client uses its own service's region.
ses = boto3.client("sesv2", region_name=os.environ["SES_REGION"])
sns = boto3.client("sns", region_name=os.environ["SNS_REGION"])


# The functional form, because `from` is a Python keyword.
Message = TypedDict(
    "Message",
    {
        "id": str,
        "to": str,
        "body": str,
        "deliveryMethod": Literal["EMAIL", "SMS"],
        "from": NotRequired["str | None"],
        "subject": NotRequired["str | None"],
    },
)


class Outcome(TypedDict):
    deliveryStatus: Literal["ACCEPTED", "FAILED"]
    statusReason: str
    providerMessageId: NotRequired[str]


class DeliveryRequest(TypedDict):
    message: Message


def message_tags(message: Message) -> list[dict[str, str]]:
    """The record's key as SES tags, so that SES events find their record without a lookup.

    `message` is the ULID; the recipient goes base64url without padding, split over
    `recipient`, `recipient1`, ... when longer than one tag value.
    """
    encoded = base64.urlsafe_b64encode(message["to"].encode()).decode().rstrip("=")
    chunks = [encoded[start : start + TAG_VALUE_LIMIT] for start in range(0, len(encoded), TAG_VALUE_LIMIT)]
    return [{"Name": "message", "Value": message["id"].removeprefix(MESSAGE_PREFIX)}] + [
        {"Name": f"recipient{n or ''}", "Value": chunk} for n, chunk in enumerate(chunks)
    ]


def email_request(message: Message) -> dict:
    """SES v2 SendEmail arguments: the body as text and as escaped HTML."""
    body = message["body"]
    html_body = "<html><body><p>" + html.escape(body).replace("\n", "<br>\n") + "</p></body></html>"
    request = {
        "FromEmailAddress": message.get("from") or DEFAULT_EMAIL_FROM,
        "Destination": {"ToAddresses": [message["to"]]},
        "Content": {
            "Simple": {
                "Subject": {"Data": message.get("subject") or DEFAULT_SUBJECT, "Charset": "UTF-8"},
                "Body": {
                    "Text": {"Data": body, "Charset": "UTF-8"},
                    "Html": {"Data": html_body, "Charset": "UTF-8"},
                },
            }
        },
        "EmailTags": message_tags(message),
    }
    if SES_CONFIGURATION_SET:
        request["ConfigurationSetName"] = SES_CONFIGURATION_SET
    return request


def sms_request(message: Message) -> dict:
    """SNS Publish arguments for a transactional SMS, with the sender ID when one is given."""
    attributes = {"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}}
    if sender_id := message.get("from"):
        attributes["AWS.SNS.SMS.SenderID"] = {"DataType": "String", "StringValue": sender_id}
    return {"PhoneNumber": message["to"], "Message": message["body"], "MessageAttributes": attributes}


def error_code(error: Exception) -> str:
    if isinstance(error, ClientError):
        return error.response.get("Error", {}).get("Code", "Error")
    return type(error).__name__


def failure_reason(service: str, error: Exception) -> str:
    if isinstance(error, ClientError):
        detail = error.response.get("Error", {}).get("Message", "")
        return f"{service} refused the message: {error_code(error)}: {detail}".rstrip(": ")
    return f"{service} could not be reached: {error}"


def deliver(message: Message) -> Outcome:
    if message["deliveryMethod"] == "EMAIL":
        service, send = "SES", lambda: ses.send_email(**email_request(message))["MessageId"]
    else:
        service, send = "SNS", lambda: sns.publish(**sms_request(message))["MessageId"]
    try:
        provider_message_id = send()
    except (ClientError, BotoCoreError) as error:
        logger.warning(
            "delivery refused",
            extra={"message_id": message["id"], "provider": service, "error_code": error_code(error)},
        )
        return {"deliveryStatus": "FAILED", "statusReason": failure_reason(service, error)}
    logger.info("delivery accepted", extra={"message_id": message["id"], "provider": service})
    return {
        "deliveryStatus": "ACCEPTED",
        "statusReason": f"Accepted by {service} for delivery",
        "providerMessageId": provider_message_id,
    }


@logger.inject_lambda_context(clear_state=True)
def handler(event: DeliveryRequest, context: LambdaContext) -> Outcome:
    return deliver(event["message"])

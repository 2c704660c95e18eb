"""Delivers one recorded message: email through SES v2, SMS through SNS.

Invoked by the AppSync `deliverMessage` pipeline function with the stored record, whose
sender and subject the resolvers decided (validateInput.js): this function sends what
it is given. It returns the outcome for the record instead of raising: a provider refusal
is a FAILED delivery with a reason, not a crash. Logs carry ids and outcomes only, never
addresses or bodies.
"""

from __future__ import annotations

import base64
import functools
import html
import os
import random
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, NotRequired, TypedDict

import boto3
from aws_lambda_powertools import Logger, single_metric
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ParamValidationError,
)

if TYPE_CHECKING:  # the stubs are a development dependency; Lambda's runtime has boto3 alone
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_sesv2 import SESV2Client
    from mypy_boto3_sns import SNSClient

# Every email goes through the configuration set, whose TLS policy is REQUIRE: without it there is no send.
SES_CONFIGURATION_SET = os.environ["SES_CONFIGURATION_SET"]
# SES tag values allow only letters, digits, "_" and "-", up to 256 characters.
TAG_VALUE_LIMIT = 256

# Retries: refusals that leave nothing sent (throttling, no connection) are tried again with
# jittered exponential backoff, while the invocation's time allows one more full attempt; one
# policy, so botocore's own retries are off. A refusal (4xx) is final. Anything else (a lost
# answer, a provider 5xx, an unexpected error) may have happened after the provider took the
# message: UNKNOWN, never retried, so a message is never sent twice.
MAX_ATTEMPTS = 5
FIRST_BACKOFF_SECONDS = 0.1
MAX_BACKOFF_SECONDS = 2.0
CONNECT_TIMEOUT_SECONDS = 1
READ_TIMEOUT_SECONDS = 3
# The longest one attempt can take, and the time kept back to hand the outcome to AppSync.
ATTEMPT_MILLIS = (CONNECT_TIMEOUT_SECONDS + READ_TIMEOUT_SECONDS) * 1000
RESERVE_MILLIS = 1500
RETRYABLE_CODES = frozenset({"ThrottlingException", "Throttling", "Throttled", "TooManyRequestsException", "RequestLimitExceeded"})
# Failures before the request left this function.
NOT_SENT_ERRORS = (EndpointConnectionError, ConnectTimeoutError, ParamValidationError, NoCredentialsError)
RETRYABLE_ERRORS = (EndpointConnectionError, ConnectTimeoutError)

MESSAGE_PREFIX = "MESSAGE#"
MESSAGES_TABLE = os.environ["MESSAGES_TABLE"]

SERVICE = "delivery"
METRICS_NAMESPACE = os.environ["POWERTOOLS_METRICS_NAMESPACE"]

logger = Logger(service=SERVICE)
_client_config = Config(
    retries={"total_max_attempts": 1}, connect_timeout=CONNECT_TIMEOUT_SECONDS, read_timeout=READ_TIMEOUT_SECONDS
)
_client_creation = threading.Lock()  # boto3's default session is not safe to build clients from concurrently


# Each client is made on its first use and kept for the life of the instance: an instance that only
# sends email never builds the SNS client, and importing the module costs little more than boto3.
# The original design swapped the two regions; each client uses its own service's region.
@functools.cache
def ses_client() -> SESV2Client:
    with _client_creation:
        return boto3.client("sesv2", region_name=os.environ["SES_REGION"], config=_client_config)


@functools.cache
def sns_client() -> SNSClient:
    with _client_creation:
        return boto3.client("sns", region_name=os.environ["SNS_REGION"], config=_client_config)


@functools.cache
def dynamodb_client() -> DynamoDBClient:
    with _client_creation:
        return boto3.client("dynamodb", region_name=os.environ["MESSAGES_TABLE_REGION"])


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
    deliveryStatus: Literal["ACCEPTED", "FAILED", "UNKNOWN"]
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


def email_request(message: Message) -> dict[str, Any]:
    """SES v2 SendEmail arguments: the body as text and as escaped HTML, through the configuration set."""
    body = message["body"]
    html_body = "<html><body><p>" + html.escape(body).replace("\n", "<br>\n") + "</p></body></html>"
    return {
        "FromEmailAddress": message["from"],
        "Destination": {"ToAddresses": [message["to"]]},
        "Content": {
            "Simple": {
                "Subject": {"Data": message["subject"], "Charset": "UTF-8"},
                "Body": {
                    "Text": {"Data": body, "Charset": "UTF-8"},
                    "Html": {"Data": html_body, "Charset": "UTF-8"},
                },
            }
        },
        "EmailTags": message_tags(message),
        "ConfigurationSetName": SES_CONFIGURATION_SET,
    }


def sms_request(message: Message) -> dict[str, Any]:
    """SNS Publish arguments for a transactional SMS, with the sender ID when one is given."""
    attributes = {"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}}
    if sender_id := message.get("from"):
        attributes["AWS.SNS.SMS.SenderID"] = {"DataType": "String", "StringValue": sender_id}
    return {"PhoneNumber": message["to"], "Message": message["body"], "MessageAttributes": attributes}


def error_code(error: Exception) -> str:
    if isinstance(error, ClientError):
        return error.response.get("Error", {}).get("Code", "Error")
    return type(error).__name__


def is_retryable(error: Exception) -> bool:
    """True when the provider certainly did not take the message and may if asked again."""
    return isinstance(error, RETRYABLE_ERRORS) or (isinstance(error, ClientError) and error_code(error) in RETRYABLE_CODES)


def is_ambiguous(error: Exception) -> bool:
    """True unless the provider certainly did not take the message: a 4xx refusal, or no request sent."""
    if isinstance(error, ClientError):
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        return not (400 <= status < 500 or error_code(error) in RETRYABLE_CODES)
    return not isinstance(error, NOT_SENT_ERRORS)


# What a refusal means, in our words: the provider's own text can name addresses, accounts and roles, and
# the reason is stored on the record and shown to callers.
REFUSALS = {
    "MessageRejected": "the sender or recipient is not verified (or the account is in the SES sandbox), or SES rejected the content",
    "SendingPausedException": "sending is paused for the configuration set or the account",
    "AccountSuspendedException": "the account may no longer send email",
    "MailFromDomainNotVerifiedException": "the sender's MAIL FROM domain is not verified",
    "AccessDeniedException": "the delivery function is not allowed to send this message",
    "AuthorizationError": "the delivery function is not allowed to send this message",
    "TooManyRequestsException": "the sending rate is exceeded",
    "ThrottlingException": "the sending rate is exceeded",
    "Throttled": "the sending rate is exceeded",
    "OptedOut": "the number opted out of SMS",
    "InvalidParameter": "a parameter was refused, such as the phone number",
}


def failure_reason(service: str, error: Exception) -> str:
    if isinstance(error, ClientError):
        code = error_code(error)
        meaning = REFUSALS.get(code)
        return f"{service} refused the message: {code}" + (f" ({meaning})" if meaning else "")
    return f"{service} could not be reached: {error_code(error)}"


def backoff_seconds(attempt: int) -> float:
    """Full jitter: a random wait up to an exponentially growing cap."""
    return random.uniform(0, min(MAX_BACKOFF_SECONDS, FIRST_BACKOFF_SECONDS * 2**attempt))


def send_with_retries(
    send: Callable[[], str], remaining_millis: Callable[[], int], sleep: Callable[[float], None] = time.sleep
) -> tuple[str | ClientError | BotoCoreError, int]:
    """The provider's message id, or the last error; and how many attempts were made."""
    attempt = 0
    while True:
        attempt += 1
        try:
            return send(), attempt
        except (ClientError, BotoCoreError) as error:
            if not is_retryable(error) or attempt >= MAX_ATTEMPTS:
                return error, attempt
            wait = backoff_seconds(attempt)
            if remaining_millis() - wait * 1000 - ATTEMPT_MILLIS < RESERVE_MILLIS:
                return error, attempt
            sleep(wait)


def deliver(message: Message, remaining_millis: Callable[[], int]) -> Outcome:
    send: Callable[[], str]
    if message["deliveryMethod"] == "EMAIL":
        if not (message.get("from") and message.get("subject")):
            # The resolvers always decide both; a message without them is refused rather than sent blank.
            return {"deliveryStatus": "FAILED", "statusReason": "The message has no sender or subject, so nothing was sent"}
        service, send = "SES", lambda: ses_client().send_email(**email_request(message))["MessageId"]
    else:
        service, send = "SNS", lambda: sns_client().publish(**sms_request(message))["MessageId"]
    result, attempts = send_with_retries(send, remaining_millis)
    log = {"message_id": message["id"], "provider": service, "attempts": attempts}
    if attempts > 1:  # a sum over time: no line at all for the usual first-time success
        emit("Retries", attempts - 1, {"Channel": message["deliveryMethod"]}, {"message_id": message["id"]})
    if isinstance(result, Exception) and is_ambiguous(result):
        logger.error("delivery outcome unknown", extra={**log, "error_code": error_code(result)})
        return {
            "deliveryStatus": "UNKNOWN",
            "statusReason": f"{service} did not confirm the message, which may have been sent: {error_code(result)}",
        }
    if isinstance(result, Exception):
        logger.warning("delivery refused", extra={**log, "error_code": error_code(result)})
        tries = f" (after {attempts} attempts)" if attempts > 1 else ""
        return {"deliveryStatus": "FAILED", "statusReason": failure_reason(service, result) + tries}
    logger.debug("delivery accepted", extra=log)  # the Messages metric line records it
    if service == "SNS":
        remember_provider_message_id(message, result)
    return {
        "deliveryStatus": "ACCEPTED",
        "statusReason": f"Accepted by {service} for delivery",
        "providerMessageId": result,
    }


def remember_provider_message_id(message: Message, provider_message_id: str) -> None:
    """Put SNS's message id on the record at once: SMS delivery reports carry nothing else to find it by.

    The pipeline records it again with the outcome; this write keeps the record findable when that one
    fails. A failure here is logged, not raised: the message has been sent either way.
    """
    try:
        dynamodb_client().update_item(
            TableName=MESSAGES_TABLE,
            Key={"PK": {"S": f"{MESSAGE_PREFIX}{message['to']}"}, "SK": {"S": message["id"]}},
            UpdateExpression="SET providerMessageId = :id",
            ConditionExpression="attribute_exists(PK)",
            ExpressionAttributeValues={":id": {"S": provider_message_id}},
        )
    except (ClientError, BotoCoreError) as error:
        logger.warning("provider message id not recorded", extra={"message_id": message["id"], "error_code": error_code(error)})


def emit(name: str, value: int, dimensions: dict[str, str], metadata: dict[str, Any] | None = None) -> None:
    """One CloudWatch metric as an EMF log line, with exactly these dimensions (never an address or a number).

    single_metric, not a module-level Metrics: its metric set is its own, so concurrent invocations in one
    process (the local stack runs handlers on threads) cannot mix their metrics. Metadata goes into the same
    line, unindexed: the line is also the log of the delivery, so a success costs one log line, not two.
    """
    with single_metric(name=name, unit=MetricUnit.Count, value=value, namespace=METRICS_NAMESPACE) as metric:
        metric.add_dimension(name="service", value=SERVICE)
        for dimension, dimension_value in dimensions.items():
            metric.add_dimension(name=dimension, value=dimension_value)
        for key, item in (metadata or {}).items():
            metric.add_metadata(key=key, value=item)


def count(message: Message, outcome: Outcome) -> Outcome:
    """One Messages metric for this delivery, by channel and outcome (ACCEPTED, FAILED, UNKNOWN)."""
    emit("Messages", 1, {"Channel": message["deliveryMethod"], "Outcome": outcome["deliveryStatus"]}, {"message_id": message["id"]})
    return outcome


@logger.inject_lambda_context(clear_state=True)
def handler(event: DeliveryRequest, context: LambdaContext) -> Outcome:
    message = event["message"]
    return count(message, deliver(message, context.get_remaining_time_in_millis))

"""Every email and SMS the local stack delivered, as SES and SNS accepted them.

Recorded from botocore's event hooks on the default session, so it sees exactly
what the real handlers send (moto keeps no SMS attributes, such as the sender ID).
Those who follow it (the SES mailbox simulator, the console's live stream) subscribe:
they are told of each entry as it is recorded, on the sending thread, so they must
not block.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import boto3

from local.appsync.js_engine import iso8601
from local.providers.sms_segments import segments

logger = logging.getLogger("local.providers.outbox")

_SENDS = {"sesv2.SendEmail": "EMAIL", "sns.Publish": "SMS"}

Subscriber = Callable[[dict[str, Any]], None]


class Outbox:
    def __init__(self, message_prefix: str = "") -> None:
        # The record's id is the message prefix and the ULID the email's `message` tag carries.
        self._message_prefix = message_prefix
        self._lock = threading.Lock()
        self._entries: list[dict[str, Any]] = []
        self._subscribers: list[Subscriber] = []

    def attach(self, session: boto3.Session) -> None:
        """Hook the session whose clients the handlers create; call before they are created."""
        for operation in _SENDS:
            session.events.register(f"before-parameter-build.{operation}", self._remember_params)
            session.events.register(f"after-call.{operation}", self._record)

    def subscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.append(subscriber)

    @staticmethod
    def _remember_params(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["outbox_params"] = dict(params)

    def _record(self, http_response: Any, parsed: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        if http_response.status_code >= 300:
            return
        params = context.get("outbox_params", {})
        channel = _SENDS[f"{model.service_model.service_name}.{model.name}"]
        entry = self._email_entry(params) if channel == "EMAIL" else _sms_entry(params)
        if entry is None:
            return
        entry |= {"channel": channel, "providerMessageId": parsed.get("MessageId"), "sentAt": iso8601(datetime.now(UTC))}
        with self._lock:
            self._entries.append(entry)
        for subscriber in self._subscribers:
            try:
                subscriber(entry)
            except Exception as error:  # noqa: BLE001 - a follower's fault must not fail the send: SES accepted it
                logger.error("an outbox subscriber failed: %s", type(error).__name__)

    def entries(self, start: int = 0) -> list[dict[str, Any]]:
        """The entries from the `start`-th on (all by default), in the order they were sent."""
        with self._lock:
            return self._entries[start:]

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def _email_entry(self, params: dict[str, Any]) -> dict[str, Any]:
        simple = params.get("Content", {}).get("Simple", {})
        body = simple.get("Body", {})
        tags = {tag["Name"]: tag["Value"] for tag in params.get("EmailTags", [])}
        return {
            "to": params.get("Destination", {}).get("ToAddresses", []),
            "from": params.get("FromEmailAddress"),
            "subject": simple.get("Subject", {}).get("Data"),
            "body": body.get("Text", {}).get("Data"),
            "html": body.get("Html", {}).get("Data"),
            "configurationSet": params.get("ConfigurationSetName"),
            "tags": tags,
            "messageId": f"{self._message_prefix}{tags['message']}" if "message" in tags else None,
        }


def _sms_entry(params: dict[str, Any]) -> dict[str, Any] | None:
    if "PhoneNumber" not in params:
        return None  # a topic publish, not an SMS
    attributes = params.get("MessageAttributes", {})
    body = params.get("Message") or ""
    return {
        "to": params["PhoneNumber"],
        "from": attributes.get("AWS.SNS.SMS.SenderID", {}).get("StringValue"),
        "subject": None,
        "body": params.get("Message"),
        "smsType": attributes.get("AWS.SNS.SMS.SMSType", {}).get("StringValue"),
        "segments": segments(body).as_json(),
    }

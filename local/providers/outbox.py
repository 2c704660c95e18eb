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
    def __init__(self, message_prefix: str = "", record_key: Callable[[dict[str, list[str]]], Any] | None = None) -> None:
        # The record's id is the message prefix and the ULID the email's `message` tag carries; its key, what
        # the status handler reads from the tags (handlers/status/ses_events.py: record_key_from_tags).
        self._message_prefix = message_prefix
        self._record_key = record_key
        self._lock = threading.Lock()
        self._entries: list[dict[str, Any]] = []
        # Every email SES accepted, by its `message` tag, cleared or not: SES still sends events for mail that
        # left the outbox, so a report played for one finds what it was sent with.
        self._emails: dict[str, dict[str, Any]] = {}
        self._clears = 0
        self._subscribers: list[Subscriber] = []
        self._clear_subscribers: list[Callable[[], None]] = []

    def attach(self, session: boto3.Session) -> None:
        """Hook the session whose clients the handlers create; call before they are created."""
        for operation in _SENDS:
            session.events.register(f"before-parameter-build.{operation}", self._remember_params)
            session.events.register(f"after-call.{operation}", self._record)

    def subscribe(self, subscriber: Subscriber, on_clear: Callable[[], None] | None = None) -> None:
        """Tell `subscriber` of each entry as it is recorded, and `on_clear` (if given) of each clear."""
        self._subscribers.append(subscriber)
        if on_clear is not None:
            self._clear_subscribers.append(on_clear)

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
            if (tag := entry.get("tags", {}).get("message")) is not None:
                self._emails.setdefault(tag, entry)
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

    @property
    def clears(self) -> int:
        """How many times the outbox was cleared: a follower that saw fewer starts again from its first entry."""
        with self._lock:
            return self._clears

    def clear(self) -> int:
        """Empty the outbox; how many entries it held. The records stay, and so does what SES remembers
        (`sent_email`): only the list of captured sends starts again."""
        with self._lock:
            cleared = len(self._entries)
            self._entries = []
            self._clears += 1
        for subscriber in self._clear_subscribers:
            subscriber()
        return cleared

    def sent_email(self, message_tag: str) -> dict[str, Any] | None:
        """The email SES accepted with this `message` tag (the record's ULID), even after a clear; None if none."""
        with self._lock:
            return self._emails.get(message_tag)

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
            "recordKey": self._key_of(tags),
        }

    def _key_of(self, tags: dict[str, str]) -> list[str] | None:
        key = self._record_key({name: [value] for name, value in tags.items()}) if self._record_key else None
        return [key.partition, key.sort] if key is not None else None


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

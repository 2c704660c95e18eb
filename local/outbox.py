"""Every email and SMS the local stack delivered, as SES and SNS accepted them.

Recorded from botocore's event hooks on the default session, so it sees exactly
what the real handlers send (moto keeps no SMS attributes, such as the sender ID).
"""

from __future__ import annotations

import threading
from typing import Any

import boto3

_SENDS = {"sesv2.SendEmail": "EMAIL", "sns.Publish": "SMS"}


class Outbox:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[dict[str, Any]] = []

    def attach(self, session: boto3.Session) -> None:
        """Hook the session whose clients the handlers create; call before they are created."""
        for operation in _SENDS:
            session.events.register(f"before-parameter-build.{operation}", self._remember_params)
            session.events.register(f"after-call.{operation}", self._record)

    @staticmethod
    def _remember_params(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["outbox_params"] = dict(params)

    def _record(self, http_response: Any, parsed: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        if http_response.status_code >= 300:
            return
        params = context.get("outbox_params", {})
        channel = _SENDS[f"{model.service_model.service_name}.{model.name}"]
        entry = _email_entry(params) if channel == "EMAIL" else _sms_entry(params)
        if entry is None:
            return
        entry |= {"channel": channel, "providerMessageId": parsed.get("MessageId")}
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._entries)


def _email_entry(params: dict[str, Any]) -> dict[str, Any]:
    simple = params.get("Content", {}).get("Simple", {})
    body = simple.get("Body", {})
    return {
        "to": params.get("Destination", {}).get("ToAddresses", []),
        "from": params.get("FromEmailAddress"),
        "subject": simple.get("Subject", {}).get("Data"),
        "body": body.get("Text", {}).get("Data"),
        "html": body.get("Html", {}).get("Data"),
        "configurationSet": params.get("ConfigurationSetName"),
        "tags": {tag["Name"]: tag["Value"] for tag in params.get("EmailTags", [])},
    }


def _sms_entry(params: dict[str, Any]) -> dict[str, Any] | None:
    if "PhoneNumber" not in params:
        return None  # a topic publish, not an SMS
    attributes = params.get("MessageAttributes", {})
    return {
        "to": params["PhoneNumber"],
        "from": attributes.get("AWS.SNS.SMS.SenderID", {}).get("StringValue"),
        "subject": None,
        "body": params.get("Message"),
        "smsType": attributes.get("AWS.SNS.SMS.SMSType", {}).get("StringValue"),
    }

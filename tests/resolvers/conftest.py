from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from local import sms_countries
from local.appsync.js_engine import JsEngine, Outcome

CONFIG = {
    "PK": "CONFIG",
    "SK": "DELIVERY",
    "defaultEmailFrom": "no-reply@example.com",
    "allowedEmailSenders": ["support@example.com", "Billing@Example.com"],
    "allowedSmsSenderIds": ["Messenger"],
    "limits": {"smsPerRecipientPerHour": 10, "emailPerRecipientPerHour": 50, "smsPerMinute": 100, "emailPerMinute": 1000},
    "messageRetentionDays": 90,
    "testMessageRetentionDays": 7,
    "messagesTable": "local-messages",
}
# The API key's caller (the default client's LIVE key, whose records keep the keys they had before clients).
DEFAULT_CALLER = {"clientId": "default", "mode": "LIVE", "scope": ""}
CLIENT = {"PK": "CLIENTS", "SK": "CLIENT#default", "clientId": "default", "name": "default", "limits": {"emailPerDay": 1000, "smsPerDay": 100}}
# The countries SMS may go to in these tests, and the numbering sendMessage reads (CONFIG/DELIVERY).
SMS_COUNTRIES = ["CA", "DE", "FR", "GB", "US"]
SMS_CONFIG = {"smsAllowedCountries": SMS_COUNTRIES, "smsNumbering": sms_countries.sms_numbering(SMS_COUNTRIES)}

Run = Callable[..., Outcome]


@pytest.fixture
def run(engine: JsEngine) -> Run:
    """Run one handler of one manifest unit, e.g. run("function:queryMessages", "request", args=...)."""

    def invoke(unit: str, phase: str, *, args: Any = None, stash: Any = None, **extra: Any) -> Outcome:
        stash = {"config": CONFIG, "channels": {}, "caller": DEFAULT_CALLER, "client": CLIENT, **(stash or {})}
        context = {"args": args or {}, "stash": stash, "env": {}, "prev": {"result": None}, **extra}
        return engine.invoke(unit, phase, context)

    return invoke


def validate_input(run: Run, field: str, args: Any, stash: Any = None) -> Outcome:
    """validateInput's request handler as the pipeline of `field` (sendMessage, getMessages, eraseRecipient) runs it:
    sendMessage's after loadConfig (the configuration with its SMS countries), the others' with no configuration."""
    config = {"config": {**CONFIG, **SMS_CONFIG}} if field == "sendMessage" else {"config": None}
    return run("function:validateInput", "request", args=args, stash={**config, **(stash or {})}, info={"fieldName": field})

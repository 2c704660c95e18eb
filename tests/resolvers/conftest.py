from __future__ import annotations

from typing import Any, Callable

import pytest

from local.js_engine import JsEngine, Outcome

ENV = {
    "DEFAULT_EMAIL_FROM": "no-reply@example.com",
    "ALLOWED_EMAIL_SENDERS": "support@example.com, Billing@Example.com",
    "ALLOWED_SMS_SENDER_IDS": "Messenger",
}

Run = Callable[..., Outcome]


@pytest.fixture
def run(engine: JsEngine) -> Run:
    """Run one handler of one manifest unit, e.g. run("function:validateMessage", "request", args=...)."""

    def invoke(unit: str, phase: str, *, args: Any = None, stash: Any = None, **extra: Any) -> Outcome:
        context = {"args": args or {}, "stash": stash or {}, "env": ENV, "prev": {"result": None}, **extra}
        return engine.invoke(unit, phase, context)

    return invoke

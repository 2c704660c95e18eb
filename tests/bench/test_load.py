"""The load run of `make bench` measures throughput, not refusals: its stack raises the sending limits."""

from __future__ import annotations

import pytest

from bench import load
from local.config import Settings

LIMITS = ("SMS_PER_RECIPIENT_PER_HOUR", "EMAIL_PER_RECIPIENT_PER_HOUR", "SMS_PER_MINUTE", "EMAIL_PER_MINUTE")


def test_the_load_runs_stack_refuses_no_send_past_the_default_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN more SMS to one number than the default limits allow, per recipient and hour and per minute
    for name in LIMITS:
        monkeypatch.delenv(name, raising=False)
    defaults = Settings()
    sends = max(defaults.sms_per_recipient_per_hour, defaults.sms_per_minute) + 10
    # WHEN they are sent as the load run sends, on the stack the load run starts (one recipient: an SMS number)
    with load.load_stack() as stack:
        report = load.run_load(stack.base_url, load.API_KEY, sends=sends, clients=8, recipients=1)
    # THEN none is refused: each is recorded once and delivered
    assert report.errors == []
    assert (report.records_found, report.duplicates, report.missing, report.deliveries) == (sends, 0, 0, sends)

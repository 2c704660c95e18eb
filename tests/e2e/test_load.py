"""Load on the local stack over loopback: 2,000 sends from 16 clients, then every recipient paged through.

The figures (requests per second, p50/p99) are reported, never asserted: speed targets live in bench/.
"""

from __future__ import annotations

import json

import pytest

from bench.load import run_load
from tests.e2e.conftest import LocalApi

SENDS = 2000
CLIENTS = 16


@pytest.mark.load
def test_two_thousand_concurrent_sends_are_all_recorded_delivered_and_found_once(api: LocalApi, capsys) -> None:
    # GIVEN 100 fresh recipients, WHEN 16 clients send 2,000 messages to them at once
    report = run_load(api.base_url, api.api_key, sends=SENDS, clients=CLIENTS, recipients=100)
    # THEN there were no errors, every message was delivered once and is found exactly once in its recipient's history
    assert report.errors == []
    assert report.statuses == {"ACCEPTED": SENDS}
    assert (report.records_found, report.missing, report.duplicates) == (SENDS, 0, 0)
    assert report.deliveries == SENDS
    with capsys.disabled():
        print("\nload:", json.dumps({k: v for k, v in report.as_dict().items() if k != "errors"}))

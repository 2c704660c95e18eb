"""moto's dispatcher as the local stack runs it (local/aws/emulator.py: RememberingDispatcher): each host finds the
backend moto's own finds, looked up once; a host that finds none is looked up again each time, never remembered. And
the names of a response class's methods (quicken_moto_dispatch), kept, and still moto's when the class changes."""

from __future__ import annotations

from typing import Any

import pytest
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    create_backend_app,
)

from local.aws.emulator import RememberingDispatcher, quicken_moto_dispatch

HOSTS = [
    "dynamodb",
    "sqs.eu-central-1.amazonaws.com",
    "sesv2",
    "kms.eu-central-1.amazonaws.com",
    "sns.us-east-1.amazonaws.com",
    "moto_api",
    "nothing.example",
]


def test_each_host_finds_moto_s_backend_and_moto_looks_a_found_one_up_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN moto's own answers, and its lookup counting what it is asked
    expected = {host: DomainDispatcherApplication(create_backend_app).get_backend_for_host(host) for host in HOSTS}
    assert expected["nothing.example"] is None and all(expected[host] for host in HOSTS if host != "nothing.example")
    asked: list[str | None] = []
    lookup = DomainDispatcherApplication.get_backend_for_host

    def counting(self: DomainDispatcherApplication, host: str | None) -> Any:
        asked.append(host)
        return lookup(self, host)

    monkeypatch.setattr(DomainDispatcherApplication, "get_backend_for_host", counting)
    dispatcher = RememberingDispatcher(create_backend_app)
    # WHEN every host is looked up three times
    found = [{host: dispatcher.get_backend_for_host(host) for host in HOSTS} for _ in range(3)]
    # THEN each found moto's backend every time; moto was asked once for each host it serves, every time for the other
    assert found == [expected] * 3
    assert sorted(asked, key=str) == sorted([*HOSTS, "nothing.example", "nothing.example"], key=str)


def test_a_response_class_s_method_names_are_moto_s_and_follow_a_method_added_later() -> None:
    # GIVEN moto's own reading of a response class's methods, and the kept one
    from moto.core import responses, utils
    from moto.sqs.responses import SQSResponse

    quicken_moto_dispatch()

    class Probe(SQSResponse):
        pass

    assert responses.method_names_from_class(Probe) == utils.method_names_from_class(Probe)
    assert responses.method_names_from_class(Probe) is responses.method_names_from_class(Probe)  # kept, not worked out again
    # WHEN the class gains an action, as emulate_ses_sending_options adds one to SES v2's
    Probe.probe_action = lambda self: "{}"  # type: ignore[attr-defined]
    # THEN the names include it, as moto's own reading does
    assert "probe_action" in responses.method_names_from_class(Probe)
    assert responses.method_names_from_class(Probe) == utils.method_names_from_class(Probe)

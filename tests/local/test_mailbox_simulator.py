"""The SES mailbox simulator in-process, with a stand-in for StatusReporter.play: which addresses get which
events, in order, after the delay, off the sending thread; failures logged; a clean stop."""

from __future__ import annotations

import logging
import threading
import time
from http import HTTPStatus
from typing import Any

import pytest

from local.providers.ses_simulator import MailboxSimulator, mailbox
from local.providers.status_reports import ReportError

WAIT_SECONDS = 10


class Played:
    """What the simulator played, and a way to wait until it played so many events."""

    def __init__(self, fail: set[str] | None = None) -> None:
        self.events: list[tuple[str, str, str, str, float]] = []
        self.fail = fail or set()
        self._changed = threading.Condition()

    def __call__(self, to: str, message_id: str, event: str, *, bounce_sub_type: str) -> dict[str, Any]:
        with self._changed:
            self.events.append((to, message_id, event, bounce_sub_type, time.monotonic()))
            self._changed.notify_all()
        if event in self.fail:
            raise ReportError(HTTPStatus.CONFLICT, "SES never accepted this message, so it sends no events for it")
        return {}

    def wait_for(self, count: int) -> list[tuple[str, str, str, str]]:
        with self._changed:
            assert self._changed.wait_for(lambda: len(self.events) >= count, WAIT_SECONDS), self.events
            return [event[:4] for event in self.events]


def email(to: str, message_id: str = "MESSAGE#1") -> dict[str, Any]:
    return {"channel": "EMAIL", "to": [to], "messageId": message_id}


@pytest.fixture
def played():
    return Played()


@pytest.fixture
def simulator(played):
    simulator = MailboxSimulator(played, delay_seconds=0)
    simulator.start()
    yield simulator
    simulator.stop()


@pytest.mark.parametrize(
    ("address", "events"),
    [
        ("success@simulator.amazonses.com", [("DELIVERY", "General")]),
        ("bounce@simulator.amazonses.com", [("BOUNCE", "General")]),
        ("ooto@simulator.amazonses.com", [("DELIVERY", "General")]),
        ("complaint@simulator.amazonses.com", [("DELIVERY", "General"), ("COMPLAINT", "General")]),
        ("suppressionlist@simulator.amazonses.com", [("BOUNCE", "Suppressed")]),
        ("bounce+test1@simulator.amazonses.com", [("BOUNCE", "General")]),
        ("Complaint+Order-42@Simulator.AmazonSES.com", [("DELIVERY", "General"), ("COMPLAINT", "General")]),
    ],
)
def test_each_simulator_address_gets_the_events_ses_publishes_in_order(simulator, played, address, events) -> None:
    simulator.on_sent(email(address))
    assert played.wait_for(len(events)) == [(address, "MESSAGE#1", event, sub_type) for event, sub_type in events]


def test_other_addresses_and_sms_get_nothing(simulator, played) -> None:
    # GIVEN sends the simulator must ignore, then one it must not
    for entry in [
        email("alice@example.com"),
        email("bounce@example.com"),
        email("bounce@simulator.amazonses.com.example.com"),
        email("nobody@simulator.amazonses.com"),
        {"channel": "SMS", "to": "+14254147755", "messageId": None},
    ]:
        simulator.on_sent(entry)
    simulator.on_sent(email("success@simulator.amazonses.com", "MESSAGE#last"))
    # THEN (events are played in order of sending) the last is the only one played
    assert played.wait_for(1) == [("success@simulator.amazonses.com", "MESSAGE#last", "DELIVERY", "General")]


@pytest.mark.parametrize(
    ("address", "name"),
    [("bounce@simulator.amazonses.com", "bounce"), ("ooto+x+y@simulator.amazonses.com", "ooto"), ("success@amazonses.com", None), ("", None)],
)
def test_mailbox_names_the_simulated_mailbox(address: str, name: str | None) -> None:
    assert mailbox(address) == name


def test_events_wait_for_the_delay_and_the_send_does_not(played) -> None:
    simulator = MailboxSimulator(played, delay_seconds=0.3)
    simulator.start()
    try:
        sent_at = time.monotonic()
        simulator.on_sent(email("success@simulator.amazonses.com"))
        returned_after = time.monotonic() - sent_at
        played.wait_for(1)
        assert returned_after < 0.3 <= played.events[0][4] - sent_at
    finally:
        simulator.stop()


def test_a_failed_event_is_logged_with_the_message_id_and_the_next_one_still_plays(caplog) -> None:
    played = Played(fail={"DELIVERY"})
    simulator = MailboxSimulator(played, delay_seconds=0)
    simulator.start()
    try:
        with caplog.at_level(logging.ERROR, logger="local.providers.ses_simulator"):
            simulator.on_sent(email("complaint@simulator.amazonses.com", "MESSAGE#7"))
            assert [event[2] for event in played.wait_for(2)] == ["DELIVERY", "COMPLAINT"]
    finally:
        simulator.stop()
    [record] = [record for record in caplog.records if record.name == "local.providers.ses_simulator"]
    assert "DELIVERY for MESSAGE#7 was not played: SES never accepted this message" in record.getMessage()
    assert "complaint@" not in record.getMessage()


def test_stopping_ends_the_thread_at_once_and_says_what_was_not_played(played, caplog) -> None:
    simulator = MailboxSimulator(played, delay_seconds=3600)
    simulator.start()
    simulator.on_sent(email("bounce@simulator.amazonses.com", "MESSAGE#1"))
    simulator.on_sent(email("success@simulator.amazonses.com", "MESSAGE#2"))
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="local.providers.ses_simulator"):
        simulator.stop()
    assert time.monotonic() - started < 5
    assert not simulator._thread.is_alive()
    assert played.events == []
    assert "the events of 2 message(s) were not played" in caplog.text

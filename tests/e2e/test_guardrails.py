"""Paused channels over HTTP: the guardrail pauses and resumes a channel (POST /local/channels, as `make
pause|resume` does in AWS; POST /local/alarms, as a critical alarm does), and the sendMessage pipeline obeys."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest

from local.launcher import running_stack
from local.operations import GET_MESSAGES
from tests.e2e.conftest import API_KEY, GENEROUS_LIMITS, LocalApi, send

STAGE = "guarded"  # the stack's own stage, so the alarm names are known: <stage>-messenger-...
_numbers = itertools.count(2000)


@pytest.fixture(scope="module")
def guarded() -> Iterator[LocalApi]:
    """A stack of its own: a channel paused here must not leak into other tests' sends."""
    with running_stack(API_KEY, {**GENEROUS_LIMITS, "STAGE": STAGE}) as stack:
        yield stack


@pytest.fixture(autouse=True)
def both_channels_running(guarded: LocalApi) -> Iterator[None]:
    yield
    for channel in ("EMAIL", "SMS"):
        guarded.local("channels", {"action": "resume", "channel": channel})


def channels(api: LocalApi, request: dict[str, Any] | None = None) -> dict[str, Any]:
    response = api.local("channels", request)
    assert response.status == 200, response.body
    states: dict[str, Any] = response.body["channels"]
    return states


def outbox_to(api: LocalApi, to: str) -> list[dict[str, Any]]:
    return [entry for entry in api.outbox() if to in entry.get("to", [entry.get("to")])]


def stored(api: LocalApi, to: str) -> list[dict[str, Any]]:
    page = api.graphql(GET_MESSAGES, {"filter": {"to": to}})
    assert not page.errors, page.errors
    messages: list[dict[str, Any]] = page.data["getMessages"]["data"]
    return messages


def test_a_paused_channel_sends_nothing_records_why_and_resume_restores_it(guarded: LocalApi, fresh_email: str) -> None:
    # GIVEN an operator paused email, saying why
    assert channels(guarded, {"action": "pause", "channel": "EMAIL", "reason": "bounce spike under investigation"})["EMAIL"]["paused"]
    # WHEN an email is sent
    paused = send(guarded, to=fresh_email, body="while paused", deliveryMethod="EMAIL").data["sendMessage"]
    # THEN it is recorded FAILED, at once, with a fixed reason, and nothing reached SES
    assert paused["deliveryStatus"] == "FAILED"
    assert paused["statusReason"] == "EMAIL sending is paused"
    assert outbox_to(guarded, fresh_email) == []
    # AND the operator's words stay with the channel's state, for operators only
    assert channels(guarded)["EMAIL"]["reason"] == "bounce spike under investigation"
    [record] = stored(guarded, fresh_email)
    assert (record["id"], record["deliveryStatus"], record["statusReason"]) == (paused["id"], "FAILED", paused["statusReason"])
    # AND SMS, not paused, still goes out
    number = f"+1415555{next(_numbers):04d}"
    assert send(guarded, to=number, body="sms still flows", deliveryMethod="SMS").data["sendMessage"]["deliveryStatus"] == "ACCEPTED"
    # WHEN the operator resumes email THEN the next email is sent
    assert channels(guarded, {"action": "resume", "channel": "EMAIL"})["EMAIL"] == {"paused": False}
    resumed = send(guarded, to=fresh_email, body="after resume", deliveryMethod="EMAIL").data["sendMessage"]
    assert resumed["deliveryStatus"] == "ACCEPTED"
    assert len(outbox_to(guarded, fresh_email)) == 1


def test_a_critical_bounce_alarm_pauses_email_until_an_operator_resumes(guarded: LocalApi, fresh_email: str) -> None:
    # WHEN the bounce-rate alarm goes critical
    response = guarded.local("alarms", {"alarm": f"{STAGE}-messenger-ses-bounce-rate-critical", "state": "ALARM"})
    assert response.status == 200, response.body
    assert response.body["channels"]["EMAIL"]["reason"] == f"alarm {STAGE}-messenger-ses-bounce-rate-critical"
    # THEN email fails at once, with the fixed reason: the alarm's name is for operators (/local/channels)
    message = send(guarded, to=fresh_email, body="hello", deliveryMethod="EMAIL").data["sendMessage"]
    assert (message["deliveryStatus"], message["statusReason"]) == ("FAILED", "EMAIL sending is paused")
    # AND the alarm returning to OK resumes nothing: that is a person's decision
    guarded.local("alarms", {"alarm": f"{STAGE}-messenger-ses-bounce-rate-critical", "state": "OK"})
    assert channels(guarded)["EMAIL"]["paused"] is True
    assert outbox_to(guarded, fresh_email) == []


def test_the_sms_spend_alarm_pauses_sms_only(guarded: LocalApi, fresh_email: str) -> None:
    guarded.local("alarms", {"alarm": f"{STAGE}-messenger-sms-spend-critical"})
    number = f"+1415555{next(_numbers):04d}"
    sms = send(guarded, to=number, body="code 123456", deliveryMethod="SMS").data["sendMessage"]
    assert (sms["deliveryStatus"], sms["statusReason"]) == ("FAILED", "SMS sending is paused")
    assert outbox_to(guarded, number) == []
    assert send(guarded, to=fresh_email, body="hello", deliveryMethod="EMAIL").data["sendMessage"]["deliveryStatus"] == "ACCEPTED"


@pytest.mark.parametrize(
    "alarm",
    [f"{STAGE}-messenger-ses-bounce-rate-warning", f"{STAGE}-messenger-delivery-errors", "other-messenger-ses-bounce-rate-critical"],
)
def test_an_alarm_that_is_not_one_of_the_stacks_guardrail_alarms_pauses_nothing(guarded: LocalApi, alarm: str) -> None:
    response = guarded.local("alarms", {"alarm": alarm, "state": "ALARM"})
    assert response.status == 200, response.body
    assert response.body["channels"] == {"EMAIL": {"paused": False}, "SMS": {"paused": False}}


@pytest.mark.parametrize(
    "request_",
    [{"action": "pause", "channel": "FAX"}, {"action": "pause"}, {"action": "shutdown", "channel": "SMS"}, {"action": "pause", "channel": "SMS", "reason": ""}],
)
def test_a_malformed_channel_request_is_refused_and_changes_nothing(guarded: LocalApi, request_: dict[str, Any]) -> None:
    response = guarded.local("channels", request_)
    assert response.status == 400 and response.body["errors"][0]["message"]
    assert channels(guarded) == {"EMAIL": {"paused": False}, "SMS": {"paused": False}}


def test_the_channel_tools_need_the_api_key(guarded: LocalApi) -> None:
    response = guarded.post("/local/channels", {"action": "pause", "channel": "SMS"}, headers={"x-api-key": "wrong"})
    assert response.status == 401
    assert channels(guarded)["SMS"] == {"paused": False}

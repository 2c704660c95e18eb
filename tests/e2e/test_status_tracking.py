"""Delivery status over HTTP: provider reports played through POST /local/events and the real status handlers."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from local.operations import GET_MESSAGES
from tests.e2e.conftest import LocalApi, send


def report(api: LocalApi, message: dict[str, Any], event: str, to: str | None = None):
    return api.local("events", {"to": to or message["to"], "messageId": message["id"], "event": event})


def current(api: LocalApi, message: dict[str, Any]) -> dict[str, Any]:
    [found] = [m for m in api.graphql(GET_MESSAGES, {"filter": {"to": message["to"]}}).data["getMessages"]["data"] if m["id"] == message["id"]]
    return found


@pytest.fixture
def email(api: LocalApi, fresh_email: str) -> dict[str, Any]:
    return send(api, to=fresh_email, body="tracked", deliveryMethod="EMAIL").data["sendMessage"]


_numbers = itertools.count(1000)


@pytest.fixture
def sms(api: LocalApi) -> dict[str, Any]:
    return send(api, to=f"+1415555{next(_numbers):04d}", body="tracked", deliveryMethod="SMS").data["sendMessage"]


@pytest.mark.parametrize(
    ("event", "status"),
    [("DELIVERY", "DELIVERED"), ("BOUNCE", "BOUNCED"), ("COMPLAINT", "COMPLAINED"), ("REJECT", "REJECTED"), ("DELIVERY_DELAY", "DELAYED")],
)
def test_every_email_event_moves_the_message_to_its_status(api: LocalApi, email: dict, event: str, status: str) -> None:
    # GIVEN an accepted email, WHEN SES reports on it through the SNS topic
    response = report(api, email, event)
    # THEN the handler found the record through the email's tags and recorded the status with its reason
    assert response.status == 200, response.body
    assert response.body["handled"]["changed"] == 1
    message = current(api, email)
    assert message["deliveryStatus"] == status and message["statusReason"]
    assert [change["status"] for change in message["statusHistory"]] == ["PENDING", "ACCEPTED", status]


@pytest.mark.parametrize(("event", "status", "reason"), [("SMS_SUCCESS", "DELIVERED", "accepted by phone carrier"), ("SMS_FAILURE", "FAILED", "unreachable")])
def test_sms_delivery_logs_move_the_message_to_its_status(api: LocalApi, sms: dict, event: str, status: str, reason: str) -> None:
    response = report(api, sms, event)
    assert response.status == 200, response.body
    assert response.body["handled"]["changed"] == 1
    message = current(api, sms)
    assert message["deliveryStatus"] == status and reason in message["statusReason"]


def test_a_late_delivery_does_not_overwrite_a_bounce(api: LocalApi, email: dict) -> None:
    report(api, email, "BOUNCE")
    late = report(api, email, "DELIVERY")
    assert late.body["handled"] == {"changed": 0, "unchanged": 1, "unmatched": 0, "ignored": 0}
    assert current(api, email)["deliveryStatus"] == "BOUNCED"


def test_a_duplicate_event_changes_nothing(api: LocalApi, email: dict) -> None:
    report(api, email, "DELIVERY")
    before = current(api, email)
    report(api, email, "DELIVERY")
    assert current(api, email) == before


@pytest.mark.parametrize("order", list(itertools.permutations(["DELIVERY_DELAY", "DELIVERY", "COMPLAINT"])))
def test_out_of_order_events_end_in_the_right_state(api: LocalApi, fresh_email: str, order: tuple[str, ...]) -> None:
    email = send(api, to=fresh_email, body="tracked", deliveryMethod="EMAIL").data["sendMessage"]
    for event in order:
        report(api, email, event)
    message = current(api, email)
    assert message["deliveryStatus"] == "COMPLAINED"
    statuses = [change["status"] for change in message["statusHistory"]]
    rank = ["PENDING", "ACCEPTED", "DELAYED", "DELIVERED", "COMPLAINED"]
    assert statuses == sorted(statuses, key=rank.index) and len(set(statuses)) == len(statuses)


def test_events_name_the_message_however_the_address_is_typed(api: LocalApi, email: dict) -> None:
    assert report(api, email, "DELIVERY", to=email["to"].upper()).status == 200
    assert current(api, email)["deliveryStatus"] == "DELIVERED"


def test_event_requests_that_cannot_apply_are_refused(api: LocalApi, email: dict, sms: dict, fresh_email: str) -> None:
    assert report(api, email, "SMS_SUCCESS").status == 400
    assert report(api, sms, "DELIVERY").status == 400
    assert report(api, email, "OPENED").status == 400
    assert report(api, {"to": "nobody." + fresh_email, "id": email["id"]}, "DELIVERY").status == 404
    assert api.local("events", {"to": email["to"]}).status == 400
    assert api.local("events", b"[not json").status == 400
    assert current(api, email)["deliveryStatus"] == "ACCEPTED"


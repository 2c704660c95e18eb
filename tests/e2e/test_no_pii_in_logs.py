"""No personal data in the logs: what the local stack and the handlers log while they send, refuse and track.

The stack's output (its own log lines and the handlers' Powertools JSON lines) is captured while emails
and SMS with distinctive addresses, numbers, subjects and bodies are sent, refused (bad input, a sender
that is not allowed, a schema error, an idempotency conflict, a foreign cursor) and tracked (provider
reports). None of those may appear in any form a careless log line would carry them: as typed, lower-
cased, percent-encoded, base64 (as in the SES tags), or a phone number in any formatting. Masked forms
(a***@example.com) are allowed. The capture is first proven to hold the handlers' lines for these very
messages, so a leak would be seen.
"""

from __future__ import annotations

import base64
import random
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import pytest

from local.operations import GET_MESSAGES
from tests.e2e.conftest import LocalApi, send

ANY_EMAIL_ADDRESS = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
# What people put between the digits of a phone number.
PHONE_SEPARATORS = r"[\s\-.()/]*"


@dataclass
class Pii:
    """Everything personal that went into the stack during the run."""

    emails: set[str] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)  # E.164
    texts: set[str] = field(default_factory=set)  # subject and body markers


def email_forms(address: str) -> set[str]:
    raw = address.encode()
    return {
        address.lower(),
        address.split("@")[0].lower(),  # the local part alone carries this run's token
        quote(address.lower(), safe=""),
        base64.urlsafe_b64encode(address.lower().encode()).decode().rstrip("="),  # the SES `recipient` tag
        base64.b64encode(raw).decode().rstrip("="),
    }


def phone_pattern(number: str) -> re.Pattern[str]:
    """The number's national digits (country code dropped) with any formatting between them."""
    national = re.sub(r"\D", "", number)[-10:]
    return re.compile(PHONE_SEPARATORS.join(national))


def email_leaks(log: str, addresses: set[str]) -> list[str]:
    found = [f"{form!r} (from {address!r})" for address in addresses for form in email_forms(address) if form.lower() in log.lower()]
    for match in ANY_EMAIL_ADDRESS.finditer(log):
        if log[match.start() - 1 : match.start()] != "*":  # a masked form, e.g. a***@example.com
            found.append(repr(match.group()))
    return found


def phone_leaks(log: str, numbers: set[str]) -> list[str]:
    return [repr(match.group()) for number in numbers for match in phone_pattern(number).finditer(log)]


def text_leaks(log: str, texts: set[str]) -> list[str]:
    return [repr(text) for text in texts if text.lower() in log.lower()]


def leaks(log: str, pii: Pii) -> list[str]:
    """Every personal datum found in `log`."""
    return email_leaks(log, pii.emails) + phone_leaks(log, pii.phones) + text_leaks(log, pii.texts)


def lines_with(log: str, found: list[str]) -> str:
    """The log lines that hold what was found, for the failure message."""
    needles = [item.split("'")[1].lower() for item in found if "'" in item]
    return "\n".join(line[:300] for line in log.splitlines() if any(needle in line.lower() for needle in needles))


def wait_for_output(api: LocalApi, start: int) -> list[str]:
    """The stack's output since `start`, once its reader thread has caught up."""
    api.get("/health")
    settled, length = time.monotonic() + 5, -1
    while len(api.output) != length and time.monotonic() < settled:
        length = len(api.output)
        time.sleep(0.2)
    return api.output[start:]


@dataclass
class Traffic:
    pii: Pii
    log: str
    accepted: list[dict[str, Any]]  # sendMessage results
    reported: list[str]  # ids of messages whose status a provider report changed
    refusals: list[dict[str, Any]]  # every refused request's first error


@pytest.fixture(scope="module")
def traffic(api: LocalApi) -> Traffic:
    """Sends, refusals and provider reports with distinctive personal data, and the stack's output meanwhile."""
    token = uuid.uuid4().hex[:10]
    digits = f"{random.randrange(1000):03d}"
    alice, bob = f"PII.Alice.{token}@Example.com", f"pii.bob.{token}@example.org"
    uk, us = f"+44 20 7946 0{digits}", f"+1 (415) 555-0{digits}"
    subject, body, other_body = f"SUBJECT{token}", f"Your code is BODY{token}", f"SMS{token}"
    pii = Pii(emails={alice, bob}, phones={uk, us}, texts={subject, body, other_body})
    start = len(api.output)
    accepted, refusals = [], []

    def sent(response) -> dict[str, Any]:
        assert response.status == 200 and not response.errors, response.errors
        accepted.append(response.data["sendMessage"])
        return accepted[-1]

    def refused(response) -> None:
        assert response.data is None and response.errors, response.body
        refusals.append(response.errors[0])

    # Sends: both channels, subject and body, an allowed sender, an idempotent send and its replay.
    email = sent(send(api, to=alice, subject=subject, body=body, deliveryMethod="EMAIL", senderId=f"shop-{token}", **{"from": "support@example.com"}))
    keyed = {"to": bob, "body": body, "deliveryMethod": "EMAIL", "idempotencyKey": f"key-{token}"}
    bounced = sent(send(api, **keyed))
    assert send(api, **keyed).data["sendMessage"]["id"] == bounced["id"]
    uk_sms = sent(send(api, to=uk, body=other_body, deliveryMethod="SMS", **{"from": "Messenger"}))
    us_sms = sent(send(api, to=us, body=other_body, deliveryMethod="SMS"))
    # Refusals: bad input, a sender that is not allowed, schema errors, a conflicting retry, a foreign cursor.
    bad_email, boss, bad_body, conflicting_body = f"pii.carol.{token}@example", f"ceo.{token}@example.com", f"BAD{token}", f"KEY{token}"
    pii.emails |= {bad_email, boss}
    pii.texts |= {bad_body, conflicting_body}
    refused(send(api, to=bad_email, body=body, deliveryMethod="EMAIL"))
    refused(send(api, to=alice, body=body, deliveryMethod="EMAIL", **{"from": boss}))
    refused(send(api, to=f"(415) 555-0{digits}", body=other_body, deliveryMethod="SMS"))
    refused(send(api, to=alice, body=f"{bad_body}\x07", deliveryMethod="EMAIL"))
    refused(send(api, to=uk, body=other_body, subject=subject, deliveryMethod="SMS"))
    refused(send(api, **{**keyed, "body": f"{conflicting_body} changed"}))
    refused(send(api, to=alice, body=body, deliveryMethod="FAX"))
    refused(send(api, to=alice, body=body, deliveryMethod="EMAIL", phone=uk))
    refused(api.graphql(GET_MESSAGES, {"filter": {"to": alice}, "first": "two"}))
    theirs = api.graphql(GET_MESSAGES, {"filter": {"to": bob}, "first": 1}).data["getMessages"]["pageInfo"]["endCursor"]
    refused(api.graphql(GET_MESSAGES, {"filter": {"to": alice}, "first": 1, "after": theirs}))
    # Reads: a history typed another way, a sender's history.
    assert api.graphql(GET_MESSAGES, {"filter": {"to": alice.upper()}}).data["getMessages"]["data"]
    assert api.graphql(GET_MESSAGES, {"filter": {"senderId": f"shop-{token}"}}).data["getMessages"]["data"]
    # Provider reports: email and SMS outcomes, and reports that cannot apply.
    reports = [(email, "DELIVERY"), (email, "COMPLAINT"), (bounced, "BOUNCE"), (uk_sms, "SMS_SUCCESS"), (us_sms, "SMS_FAILURE")]
    for message, event in reports:
        response = api.local("events", {"to": message["to"], "messageId": message["id"], "event": event})
        assert response.status == 200 and response.body["handled"]["changed"] == 1, response.body
    nobody = f"pii.dave.{token}@example.com"
    pii.emails.add(nobody)
    assert api.local("events", {"to": nobody, "messageId": email["id"], "event": "DELIVERY"}).status == 404
    assert api.local("events", {"to": uk, "messageId": uk_sms["id"], "event": "BOUNCE"}).status == 400
    log = "".join(wait_for_output(api, start))
    return Traffic(pii, log, accepted, [message["id"] for message, _ in reports], refusals)


def test_the_capture_holds_the_handlers_log_lines_for_these_messages(traffic: Traffic) -> None:
    # The delivery handler logged every send and the status handler every report (each success as its metric
    # line, which names the message): a leak from either would be seen.
    lines = traffic.log.splitlines()
    for message in traffic.accepted:
        assert any(message["id"] in line and '"Messages"' in line and '"ACCEPTED"' in line for line in lines), message["id"]
    for message_id in traffic.reported:
        assert any(message_id in line and '"StatusEvents"' in line and '"changed"' in line for line in lines), message_id
    assert len(traffic.refusals) == 10


def test_no_email_address_appears_in_the_logs(traffic: Traffic) -> None:
    found = email_leaks(traffic.log, traffic.pii.emails)
    assert found == [], lines_with(traffic.log, found)


def test_no_phone_number_appears_in_the_logs_in_any_formatting(traffic: Traffic) -> None:
    found = phone_leaks(traffic.log, traffic.pii.phones)
    assert found == [], lines_with(traffic.log, found)


def test_no_subject_or_body_appears_in_the_logs(traffic: Traffic) -> None:
    found = text_leaks(traffic.log, traffic.pii.texts)
    assert found == [], lines_with(traffic.log, found)


@pytest.mark.parametrize(
    "line",
    [
        '{"message": "sent", "to": "pii.alice.t0k3n@example.com"}',
        "delivering to PII.ALICE.T0K3N@EXAMPLE.COM",
        "user=pii.alice.t0k3n",
        "to=pii.alice.t0k3n%40example.com",
        "tags=[{'Name': 'recipient', 'Value': 'cGlpLmFsaWNlLnQwazNuQGV4YW1wbGUuY29t'}]",
        "from support@example.com",
        "phone +14155550123",
        "phone (415) 555-0123",
        "phone 415.555.0123",
        "PhoneNumber: +1 415 555 0123",
        "subject SUBJECTt0k3n",
        "body='Your code is BODYt0k3n'",
    ],
)
def test_the_leak_detector_finds_every_form_of_a_leak(line: str) -> None:
    pii = Pii(emails={"PII.Alice.t0k3n@Example.com"}, phones={"+1 (415) 555-0123"}, texts={"SUBJECTt0k3n", "BODYt0k3n"})
    assert leaks(f"2026-11-25 12:00:00,000 local INFO {line}\n", pii)


@pytest.mark.parametrize("line", ['{"message_id": "MESSAGE#01M89C5VGMNYYERF38DMR3FWYJ", "to": "p***@e***.com"}', "phone +1******0123", "request 2026-11-25 14:15:55 id 4155"])
def test_the_leak_detector_lets_masked_forms_and_ids_pass(line: str) -> None:
    pii = Pii(emails={"PII.Alice.t0k3n@Example.com"}, phones={"+1 (415) 555-0123"}, texts={"SUBJECTt0k3n"})
    assert leaks(line, pii) == []

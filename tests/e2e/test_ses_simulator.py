"""SES's mailbox simulator in the local stack: mail to its addresses ends in the status SES's events give it,
with nobody playing an event, through the real status handler."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from local.launcher import running_stack
from local.operations import GET_MESSAGES
from tests.e2e.conftest import API_KEY, LocalApi, send

WAIT_SECONDS = 30
_labels = itertools.count()


@pytest.fixture(scope="module")
def simulated() -> Iterator[LocalApi]:
    """A stack that plays the simulator's events at once (the default waits a second)."""
    with running_stack(API_KEY, {"SES_SIMULATOR_DELAY_SECONDS": "0"}) as stack:
        yield stack


def labelled(mailbox: str) -> str:
    """A simulator address of its own (a +label), so each test reads its own history."""
    return f"{mailbox}+t{next(_labels)}.{time.time_ns()}@simulator.amazonses.com"


def message(api: LocalApi, sent: dict[str, Any]) -> dict[str, Any]:
    [found] = [m for m in api.graphql(GET_MESSAGES, {"filter": {"to": sent["to"]}}).data["getMessages"]["data"] if m["id"] == sent["id"]]
    return found


def wait_until(check: Callable[[], dict[str, Any] | None], what: str) -> dict[str, Any]:
    """Ask again until `check` answers (the stack plays the events on its own thread), for at most WAIT_SECONDS."""
    deadline = time.monotonic() + WAIT_SECONDS
    while (found := check()) is None:
        assert time.monotonic() < deadline, f"not within {WAIT_SECONDS}s: {what}"
        time.sleep(0.05)
    return found


def status_becomes(api: LocalApi, sent: dict[str, Any], status: str) -> dict[str, Any]:
    def check() -> dict[str, Any] | None:
        found = message(api, sent)
        return found if found["deliveryStatus"] == status else None

    return wait_until(check, f"{sent['to']} {status}")


def email_to(api: LocalApi, to: str) -> dict[str, Any]:
    response = send(api, to=to, subject="Simulated", body="hello", deliveryMethod="EMAIL")
    assert not response.errors, response.errors
    return response.data["sendMessage"]


@pytest.mark.parametrize(
    ("mailbox", "final", "seen", "reason"),
    [
        ("success", "DELIVERED", ["DELIVERED"], "Delivered to the recipient's mail server"),
        ("ooto", "DELIVERED", ["DELIVERED"], "Delivered to the recipient's mail server"),
        ("bounce", "BOUNCED", ["BOUNCED"], "Permanent bounce (General)"),
        ("suppressionlist", "BOUNCED", ["BOUNCED"], "Permanent bounce (Suppressed)"),
        ("complaint", "COMPLAINED", ["DELIVERED", "COMPLAINED"], "marked the email as spam"),
    ],
)
def test_mail_to_a_simulator_address_ends_as_ses_reports_it(simulated: LocalApi, mailbox: str, final: str, seen: list, reason: str) -> None:
    # GIVEN an email to a simulator mailbox (with a +label), accepted by SES
    sent = email_to(simulated, labelled(mailbox))
    assert sent["deliveryStatus"] in ("ACCEPTED", *seen)
    # WHEN nobody plays an event, THEN the simulator's events move it to its final status through the handler
    done = status_becomes(simulated, sent, final)
    statuses = [change["status"] for change in done["statusHistory"]]
    assert statuses[0] == "PENDING" and statuses[-len(seen):] == seen
    assert reason in done["statusReason"]


def test_the_label_and_the_case_of_the_address_do_not_matter(simulated: LocalApi) -> None:
    sent = email_to(simulated, f"Bounce+Order-{time.time_ns()}@Simulator.AmazonSES.com")
    status_becomes(simulated, sent, "BOUNCED")


def test_other_addresses_and_sms_get_no_events(simulated: LocalApi, fresh_email: str) -> None:
    # GIVEN an email to an ordinary address, an SMS, and after them an email to success@
    ordinary = email_to(simulated, fresh_email)
    sms = send(simulated, to="+14254147755", body="hello", deliveryMethod="SMS").data["sendMessage"]
    last = email_to(simulated, labelled("success"))
    # WHEN the simulator has played the last one's events (it plays them in the order of sending)
    status_becomes(simulated, last, "DELIVERED")
    # THEN nothing was played for the others
    assert message(simulated, ordinary)["deliveryStatus"] == "ACCEPTED"
    assert message(simulated, sms)["deliveryStatus"] == "ACCEPTED"


def test_with_a_long_delay_the_send_answers_at_once_and_nothing_is_played_yet() -> None:
    with running_stack(API_KEY, {"SES_SIMULATOR_DELAY_SECONDS": "3600"}) as stack:
        assert "gets its events after 3600s" in "".join(stack.output)
        started = time.monotonic()
        sent = email_to(stack, labelled("bounce"))
        assert time.monotonic() - started < 10
        assert sent["deliveryStatus"] == "ACCEPTED"
        assert [change["status"] for change in message(stack, sent)["statusHistory"]] == ["PENDING", "ACCEPTED"]
    # Stopping the stack with events still waiting stops the simulator too, and says so (the output is read on
    # a thread of its own: wait for the stack's last line).
    wait_until(lambda: {} if "local stack stopped" in "".join(stack.output) else None, "the stack's last line")
    assert "the events of 1 message(s) were not played" in "".join(stack.output)

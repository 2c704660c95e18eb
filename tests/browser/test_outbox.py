"""The console's outbox in a real browser: which message it shows when it opens, each message's delivery status
kept current on its row, the search, clearing it, and how the console writes a moment."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from local.launcher import LocalStackProcess
from local.operations import SEND_MESSAGE
from tests.browser.conftest import unique
from tests.e2e.conftest import history

expect = pytest.importorskip("playwright.sync_api").expect
ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")


def send(console: LocalStackProcess, **message_input: str) -> dict[str, Any]:
    sent = console.graphql(SEND_MESSAGE, {"input": {"deliveryMethod": "EMAIL", "body": "hello", **message_input}}, key=console.live_key)
    assert not sent.errors, sent.errors
    message: dict[str, Any] = sent.data["sendMessage"]
    return message


def open_outbox(page: Any, console: LocalStackProcess) -> None:
    page.goto(console.base_url + "/")
    expect(page.locator("#stream-state")).to_have_text("live")


def test_the_newest_message_is_selected_and_in_view_when_the_outbox_opens(console: LocalStackProcess, page: Any) -> None:
    # GIVEN more messages than the list shows at once, the last one sent last
    batch = unique("batch")
    for number in range(12):
        send(console, to=f"{batch}.{number}@example.com", subject=f"{batch} number {number}")
    # WHEN the outbox opens
    open_outbox(page, console)
    expect(page.locator(".outbox-item", has_text=f"{batch}.11@")).to_be_visible()
    # THEN the newest is selected: the top row, in view, and shown in the detail
    selected = page.locator('.outbox-item[aria-current="true"]')
    expect(selected).to_have_count(1)
    expect(selected).to_contain_text(f"{batch}.11@example.com")
    expect(page.locator(".outbox-item").first).to_have_attribute("aria-current", "true")
    expect(selected).to_be_in_viewport()
    expect(page.locator("#outbox-detail h3")).to_have_text(f"{batch} number 11")
    # AND the oldest of them is further down, out of view
    expect(page.locator(".outbox-item", has_text=f"{batch}.0@")).not_to_be_in_viewport()
    # WHEN the developer picks one, a newer send no longer takes the detail away from it
    page.locator(".outbox-item", has_text=f"{batch}.3@").click()
    send(console, to=f"{batch}.later@example.com", subject="later")
    expect(page.locator(".outbox-item").first).to_contain_text(f"{batch}.later@")
    expect(page.locator("#outbox-detail h3")).to_have_text(f"{batch} number 3")


def test_each_row_shows_its_records_status_and_follows_it_live(console: LocalStackProcess, page: Any) -> None:
    open_outbox(page, console)
    page.evaluate("window.notReloaded = true")
    # GIVEN an email and an SMS accepted by SES and SNS
    to = unique("status") + "@example.com"
    email = send(console, to=to, subject="Status")
    number = f"+1415556{time.time_ns() % 10000:04d}"
    text = unique("sms text ")
    sms = send(console, to=number, body=text, deliveryMethod="SMS")
    email_status = page.locator(".outbox-item", has_text=to).locator(".outbox-status .badge")
    sms_status = page.locator(".outbox-item", has_text=text).locator(".outbox-status .badge")
    expect(email_status).to_have_text("ACCEPTED")
    expect(sms_status).to_have_text("ACCEPTED")
    # WHEN SES reports a bounce, and the carrier a delivery
    assert console.local("events", {"to": to, "messageId": email["id"], "event": "BOUNCE"}).status == 200
    assert console.local("events", {"to": number, "messageId": sms["id"], "event": "SMS_SUCCESS"}).status == 200
    # THEN each row follows its record, with no reload, and says why on hover
    expect(email_status).to_have_text("BOUNCED")
    expect(sms_status).to_have_text("DELIVERED")
    expect(page.locator(".outbox-item", has_text=to).locator(".outbox-status")).to_have_attribute("title", re.compile("Permanent bounce"))
    assert page.evaluate("window.notReloaded") is True
    # AND mail to SES's bounce simulator ends BOUNCED on its row, with nobody playing an event
    simulated = f"bounce+{unique('row')}@simulator.amazonses.com"
    send(console, to=simulated)
    expect(page.locator(".outbox-item", has_text=simulated).locator(".outbox-status .badge")).to_have_text("BOUNCED")


def test_the_search_narrows_the_list_as_it_is_typed(console: LocalStackProcess, page: Any) -> None:
    # GIVEN messages that name a word in their recipient, their subject or their body, and one that does not
    word = unique("needle")
    by_recipient = send(console, to=f"{word}@example.com", subject="Invoice")
    by_subject = send(console, to=f"{unique('a')}@example.com", subject=f"About {word.upper()}")
    by_body = send(console, to=f"{unique('b')}@example.com", subject="Hello", body=f"the {word} is here")
    other = send(console, to=f"{unique('c')}@example.com", subject="Unrelated")
    open_outbox(page, console)
    expect(page.locator(".outbox-item", has_text=other["to"])).to_be_visible()
    shown = page.locator(".outbox-item:visible")
    search = page.get_by_label("Search the outbox")
    # WHEN the word is typed, a key at a time (in another case than one of them has it)
    search.press_sequentially(word.upper())
    # THEN the three that hold it are shown, newest first, and nothing else
    expect(shown).to_have_count(3)
    expect(shown.locator(".outbox-to")).to_have_text([by_body["to"], by_subject["to"], by_recipient["to"]])
    # AND a search that matches nothing says so; an empty one shows everything again
    search.fill(f"{word} nowhere")
    expect(shown).to_have_count(0)
    expect(page.locator("#outbox-no-match")).to_contain_text(f"{word} nowhere")
    search.fill("")
    expect(page.locator(".outbox-item", has_text=other["to"])).to_be_visible()
    expect(page.locator("#outbox-no-match")).to_be_hidden()


def test_clearing_the_outbox_empties_it_in_every_tab_and_keeps_the_records(console: LocalStackProcess, context: Any) -> None:
    # GIVEN two tabs on the outbox, and a message in it
    first, second = context.new_page(), context.new_page()
    open_outbox(first, console)
    open_outbox(second, console)
    to = unique("cleared") + "@example.com"
    message = send(console, to=to, subject="Before the clear")
    for tab in (first, second):
        expect(tab.locator(".outbox-item", has_text=to)).to_be_visible()
    # WHEN one tab clears the outbox
    first.get_by_role("button", name="Clear outbox").click()
    # THEN both lists are empty, and so is the stack's outbox
    for tab in (first, second):
        expect(tab.locator(".outbox-item")).to_have_count(0)
        expect(tab.locator("#outbox-empty")).to_be_visible()
    expect(first.locator("#outbox-status")).to_contain_text("their records stay")
    assert console.outbox() == []
    # AND the record stays, and SES's report on the cleared email still reaches it
    [record] = history(console, to, key=console.live_key)
    assert record["id"] == message["id"]
    assert console.local("events", {"to": to, "messageId": message["id"], "event": "DELIVERY"}).status == 200
    assert history(console, to, key=console.live_key)[0]["deliveryStatus"] == "DELIVERED"
    # AND the next send appears in both tabs, selected, with its status
    after = unique("after") + "@example.com"
    send(console, to=after, subject="After the clear")
    for tab in (first, second):
        expect(tab.locator(".outbox-item")).to_have_count(1)
        expect(tab.locator('.outbox-item[aria-current="true"]')).to_contain_text(after)
        expect(tab.locator(".outbox-item .outbox-status .badge")).to_have_text("ACCEPTED")


def afternoon_zone() -> str:
    """A fixed-offset time zone in which it is now mid-afternoon, so that a 12-hour clock would differ."""
    offset = (17 - datetime.now(UTC).hour + 12) % 24 - 12
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"  # POSIX signs: Etc/GMT-5 is five hours ahead of UTC


def shown_as(moment: Any, zone: str) -> None:
    """The moment is written in ISO 8601's order, on a 24-hour clock, in the browser's time zone."""
    iso = moment.get_attribute("datetime")
    expected = datetime.fromisoformat(iso).astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M:%S")
    assert 13 <= int(expected[11:13]) <= 23, expected
    expect(moment).to_have_text(expected)
    assert ISO_MOMENT.fullmatch(moment.inner_text())


def test_every_moment_is_written_in_iso_order_on_a_24_hour_clock(console: LocalStackProcess, new_context: Callable[..., Any]) -> None:
    # GIVEN a browser in the United States' locale (a 12-hour clock by default) in a zone where it is afternoon
    zone = afternoon_zone()
    page = new_context(locale="en-US", timezone_id=zone).new_page()
    open_outbox(page, console)
    to = unique("clock") + "@example.com"
    send(console, to=to, subject="What time is it")
    # THEN the outbox row and the detail, and the history's timeline, write the moment as 2026-06-12 17:56:17
    shown_as(page.locator(".outbox-item", has_text=to).locator("time"), zone)
    expect(page.locator('.outbox-item[aria-current="true"]')).to_contain_text(to)
    shown_as(page.locator("#outbox-detail time"), zone)
    page.locator("#outbox-detail").get_by_role("link", name="Status history").click()
    moments = page.locator("li.message .timeline time")
    expect(moments).to_have_count(2)
    for index in range(2):
        shown_as(moments.nth(index), zone)

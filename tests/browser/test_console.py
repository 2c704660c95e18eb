"""The console in a real browser, against a real local stack: what a developer does with it."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from local.launcher import LocalStackProcess
from local.operations import SEND_MESSAGE
from tests.browser.conftest import unique

# Installed from uv.lock; without it the tests skip (conftest.py says why) rather than fail to import.
expect = pytest.importorskip("playwright.sync_api").expect


def fill_send_form(page: Any, **fields: str) -> None:
    if fields.pop("deliveryMethod", "EMAIL") == "SMS":
        page.get_by_label("SMS", exact=True).check()
    labels = {"to": "To", "from": "From", "subject": "Subject", "body": "Body"}
    for name, value in fields.items():
        page.get_by_label(labels[name], exact=False).first.fill(value)
    page.get_by_role("button", name="Send", exact=True).click()


def test_a_send_through_the_form_appears_in_the_outbox_live_and_bounce_moves_its_timeline(console: LocalStackProcess, context: Any) -> None:
    # GIVEN the console open on its outbox, and the page marked so that a reload would show
    outbox = context.new_page()
    outbox.goto(console.base_url + "/")
    expect(outbox.locator("#stream-state")).to_have_text("live")
    outbox.evaluate("window.notReloaded = true")
    # WHEN an email is sent through the form, in another tab
    to = unique("reader") + "@example.com"
    sender = context.new_page()
    sender.goto(console.base_url + "/#send")
    fill_send_form(sender, to=to, subject="Your order shipped", body="Hello from the form")
    expect(sender.locator("#send-result .badge")).to_have_text("ACCEPTED")
    # THEN it appears in the first tab's outbox, with no reload
    entry = outbox.locator(".outbox-item", has_text=to)
    expect(entry).to_be_visible()
    assert outbox.evaluate("window.notReloaded") is True
    entry.click()
    detail = outbox.locator("#outbox-detail")
    expect(detail.locator("h3")).to_have_text("Your order shipped")
    expect(detail).to_contain_text("local-messenger-messages")
    expect(detail.locator("pre.email-text")).to_have_text("Hello from the form")
    # AND its HTML part is in a frame with no permissions at all
    frame = detail.locator("iframe.email-html")
    assert frame.get_attribute("sandbox") == ""
    expect(outbox.frame_locator("#outbox-detail iframe.email-html").locator("body")).to_contain_text("Hello from the form")
    # WHEN its history is opened and SES's BOUNCE is played on it
    detail.get_by_role("link", name="Status history").click()
    card = outbox.locator("li.message")
    expect(card).to_have_count(1)
    expect(card.locator(".message-head .badge")).to_have_text("ACCEPTED")
    card.get_by_role("button", name="BOUNCE", exact=True).click()
    # THEN its timeline moves on to BOUNCED, with the bounce's reason
    expect(card.locator(".timeline li")).to_have_count(3)
    expect(card.locator(".timeline li").last).to_contain_text("BOUNCED")
    expect(card.locator(".timeline li").last).to_contain_text("Permanent bounce")
    expect(card.locator(".message-head .badge")).to_have_text("BOUNCED")


def test_mail_to_the_bounce_simulator_ends_bounced_with_nobody_playing_an_event(console: LocalStackProcess, page: Any) -> None:
    page.goto(console.base_url + "/#send")
    fill_send_form(page, to=f"bounce+{unique('b')}@simulator.amazonses.com", body="Will this bounce?")
    expect(page.locator("#send-result .badge")).to_have_text("ACCEPTED")
    page.locator("#send-result").get_by_role("link", name="Status history").click()
    card = page.locator("li.message")
    expect(card.locator(".message-head .badge")).to_have_text("BOUNCED")
    expect(card.locator(".timeline li").last).to_contain_text("Permanent bounce (General)")


def test_a_validation_error_is_shown_against_its_field(console: LocalStackProcess, page: Any) -> None:
    page.goto(console.base_url + "/#send")
    fill_send_form(page, to="not-an-address", body="hello")
    to = page.get_by_label("To", exact=True)
    expect(page.locator("#send-to-error")).to_have_text("input.to: must be a valid email address (rule: email)")
    expect(to).to_have_attribute("aria-invalid", "true")
    expect(to).to_be_focused()
    # AND a second mistake, on another field, moves the mark there
    fill_send_form(page, deliveryMethod="SMS", to="+14155550100", **{"from": "Nope1"}, body="hello")
    expect(page.locator("#send-from-error")).to_contain_text("is not one of the allowed SMS sender IDs")
    expect(page.locator("#send-to-error")).to_be_hidden()
    expect(to).not_to_have_attribute("aria-invalid", "true")


def test_an_sms_is_shown_as_a_phone_shows_it_with_its_segments(console: LocalStackProcess, page: Any) -> None:
    page.goto(console.base_url + "/")
    expect(page.locator("#stream-state")).to_have_text("live")
    number = f"+1415555{time.time_ns() % 10000:04d}"
    body = "Привет! " * 9  # Cyrillic: UCS-2, 72 code units
    sent = console.graphql(SEND_MESSAGE, {"input": {"to": number, "from": "Messenger", "body": body, "deliveryMethod": "SMS"}}, key=console.live_key)
    assert not sent.errors, sent.errors
    page.locator(".outbox-item", has_text=number).first.click()
    phone = page.locator("#outbox-detail .phone")
    expect(phone.locator(".sender-id")).to_have_text("Messenger")
    expect(phone.locator(".number")).to_have_text(number)
    expect(page.locator("#outbox-detail .segments")).to_have_text("2 segments, UCS-2 (72 UTF-16 code units)")


def test_a_history_is_read_a_page_at_a_time(console: LocalStackProcess, page: Any) -> None:
    # GIVEN three messages from one sender
    sender = unique("shop-")
    for number in range(3):
        sent = console.graphql(SEND_MESSAGE, {"input": {"to": f"{sender}.{number}@example.com", "body": f"m{number}", "deliveryMethod": "EMAIL", "senderId": sender}}, key=console.live_key)
        assert not sent.errors, sent.errors
    # WHEN its history is opened two at a time, THEN getMessages' paging shows two, then the third on demand
    page.goto(f"{console.base_url}/#messages?senderId={sender}&first=2")
    expect(page.locator("li.message")).to_have_count(2)
    expect(page.locator("#history-status")).to_have_text(f"2 messages from sender {sender}, more to load")
    page.get_by_role("button", name="Load more").click()
    expect(page.locator("li.message")).to_have_count(3)
    expect(page.get_by_role("button", name="Load more")).to_be_hidden()
    expect(page.locator("li.message .body")).to_have_text(["m0", "m1", "m2"])


def test_the_explorer_runs_a_query(console: LocalStackProcess, page: Any) -> None:
    # A browser opening /graphql is taken to the explorer, with the schema loaded and the documents ready
    page.goto(console.base_url + "/graphql")
    assert page.url.endswith("/#explorer")
    # The schema came from the local API: the documentation explorer lists its root types
    page.get_by_role("button", name="Show Documentation Explorer").click()
    docs = page.get_by_role("region", name="Documentation Explorer")
    expect(docs.locator(".graphiql-doc-explorer-root-type")).to_have_text(["query", "mutation", "subscription"])
    expect(docs.get_by_role("link", name="Mutation", exact=True)).to_be_visible()
    page.locator(".graphiql-execute-button").click()
    expect(page.locator(".graphiql-response")).to_contain_text('"getMessages"')
    expect(page.locator(".graphiql-response")).to_contain_text('"hasNextPage": false')


def test_the_console_works_from_the_keyboard(console: LocalStackProcess, page: Any) -> None:
    page.goto(console.base_url + "/")
    # Tab: the skip link, then the views; Enter opens one
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to the content")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Messages")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#view-messages")).to_be_visible()
    page.get_by_label("Recipient or sender id").focus()
    page.keyboard.type("nobody@example.com")
    page.keyboard.press("Enter")
    expect(page.locator("#history-status")).to_have_text("0 messages to nobody@example.com")


def test_a_channel_is_paused_and_resumed_from_the_console(console: LocalStackProcess, page: Any) -> None:
    page.goto(console.base_url + "/#channels")
    expect(page.locator("#stream-state")).to_have_text("live")
    row = page.locator("tr[data-channel=SMS]")
    reason = row.get_by_label("Reason to pause SMS")
    reason.fill("carrier outage drill")
    # WHILE the reason is being typed, another client writes to the table and the page reads the channels again
    with page.expect_response(lambda response: response.url.endswith("/local/channels") and response.request.method == "GET"):
        sent = console.graphql(SEND_MESSAGE, {"input": {"to": f"{unique('live')}@example.com", "body": "hello", "deliveryMethod": "EMAIL"}}, key=console.live_key)
        assert not sent.errors, sent.errors
    # THEN what was typed is still there, and still focused
    expect(reason).to_have_value("carrier outage drill")
    expect(reason).to_be_focused()
    row.get_by_role("button", name="Pause SMS").click()
    expect(page.locator("#channel-summary")).to_contain_text("SMS paused")
    expect(row).to_contain_text("carrier outage drill")
    # AND since when, as every moment in the console is written (tests/browser/test_outbox.py)
    expect(row.locator("time")).to_have_text(re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}"))
    row.get_by_role("button", name="Resume SMS").click()
    expect(page.locator("#channel-summary")).to_contain_text("SMS active")
    assert console.local("channels").body["channels"]["SMS"]["paused"] is False


def test_the_test_key_sends_nothing_and_its_messages_are_seen_with_it_alone(console: LocalStackProcess, page: Any) -> None:
    # GIVEN the console switched to the local client's TEST key
    page.goto(console.base_url + "/#send")
    page.get_by_label("API key mode").select_option("TEST")
    sent_before = len(console.outbox())
    # WHEN an email to the bounce simulator is sent through the form
    to = f"bounce+{unique('t')}@simulator.amazonses.com"
    fill_send_form(page, to=to, body="Only a test")
    expect(page.locator("#send-result .badge")).to_have_text("ACCEPTED")
    # THEN its history, read with the TEST key, ends BOUNCED as SES would report it, and nothing reached SES
    page.locator("#send-result").get_by_role("link", name="Status history").click()
    card = page.locator("li.message")
    expect(card.locator(".message-head .badge")).to_have_text("BOUNCED")
    expect(card.locator(".timeline li").last).to_contain_text("simulated for a TEST key")
    assert len(console.outbox()) == sent_before
    test_message_id = card.get_attribute("data-id")
    # AND with the LIVE key, after a reload (the choice is kept), the same mailbox's history (which holds the
    # LIVE messages to other bounce+ variants of it, from earlier tests) does not show the TEST message
    page.reload()
    expect(page.get_by_label("API key mode")).to_have_value("TEST")
    page.get_by_label("API key mode").select_option("LIVE")
    expect(page.locator("#history-status")).to_have_text(re.compile(r"^\d+ messages? to bounce\+"))
    expect(page.locator(f'li.message[data-id="{test_message_id}"]')).to_have_count(0)
    expect(page.locator("li.message", has_text="Only a test")).to_have_count(0)

"""The console's webhooks view in a real browser, against a real local stack and a real receiver on loopback."""

from __future__ import annotations

import json
import random
import re
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from local.launcher import LocalStackProcess
from tests.webhook_receivers import failing_first, receiving

# Installed from uv.lock; without it the tests skip (conftest.py says why) rather than fail to import.
expect = pytest.importorskip("playwright.sync_api").expect
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def local_aws(console: LocalStackProcess) -> dict[str, Any]:
    """How a client reaches the stack's moto."""
    return {"region_name": "eu-central-1", "endpoint_url": console.aws_endpoint, "aws_access_key_id": console.access_key_id, "aws_secret_access_key": console.secret_access_key}


def publish(console: LocalStackProcess, webhook_id: str) -> dict[str, Any]:
    """What the event publisher does for a status change of the endpoint's client: record it, queue its delivery."""
    table = boto3.client("dynamodb", **local_aws(console))
    [endpoint] = table.scan(TableName="local-messages", FilterExpression="SK = :sk", ExpressionAttributeValues={":sk": {"S": f"WEBHOOK#{webhook_id}"}})["Items"]
    _, client_id, mode = endpoint["PK"]["S"].split("#")
    now = datetime.now(UTC)
    value = (int(now.timestamp() * 1000) << 80) | random.getrandbits(80)
    event_id = "".join(CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))
    at = now.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    event = {"id": event_id, "messageId": f"MESSAGE#{event_id}", "senderId": None, "status": "DELIVERED", "reason": "Delivered", "at": at, "clientId": client_id, "mode": mode}
    item = {name: {"S": value} for name, value in event.items() if value is not None}
    table.put_item(TableName="local-messages", Item={"PK": {"S": f"EVENT#{client_id}#{mode}"}, "SK": {"S": event_id}, **item})
    sqs = boto3.client("sqs", **local_aws(console))
    url = sqs.get_queue_url(QueueName="local-messenger-webhook-deliveries")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"webhookId": webhook_id, "eventId": event_id, "event": event, "attempt": 1}))
    return event


def test_an_endpoint_made_in_the_console_shows_its_events_and_attempts_live_and_replays(console: LocalStackProcess, page: Any) -> None:
    with receiving(failing_first(1)) as receiver:
        # GIVEN the webhooks view, as the local client's LIVE key
        page.goto(console.base_url + "/#webhooks")
        expect(page.locator("#stream-state")).to_have_text("live")
        expect(page.locator("#key-mode")).to_have_value("LIVE")
        # WHEN an endpoint is created for a receiver on loopback
        page.get_by_label("Endpoint URL").fill(receiver.url)
        page.get_by_role("button", name="Create endpoint").click()
        # THEN its secret is shown once, and it is listed, active
        secret = page.locator("#webhook-secret .secret-value")
        expect(secret).to_have_text(secret_form("whsec_"))
        row = page.locator("#webhooks-rows tr")
        expect(row).to_have_count(1)
        expect(row).to_contain_text("active")
        webhook_id = row.get_attribute("data-webhook")
        assert webhook_id
        # WHEN one of the client's statuses changes, and the receiver fails the first attempt
        event = publish(console, webhook_id)
        # THEN the view shows the event live: the failed attempt, then the delivered one
        card = page.locator(f"li.webhook-event[data-event='{event['id']}']")
        expect(card.locator(".timeline li")).to_have_count(2)
        expect(card.locator(".message-head .badge")).to_have_text("delivered")
        expect(card.locator(".timeline li").nth(1)).to_contain_text("the endpoint answered 500")
        # WHEN it is replayed from the console
        card.get_by_role("button", name="Replay").click()
        # THEN a third attempt of the same event arrives, signed with the secret the console showed
        expect(card.locator(".timeline li")).to_have_count(3)
        expect(card.locator(".timeline li").first).to_contain_text("#3")
        requests = receiver.wait_for(3)
        assert {request.webhook_id for request in requests} == {event["id"]}
        assert requests[-1].verified(secret.inner_text())["data"]["id"] == event["id"]
        # AND the endpoint is the LIVE key's: with the TEST key, the view shows none
        page.locator("#key-mode").select_option("TEST")
        expect(page.locator("#webhooks-rows tr")).to_have_count(0)
        expect(page.locator("#webhooks-status")).to_have_text("0 endpoints")


def secret_form(prefix: str) -> re.Pattern[str]:
    return re.compile(rf"^{re.escape(prefix)}[A-Za-z0-9+/]{{43}}=$")

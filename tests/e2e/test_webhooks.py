"""Webhooks end to end on the local stack (`python -m local`): endpoints made through the API with client keys, the
sender running for real on its moto queue to receivers on loopback, on a compressed retry schedule. Each delivery
is verified with the Standard Webhooks reference library (`standardwebhooks`), as a receiver verifies it.

The real event publisher (the table's stream) queues a delivery for each status change and matching endpoint, as
the last test shows; the others play it, writing the events it would write (EVENT#<client>#<mode>) and queueing
the deliveries it would queue, in its shape, so that each controls exactly what is sent.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import random
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from local.launcher import running_stack
from local.operations import (
    CREATE_WEBHOOK,
    REPLAY_WEBHOOK_EVENT,
    ROTATE_WEBHOOK_SECRET,
    WEBHOOK_ATTEMPTS,
    WEBHOOKS,
)
from tests.e2e.conftest import API_KEY, LocalApi
from tests.e2e.test_clients import Client, make_client, send_as
from tests.e2e.test_events import feed_until
from tests.webhook_receivers import always, failing_first, receiving

# Seven attempts, as the real schedule has, a second apart.
SCHEDULE = "0,1,1,1,1,1,1"
ATTEMPTS = len(SCHEDULE.split(","))
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


@pytest.fixture(scope="module")
def api() -> Iterator[LocalApi]:
    with running_stack(API_KEY, {"WEBHOOK_RETRY_SCHEDULE_SECONDS": SCHEDULE}) as stack:
        yield stack


@pytest.fixture
def client(api: LocalApi) -> Client:
    return make_client(api, "webhook shop")


def sqs(api: LocalApi) -> Any:
    return boto3.client("sqs", region_name="eu-central-1", endpoint_url=api.aws_endpoint, aws_access_key_id=api.access_key_id, aws_secret_access_key=api.secret_access_key)


def queue_url(api: LocalApi) -> str:
    url: str = sqs(api).get_queue_url(QueueName="local-messenger-webhook-deliveries")["QueueUrl"]
    return url


def create_webhook(api: LocalApi, key: str, url: str, events: list[str] | None = None) -> dict[str, Any]:
    answer = api.graphql(CREATE_WEBHOOK, {"input": {"url": url, "events": events}}, key=key)
    assert not answer.errors, answer.errors
    created: dict[str, Any] = answer.data["createWebhook"]
    return created


def event_id(rng: random.Random, at: datetime) -> str:
    """A ULID, as the publisher's event ids are (its time the event's; the rest from the test's generator)."""
    value = (int(at.timestamp() * 1000) << 80) | rng.getrandbits(80)
    return "".join(CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


def new_event(rng: random.Random, client_id: str, mode: str = "LIVE", status: str = "DELIVERED") -> dict[str, Any]:
    at = datetime.now(UTC) - timedelta(seconds=1)
    return {
        "id": event_id(rng, at),
        "messageId": f"MESSAGE#{event_id(rng, at)}",
        "senderId": "shop-1",
        "status": status,
        "reason": "Delivered to the recipient's mail server",
        "at": at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "clientId": client_id,
        "mode": mode,
    }


def publish(api: LocalApi, deliveries: list[tuple[str, dict[str, Any]]], record: bool = False) -> None:
    """What the event publisher does for each (endpoint, event): record the event (its feed), queue attempt 1."""
    if record:
        table = boto3.resource("dynamodb", region_name="eu-central-1", endpoint_url=api.aws_endpoint, aws_access_key_id=api.access_key_id, aws_secret_access_key=api.secret_access_key).Table("local-messages")
        for _, event in deliveries:
            table.put_item(Item={"PK": f"EVENT#{event['clientId']}#{event['mode']}", "SK": event["id"], **event})
    queue, url = sqs(api), queue_url(api)
    for start in range(0, len(deliveries), 10):
        entries = [
            {"Id": str(n), "MessageBody": json.dumps({"webhookId": webhook_id, "eventId": event["id"], "event": event, "attempt": 1})}
            for n, (webhook_id, event) in enumerate(deliveries[start : start + 10])
        ]
        assert not queue.send_message_batch(QueueUrl=url, Entries=entries).get("Failed")


def drained(api: LocalApi, timeout: float = 60.0) -> None:
    """Until the webhook queue holds nothing, visible, in flight or delayed (every attempt made and followed up)."""
    queue, url = sqs(api), queue_url(api)
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"]
    deadline = time.monotonic() + timeout
    quiet_since = None
    while time.monotonic() < deadline:
        counts = queue.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
        if all(int(counts[name]) == 0 for name in names):
            quiet_since = quiet_since or time.monotonic()
            if time.monotonic() - quiet_since > 0.5:
                return
        else:
            quiet_since = None
        time.sleep(0.1)
    raise AssertionError(f"the webhook queue was not drained within {timeout} s")


def attempts(api: LocalApi, key: str, webhook_id: str) -> list[dict[str, Any]]:
    """Every attempt webhookAttempts lists, newest first, following the cursors."""
    found: list[dict[str, Any]] = []
    after = None
    while True:
        page = api.graphql(WEBHOOK_ATTEMPTS, {"webhookId": webhook_id, "first": 100, "after": after}, key=key)
        assert not page.errors, page.errors
        found += page.data["webhookAttempts"]["data"]
        if not page.data["webhookAttempts"]["pageInfo"]["hasNextPage"]:
            return found
        after = page.data["webhookAttempts"]["pageInfo"]["endCursor"]


def eventually(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the condition did not hold in time")
        time.sleep(0.05)


def test_a_receiver_that_fails_twice_gets_the_same_webhook_id_three_times_freshly_signed(api: LocalApi, client: Client) -> None:
    with receiving(failing_first(2)) as receiver:
        # GIVEN an endpoint made with the client's LIVE key, and one of the client's status changes
        created = create_webhook(api, client.live, receiver.url)
        event = new_event(random.Random(1), client.id)
        # WHEN the publisher queues its delivery
        publish(api, [(created["webhook"]["id"], event)])
        requests = receiver.wait_for(3)
        drained(api)
    # THEN the receiver got it three times, one webhook-id, each signed afresh, each verified by the reference library
    assert [request.webhook_id for request in requests] == [event["id"]] * 3
    assert len({request.headers["webhook-signature"] for request in requests}) == 3
    timestamps = [int(request.headers["webhook-timestamp"]) for request in requests]
    assert timestamps == sorted(timestamps) and len(set(timestamps)) == 3
    assert all(later.at - earlier.at >= 0.9 for earlier, later in itertools.pairwise(requests))
    for request in requests:
        assert request.verified(created["secret"]) == {"type": "message.status", "timestamp": event["at"], "data": event}
    # AND webhookAttempts shows the three, newest first, in our words
    listed = attempts(api, client.live, created["webhook"]["id"])
    assert [(entry["attempt"], entry["outcome"], entry["statusCode"], entry["error"]) for entry in listed] == [
        (3, "delivered", 200, None),
        (2, "failed", 500, "the endpoint answered 500"),
        (1, "failed", 500, "the endpoint answered 500"),
    ]
    assert {entry["eventId"] for entry in listed} == {event["id"]} and all(entry["durationMs"] >= 0 for entry in listed)


def test_a_410_disables_the_endpoint(api: LocalApi, client: Client) -> None:
    with receiving(always(410)) as receiver:
        created = create_webhook(api, client.live, receiver.url)
        rng = random.Random(2)
        first, second = new_event(rng, client.id), new_event(rng, client.id)
        publish(api, [(created["webhook"]["id"], first)], record=True)
        receiver.wait_for(1)
        drained(api)
        # THEN the endpoint is disabled at once: the next event is not sent, and a replay is refused
        [webhook] = api.graphql(WEBHOOKS, key=client.live).data["webhooks"]
        assert webhook["disabledAt"] is not None
        publish(api, [(created["webhook"]["id"], second)])
        drained(api)
        refused = api.graphql(REPLAY_WEBHOOK_EVENT, {"webhookId": created["webhook"]["id"], "eventId": first["id"]}, key=client.live)
        assert refused.errors[0]["errorType"] == "WebhookDisabled"
        assert [request.webhook_id for request in receiver.received] == [first["id"]]
    [entry] = attempts(api, client.live, created["webhook"]["id"])
    assert (entry["outcome"], entry["statusCode"], entry["error"]) == ("gaveUp", 410, "the endpoint answered 410 Gone: it is disabled")


@pytest.mark.parametrize(
    "url",
    [
        "https://10.0.0.1/hooks",
        "https://169.254.169.254/latest/meta-data/",
        "https://100.64.0.10/hooks",
        "https://[::1]/hooks",
        "https://[::ffff:127.0.0.1]/hooks",
        "https://[fd00:ec2::254]/latest/meta-data/",
        "https://127.0.0.1/hooks",
        "https://localhost/hooks",
        "http://example.com/hooks",
    ],
)
def test_an_endpoint_at_an_address_webhooks_may_not_reach_is_refused_at_creation(api: LocalApi, client: Client, url: str) -> None:
    answer = api.graphql(CREATE_WEBHOOK, {"input": {"url": url}}, key=client.live)
    assert answer.data is None and answer.errors[0]["errorType"] == "ValidationError"
    assert answer.errors[0]["errorInfo"] == {"field": "input.url", "rule": "address"}
    assert api.graphql(WEBHOOKS, key=client.live).data["webhooks"] == []


def test_client_a_never_receives_client_bs_events(api: LocalApi) -> None:
    a, b = make_client(api, "shop A"), make_client(api, "shop B")
    rng = random.Random(3)
    with receiving() as for_a, receiving() as for_b:
        # GIVEN an endpoint of each client (LIVE), and each client's events queued to its own endpoint
        webhook_a = create_webhook(api, a.live, for_a.url)
        webhook_b = create_webhook(api, b.live, for_b.url)
        events_a = [new_event(rng, a.id) for _ in range(5)]
        events_b = [new_event(rng, b.id) for _ in range(5)]
        # AND messages that pair A's endpoint with B's events, or with A's own TEST events
        forged = [(webhook_a["webhook"]["id"], new_event(rng, b.id)), (webhook_a["webhook"]["id"], new_event(rng, a.id, "TEST"))]
        publish(api, [(webhook_a["webhook"]["id"], event) for event in events_a] + [(webhook_b["webhook"]["id"], event) for event in events_b] + forged)
        for_a.wait_for(5)
        for_b.wait_for(5)
        drained(api)
        # THEN each receiver got exactly its client's events, signed with its own secret
        assert sorted(request.webhook_id for request in for_a.received) == sorted(event["id"] for event in events_a)
        assert sorted(request.webhook_id for request in for_b.received) == sorted(event["id"] for event in events_b)
        assert all(request.verified(webhook_a["secret"])["data"]["clientId"] == a.id for request in for_a.received)
        assert all(request.verified(webhook_b["secret"])["data"]["clientId"] == b.id for request in for_b.received)
    # AND neither sees the other's endpoint or attempts, nor does the API key's client
    assert [hook["id"] for hook in api.graphql(WEBHOOKS, key=a.live).data["webhooks"]] == [webhook_a["webhook"]["id"]]
    assert api.graphql(WEBHOOKS).data["webhooks"] == []
    stranger = api.graphql(WEBHOOK_ATTEMPTS, {"webhookId": webhook_a["webhook"]["id"]}, key=b.live)
    assert stranger.errors[0]["errorType"] == "NotFound"


def test_a_rotated_secret_and_a_replay(api: LocalApi, client: Client) -> None:
    with receiving() as receiver:
        created = create_webhook(api, client.live, receiver.url)
        webhook_id = created["webhook"]["id"]
        rotated = api.graphql(ROTATE_WEBHOOK_SECRET, {"id": webhook_id}, key=client.live).data["rotateWebhookSecret"]
        event = new_event(random.Random(4), client.id)
        publish(api, [(webhook_id, event)], record=True)
        [delivered] = receiver.wait_for(1)
        # THEN for a day both secrets sign: either verifies the delivery
        assert len(delivered.signatures) == 2
        assert delivered.verified(created["secret"]) == delivered.verified(rotated["secret"])
        # WHEN the client replays the event, THEN it comes again with the same webhook-id, as attempt 2
        queued = api.graphql(REPLAY_WEBHOOK_EVENT, {"webhookId": webhook_id, "eventId": event["id"]}, key=client.live).data["replayWebhookEvent"]
        assert (queued["attempt"], queued["outcome"]) == (2, "queued")
        replayed = receiver.wait_for(2)[1]
        drained(api)
        assert replayed.webhook_id == event["id"] and replayed.verified(rotated["secret"])["data"] == event
    listed = attempts(api, client.live, webhook_id)
    assert [(entry["id"] == queued["id"], entry["attempt"], entry["outcome"]) for entry in listed] == [(True, 2, "delivered"), (False, 1, "delivered")]


SEED = 20261206
FAILURE_RATE = 0.3


def fails(position: int, nth: int) -> bool:
    """The receiver's seeded coin: whether its nth receipt of the event at `position` fails (the same on every run,
    whatever the order in which deliveries arrive; an event's id holds the time it was made, so it is not the key)."""
    digest = hashlib.sha256(f"{SEED}:{position}:{nth}".encode()).digest()
    return int.from_bytes(digest[:8], "big") < FAILURE_RATE * 2**64


def test_a_thousand_events_to_a_receiver_that_fails_30_percent_are_each_delivered_and_every_attempt_is_listed(api: LocalApi, client: Client) -> None:
    rng = random.Random(SEED)
    events = [new_event(rng, client.id) for _ in range(1000)]
    # GIVEN the seeded failures: about 30% of receipts, and no event failing all seven attempts (else it would be
    # given up, rightly)
    positions = {event["id"]: position for position, event in enumerate(events)}
    planned = {event["id"]: next(nth for nth in range(1, 100) if not fails(positions[event["id"]], nth)) for event in events}
    assert max(planned.values()) <= ATTEMPTS
    receipts = sum(planned.values())
    assert 0.25 < (receipts - len(events)) / receipts < 0.35

    delivered: set[str] = set()

    def answer(request: Any, nth: int) -> tuple[int, dict[str, str]]:
        if fails(positions[request.webhook_id], nth):
            return 500, {}
        delivered.add(request.webhook_id)
        return 200, {}

    with receiving(answer) as receiver:
        created = create_webhook(api, client.live, receiver.url)
        webhook_id = created["webhook"]["id"]
        # WHEN the publisher queues the thousand
        publish(api, [(webhook_id, event) for event in events])
        eventually(lambda: delivered >= set(planned), timeout=300)
        drained(api, timeout=120)
        received = list(receiver.received)
    # THEN every event was delivered at least once, and every request verifies
    assert delivered == set(planned)
    for request in received:
        request.verified(created["secret"])
    # AND every attempt the receiver saw is in webhookAttempts, as many for each event as it got
    listed = attempts(api, client.live, webhook_id)
    seen: dict[str, int] = {}
    for request in received:
        seen[request.webhook_id] = seen.get(request.webhook_id, 0) + 1
    counted: dict[str, int] = {}
    for entry in listed:
        counted[entry["eventId"]] = counted.get(entry["eventId"], 0) + 1
    assert counted == seen
    assert all(seen[event_id] >= planned[event_id] for event_id in planned)
    assert {entry["outcome"] for entry in listed} == {"delivered", "failed"}
    assert sum(entry["outcome"] == "delivered" for entry in listed) >= len(events)


def test_status_changes_reach_their_clients_endpoints_through_the_event_publisher(api: LocalApi) -> None:
    # GIVEN two clients: A with an endpoint for every status and one for DELIVERED alone, B with one of its own
    a, b = make_client(api, "publisher A"), make_client(api, "publisher B")
    with receiving() as every, receiving() as delivered_only, receiving() as for_b:
        everything = create_webhook(api, a.live, every.url)
        delivered = create_webhook(api, a.live, delivered_only.url, ["DELIVERED"])
        create_webhook(api, b.live, for_b.url)
        # WHEN A sends an email that SES delivers (ACCEPTED, then DELIVERED from the mailbox simulator)
        sent = send_as(api, a.live, to="success+webhooks@simulator.amazonses.com", body="hello", deliveryMethod="EMAIL", senderId="shop-a")
        assert not sent.errors, sent.errors
        message_id = sent.data["sendMessage"]["id"]
        # THEN the real publisher queues each status change and the sender delivers it, signed, to A's endpoints
        requests = every.wait_for(2, timeout=60)
        changes = [request.verified(everything["secret"])["data"] for request in requests]
        assert [(change["messageId"], change["status"]) for change in changes] == [(message_id, "ACCEPTED"), (message_id, "DELIVERED")]
        assert [request.webhook_id for request in requests] == [change["id"] for change in changes]
        assert {(change["clientId"], change["mode"], change["senderId"]) for change in changes} == {(a.id, "LIVE", "shop-a")}
        # AND the endpoint that asked for DELIVERED alone got that one, and B's endpoint nothing
        [only] = delivered_only.wait_for(1, timeout=30)
        assert only.verified(delivered["secret"])["data"] == changes[1]
        drained(api)
        assert len(delivered_only.received) == 1 and for_b.received == []
    # AND the webhook-ids are the event ids of A's feed (recorded before they were queued)
    events = feed_until(api, a.live, lambda found: len(found) >= 2)
    assert [event["id"] for event in events] == [change["id"] for change in changes]

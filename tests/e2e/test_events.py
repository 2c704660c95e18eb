"""The event feed over HTTP: statuses recorded by the real pipeline and status functions reach the table's stream
(emulated by the local stack from its own writes), the real publisher stores them, and `messageEvents` serves
them to their own client and mode, in order, once each, and forgets them when their recipient is erased (the
message's REMOVE passes the stream filter), not when TTL deletes the message (its REMOVE does not)."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from local.launcher import Response
from tests.e2e.conftest import LocalApi, items_of, send, signed, table
from tests.e2e.test_clients import make_client, send_as

EVENTS = "query($after: String, $first: Int) { messageEvents(after: $after, first: $first) { data { id messageId senderId status reason at clientId mode } pageInfo { hasNextPage endCursor } } }"
ERASE = "mutation($to: String!) { eraseRecipient(to: $to) { to messagesErased } }"
WAIT_SECONDS = 30  # the feed's settle time (5 s), the simulated outcomes' delay, and room for a busy machine


def read(api: LocalApi, key: str | None, after: str | None = None, first: int = 100) -> Response:
    variables = {"after": after, "first": first}
    return api.graphql(EVENTS, variables) if key is None else api.graphql(EVENTS, variables, key=key)


def whole_feed(api: LocalApi, key: str | None) -> list[dict[str, Any]]:
    """Every event the caller's feed shows now, following the cursors."""
    events: list[dict[str, Any]] = []
    after = None
    while True:
        page = read(api, key, after)
        assert not page.errors, page.errors
        events += page.data["messageEvents"]["data"]
        info = page.data["messageEvents"]["pageInfo"]
        if not info["hasNextPage"]:
            return events
        after = info["endCursor"]


def feed_until(api: LocalApi, key: str | None, done: Callable[[list[dict[str, Any]]], bool]) -> list[dict[str, Any]]:
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        events = whole_feed(api, key)
        if done(events) or time.monotonic() > deadline:
            return events
        time.sleep(0.5)


def stored_until(api: LocalApi, partition: str, done: Callable[[list[dict[str, Any]]], bool]) -> bool:
    """Whether the table's partition came to hold what `done` asks for within WAIT_SECONDS."""
    deadline = time.monotonic() + WAIT_SECONDS
    while not done(items_of(api, partition)):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def sent_id(response: Response) -> str:
    assert not response.errors, response.errors
    message_id: str = response.data["sendMessage"]["id"]
    return message_id


def simulated(label: str) -> str:
    """An SES mailbox simulator address: delivered, with its DELIVERY event a second later."""
    return f"success+{label}@simulator.amazonses.com"


def test_a_clients_events_come_in_order_once_each_and_never_to_another_client(api: LocalApi) -> None:
    # GIVEN two clients, each sending emails that SES delivers
    a, b = make_client(api, "events A"), make_client(api, "events B")
    a_sent = [sent_id(send_as(api, a.live, to=simulated(f"a{n}"), body="A", deliveryMethod="EMAIL", senderId="shop-a")) for n in range(3)]
    b_sent = [sent_id(send_as(api, b.live, to=simulated("b"), body="B", deliveryMethod="EMAIL"))]
    # WHEN each reads its feed until its statuses are in
    a_events = feed_until(api, a.live, lambda events: len(events) >= 6)
    b_events = feed_until(api, b.live, lambda events: len(events) >= 2)
    # THEN A's feed holds each of its messages' ACCEPTED then DELIVERED, ordered by id, all its own
    assert [event["id"] for event in a_events] == sorted({event["id"] for event in a_events})
    assert sorted((event["messageId"], event["status"]) for event in a_events) == sorted((m, s) for m in a_sent for s in ("ACCEPTED", "DELIVERED"))
    for message_id in a_sent:
        assert [event["status"] for event in a_events if event["messageId"] == message_id] == ["ACCEPTED", "DELIVERED"]
    assert {(event["clientId"], event["mode"], event["senderId"]) for event in a_events} == {(a.id, "LIVE", "shop-a")}
    # AND B's feed only B's, and the API key's (the default client's) neither
    assert {event["messageId"] for event in b_events} == set(b_sent) and {event["clientId"] for event in b_events} == {b.id}
    assert not {event["messageId"] for event in whole_feed(api, None)} & set(a_sent + b_sent)
    # AND nothing comes twice: a later read has exactly the same events
    time.sleep(1)
    assert whole_feed(api, a.live) == a_events


def test_a_clients_test_and_live_feeds_are_apart(api: LocalApi) -> None:
    # GIVEN a client sending with its TEST key (simulated outcomes) and with its LIVE key
    client = make_client(api, "events modes")
    test_sent = sent_id(send_as(api, client.test, to=f"modes.{uuid.uuid4()}@example.com", body="t", deliveryMethod="EMAIL"))
    live_sent = sent_id(send_as(api, client.live, to=simulated("modes"), body="l", deliveryMethod="EMAIL"))
    # WHEN each key reads its feed
    test_events = feed_until(api, client.test, lambda events: {event["status"] for event in events} >= {"ACCEPTED", "DELIVERED"})
    live_events = feed_until(api, client.live, lambda events: {event["status"] for event in events} >= {"ACCEPTED", "DELIVERED"})
    # THEN each sees its own mode's message alone
    assert {(event["messageId"], event["mode"]) for event in test_events} == {(test_sent, "TEST")}
    assert {(event["messageId"], event["mode"]) for event in live_events} == {(live_sent, "LIVE")}


def test_paging_with_after_while_events_arrive_loses_and_repeats_nothing(api: LocalApi) -> None:
    # GIVEN a client whose messages are sent, and delivered, while its feed is read
    client = make_client(api, "events pager")
    sent: list[str] = []

    def send_slowly() -> None:
        for n in range(8):
            sent.append(sent_id(send_as(api, client.live, to=simulated(f"pager{n}"), body="p", deliveryMethod="EMAIL")))
            time.sleep(0.4)

    sender = threading.Thread(target=send_slowly)
    sender.start()
    # WHEN a caller polls the feed in pages of 3, always reading on from the last endCursor it got
    seen: list[dict[str, Any]] = []
    after = None
    deadline = time.monotonic() + WAIT_SECONDS + 10
    while len(seen) < 16 and time.monotonic() < deadline:
        page = read(api, client.live, after, first=3)
        assert not page.errors, page.errors
        seen += page.data["messageEvents"]["data"]
        after = page.data["messageEvents"]["pageInfo"]["endCursor"] or after
        if not page.data["messageEvents"]["pageInfo"]["hasNextPage"]:
            time.sleep(0.3)
    sender.join()
    # THEN it saw every event exactly once, in order: the same as the whole feed read afterwards
    assert len(seen) == 16
    assert [event["id"] for event in seen] == [event["id"] for event in whole_feed(api, client.live)]
    assert sorted((event["messageId"], event["status"]) for event in seen) == sorted((m, s) for m in sent for s in ("ACCEPTED", "DELIVERED"))


def test_a_cursor_of_one_clients_feed_is_refused_to_another(api: LocalApi) -> None:
    a, b = make_client(api, "cursor A"), make_client(api, "cursor B")
    send_as(api, a.live, to=simulated("cursor"), body="x", deliveryMethod="EMAIL")
    feed_until(api, a.live, lambda events: len(events) >= 1)
    cursor = read(api, a.live, first=1).data["messageEvents"]["pageInfo"]["endCursor"]
    for key in (b.live, a.test):
        refused = read(api, key, after=cursor)
        assert refused.data is None and refused.errors[0]["errorInfo"] == {"field": "after", "rule": "cursor"}


def test_erasing_a_recipient_erases_its_messages_events(api: LocalApi, fresh_email: str) -> None:
    # GIVEN a client's messages to a person (one of them delivered) and to someone else, and the default
    # client's to the same person, all in their feeds
    client = make_client(api, "events erasure")
    erased = [sent_id(send_as(api, client.live, to=fresh_email, body=f"to be erased {n}", deliveryMethod="EMAIL")) for n in range(2)]
    assert not api.local("events", {"to": fresh_email, "messageId": erased[0], "event": "DELIVERY"}).body.get("error")
    default_erased = sent_id(send(api, to=fresh_email, body="the default client's", deliveryMethod="EMAIL"))
    kept = sent_id(send_as(api, client.live, to=f"kept.{fresh_email}", body="kept", deliveryMethod="EMAIL"))
    feed_until(api, client.live, lambda events: len(events) >= 4)
    feed_until(api, None, lambda events: default_erased in {event["messageId"] for event in events})
    # WHEN an operator erases the person
    answer = signed(api, ERASE, {"to": fresh_email})
    assert not answer.errors and answer.data["eraseRecipient"]["messagesErased"] == 3
    # THEN the feeds hold none of the erased messages' events, and the table neither, even after the stream has
    # carried the deletions; the other recipient's event stays
    time.sleep(2)
    assert {(event["messageId"], event["status"]) for event in whole_feed(api, client.live)} == {(kept, "ACCEPTED")}
    assert default_erased not in {event["messageId"] for event in whole_feed(api, None)}
    stored = table(api).scan(FilterExpression="begins_with(PK, :events)", ExpressionAttributeValues={":events": "EVENT#"})["Items"]
    assert not {item["messageId"] for item in stored} & {*erased, default_erased}


def publisher_tallies(api: LocalApi, start: int) -> list[dict[str, Any]]:
    """The publisher's "stream records processed" lines the stack printed since `start` (counts only)."""
    lines = [line for line in api.output[start:] if '"stream records processed"' in line]
    return [json.loads(line) for line in lines]


def test_an_erasure_reaches_the_publisher_through_the_stream_filter(api: LocalApi, fresh_email: str) -> None:
    # GIVEN a client's delivered message to a person, in its feed
    client = make_client(api, "events erasure record")
    message = sent_id(send_as(api, client.live, to=fresh_email, body="to be erased", deliveryMethod="EMAIL"))
    assert feed_until(api, client.live, lambda events: message in {event["messageId"] for event in events})
    start = len(api.output)
    # WHEN an operator erases the person
    answer = signed(api, ERASE, {"to": fresh_email})
    assert not answer.errors and answer.data["eraseRecipient"]["messagesErased"] == 1
    # THEN the message's REMOVE passes the filter: the publisher deletes the message's events too (none is left)
    deadline = time.monotonic() + WAIT_SECONDS
    while not any(tally.get("erased", 0) >= 1 for tally in publisher_tallies(api, start)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert any(tally.get("erased", 0) >= 1 for tally in publisher_tallies(api, start)), "the publisher never got the erasure's REMOVE"
    assert message not in {event["messageId"] for event in whole_feed(api, client.live)}


def test_a_messages_expiry_leaves_its_events_to_their_own_ttl(api: LocalApi, fresh_email: str) -> None:
    # GIVEN a client's message whose ACCEPTED the publisher has stored (read from the table: the feed would show it
    # only once settled, and the final read below waits for a later event, by when this one has settled too)
    client = make_client(api, "events expiry")
    expiring = sent_id(send_as(api, client.live, to=fresh_email, body="short-lived", deliveryMethod="EMAIL"))
    assert stored_until(api, f"EVENT#{client.id}#LIVE", lambda items: expiring in {item["messageId"] for item in items})
    # WHEN its record's time is up (moved into the past here; its events keep theirs) and the local TTL deletes it
    [item] = [item for item in items_of(api, f"MESSAGE#{fresh_email}") if item["id"] == expiring]
    table(api).update_item(Key={"PK": item["PK"], "SK": item["SK"]}, UpdateExpression="SET expiresAt = :past", ExpressionAttributeValues={":past": int(time.time()) - 1})
    assert api.local("expire", {}).body["deleted"] >= 1
    # AND a later message's event is stored: the stream hands records over in order, so TTL's deletion was
    # handed over or left out before it
    later = sent_id(send_as(api, client.live, to=f"later.{fresh_email}", body="later", deliveryMethod="EMAIL"))
    events = feed_until(api, client.live, lambda events: later in {event["messageId"] for event in events})
    # THEN TTL's deletion, which its record marks as TTL's, was no erasure: the expired message's event stays
    # until DynamoDB's TTL deletes it in turn
    assert later in {event["messageId"] for event in events}
    assert expiring in {event["messageId"] for event in events}

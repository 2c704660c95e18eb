"""onMessageStatus over the local real-time endpoint, with gql's AppSyncWebsocketsTransport as the subscriber and
publishMessageEvent signed with SigV4 as the event publisher sends it."""

from __future__ import annotations

import time
from typing import Any

import pytest
from gql.transport.exceptions import TransportQueryError, TransportServerError

from local.launcher import LocalStackProcess
from tests.e2e.conftest import items_of, signed
from tests.e2e.test_clients import send_as
from tests.realtime.conftest import (
    API_KEY,
    PUBLISH,
    REVOKE_KEY,
    api_key_auth,
    client_key_auth,
    event,
    iam_auth,
    new_client,
    publish,
    subscribed,
)

SELECTED = ("id", "messageId", "senderId", "status", "clientId", "mode")


def _as_selected(published: dict[str, Any]) -> dict[str, Any]:
    return {name: published[name] for name in SELECTED}


def test_an_api_key_subscriber_receives_the_default_clients_events_with_its_own_selection(api: LocalStackProcess) -> None:
    # GIVEN a subscriber with the API key (the default client, LIVE)
    with subscribed(api, api_key_auth(api), ("default", "LIVE")) as subscriber:
        # WHEN the publisher publishes a status change of the default client
        published = event("default")
        publish(api, published)
        # THEN it receives it, as its subscription selected it (no reason, no at)
        assert subscriber.wait_for(1) == [_as_selected(published)]
    assert subscriber.error is None


@pytest.mark.parametrize("arguments", [{}, {"senderId": "shop"}, {"messageId": "MESSAGE#01SHARED"}, {"senderId": "shop", "messageId": "MESSAGE#01SHARED"}])
def test_a_client_never_receives_another_clients_events_whatever_it_asks(api: LocalStackProcess, arguments: dict[str, Any]) -> None:
    # GIVEN clients A and B, and B subscribed with its LIVE key, asking for A's sender or message
    client_a, client_b = new_client(api, "A"), new_client(api, "B")
    with subscribed(api, client_key_auth(api, client_b.keys["LIVE"][1]), (client_b.id, "LIVE"), arguments) as subscriber:
        # WHEN A's events (with the very sender and message B asked for) and then one of B's are published
        for _ in range(3):
            publish(api, event(client_a.id, senderId="shop", messageId="MESSAGE#01SHARED"))
        own = event(client_b.id, senderId="shop", messageId="MESSAGE#01SHARED")
        publish(api, own)
        # THEN B receives its own event only (a subscriber receives events in the order they were published, so
        # any of A's would have come first)
        assert subscriber.wait_for(1) == [_as_selected(own)]


def test_test_and_live_events_are_apart(api: LocalStackProcess) -> None:
    # GIVEN a client's TEST-key subscriber and LIVE-key subscriber
    client = new_client(api, "modes")
    with (
        subscribed(api, client_key_auth(api, client.keys["TEST"][1]), (client.id, "TEST")) as test_subscriber,
        subscribed(api, client_key_auth(api, client.keys["LIVE"][1]), (client.id, "LIVE")) as live_subscriber,
    ):
        # WHEN LIVE and TEST events are published in turn
        published = [event(client.id, mode) for mode in ("LIVE", "TEST", "LIVE", "TEST")]
        for each in published:
            publish(api, each)
        # THEN each subscriber receives its own mode's only, in order
        assert test_subscriber.wait_for(2) == [_as_selected(published[1]), _as_selected(published[3])]
        assert live_subscriber.wait_for(2) == [_as_selected(published[0]), _as_selected(published[2])]


def test_sender_and_message_arguments_narrow_what_is_received(api: LocalStackProcess) -> None:
    client = new_client(api, "filters")
    secret = client.keys["LIVE"][1]
    owner = (client.id, "LIVE")
    with (
        subscribed(api, client_key_auth(api, secret), owner, {"senderId": "shop-1"}) as by_sender,
        subscribed(api, client_key_auth(api, secret), owner, {"messageId": "MESSAGE#01WANTED"}) as by_message,
    ):
        other, wanted_sender, wanted_message = (
            event(client.id, senderId="shop-2"),
            event(client.id, senderId="shop-1"),
            event(client.id, senderId="shop-2", messageId="MESSAGE#01WANTED"),
        )
        both = event(client.id, senderId="shop-1", messageId="MESSAGE#01WANTED")
        for published in (other, wanted_sender, wanted_message, both):
            publish(api, published)
        assert by_sender.wait_for(2) == [_as_selected(wanted_sender), _as_selected(both)]
        assert by_message.wait_for(2) == [_as_selected(wanted_message), _as_selected(both)]


def test_an_iam_subscriber_receives_the_client_its_principal_is_mapped_to(api: LocalStackProcess) -> None:
    # GIVEN a subscriber signed with SigV4 by gql's AppSyncIAMAuthentication (the stack maps its principal to default)
    with subscribed(api, iam_auth(api), ("default", "LIVE")) as subscriber:
        published = event("default", senderId="iam")
        publish(api, published)
        assert subscriber.wait_for(1) == [_as_selected(published)]


def test_a_subscription_marks_its_client_and_mode_as_listened_to(api: LocalStackProcess) -> None:
    client = new_client(api, "marker")
    before = time.time()
    with subscribed(api, client_key_auth(api, client.keys["TEST"][1]), (client.id, "TEST")):
        (marker,) = items_of(api, f"SUBSCRIBERS#{client.id}#TEST")
    assert marker["SK"] == marker["PK"]
    assert before + 25 * 3600 - 5 <= int(marker["expiresAt"]) <= time.time() + 25 * 3600 + 5


def test_revoking_a_key_ends_its_subscriptions_and_closes_their_connection(api: LocalStackProcess) -> None:
    # GIVEN a subscriber with a client's LIVE key, and another with the client's TEST key
    client = new_client(api, "revoked")
    (key_id, secret), (_, other_secret) = client.keys["LIVE"], client.keys["TEST"]
    with (
        subscribed(api, client_key_auth(api, secret), (client.id, "LIVE")) as revoked,
        subscribed(api, client_key_auth(api, other_secret), (client.id, "TEST")) as kept,
    ):
        # WHEN an operator revokes the LIVE key
        reply = signed(api, REVOKE_KEY, {"keyId": key_id})
        assert not reply.errors, reply.errors
        # THEN its subscription completes (gql's stream ends without an error), so nothing more reaches it,
        assert revoked.ended.wait(10)
        assert revoked.error is None
        assert revoked.received == []
        # while the other key's subscription goes on
        still = event(client.id, "TEST")
        publish(api, still)
        assert kept.wait_for(1) == [_as_selected(still)]
    # AND the revoked key cannot subscribe again
    with subscribed(api, client_key_auth(api, secret), (client.id, "LIVE")) as again:
        assert again.ended.wait(10)
    assert isinstance(again.error, TransportServerError)
    assert "UnauthorizedException" in str(again.error)


def test_a_wrong_api_key_gets_appsyncs_connection_error(api: LocalStackProcess) -> None:
    with subscribed(api, api_key_auth(api, "not-the-key"), ("default", "LIVE")) as subscriber:
        assert subscriber.ended.wait(10)
    assert isinstance(subscriber.error, TransportServerError)
    assert "'errorType': 'UnauthorizedException'" in str(subscriber.error)
    assert "'errorCode': 401" in str(subscriber.error)


def test_a_wrong_signature_gets_appsyncs_connection_error(api: LocalStackProcess) -> None:
    with subscribed(api, iam_auth(api, secret="not-the-secret"), ("default", "LIVE")) as subscriber:
        assert subscriber.ended.wait(10)
    assert isinstance(subscriber.error, TransportServerError)
    assert "InvalidSignatureException" in str(subscriber.error)


def test_blank_arguments_get_the_resolvers_error(api: LocalStackProcess) -> None:
    with subscribed(api, api_key_auth(api), ("default", "LIVE"), {"senderId": " "}) as subscriber:
        assert subscriber.ended.wait(10)
    assert isinstance(subscriber.error, TransportQueryError)
    assert "senderId: must not be blank" in str(subscriber.error)


def test_only_iam_may_publish(api: LocalStackProcess) -> None:
    reply = api.graphql(PUBLISH, {"event": event("default")}, api_key=API_KEY)
    assert reply.errors[0]["errorType"] == "Unauthorized"
    assert reply.data == {"publishMessageEvent": None}


def test_an_iam_caller_other_than_the_publisher_cannot_push_to_another_clients_subscribers(api: LocalStackProcess) -> None:
    # GIVEN a client's subscriber (its LIVE key, through gql)
    victim = new_client(api, "victim")
    with subscribed(api, client_key_auth(api, victim.keys["LIVE"][1]), (victim.id, "LIVE")) as subscriber:
        # WHEN the stack's IAM user (an operator's, and mapped to the default client) publishes a forged event of
        # that client, with the very fields the subscriber's filter reads
        forged = event(victim.id, senderId="forged")
        reply = signed(api, PUBLISH, {"event": forged})
        # THEN AppSync's Unauthorized error, and no event
        assert reply.errors[0]["errorType"] == "Unauthorized"
        assert reply.errors[0]["message"] == "Not Authorized to access publishMessageEvent on type Mutation"
        assert reply.data == {"publishMessageEvent": None}
        # AND the real event publisher's events still reach the subscriber: the client sends an email, and the
        # publisher (the table stream's handler, signing as the functions' role) pushes its status changes
        sent = send_as(api, victim.keys["LIVE"][1], to="success+victim@simulator.amazonses.com", body="hello", deliveryMethod="EMAIL")
        assert not sent.errors, sent.errors
        message_id = sent.data["sendMessage"]["id"]
        received = subscriber.wait_for(2)
        assert [(pushed["messageId"], pushed["status"]) for pushed in received] == [(message_id, "ACCEPTED"), (message_id, "DELIVERED")]
    # AND the forged event never arrived (a subscriber receives events in the order they were published, so it
    # would have come before the publisher's)
    assert all(pushed["senderId"] != "forged" for pushed in subscriber.received)

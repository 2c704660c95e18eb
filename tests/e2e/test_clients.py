"""Clients over HTTP: each has its own keys, sees only its own messages, and sends within its own quota.

Operators make clients and keys with the operators' fields (SigV4, as `make client` signs); clients call with a
key in the Authorization header, checked by the real Lambda authorizer with AppSync's semantics.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from local.launcher import Response, running_stack
from local.operations import GET_MESSAGES, SEND_MESSAGE
from tests.e2e.conftest import (
    API_KEY,
    GENEROUS_LIMITS,
    LocalApi,
    send,
    signed,
    table,
    wait_for_window,
)

CREATE_CLIENT = "mutation($input: CreateClientInput!) { createClient(input: $input) { id name limits { emailPerDay smsPerDay } } }"
CREATE_KEY = "mutation($clientId: ID!, $mode: KeyMode!, $expiresAt: AWSDateTime) { createClientKey(clientId: $clientId, mode: $mode, expiresAt: $expiresAt) { secret key { id mode expiresAt } } }"
REVOKE_KEY = "mutation($keyId: ID!) { revokeClientKey(keyId: $keyId) { id revokedAt } }"
AUDIT = "{ auditEvents(first: 100) { data { actor action clientId keyId details } } }"


@dataclass
class Client:
    id: str
    live: str
    test: str


def make_client(api: LocalApi, name: str, **limits: int) -> Client:
    created = signed(api, CREATE_CLIENT, {"input": {"name": name, "limits": limits or None}})
    assert not created.errors, created.errors
    client_id = created.data["createClient"]["id"]
    keys = {mode: signed(api, CREATE_KEY, {"clientId": client_id, "mode": mode}).data["createClientKey"]["secret"] for mode in ("LIVE", "TEST")}
    return Client(client_id, keys["LIVE"], keys["TEST"])


def send_as(api: LocalApi, key: str, **message_input: Any) -> Response:
    return api.graphql(SEND_MESSAGE, {"input": message_input}, key=key)


def read_as(api: LocalApi, key: str | None, **message_filter: str) -> list[dict[str, Any]]:
    response = api.graphql(GET_MESSAGES, {"filter": message_filter}) if key is None else api.graphql(GET_MESSAGES, {"filter": message_filter}, key=key)
    assert not response.errors, response.errors
    messages: list[dict[str, Any]] = response.data["getMessages"]["data"]
    return messages


@pytest.fixture(scope="module")
def clients_api() -> Iterator[LocalApi]:
    """A stack whose authorizations are not cached, so that a revoked key fails on the next request."""
    with running_stack(API_KEY, {**GENEROUS_LIMITS, "AUTHORIZER_CACHE_SECONDS": "0"}) as stack:
        yield stack


@pytest.fixture
def two_clients(clients_api: LocalApi) -> tuple[Client, Client]:
    return make_client(clients_api, "shop A"), make_client(clients_api, "shop B")


def test_two_clients_never_see_each_others_messages_by_recipient_or_sender(clients_api: LocalApi, two_clients: tuple[Client, Client], fresh_email: str) -> None:
    # GIVEN two clients that send to the same person under the same sender id, and the API key (the default client)
    a, b = two_clients
    assert not send_as(clients_api, a.live, to=fresh_email, body="A's code 1234", deliveryMethod="EMAIL", senderId="shop").errors
    assert not send_as(clients_api, b.live, to=fresh_email, body="B's news", deliveryMethod="EMAIL", senderId="shop").errors
    assert not send(clients_api, to=fresh_email, body="default's", deliveryMethod="EMAIL", senderId="shop").errors
    # WHEN each reads that person's history and that sender's messages
    # THEN each sees exactly its own, typed any way
    assert [m["body"] for m in read_as(clients_api, a.live, to=fresh_email.upper())] == ["A's code 1234"]
    assert [m["body"] for m in read_as(clients_api, b.live, to=fresh_email)] == ["B's news"]
    assert [m["body"] for m in read_as(clients_api, None, to=fresh_email)] == ["default's"]
    assert [m["body"] for m in read_as(clients_api, a.live, senderId="shop")] == ["A's code 1234"]
    assert [m["body"] for m in read_as(clients_api, b.live, senderId="shop")] == ["B's news"]
    # AND a client's TEST key sees none of its LIVE messages, nor its LIVE key its TEST ones
    assert read_as(clients_api, a.test, to=fresh_email) == []


def test_a_cursor_of_one_client_is_refused_to_another(clients_api: LocalApi, two_clients: tuple[Client, Client], fresh_email: str) -> None:
    a, b = two_clients
    for number in range(3):
        send_as(clients_api, a.live, to=fresh_email, body=f"m{number}", deliveryMethod="EMAIL")
    page = clients_api.graphql(GET_MESSAGES, {"filter": {"to": fresh_email}, "first": 1}, key=a.live).data["getMessages"]
    foreign = clients_api.graphql(GET_MESSAGES, {"filter": {"to": fresh_email}, "first": 1, "after": page["pageInfo"]["endCursor"]}, key=b.live)
    assert foreign.data is None and foreign.errors[0]["errorInfo"] == {"field": "after", "rule": "cursor"}


def test_idempotency_keys_are_per_client(clients_api: LocalApi, two_clients: tuple[Client, Client], fresh_email: str) -> None:
    # GIVEN client B uses a key first, with its own message
    a, b = two_clients
    key = f"order-{uuid.uuid4()}"
    b_sent = send_as(clients_api, b.live, to=fresh_email, body="B's", deliveryMethod="EMAIL", senderId="shop-A", idempotencyKey=key)
    # WHEN client A sends its own message with the same sender id and key
    a_sent = send_as(clients_api, a.live, to=fresh_email, body="A's", deliveryMethod="EMAIL", senderId="shop-A", idempotencyKey=key)
    # THEN A's is recorded and sent, and nothing tells A about B's message
    assert not a_sent.errors and a_sent.data["sendMessage"]["body"] == "A's" and a_sent.data["sendMessage"]["id"] != b_sent.data["sendMessage"]["id"]
    # AND each one's retry replays its own
    assert send_as(clients_api, a.live, to=fresh_email, body="A's", deliveryMethod="EMAIL", senderId="shop-A", idempotencyKey=key).data["sendMessage"]["id"] == a_sent.data["sendMessage"]["id"]
    assert send_as(clients_api, b.live, to=fresh_email, body="B's", deliveryMethod="EMAIL", senderId="shop-A", idempotencyKey=key).data["sendMessage"]["id"] == b_sent.data["sendMessage"]["id"]


def seconds_to_utc_midnight() -> float:
    now = datetime.now(UTC)
    return (datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), UTC) - now).total_seconds()


def test_a_clients_daily_quota_is_its_own_and_exact_under_concurrency(clients_api: LocalApi, fresh_email: str) -> None:
    if seconds_to_utc_midnight() < 60:
        time.sleep(seconds_to_utc_midnight() + 1)  # the quota's day must not turn during the test
    # GIVEN a client allowed 5 emails a day, and another client
    limited = make_client(clients_api, "limited", emailPerDay=5)
    other = make_client(clients_api, "other")
    # WHEN 12 of its emails are sent at once, to different people
    with ThreadPoolExecutor(max_workers=12) as pool:
        responses = list(pool.map(lambda n: send_as(clients_api, limited.live, to=f"q{n}.{fresh_email}", body="x", deliveryMethod="EMAIL"), range(12)))
    # THEN exactly 5 go through, and the rest are refused until the next UTC midnight, naming the limit
    accepted = [r for r in responses if not r.errors]
    refused = [error for r in responses for error in r.errors]
    assert len(accepted) == 5 and len(refused) == 7
    assert {error["errorType"] for error in refused} == {"RateLimited"} and {error["errorInfo"]["limit"] for error in refused} == {"clientPerDay"}
    assert all(0 < error["errorInfo"]["retryAfterSeconds"] <= seconds_to_utc_midnight() + 5 for error in refused)
    # AND its TEST key and the other client still send
    assert not send_as(clients_api, limited.test, to=fresh_email, body="x", deliveryMethod="EMAIL").errors
    assert not send_as(clients_api, other.live, to=fresh_email, body="x", deliveryMethod="EMAIL").errors


def test_a_refused_send_uses_up_no_other_limit() -> None:
    # GIVEN a stack whose SMS minute allows 11 sends and each number 10 an hour
    limits = {"SMS_PER_RECIPIENT_PER_HOUR": "10", "SMS_PER_MINUTE": "11", "EMAIL_PER_RECIPIENT_PER_HOUR": "1000000", "EMAIL_PER_MINUTE": "1000000"}
    with running_stack(API_KEY, limits) as stack:
        # (in one calendar minute: had the sends crossed into the next, a refused send that counted could go unseen)
        wait_for_window(60, 20)
        # WHEN 12 SMS go to one number: 10 are sent, 2 refused by that number's limit
        responses = [send(stack, to="+14155550100", body=f"code {n}", deliveryMethod="SMS") for n in range(12)]
        refused = [r.errors[0]["errorInfo"]["limit"] for r in responses if r.errors]
        assert len(refused) == 2 and set(refused) == {"recipientPerHour"}
        # THEN the refused ones did not count against the stack-wide minute, which has room for one send more
        # (had even one of them counted, it would be full): the next SMS to anyone else goes
        other = send(stack, to="+14155550101", body="hello", deliveryMethod="SMS")
        assert not other.errors, other.errors


@pytest.mark.parametrize(
    "authorization",
    [
        "sm_live_notakey",  # fails the validation expression: the authorizer is not invoked
        "sm_live_01JNGSVCHKEYAAAAAAAAAAAAAA_" + "A" * 43,  # the right form, no such key
        "Bearer something",
        "x" * 3000,  # longer than AppSync's 2,048 characters
    ],
)
def test_a_malformed_or_unknown_key_gets_appsyncs_401(clients_api: LocalApi, authorization: str, fresh_email: str) -> None:
    response = clients_api.graphql(SEND_MESSAGE, {"input": {"to": fresh_email, "body": "x", "deliveryMethod": "EMAIL"}}, key=authorization)
    assert response.status == 401 and response.body == {"errors": [{"errorType": "UnauthorizedException", "message": "You are not authorized to make this call."}]}


def test_a_revoked_key_stops_working_and_another_key_of_the_client_goes_on(clients_api: LocalApi, fresh_email: str) -> None:
    client = make_client(clients_api, "revoker")
    second = signed(clients_api, CREATE_KEY, {"clientId": client.id, "mode": "LIVE"}).data["createClientKey"]["secret"]
    assert not send_as(clients_api, client.live, to=fresh_email, body="before", deliveryMethod="EMAIL").errors
    key_id = client.live.split("_")[2]
    revoked = signed(clients_api, REVOKE_KEY, {"keyId": key_id})
    assert not revoked.errors and revoked.data["revokeClientKey"]["revokedAt"]
    assert send_as(clients_api, client.live, to=fresh_email, body="after", deliveryMethod="EMAIL").status == 401
    assert not send_as(clients_api, second, to=fresh_email, body="after", deliveryMethod="EMAIL").errors


def test_an_expired_key_is_refused(clients_api: LocalApi, fresh_email: str) -> None:
    # GIVEN a key that lives two seconds (that a key works before its expiry every other test shows)
    client = make_client(clients_api, "short-lived")
    expires = datetime.now(UTC) + timedelta(seconds=2)
    made = signed(clients_api, CREATE_KEY, {"clientId": client.id, "mode": "LIVE", "expiresAt": expires.isoformat().replace("+00:00", "Z")})
    short = made.data["createClientKey"]["secret"]
    # WHEN it is used after its expiry
    time.sleep(max(0.0, (expires - datetime.now(UTC)).total_seconds()) + 0.5)
    # THEN AppSync's 401 refuses it
    assert send_as(clients_api, short, to=fresh_email, body="too late", deliveryMethod="EMAIL").status == 401


def test_a_client_key_may_not_use_the_operators_fields(clients_api: LocalApi) -> None:
    client = make_client(clients_api, "curious")
    response = clients_api.graphql(CREATE_CLIENT, {"input": {"name": "mine"}}, key=client.live)
    assert response.errors[0]["errorType"] == "Unauthorized" and response.data is None
    assert clients_api.graphql(CREATE_CLIENT, {"input": {"name": "mine"}}).errors[0]["errorType"] == "Unauthorized"


def test_every_operator_action_is_audited_with_who_and_no_secret(clients_api: LocalApi) -> None:
    client = make_client(clients_api, "audited")
    signed(clients_api, REVOKE_KEY, {"keyId": client.test.split("_")[2]})
    events = [e for e in signed(clients_api, AUDIT).data["auditEvents"]["data"] if e["clientId"] == client.id]
    assert [e["action"] for e in events] == ["clientKeyRevoked", "clientKeyCreated", "clientKeyCreated", "clientCreated"]
    assert {e["actor"] for e in events} == {"arn:aws:iam::000000000000:user/local"}
    assert client.live not in json.dumps(events) and client.test not in json.dumps(events)


def test_records_written_before_clients_existed_read_back_through_the_api_key(api: LocalApi) -> None:
    # GIVEN records in the layout the table had before clients (no scope): a message with a sender, its claim
    recipient = f"legacy.{uuid.uuid4()}@example.com"
    sender = f"legacy-shop-{uuid.uuid4()}"
    message_id = "MESSAGE#01KLEGACY0000000000000000"
    item = {
        "PK": f"MESSAGE#{recipient}", "SK": message_id, "id": message_id, "to": recipient, "body": "from before",
        "deliveryMethod": "EMAIL", "deliveryStatus": "DELIVERED", "statusReason": "Delivered", "from": "no-reply@example.com",
        "subject": "Message", "senderId": sender, "senderKey": f"SENDER#{sender}", "idempotencyKey": "old-key",
        "statusHistory": [{"status": "PENDING", "reason": "Recorded", "at": "2026-11-01T00:00:00.000Z"}],
        "createdAt": "2026-11-01T00:00:00.000Z", "updatedAt": "2026-11-01T00:00:00.000Z", "expiresAt": int(time.time()) + 86400,
    }  # fmt: skip
    table(api).put_item(Item=item)
    claim = {"PK": f"IDEMPOTENCY#{__import__('base64').b64encode(sender.encode()).decode()}#old-key", "SK": "IDEMPOTENCY"}
    table(api).put_item(Item={**claim, "messagePK": item["PK"], "messageSK": message_id, "claimedAt": int(time.time()) - 3600, "expiresAt": int(time.time()) + 3600})
    # WHEN they are read through the API key, by recipient and by sender, and the old key is retried
    by_recipient = read_as(api, None, to=recipient)
    by_sender = read_as(api, None, senderId=sender)
    retried = send(api, to=recipient, body="from before", deliveryMethod="EMAIL", senderId=sender, idempotencyKey="old-key")
    # THEN every view shows the old record as it stands
    assert [m["id"] for m in by_recipient] == [m["id"] for m in by_sender] == [message_id]
    assert by_recipient[0]["deliveryStatus"] == "DELIVERED" and retried.data["sendMessage"]["id"] == message_id


def wait_for_status(api: LocalApi, key: str, to: str, status: str, timeout: float = 15) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        [message] = read_as(api, key, to=to)
        if message["deliveryStatus"] == status or time.monotonic() > deadline:
            return message
        time.sleep(0.2)


@pytest.mark.parametrize(
    ("to", "method", "statuses"),
    [
        ("someone@example.com", "EMAIL", ["PENDING", "ACCEPTED", "DELIVERED"]),
        ("bounce+{n}@simulator.amazonses.com", "EMAIL", ["PENDING", "ACCEPTED", "BOUNCED"]),
        ("complaint+{n}@simulator.amazonses.com", "EMAIL", ["PENDING", "ACCEPTED", "DELIVERED", "COMPLAINED"]),
        ("+14155550199", "SMS", ["PENDING", "ACCEPTED", "FAILED"]),
        ("+14155550142", "SMS", ["PENDING", "ACCEPTED", "DELIVERED"]),
    ],
)
def test_a_test_key_runs_the_whole_pipeline_sends_nothing_and_gets_simulated_outcomes(clients_api: LocalApi, to: str, method: str, statuses: list[str]) -> None:
    # GIVEN a client's TEST key
    client = make_client(clients_api, "tester")
    to = to.format(n=uuid.uuid4().hex[:8]) if "@" in to else to
    sent_before = len(clients_api.outbox())
    # WHEN it sends
    sent = send_as(clients_api, client.test, to=to, body="test", deliveryMethod=method)
    # THEN the message is recorded and accepted, and nothing reaches SES or SNS
    assert not sent.errors and sent.data["sendMessage"]["deliveryStatus"] == "ACCEPTED"
    assert "nothing was handed to" in sent.data["sendMessage"]["statusReason"]
    # AND the provider's outcome follows a moment later, as SES's mailbox simulator or the test numbers give it
    final = wait_for_status(clients_api, client.test, to, statuses[-1])
    history = clients_api.graphql(
        "query($to: String!) { getMessages(filter: {to: $to}) { data { statusHistory { status reason } } } }", {"to": to}, key=client.test
    ).data["getMessages"]["data"][0]["statusHistory"]
    assert [change["status"] for change in history] == statuses and final["deliveryStatus"] == statuses[-1]
    assert len(clients_api.outbox()) == sent_before
    # AND the client's LIVE key does not see it
    assert read_as(clients_api, client.live, to=to) == []

"""Idempotent sends over HTTP: retries return the original, conflicts are errors, concurrent duplicates send once."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.e2e.conftest import LocalApi, history, send
from tests.e2e.test_abuse_and_access import counters_of


@pytest.fixture
def key() -> str:
    return f"order-{uuid.uuid4()}"


def deliveries_to(api: LocalApi, to: str) -> list[dict]:
    return [entry for entry in api.outbox() if entry["to"] in (to, [to])]


def test_a_retry_returns_the_original_and_sends_nothing(api: LocalApi, fresh_email: str, key: str) -> None:
    # GIVEN a message sent with an idempotency key
    first = send(api, to=fresh_email, body="once", deliveryMethod="EMAIL", idempotencyKey=key).data["sendMessage"]
    # WHEN the client retries it, the address typed differently
    retry = send(api, to=fresh_email.upper(), body="once", deliveryMethod="EMAIL", idempotencyKey=key)
    # THEN it gets the original message back, and one email went out, one record exists
    assert retry.errors == [] and retry.data["sendMessage"] == first
    assert len(deliveries_to(api, fresh_email)) == 1
    assert [m["id"] for m in history(api, fresh_email)] == [first["id"]]


def test_a_retry_returns_the_message_as_it_stands_now(api: LocalApi, fresh_email: str, key: str) -> None:
    first = send(api, to=fresh_email, body="once", deliveryMethod="EMAIL", idempotencyKey=key).data["sendMessage"]
    api.local("events", {"to": fresh_email, "messageId": first["id"], "event": "DELIVERY"})
    retry = send(api, to=fresh_email, body="once", deliveryMethod="EMAIL", idempotencyKey=key).data["sendMessage"]
    assert (retry["id"], retry["deliveryStatus"]) == (first["id"], "DELIVERED")


def test_the_same_key_with_a_different_input_is_an_error(api: LocalApi, fresh_email: str, key: str) -> None:
    send(api, to=fresh_email, body="once", deliveryMethod="EMAIL", idempotencyKey=key)
    conflict = send(api, to=fresh_email, body="changed", deliveryMethod="EMAIL", idempotencyKey=key)
    assert conflict.data is None
    [error] = conflict.errors
    assert error["errorType"] == "ValidationError" and error["errorInfo"] == {"field": "input.idempotencyKey", "rule": "sameInput"}
    assert "body" in error["message"]
    assert len(deliveries_to(api, fresh_email)) == 1 and len(history(api, fresh_email)) == 1


def test_different_keys_are_different_messages(api: LocalApi, fresh_email: str, key: str) -> None:
    first = send(api, to=fresh_email, body="same", deliveryMethod="EMAIL", idempotencyKey=key).data["sendMessage"]
    second = send(api, to=fresh_email, body="same", deliveryMethod="EMAIL", idempotencyKey=key + "-2").data["sendMessage"]
    assert first["id"] != second["id"] and len(deliveries_to(api, fresh_email)) == 2


def test_concurrent_duplicates_send_exactly_once_and_count_once(api: LocalApi, fresh_email: str, key: str) -> None:
    # GIVEN 20 clients sending the same message with the same key at the same moment
    with ThreadPoolExecutor(max_workers=20) as pool:
        responses = list(pool.map(lambda _: send(api, to=fresh_email, body="once", deliveryMethod="EMAIL", idempotencyKey=key), range(20)))
    # THEN exactly one email and one record exist; every other request got that message, or was told to retry
    # because the first was still being recorded; none was refused by a limit
    ids = {response.data["sendMessage"]["id"] for response in responses if not response.errors}
    errors = [error["errorType"] for response in responses for error in response.errors]
    assert len(ids) == 1 and set(errors) <= {"IdempotencyKeyInFlight"}, errors
    assert len(deliveries_to(api, fresh_email)) == 1
    assert len(history(api, fresh_email)) == 1
    # AND the recipient's limit counted the one message only
    assert [item["sends"] for item in counters_of(api, fresh_email)] == [1]
    # AND a retry now gets the message
    retried = send(api, to=fresh_email, body="once", deliveryMethod="EMAIL", idempotencyKey=key)
    assert retried.data["sendMessage"]["id"] in ids


@pytest.mark.parametrize("bad_key", ["", "with space", "k" * 129])
def test_a_malformed_key_is_a_clear_error(api: LocalApi, fresh_email: str, bad_key: str) -> None:
    response = send(api, to=fresh_email, body="x", deliveryMethod="EMAIL", idempotencyKey=bad_key)
    assert response.data is None and response.errors[0]["errorInfo"] == {"field": "input.idempotencyKey", "rule": "format"}
    assert deliveries_to(api, fresh_email) == [] and history(api, fresh_email) == []

"""History by sender over HTTP: the sparse bySender index, with the same paging contract as by recipient."""

from __future__ import annotations

import itertools
import time

import pytest

from local.operations import GET_MESSAGES
from tests.e2e.conftest import LocalApi, send

_senders = itertools.count()


@pytest.fixture
def sender_id() -> str:
    return f"shop-{next(_senders)}-{time.time_ns()}"


def pages(api: LocalApi, message_filter: dict, first: int) -> list[dict]:
    collected, after = [], None
    while True:
        response = api.graphql(GET_MESSAGES, {"filter": message_filter, "first": first, "after": after})
        assert not response.errors, response.errors
        collected.append(response.data["getMessages"])
        if not response.data["getMessages"]["pageInfo"]["hasNextPage"]:
            return collected
        after = response.data["getMessages"]["pageInfo"]["endCursor"]


def test_a_senders_messages_to_many_recipients_page_without_gap_or_duplicate(api: LocalApi, sender_id: str, fresh_email: str) -> None:
    # GIVEN 25 messages from one sender to three recipients, by email and SMS, and messages from others
    recipients = [fresh_email, "other." + fresh_email, "+14155550142"]
    sent = []
    for n in range(25):
        to = recipients[n % 3]
        sent.append(send(api, to=to, body=f"m{n}", deliveryMethod="SMS" if to.startswith("+") else "EMAIL", senderId=sender_id).data["sendMessage"]["id"])
        if n % 5 == 0:
            send(api, to=to, body="not theirs", deliveryMethod="SMS" if to.startswith("+") else "EMAIL", senderId=sender_id + "-other")
    # WHEN the sender's history is paged seven at a time
    result = pages(api, {"senderId": sender_id}, first=7)
    # THEN every message comes once, oldest first, and hasNextPage is exact
    assert [m["id"] for page in result for m in page["data"]] == sent
    assert [len(page["data"]) for page in result] == [7, 7, 7, 4]
    assert [page["pageInfo"]["hasNextPage"] for page in result] == [True, True, True, False]


def test_a_full_last_page_has_no_next_page(api: LocalApi, sender_id: str, fresh_email: str) -> None:
    for n in range(4):
        send(api, to=fresh_email, body=f"m{n}", deliveryMethod="EMAIL", senderId=sender_id)
    assert [page["pageInfo"]["hasNextPage"] for page in pages(api, {"senderId": sender_id}, first=2)] == [True, False]


def test_messages_without_a_sender_are_not_in_any_senders_history(api: LocalApi, sender_id: str, fresh_email: str) -> None:
    send(api, to=fresh_email, body="anonymous", deliveryMethod="EMAIL")
    assert pages(api, {"senderId": sender_id}, first=10) == [{"data": [], "pageInfo": {"hasNextPage": False, "endCursor": None}}]


def test_a_cursor_continues_only_its_own_filter(api: LocalApi, sender_id: str, fresh_email: str) -> None:
    for n in range(3):
        send(api, to=fresh_email, body=f"m{n}", deliveryMethod="EMAIL", senderId=sender_id)
    by_sender = api.graphql(GET_MESSAGES, {"filter": {"senderId": sender_id}, "first": 1}).data["getMessages"]["pageInfo"]["endCursor"]
    by_recipient = api.graphql(GET_MESSAGES, {"filter": {"to": fresh_email}, "first": 1}).data["getMessages"]["pageInfo"]["endCursor"]
    for message_filter, cursor in (({"to": fresh_email}, by_sender), ({"senderId": sender_id}, by_recipient), ({"senderId": sender_id + "x"}, by_sender)):
        response = api.graphql(GET_MESSAGES, {"filter": message_filter, "first": 1, "after": cursor})
        assert response.data is None and response.errors[0]["errorInfo"] == {"field": "after", "rule": "cursor"}


@pytest.mark.parametrize(
    ("message_filter", "field"),
    [({}, "filter"), ({"to": "a@example.com", "senderId": "shop-1"}, "filter"), ({"senderId": "  "}, "filter.senderId"), ({"to": None, "senderId": None}, "filter")],
)
def test_the_filter_needs_exactly_one_of_to_and_sender_id(api: LocalApi, message_filter: dict, field: str) -> None:
    response = api.graphql(GET_MESSAGES, {"filter": message_filter})
    assert response.data is None
    [error] = response.errors
    assert error["errorType"] == "ValidationError" and error["errorInfo"]["field"] == field

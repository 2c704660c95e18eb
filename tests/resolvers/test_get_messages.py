"""The getMessages pipeline: page size checks, the cursor, and exact hasNextPage."""

from __future__ import annotations

import pytest

from tests.resolvers.conftest import Run

PARTITION = "MESSAGE#alice@example.com"
ULIDS = [f"01M88FN0F4JBQYHKMCVXGCJM{n:02d}" for n in range(10)]


def item(ulid: str) -> dict:
    return {"PK": PARTITION, "SK": f"MESSAGE#{ulid}", "id": f"MESSAGE#{ulid}", "body": ulid}


def page(run: Run, items: list, page_size: int, next_token: str | None = None):
    return run(
        "function:queryMessages",
        "response",
        stash={"pageSize": page_size, "bound": PARTITION},
        result={"items": items, "nextToken": next_token, "scannedCount": len(items)},
    )


def query(run: Run, after: str | None, page_size: int = 2, recipient: str = "alice@example.com", stash: dict | None = None):
    return run(
        "function:queryMessages",
        "request",
        args={"filter": {"to": recipient}, "after": after},
        stash={"pageSize": page_size, "recipient": recipient, "mailbox": recipient, **(stash or {})},
    )


def query_by_sender(run: Run, sender_id: str, after: str | None = None, page_size: int = 2):
    return run("function:queryMessages", "request", args={"filter": {"senderId": sender_id}, "after": after}, stash={"pageSize": page_size, "recipient": "", "mailbox": ""})


@pytest.mark.parametrize("first", [0, -1, 101])
def test_first_outside_1_to_100_is_rejected(run: Run, first: int) -> None:
    outcome = run("resolver:Query.getMessages", "request", args={"filter": {"to": "a@b.co"}, "first": first})
    assert outcome.kind == "error" and outcome.error["errorInfo"] == {"field": "first", "rule": "range"}


@pytest.mark.parametrize(
    ("message_filter", "field", "rule"),
    [
        ({}, "filter", "exactlyOne"),
        ({"to": None, "senderId": None}, "filter", "exactlyOne"),
        ({"to": "a@b.co", "senderId": "shop-1"}, "filter", "exactlyOne"),
        ({"to": "  "}, "filter.to", "required"),
        ({"senderId": " "}, "filter.senderId", "notBlank"),
    ],
)
def test_the_filter_takes_exactly_one_of_to_and_sender_id(run: Run, message_filter: dict, field: str, rule: str) -> None:
    outcome = run("resolver:Query.getMessages", "request", args={"filter": message_filter})
    assert outcome.kind == "error" and outcome.error["errorInfo"] == {"field": field, "rule": rule}
    assert outcome.error["message"].startswith(f"{field}: ")


def test_a_sender_filter_queries_the_sparse_sender_index(run: Run) -> None:
    request = query_by_sender(run, "shop-1", page_size=7).value
    assert request["index"] == "bySender" and request["limit"] == 8 and request["scanIndexForward"] is True
    assert request["query"]["expressionNames"] == {"#senderKey": "senderKey", "#SK": "SK"}
    assert request["query"]["expressionValues"] == {
        ":senderKey_eq": {"S": "SENDER#shop-1"},
        ":SK_between_start": {"S": "MESSAGE#"},
        ":SK_between_end": {"S": "MESSAGE#~"},
    }


def test_a_recipient_cursor_does_not_continue_a_sender_listing(run: Run) -> None:
    cursor = page(run, [item(u) for u in ULIDS[:3]], page_size=2).value["pageInfo"]["endCursor"]
    outcome = query_by_sender(run, "alice@example.com", after=cursor)
    assert outcome.kind == "error" and outcome.error["errorInfo"] == {"field": "after", "rule": "cursor"}


def test_first_defaults_to_100(run: Run) -> None:
    outcome = run("resolver:Query.getMessages", "request", args={"filter": {"to": "a@b.co"}})
    assert outcome.stash["pageSize"] == 100


def test_first_page_reads_one_item_more_than_it_shows(run: Run) -> None:
    request = query(run, after=None, page_size=7).value
    assert request["operation"] == "Query" and request["limit"] == 8 and request["scanIndexForward"] is True
    assert request["query"]["expressionValues"] == {":PK_eq": {"S": PARTITION}, ":SK_between_start": {"S": "MESSAGE#"}, ":SK_between_end": {"S": "MESSAGE#~"}}


def test_a_full_extra_item_means_a_next_page(run: Run) -> None:
    result = page(run, [item(u) for u in ULIDS[:3]], page_size=2).value
    assert [m["body"] for m in result["data"]] == ULIDS[:2]
    assert result["pageInfo"]["hasNextPage"] is True


def test_no_extra_item_means_no_next_page_even_with_a_token(run: Run) -> None:
    # DynamoDB can return a LastEvaluatedKey when the limit lands exactly on the last item.
    result = page(run, [item(u) for u in ULIDS[:2]], page_size=2).value
    assert result["pageInfo"]["hasNextPage"] is False
    result = page(run, [item(u) for u in ULIDS[:1]], page_size=2).value
    assert result["pageInfo"]["hasNextPage"] is False


def test_a_query_cut_short_by_size_holds_back_its_last_item_as_proof(run: Run) -> None:
    result = page(run, [item(u) for u in ULIDS[:3]], page_size=5, next_token="more").value
    assert [m["body"] for m in result["data"]] == ULIDS[:2]
    assert result["pageInfo"]["hasNextPage"] is True


def test_an_empty_page_has_no_cursor(run: Run) -> None:
    assert page(run, [], page_size=2).value["pageInfo"] == {"hasNextPage": False, "endCursor": None}


def test_a_cursor_continues_after_its_message_in_its_own_partition(run: Run) -> None:
    cursor = page(run, [item(u) for u in ULIDS[:3]], page_size=2).value["pageInfo"]["endCursor"]
    request = query(run, after=cursor).value
    # Just past the cursor's ULID: every later ULID sorts after it, the cursor's own before it.
    assert request["query"]["expressionValues"][":SK_between_start"] == {"S": f"MESSAGE#{ULIDS[1]}0"}
    assert request["query"]["expressionValues"][":PK_eq"] == {"S": PARTITION}


def test_a_cursor_from_another_recipient_is_refused(run: Run) -> None:
    cursor = page(run, [item(u) for u in ULIDS[:3]], page_size=2).value["pageInfo"]["endCursor"]
    outcome = query(run, after=cursor, recipient="mallory@example.com")
    assert outcome.kind == "error" and outcome.error["errorInfo"] == {"field": "after", "rule": "cursor"}


@pytest.mark.parametrize("tamper", [lambda c: c[:-1] + ("0" if c[-1] != "0" else "1"), lambda c: "Z" + c[1:], lambda c: c + "x", lambda c: "", lambda c: "MESSAGE#" + c[:26], lambda c: c.lower()])
def test_a_tampered_cursor_is_refused(run: Run, tamper) -> None:
    cursor = page(run, [item(u) for u in ULIDS[:3]], page_size=2).value["pageInfo"]["endCursor"]
    outcome = query(run, after=tamper(cursor))
    assert outcome.kind == "error" and outcome.error["errorInfo"]["rule"] == "cursor"


def test_a_clients_query_reaches_only_its_own_scope_of_the_mailbox(run: Run) -> None:
    # GIVEN a caller of another client, in TEST mode
    caller = {"clientId": "01JCLIENTAAAAAAAAAAAAAAAAA", "mode": "TEST", "scope": "SCOPE#01JCLIENTAAAAAAAAAAAAAAAAA#TEST#"}
    # WHEN it reads a recipient's messages
    request = query(run, after=None, stash={"caller": caller}).value
    # THEN the key condition holds its scope at both ends: no other client's or mode's sort key lies between
    values = request["query"]["expressionValues"]
    assert values[":SK_between_start"] == {"S": "SCOPE#01JCLIENTAAAAAAAAAAAAAAAAA#TEST#MESSAGE#"}
    assert values[":SK_between_end"] == {"S": "SCOPE#01JCLIENTAAAAAAAAAAAAAAAAA#TEST#MESSAGE#~"}


def test_a_cursor_of_one_scope_is_refused_in_another(run: Run) -> None:
    cursor = page(run, [item(u) for u in ULIDS[:3]], page_size=2).value["pageInfo"]["endCursor"]
    caller = {"clientId": "01JCLIENTAAAAAAAAAAAAAAAAA", "mode": "LIVE", "scope": "SCOPE#01JCLIENTAAAAAAAAAAAAAAAAA#LIVE#"}
    outcome = query(run, after=cursor, stash={"caller": caller})
    assert outcome.kind == "error" and outcome.error["errorInfo"] == {"field": "after", "rule": "cursor"}

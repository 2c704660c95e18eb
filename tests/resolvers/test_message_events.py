"""The messageEvents pipeline (identifyCaller -> queryEvents): the caller's own feed, the settle time, the cursor,
and exact hasNextPage."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from ulid import ULID

from local.appsync.datasources import load_lambda_module
from local.appsync.js_engine import Clock
from tests.conftest import REPO_ROOT
from tests.resolvers.conftest import Run

CLIENT = {"clientId": "01JCQ7ZK3V5N8R2T4W6Y8A0C2E", "mode": "LIVE", "scope": "SCOPE#01JCQ7ZK3V5N8R2T4W6Y8A0C2E#LIVE#"}
PARTITION = "EVENT#01JCQ7ZK3V5N8R2T4W6Y8A0C2E#LIVE"
# Events recorded a day before the engine's clock (tests/conftest.py), one a second.
IDS = [str(ULID.from_timestamp(1_794_900_000 + n)) for n in range(10)]
SETTLE = timedelta(seconds=5)


def event(event_id: str) -> dict[str, Any]:
    return {"PK": PARTITION, "SK": event_id, "id": event_id, "messageId": "MESSAGE#01M88FN0F4JBQYHKMCVXGCJMHG", "status": "DELIVERED"}


def query(run: Run, after: str | None = None, page_size: int = 2, caller: dict[str, str] = CLIENT):
    return run("function:queryEvents", "request", args={"after": after}, stash={"pageSize": page_size, "caller": caller})


def page(run: Run, items: list[dict[str, Any]], page_size: int = 2, after: str | None = None, next_token: str | None = None):
    return run(
        "function:queryEvents",
        "response",
        args={"after": after},
        stash={"pageSize": page_size, "caller": CLIENT, "partition": PARTITION},
        result={"items": items, "nextToken": next_token, "scannedCount": len(items)},
    )


def cursor_after(run: Run, event_id: str) -> str:
    cursor: str = page(run, [event(event_id)], page_size=1).value["pageInfo"]["endCursor"]
    return cursor


def now(clock: Clock) -> datetime:
    return datetime.fromtimestamp(clock.now_millis() / 1000, UTC)


@pytest.mark.parametrize("first", [0, -1, 101])
def test_first_outside_1_to_100_is_rejected(run: Run, first: int) -> None:
    outcome = run("resolver:Query.messageEvents", "request", args={"first": first})
    assert outcome.kind == "error" and outcome.error["errorInfo"] == {"field": "first", "rule": "range"}


def test_first_defaults_to_100(run: Run) -> None:
    assert run("resolver:Query.messageEvents", "request", args={}).stash["pageSize"] == 100


def test_the_first_page_reads_the_callers_feed_up_to_the_settled_events(run: Run, clock: Clock) -> None:
    request = query(run, page_size=7).value
    assert request["operation"] == "Query" and request["limit"] == 8 and request["scanIndexForward"] is True
    # The bound: the greatest id of the moment SETTLE ago (python-ulid encodes the same time the same way).
    settled = str(ULID.from_datetime(now(clock) - SETTLE))[:10] + "Z" * 16
    assert request["query"]["expressionValues"] == {":PK_eq": {"S": PARTITION}, ":SK_le": {"S": settled}}


def test_the_settle_bound_holds_back_exactly_the_events_recorded_in_the_last_seconds(run: Run, clock: Clock) -> None:
    # GIVEN events the publisher would store for changes recorded just before and just after the settle bound
    common = load_lambda_module(REPO_ROOT, "handlers/clients", "clients_common")
    sort_key = "SCOPE#01JCQ7ZK3V5N8R2T4W6Y8A0C2E#LIVE#MESSAGE#01M88FN0F4JBQYHKMCVXGCJMHG"

    def recorded(moment: datetime) -> str:
        at = moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        event_id: str = common.event_id(sort_key, {"status": "DELIVERED", "at": "2026-01-01T00:00:00.000Z", "recordedAt": at})
        return event_id

    settled_ago, fresh = recorded(now(clock) - SETTLE), recorded(now(clock) - SETTLE + timedelta(milliseconds=1))
    # WHEN the feed is read now
    bound = query(run).value["query"]["expressionValues"][":SK_le"]["S"]
    # THEN the Query's key condition (SK <= bound) takes the first and leaves the second
    assert settled_ago <= bound < fresh


def test_a_cursor_continues_just_after_its_event_up_to_the_settled_events(run: Run) -> None:
    cursor = page(run, [event(i) for i in IDS[:3]]).value["pageInfo"]["endCursor"]
    values = query(run, after=cursor).value["query"]["expressionValues"]
    assert values[":SK_between_start"] == {"S": f"{IDS[1]}0"} and values[":PK_eq"] == {"S": PARTITION}
    assert values[":SK_between_end"]["S"].endswith("Z" * 16)


def test_a_full_extra_item_means_a_next_page_and_none_means_none(run: Run) -> None:
    full = page(run, [event(i) for i in IDS[:3]]).value
    assert [item["id"] for item in full["data"]] == IDS[:2] and full["pageInfo"]["hasNextPage"] is True
    exact = page(run, [event(i) for i in IDS[:2]]).value
    assert exact["pageInfo"]["hasNextPage"] is False


def test_a_query_cut_short_by_size_holds_back_its_last_item_as_proof(run: Run) -> None:
    result = page(run, [event(i) for i in IDS[:3]], page_size=5, next_token="more").value
    assert [item["id"] for item in result["data"]] == IDS[:2] and result["pageInfo"]["hasNextPage"] is True


def test_an_empty_page_gives_back_the_cursor_it_was_given(run: Run) -> None:
    # A caller polling the feed always reads on from the endCursor it got last.
    cursor = cursor_after(run, IDS[4])
    assert page(run, [], after=cursor).value["pageInfo"] == {"hasNextPage": False, "endCursor": cursor}
    assert page(run, []).value["pageInfo"] == {"hasNextPage": False, "endCursor": None}


def test_a_cursor_ahead_of_the_settled_events_reads_nothing(run: Run, clock: Clock) -> None:
    # GIVEN a cursor of an event recorded a moment ago (a clock of another AppSync host a little ahead)
    cursor = cursor_after(run, str(ULID.from_datetime(now(clock)))[:10] + "0" * 16)
    # WHEN the feed is read after it
    outcome = query(run, after=cursor)
    # THEN nothing is queried and the caller keeps its place
    assert outcome.kind == "earlyReturn" and outcome.value == {"data": [], "pageInfo": {"hasNextPage": False, "endCursor": cursor}}


def test_another_clients_or_modes_cursor_is_refused(run: Run) -> None:
    cursor = cursor_after(run, IDS[1])
    for caller in ({**CLIENT, "mode": "TEST"}, {**CLIENT, "clientId": "01JCR0000000000000000000ZZ"}, {"clientId": "default", "mode": "LIVE", "scope": ""}):
        outcome = query(run, after=cursor, caller=caller)
        assert outcome.kind == "error" and outcome.error["errorInfo"] == {"field": "after", "rule": "cursor"}


def test_a_get_messages_cursor_is_refused(run: Run) -> None:
    # GIVEN a cursor getMessages returned for a recipient's messages
    listing = run(
        "function:queryMessages",
        "response",
        stash={"pageSize": 1, "bound": "MESSAGE#a@b.co"},
        result={"items": [{"SK": f"MESSAGE#{IDS[1]}"}, {"SK": f"MESSAGE#{IDS[2]}"}], "nextToken": None},
    )
    # WHEN it is given to messageEvents
    outcome = query(run, after=listing.value["pageInfo"]["endCursor"])
    # THEN it is refused: its checksum holds only for the recipient's partition
    assert outcome.kind == "error" and outcome.error["errorInfo"] == {"field": "after", "rule": "cursor"}


@pytest.mark.parametrize("tamper", [lambda c: c[:-1] + ("0" if c[-1] != "0" else "1"), lambda c: "Z" + c[1:], lambda c: c + "x", lambda c: "", lambda c: c.lower()])
def test_a_tampered_cursor_is_refused(run: Run, tamper) -> None:
    outcome = query(run, after=tamper(cursor_after(run, IDS[1])))
    assert outcome.kind == "error" and outcome.error["errorInfo"]["rule"] == "cursor"


def test_the_cursor_checksum_is_the_one_of_get_messages() -> None:
    # APPSYNC_JS functions cannot share a module: the copy is pinned to the original.
    def checksum(path: str) -> str:
        [function] = re.findall(r"^function checksum\(.*?^}$", (REPO_ROOT / path).read_text(), re.MULTILINE | re.DOTALL)
        return str(function)

    assert checksum("graphql/functions/queryEvents.js") == checksum("graphql/functions/queryMessages.js")

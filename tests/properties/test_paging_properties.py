"""getMessages' arguments under random and hostile values, in-process through QuickJS.

The request side of the pipeline (the resolver's checks, validateInput, queryMessages) ends in one of
two ways: one DynamoDB Query scoped to the filter's partition, or a ValidationError naming `first`, `after`
or the filter. Cursors are the target: random text, a genuine cursor with one character changed, and
cursors returned for another filter.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from local.appsync.js_engine import Outcome
from tests.properties.hostile_inputs import (
    HOSTILE_PIECES,
    formatted_numbers,
    hostile_text,
    sprinkled,
    typed_emails,
)
from tests.properties.input_rules import (
    assert_named_rejection,
    filter_rules,
    is_blank,
    mailbox,
)
from tests.resolvers.conftest import Run, validate_input

PROPERTY = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)
ulids = st.from_regex(r"[0-7][0-9A-HJKMNP-TV-Z]{25}", fullmatch=True)
CURSOR_CHARACTERS = "0123456789ABCDEFGHJKMNPQRSTVWXYZabcdefIiLlOoUu#|=+/ \x00é😀"
sender_ids = st.text(min_size=1, max_size=40).filter(lambda text: not is_blank(text)) | st.sampled_from(["shop-1", "Shop-1", "shop-1 "])
filters = st.one_of(
    st.builds(lambda to: {"to": to}, typed_emails | formatted_numbers),
    st.builds(lambda sender_id: {"senderId": sender_id}, sender_ids),
)
INVALID_CURSOR = {"field": "after", "rule": "cursor"}


def get_messages(run: Run, message_filter: dict[str, Any], first: Any = None, after: Any = None) -> Outcome:
    """The request side of getMessages: the resolver's checks, the canonical recipient, then the Query."""
    args = {"filter": message_filter, "first": first, "after": after}
    checked = run("resolver:Query.getMessages", "request", args=args)
    if checked.kind != "value":
        return checked
    validated = validate_input(run, "getMessages", args, stash=checked.stash)
    return run("function:queryMessages", "request", args=args, stash=validated.stash)


def cursor_after(run: Run, message_filter: dict[str, Any], ulid: str) -> str:
    """The endCursor getMessages returns for `message_filter` when a page ends at message `ulid`."""
    bound = get_messages(run, message_filter).stash["bound"]
    page = run(
        "function:queryMessages",
        "response",
        stash={"pageSize": 1, "bound": bound},
        result={"items": [{"PK": expected_partition(message_filter), "SK": f"MESSAGE#{ulid}", "id": f"MESSAGE#{ulid}"}], "nextToken": None},
    )
    return page.value["pageInfo"]["endCursor"]


def expected_partition(message_filter: dict[str, Any]) -> str:
    if message_filter.get("senderId") is not None:
        return f"SENDER#{message_filter['senderId']}"
    return f"MESSAGE#{mailbox(message_filter['to'])}"


def assert_query_of(outcome: Outcome, message_filter: dict[str, Any], page_size: int, after_ulid: str | None = None) -> None:
    """One Query of the filter's partition, reading the messages after `after_ulid` (from the first without it)."""
    assert outcome.kind == "value", outcome.error or outcome.message
    query = outcome.value
    by_sender = message_filter.get("senderId") is not None
    key = ":senderKey_eq" if by_sender else ":PK_eq"
    assert (query["operation"], query.get("index"), query["limit"]) == ("Query", "bySender" if by_sender else None, page_size + 1)
    assert query["query"]["expressionValues"][key] == {"S": expected_partition(message_filter)}
    values = query["query"]["expressionValues"]
    start, end = values[":SK_between_start"]["S"], values[":SK_between_end"]["S"]
    assert query["query"]["expression"].endswith("(#SK BETWEEN :SK_between_start AND :SK_between_end)")
    # The range holds every message sort key (a ULID) of the caller's scope, or every one after the cursor's:
    # its start is the bare prefix or just past the cursor's message (a ULID is 26 characters, and "0" is
    # the lowest), its end above every ULID character.
    assert start == ("MESSAGE#" if after_ulid is None else f"MESSAGE#{after_ulid}0")
    assert end == "MESSAGE#~"


@PROPERTY
@given(first=st.none() | st.integers(-(2**31), 2**31 - 1) | st.sampled_from([-1, 0, 1, 2, 99, 100, 101]))
def test_any_first_is_a_page_size_of_1_to_100_or_an_error_naming_first(run: Run, first: int | None) -> None:
    # WHEN a recipient's messages are asked for with any 32-bit `first` (what the schema's Int lets through)
    outcome = get_messages(run, {"to": "alice@example.com"}, first=first)
    # THEN 1..100 (default 100) reads one item more than the page; anything else names `first`
    if first is None or 1 <= first <= 100:
        assert_query_of(outcome, {"to": "alice@example.com"}, 100 if first is None else first)
    else:
        assert outcome.kind == "error"
        assert outcome.error["errorInfo"] == {"field": "first", "rule": "range"}
        assert outcome.error["message"] == "first: must be between 1 and 100"


@PROPERTY
@given(to=st.none() | hostile_text(2000) | typed_emails, sender_id=st.none() | hostile_text(2000))
def test_any_filter_is_a_query_of_its_own_partition_or_an_error_naming_the_filter(run: Run, to: str | None, sender_id: str | None) -> None:
    # GIVEN a filter with any `to` and `senderId`, either, both or neither
    message_filter = {"to": to, "senderId": sender_id}
    # WHEN it is read
    outcome = get_messages(run, message_filter, first=10)
    # THEN it reads exactly the partition of the one given, or the error names the filter's rule
    broken = filter_rules(message_filter)
    if broken:
        assert outcome.kind == "error", outcome.value
        assert_named_rejection(outcome.error, broken)
    else:
        assert_query_of(outcome, message_filter, 10)


@PROPERTY
@given(message_filter=filters, after=hostile_text(2000) | sprinkled(ulids) | ulids)
def test_a_random_cursor_is_refused_naming_after(run: Run, message_filter: dict, after: str) -> None:
    # WHEN a client makes up a cursor (text, hostile text, a bare ULID without its checksum)
    outcome = get_messages(run, message_filter, after=after)
    # THEN it is refused as not a cursor of this filter
    assert outcome.kind == "error", outcome.value
    assert outcome.error["errorInfo"] == INVALID_CURSOR
    assert outcome.error["message"].startswith("after: ")


@PROPERTY
@given(
    message_filter=filters,
    ulid=ulids,
    position=st.integers(0, 40),
    edit=st.sampled_from(["replace", "insert", "delete"]),
    character=st.sampled_from(CURSOR_CHARACTERS) | st.sampled_from(HOSTILE_PIECES).filter(len),
)
# Junk after a NUL, where a C-string boundary would stop looking.
@example(message_filter={"senderId": "shop-1"}, ulid="01M88FN0F4JBQYHKMCVXGCJM00", position=34, edit="insert", character="\x00'; --")
def test_a_cursor_changed_in_one_place_is_refused(run: Run, message_filter: dict, ulid: str, position: int, edit: str, character: str) -> None:
    # GIVEN a genuine cursor, and the same with one character replaced, inserted or deleted
    cursor = cursor_after(run, message_filter, ulid)
    at = position % (len(cursor) + (edit == "insert"))  # an insertion may also go at the very end
    tampered = {
        "replace": cursor[:at] + character + cursor[at + 1 :],
        "insert": cursor[:at] + character + cursor[at:],
        "delete": cursor[:at] + cursor[at + 1 :],
    }[edit]
    if tampered == cursor:
        return  # replacing a character by itself is no change
    # WHEN the changed cursor is used
    outcome = get_messages(run, message_filter, after=tampered)
    # THEN it is refused, where the genuine one continues after its message
    assert outcome.kind == "error", f"{tampered!r} was taken for a cursor: {outcome.value}"
    assert outcome.error["errorInfo"] == INVALID_CURSOR
    assert_query_of(get_messages(run, message_filter, after=cursor), message_filter, 100, after_ulid=ulid)


@PROPERTY
@given(issued_for=filters, used_with=filters, ulid=ulids, retyped=st.booleans())
# Two senders that differ only after a NUL.
@example(issued_for={"senderId": "shop\x00-1"}, used_with={"senderId": "shop\x00-2"}, ulid="01M88FN0F4JBQYHKMCVXGCJM00", retyped=False)
def test_a_cursor_continues_only_the_filter_it_was_returned_for(run: Run, issued_for: dict, used_with: dict, ulid: str, retyped: bool) -> None:
    # GIVEN a cursor returned for one filter, used with another (or the same one, typed another way)
    if retyped and "to" in issued_for:
        used_with = {"to": f" {issued_for['to'].upper()} "}
    cursor = cursor_after(run, issued_for, ulid)
    # WHEN it is used
    outcome = get_messages(run, used_with, after=cursor)
    # THEN it continues only the same partition, after its message; any other filter is refused
    if expected_partition(used_with) == expected_partition(issued_for):
        assert_query_of(outcome, used_with, 100, after_ulid=ulid)
    else:
        assert outcome.kind == "error", f"a cursor of {issued_for} continued {used_with}"
        assert outcome.error["errorInfo"] == INVALID_CURSOR

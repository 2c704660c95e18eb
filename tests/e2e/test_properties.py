"""Random and malformed requests to the local stack over HTTP.

Whatever arrives (hostile text in every field, malformed documents, wrong, missing or unknown variables
and fields, hostile cursors, bodies that are not JSON objects or are too big, wrong headers), the answer
is JSON and never a 5xx, every error has a message, a validation error names the field and the rule, a
rejected request sends nothing, and the stack logs no traceback while it answers.
"""

from __future__ import annotations

import itertools
import json
import re
import string
import time
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from local.config import Settings
from local.operations import GET_MESSAGES, SEND_MESSAGE
from tests.e2e.conftest import LocalApi, send

Stack = LocalApi  # hypothesis prints it in every falsifying example: its repr is short
from tests.properties.hostile_inputs import hostile_text, message_inputs, sprinkled
from tests.properties.input_rules import (
    Senders,
    assert_named_rejection,
    broken_rules,
    canonical_recipient,
    configured_senders,
    filter_rules,
)

# The subprocess inherits this environment, so it reads the same sender settings.
CONFIG = Settings().delivery_config
SENDERS = Senders.from_config({**CONFIG, **Settings().sms_config})
ALLOWED_SENDERS = configured_senders(CONFIG)
MAX_REQUEST_BYTES = 2 * 1024 * 1024
# Bodies stay small here (the outbox is read after every send); tests/properties covers the 256 KB limits.
MAX_REPEAT = 2000
LOG_FAILURES = ("Traceback (most recent call last)", "resolver host failure")


def http_property(max_examples: int):
    return settings(
        max_examples=max_examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )


@dataclass
class RawResponse:
    status: int
    content_type: str
    body: bytes

    def json(self) -> Any:
        assert self.content_type.startswith("application/json"), f"{self.status} {self.content_type}: {self.body[:200]!r}"
        return json.loads(self.body)


def raw_request(stack: Stack, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None) -> RawResponse:
    """One request exactly as given (any method, any header value), on its own connection."""
    connection = stack.connect(timeout=10)
    try:
        connection.putrequest(method, path, skip_accept_encoding=True)
        sent_headers = {
            "x-api-key": stack.api_key,
            "Content-Type": "application/json",
            "Content-Length": str(len(body)),
            "Connection": "close",
            **(headers or {}),
        }
        for name, value in sent_headers.items():
            connection.putheader(name, value)
        connection.endheaders(body)
        reply = connection.getresponse()
        return RawResponse(reply.status, reply.getheader("Content-Type") or "", reply.read())
    finally:
        connection.close()


def assert_answered_in_json(status: int, body: Any) -> None:
    """Never a 5xx; a JSON object; every error with a message; no internal failure behind a 200."""
    assert status < 500, (status, body)
    assert isinstance(body, dict), body
    for error in body.get("errors") or []:
        assert isinstance(error.get("message"), str) and error["message"].strip(), error
        assert error.get("errorType") != "InternalFailure", error


def outbox_size(stack: Stack) -> int:
    return len(stack.outbox())


@pytest.fixture
def stack(api: LocalApi) -> Stack:
    return api


@pytest.fixture(autouse=True)
def no_traceback_logged(api: LocalApi):
    """Fails the test if the stack logs a Python traceback or a resolver host failure while it runs."""
    start = len(api.output)
    yield
    api.get("/health")
    settled, length = time.monotonic() + 5, -1
    while len(api.output) != length and time.monotonic() < settled:  # the reader thread may lag behind
        length = len(api.output)
        time.sleep(0.1)
    logged = "".join(api.output[start:])
    for failure in LOG_FAILURES:
        assert failure not in logged, logged[max(0, logged.index(failure) - 300) :][:1500]


# --- Hostile text in every field ------------------------------------------------------------------

_keys = itertools.count()


def unique_if_valid(key: Any) -> Any:
    """A valid idempotency key made unique, so that examples never replay each other's messages."""
    if isinstance(key, str) and not broken_rules({"to": "a@b.co", "body": "x", "deliveryMethod": "EMAIL", "idempotencyKey": key}, SENDERS):
        return f"{next(_keys)}-{time.time_ns()}-{key}"[:128]
    return key


@http_property(100)
@given(message_input=message_inputs(ALLOWED_SENDERS, max_repeat=MAX_REPEAT))
def test_any_message_input_is_sent_once_or_rejected_naming_a_rule_it_breaks(stack: Stack, message_input: dict) -> None:
    # GIVEN a MessageInput with every field drawn at once: unicode, controls, blanks, near-limit sizes
    if "idempotencyKey" in message_input:
        message_input["idempotencyKey"] = unique_if_valid(message_input["idempotencyKey"])
    broken = broken_rules(message_input, SENDERS)
    before = outbox_size(stack)
    # WHEN it is sent over HTTP
    response = send(stack, **message_input)
    # THEN a valid one is delivered exactly once, as given; any other is a ValidationError naming a rule it
    # breaks, and nothing is sent
    assert_answered_in_json(response.status, response.body)
    assert response.status == 200
    delivered = stack.outbox()[before:]
    if response.data is None:
        [error] = response.errors
        assert_named_rejection(error, broken)
        assert delivered == []
        return
    assert not response.errors and not broken, f"accepted although it breaks {broken}"
    message = response.data["sendMessage"]
    assert (message["to"], message["body"], message["deliveryStatus"]) == (canonical_recipient(message_input["to"]), message_input["body"], "ACCEPTED")
    [entry] = delivered
    assert entry["body"] == message_input["body"] and entry["to"] in (message["to"], [message["to"]])


# --- Malformed documents, wrong variables, unknown fields ------------------------------------------

DOCUMENTS = (SEND_MESSAGE, GET_MESSAGES, "{ getMessages(filter: {to: \"a@example.com\"}) { data { id } } }")
GRAPHQL_TOKENS = ("{", "}", "(", ")", "[", "]", "$", ":", "!", "=", "@", "...", "|", "&", '"', '"""', "#", ",", "\n", "\x00", "\ufeff",
                  "query", "mutation", "subscription", "fragment", "on", "__schema", "__typename", "getMessages", "sendMessage", "input",
                  "$input", "MessageInput!", "@include(if: true)", "@skip(if: $x)", "data", "id", "1e999", "-0", '"\\u0000"', "null")


def _edit(document: str, edits: list[tuple[int, str, int]]) -> str:
    for position, token, cut in edits:
        at = position % (len(document) + 1)
        document = document[:at] + token + document[at + cut :]
    return document


graphql_documents = st.one_of(
    st.text(),
    st.lists(st.sampled_from(GRAPHQL_TOKENS), max_size=30).map(" ".join),
    # A known document with tokens put in and text cut out anywhere.
    st.builds(_edit, st.sampled_from(DOCUMENTS), st.lists(st.tuples(st.integers(0, 400), st.sampled_from(GRAPHQL_TOKENS) | st.just(""), st.integers(0, 5)), min_size=1, max_size=4)),
)


@http_property(100)
@given(query=graphql_documents, operation_name=st.none() | st.sampled_from(["send", "page", "nope", ""]))
def test_any_graphql_document_gets_json_errors_with_messages(stack: Stack, fresh_email: str, query: str, operation_name: str | None) -> None:
    # GIVEN any document (random text, token soup, a known document cut and spliced) with valid variables
    variables = {"input": {"to": fresh_email, "body": "x", "deliveryMethod": "EMAIL"}, "filter": {"to": fresh_email}, "first": 1}
    before = outbox_size(stack)
    # WHEN it is posted
    response = stack.post("/graphql", {"query": query, "variables": variables, "operationName": operation_name}, {"x-api-key": stack.api_key})
    # THEN the answer is JSON whose errors have messages, and a request with no data sent nothing
    assert_answered_in_json(response.status, response.body)
    sent = outbox_size(stack) - before
    assert sent == 0 if response.data is None else sent <= 1


VALID_SEND = {"to": "wrong.types@example.com", "body": "x", "deliveryMethod": "EMAIL"}
MESSAGE_INPUT_FIELDS = ("to", "body", "deliveryMethod", "subject", "from", "senderId", "recipientId", "idempotencyKey")
json_scalars = st.one_of(st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=20))
json_values = st.recursive(st.none() | json_scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)
not_strings = json_values.filter(lambda value: value is not None and not isinstance(value, str))
identifiers = st.from_regex(r"[_A-Za-z][_0-9A-Za-z]{0,20}", fullmatch=True).filter(lambda name: not name.startswith("__"))


@st.composite
def broken_variables(draw) -> tuple[str, dict[str, Any], str]:
    """A document, variables with one thing wrong, and the name the error must mention."""
    case = draw(st.sampled_from(["field type", "required null", "required missing", "unknown field", "enum", "input", "page"]))
    message_input: dict[str, Any] = dict(VALID_SEND)
    if case == "field type":
        name = draw(st.sampled_from(MESSAGE_INPUT_FIELDS))
        message_input[name] = draw(not_strings)
    elif case in ("required null", "required missing"):
        name = draw(st.sampled_from(["to", "body", "deliveryMethod"]))
        message_input[name] = None
        if case == "required missing":
            del message_input[name]
    elif case == "unknown field":
        name = draw(identifiers.filter(lambda key: key not in MESSAGE_INPUT_FIELDS))
        message_input[name] = draw(json_values)
    elif case == "enum":
        name = "deliveryMethod"
        message_input[name] = draw(hostile_text(MAX_REPEAT).filter(lambda value: value not in ("EMAIL", "SMS")))
    elif case == "input":
        name = "input"
        return SEND_MESSAGE, draw(st.sampled_from([{}, {"input": None}]) | st.builds(lambda value: {"input": value}, not_strings.filter(lambda v: not isinstance(v, dict)))), name
    else:
        name = draw(st.sampled_from(["first", "after", "filter", "to", "senderId"]))
        variables: dict[str, Any] = {"filter": {"to": "a@example.com"}}
        wrong = {
            "first": st.text(max_size=5) | st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: not f.is_integer()) | st.booleans() | st.integers().filter(lambda n: not -(2**31) <= n < 2**31) | st.lists(st.integers(), max_size=2),
            "after": not_strings,
            "filter": not_strings.filter(lambda value: not isinstance(value, dict)),
            "to": not_strings,
            "senderId": not_strings,
        }[name]
        if name in ("to", "senderId"):
            variables["filter"] = {name: draw(wrong)}
        else:
            variables[name] = draw(wrong)
        return GET_MESSAGES, variables, name
    return SEND_MESSAGE, {"input": message_input}, name


@http_property(80)
@given(case=broken_variables())
def test_wrong_missing_or_unknown_variables_are_refused_naming_them(stack: Stack, case: tuple[str, dict, str]) -> None:
    # GIVEN valid variables with one field of the wrong type, null or missing where required, unknown, or
    # a value outside the enum
    query, variables, name = case
    before = outbox_size(stack)
    # WHEN they are sent
    response = stack.graphql(query, variables)
    # THEN nothing runs: every error has a message, one names what is wrong, and nothing was sent
    assert_answered_in_json(response.status, response.body)
    assert response.data is None and response.errors
    assert any(re.search(rf"\b{re.escape(name)}\b", error["message"]) for error in response.errors), (name, response.errors)
    assert outbox_size(stack) == before


@http_property(60)
@given(name=identifiers, place=st.sampled_from(["message field", "page field", "send argument", "page argument", "root field"]))
def test_unknown_fields_and_arguments_are_refused_naming_them(stack: Stack, name: str, place: str) -> None:
    known = {"id", "to", "from", "subject", "body", "deliveryMethod", "deliveryStatus", "statusReason", "senderId", "recipientId",
             "idempotencyKey", "statusHistory", "createdAt", "updatedAt", "data", "pageInfo", "input", "filter", "first", "after",
             "getMessages", "sendMessage"}
    assume(name not in known)
    # GIVEN a document that selects, or passes, a name the schema does not have
    query = {
        "message field": f"mutation($input: MessageInput!) {{ sendMessage(input: $input) {{ id {name} }} }}",
        "page field": f"{{ getMessages(filter: {{to: \"a@example.com\"}}) {{ data {{ id }} {name} }} }}",
        "send argument": f"mutation($input: MessageInput!) {{ sendMessage(input: $input, {name}: 1) {{ id }} }}",
        "page argument": f"{{ getMessages(filter: {{to: \"a@example.com\"}}, {name}: 1) {{ data {{ id }} }} }}",
        "root field": f"{{ {name} }}",
    }[place]
    variables = {"input": {"to": "unknown.fields@example.com", "body": "x", "deliveryMethod": "EMAIL"}} if "sendMessage" in query else None
    before = outbox_size(stack)
    # WHEN it is posted
    response = stack.graphql(query, variables)
    # THEN nothing runs, an error names the unknown name, and nothing was sent
    assert_answered_in_json(response.status, response.body)
    assert response.data is None and any(name in error["message"] for error in response.errors), response.errors
    assert outbox_size(stack) == before


# --- getMessages: first, filter, after ------------------------------------------------------------


@http_property(60)
@given(first=st.integers() | st.sampled_from([-(2**31) - 1, -(2**31), -1, 0, 1, 100, 101, 2**31 - 1, 2**31]))
def test_any_first_is_a_page_or_an_error_naming_first(stack: Stack, first: int) -> None:
    # WHEN a page is asked for with any integer `first`
    response = stack.graphql(GET_MESSAGES, {"filter": {"to": "first.property@example.com"}, "first": first})
    # THEN 1..100 is a page; any other 32-bit value is the resolver's range error; beyond, the schema's error
    assert_answered_in_json(response.status, response.body)
    if 1 <= first <= 100:
        assert response.errors == [] and response.data["getMessages"]["data"] == []
    elif -(2**31) <= first < 2**31:
        assert response.data is None and response.errors[0]["errorInfo"] == {"field": "first", "rule": "range"}
    else:
        # Outside GraphQL's 32-bit Int: the schema refuses it, naming the variable.
        assert response.data is None and "first" in response.errors[0]["message"]


@http_property(60)
@given(to=st.none() | hostile_text(MAX_REPEAT), sender_id=st.none() | hostile_text(MAX_REPEAT))
def test_a_hostile_filter_is_a_page_or_an_error_naming_the_filter(stack: Stack, to: str | None, sender_id: str | None) -> None:
    # GIVEN a filter with any `to` and `senderId`, either, both or neither
    message_filter = {"to": to, "senderId": sender_id}
    # WHEN it is read
    response = stack.graphql(GET_MESSAGES, {"filter": message_filter, "first": 5})
    # THEN it is a page, or an error naming the filter's rule it breaks
    assert_answered_in_json(response.status, response.body)
    broken = filter_rules(message_filter)
    if broken:
        assert response.data is None
        assert_named_rejection(response.errors[0], broken)
    else:
        assert response.errors == [] and isinstance(response.data["getMessages"]["data"], list)


@pytest.fixture
def histories(api: LocalApi, fresh_email: str) -> dict[str, Any]:
    """Two recipients with three messages each, all from one sender, and a genuine first-page cursor of each filter."""
    sender_id = f"cursor-shop-{time.time_ns()}"
    other = "other." + fresh_email
    for to in (fresh_email, other):
        for n in range(3):
            assert send(api, to=to, body=f"m{n}", deliveryMethod="EMAIL", senderId=sender_id).data
    filters = {"mine": {"to": fresh_email}, "theirs": {"to": other}, "sender": {"senderId": sender_id}}
    cursors = {name: api.graphql(GET_MESSAGES, {"filter": f, "first": 1}).data["getMessages"]["pageInfo"]["endCursor"] for name, f in filters.items()}
    return {"filters": filters, "cursors": cursors}


CURSOR_EDITS = "0123456789ABCDEFGHJKMNPQRSTVWXYZabcdefILOU#|= \x00é😀"


@st.composite
def hostile_cursors(draw, genuine: dict[str, str]) -> str:
    kind = draw(st.sampled_from(["random", "one character changed", "another filter's"]))
    if kind == "random":
        return draw((hostile_text(MAX_REPEAT) | sprinkled(st.sampled_from(list(genuine.values())))).filter(lambda text: text != genuine["mine"]))
    if kind == "another filter's":
        return draw(st.sampled_from([genuine["theirs"], genuine["sender"]]))
    cursor = genuine["mine"]
    at = draw(st.integers(0, len(cursor) - 1))
    replacement = draw(st.sampled_from(CURSOR_EDITS).filter(lambda character: character != cursor[at]))
    return cursor[:at] + replacement + cursor[at + 1 :]


@http_property(60)
@given(data=st.data())
def test_a_hostile_cursor_is_refused_naming_after(stack: Stack, histories: dict, data) -> None:
    # GIVEN a recipient's history and a cursor that getMessages never returned for it
    cursor = data.draw(hostile_cursors(histories["cursors"]), label="after")
    # WHEN it is used to read the next page
    response = stack.graphql(GET_MESSAGES, {"filter": histories["filters"]["mine"], "first": 1, "after": cursor})
    # THEN it is refused as not a cursor of this filter
    assert_answered_in_json(response.status, response.body)
    assert response.data is None
    assert response.errors[0]["errorInfo"] == {"field": "after", "rule": "cursor"}
    assert response.errors[0]["message"].startswith("after: ")


def test_the_genuine_cursor_continues_its_own_history(stack: Stack, histories: dict) -> None:
    # The control for the property above: the cursor getMessages returned does continue.
    response = stack.graphql(GET_MESSAGES, {"filter": histories["filters"]["mine"], "first": 5, "after": histories["cursors"]["mine"]})
    assert response.errors == [] and [m["body"] for m in response.data["getMessages"]["data"]] == ["m1", "m2"]


# --- Bodies that are not a JSON object, too big, or sent with wrong headers ------------------------

nesting_depths = st.integers(1, 100_000)
CONTENT_TYPES = ("application/json", "application/json; charset=utf-16", "text/plain", "application/x-www-form-urlencoded",
                 "multipart/form-data; boundary=x", "application/graphql", "", "*/*", "application/json\x7f")


@st.composite
def request_bodies(draw) -> bytes:
    kind = draw(st.sampled_from(["json", "bytes", "text", "nested", "object"]))
    if kind == "json":
        return json.dumps(draw(json_values.filter(lambda value: not isinstance(value, dict)))).encode()
    if kind == "bytes":
        return draw(st.binary(max_size=200))
    if kind == "text":
        return draw(st.text(max_size=200)).encode(draw(st.sampled_from(["utf-8", "utf-16", "latin-1"])), errors="replace")
    if kind == "nested":
        depth = draw(nesting_depths)
        return b'{"query": "{ __typename }", "variables": {"x": ' + b"[" * depth + b"]" * depth + b"}}"
    # An object, but with the wrong kind of value under a known key.
    return json.dumps({draw(st.sampled_from(["query", "variables", "operationName"])): draw(json_values)}).encode()


@http_property(100)
@given(path=st.sampled_from(["/graphql", "/local/events"]), body=request_bodies(), content_type=st.sampled_from(CONTENT_TYPES))
def test_a_body_that_is_not_a_graphql_request_gets_a_json_error(stack: Stack, path: str, body: bytes, content_type: str) -> None:
    # GIVEN a body that is not JSON, not an object, nested deep, or an object of the wrong shape
    before = outbox_size(stack)
    # WHEN it is posted, under any content type
    response = raw_request(stack, "POST", path, body, {"Content-Type": content_type})
    # THEN the answer is JSON with messages, never a 5xx or a dropped connection, and nothing was sent
    assert_answered_in_json(response.status, response.json())
    assert outbox_size(stack) == before


# Values that are not a Content-Length (RFC 9112: 1*DIGIT): words, signs, spaces, negatives. Not -1,
# which makes the server read until the client hangs up (each example would wait for the timeout).
bad_content_lengths = st.one_of(
    st.text(alphabet=string.ascii_letters + string.punctuation + " ", min_size=1, max_size=10).filter(lambda value: not value.strip().isdigit() and value.strip() != "-1"),
    st.integers(max_value=-2).map(str),
    st.sampled_from(["abc", "1e3", "0x10", " ", "1,2", "+"]),
)


@http_property(40)
@given(content_length=bad_content_lengths)
def test_a_malformed_content_length_gets_a_json_error(stack: Stack, content_length: str) -> None:
    # WHEN a request declares a length that is not a number of bytes
    response = raw_request(stack, "POST", "/graphql", b'{"query": "{ __typename }"}', {"Content-Length": content_length})
    # THEN it gets a JSON answer (a 400), not a dropped connection and a traceback
    assert_answered_in_json(response.status, response.json())


@http_property(30)
@given(method=st.from_regex(r"[A-Z]{3,8}", fullmatch=True).filter(lambda method: method not in ("GET", "POST", "OPTIONS", "HEAD", "CONNECT")), path=st.sampled_from(["/graphql", "/local/events", "/local/outbox"]))
def test_an_unsupported_method_gets_a_json_error_not_a_5xx(stack: Stack, method: str, path: str) -> None:
    # WHEN a route is called with a method it does not take (PUT, DELETE, anything)
    response = raw_request(stack, method, path, b'{"query": "{ __typename }"}', {"Content-Type": "application/json"})
    # THEN it is a JSON 4xx (405), not http.server's HTML 501
    assert_answered_in_json(response.status, response.json())


@pytest.mark.parametrize("size", [MAX_REQUEST_BYTES + 1, 8 * 1024 * 1024, 32 * 1024 * 1024], ids=["2MB+1", "8MB", "32MB"])
def test_a_request_over_2_mb_gets_a_413(stack: Stack, size: int) -> None:
    # GIVEN a sendMessage whose body alone makes the request bigger than 2 MB
    padding = size - len(json.dumps({"query": SEND_MESSAGE, "variables": {"input": {"to": "big@example.com", "body": "", "deliveryMethod": "EMAIL"}}}))
    payload = {"query": SEND_MESSAGE, "variables": {"input": {"to": "big@example.com", "body": "x" * padding, "deliveryMethod": "EMAIL"}}}
    before = outbox_size(stack)
    # WHEN an ordinary client posts it (it sends the whole body before it reads the answer)
    response = stack.post("/graphql", payload, {"x-api-key": stack.api_key})
    # THEN it reads a 413 with a message, and nothing was sent
    assert response.status == 413 and response.body["errors"][0]["message"]
    assert outbox_size(stack) == before


def test_a_declared_length_over_2_mb_is_refused_before_the_body_is_read(stack: Stack) -> None:
    # Only the headers go out: the server must answer from Content-Length alone.
    response = raw_request(stack, "POST", "/graphql", b"", {"Content-Length": str(MAX_REQUEST_BYTES + 1)})
    assert response.status == 413 and response.json()["errors"][0]["errorType"] == "PayloadTooLarge"


# 35 combinations: hypothesis tries them all and stops.
@http_property(40)
@given(field=st.sampled_from(["to", "body", "subject", "from", "senderId", "recipientId", "idempotencyKey"]), unit=st.sampled_from(["x", "é", "😀", " ", "\x00"]))
def test_a_huge_value_in_any_field_under_the_request_limit_is_a_validation_error(stack: Stack, field: str, unit: str) -> None:
    # GIVEN one field carrying about 1.5 MB, the rest of the request valid
    message_input = {**VALID_SEND, field: unit * (1_500_000 // len(json.dumps(unit)))}
    before = outbox_size(stack)
    # WHEN it is sent
    response = send(stack, **message_input)
    # THEN it is a ValidationError naming that field, and nothing was sent
    assert_answered_in_json(response.status, response.body)
    assert response.data is None
    assert_named_rejection(response.errors[0], broken_rules(message_input, SENDERS))
    assert outbox_size(stack) == before


# --- POST /local/events ---------------------------------------------------------------------------

EVENTS = ("DELIVERY", "BOUNCE", "COMPLAINT", "REJECT", "DELIVERY_DELAY", "SMS_SUCCESS", "SMS_FAILURE")


@http_property(60)
@given(
    report=st.fixed_dictionaries(
        {},
        optional={
            "to": hostile_text(MAX_REPEAT) | json_values,
            "messageId": hostile_text(MAX_REPEAT) | st.sampled_from(["MESSAGE#01M88FN0F4JBQYHKMCVXGCJM00"]) | json_values,
            "event": st.sampled_from(EVENTS) | hostile_text(MAX_REPEAT) | json_values,
            "providerResponse": json_values,
        },
    )
)
def test_a_hostile_provider_report_gets_a_json_error(stack: Stack, report: dict) -> None:
    # WHEN a report names no message this stack sent (any text, any JSON in any field)
    response = raw_request(stack, "POST", "/local/events", json.dumps(report).encode())
    # THEN it is a 4xx with a message: there is nothing to update
    assert_answered_in_json(response.status, response.json())
    assert 400 <= response.status < 500

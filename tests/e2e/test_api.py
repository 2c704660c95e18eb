"""The message API over HTTP: sending, paging, isolation, bad input and authorization."""

from __future__ import annotations

import pytest

from local.operations import GET_MESSAGES
from tests.e2e.conftest import LocalApi, history, send


def test_a_sent_message_is_returned_with_id_and_timestamps(api: LocalApi, fresh_email: str) -> None:
    response = send(api, to=fresh_email, body="hi", deliveryMethod="EMAIL", senderId="shop-1", recipientId="cust-9")
    message = response.data["sendMessage"]
    assert message["id"].startswith("MESSAGE#") and message["createdAt"].endswith("Z")
    assert message["updatedAt"] >= message["createdAt"]
    assert (message["senderId"], message["recipientId"], message["deliveryStatus"]) == ("shop-1", "cust-9", "ACCEPTED")
    assert [{name: m[name] for name in ("id", "to", "body", "deliveryStatus")} for m in history(api, fresh_email)] == [
        {"id": message["id"], "to": fresh_email, "body": "hi", "deliveryStatus": "ACCEPTED"}
    ]


def test_outbox_lists_recipient_sender_subject_and_body(api: LocalApi, fresh_email: str) -> None:
    send(api, to=fresh_email, body="line one\nline two", subject="Invoice", deliveryMethod="EMAIL", **{"from": "support@example.com"})
    [entry] = [m for m in api.outbox() if m["to"] == [fresh_email]]
    assert (entry["channel"], entry["from"], entry["subject"], entry["body"]) == ("EMAIL", "support@example.com", "Invoice", "line one\nline two")
    # Every email goes through the TLS-requiring configuration set, as in AWS.
    assert entry["configurationSet"] == "local-messenger-messages"


@pytest.mark.parametrize(("total", "pages"), [(25, [7, 7, 7, 4]), (14, [7, 7])])
def test_paging_has_no_gap_no_duplicate_and_an_exact_has_next_page(api: LocalApi, fresh_email: str, total: int, pages: list) -> None:
    # GIVEN `total` messages to one recipient
    sent_ids = [send(api, to=fresh_email, body=f"m{n}", deliveryMethod="EMAIL").data["sendMessage"]["id"] for n in range(total)]
    # WHEN a client pages through them seven at a time
    seen, sizes, flags, after = [], [], [], None
    while True:
        page = api.graphql(GET_MESSAGES, {"filter": {"to": fresh_email}, "first": 7, "after": after}).data["getMessages"]
        seen += [m["id"] for m in page["data"]]
        sizes.append(len(page["data"]))
        flags.append(page["pageInfo"]["hasNextPage"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    # THEN every message comes once, oldest first, and hasNextPage is never true before an empty page
    assert seen == sent_ids
    assert sizes == pages
    assert flags == [True] * (len(pages) - 1) + [False]


def test_recipients_only_see_their_own_messages(api: LocalApi, fresh_email: str) -> None:
    other = "other." + fresh_email
    send(api, to=fresh_email, body="for me", deliveryMethod="EMAIL")
    send(api, to=other, body="for them", deliveryMethod="EMAIL")
    send(api, to=other, body="for them too", deliveryMethod="EMAIL")
    assert [m["body"] for m in history(api, fresh_email)] == ["for me"]
    # A cursor obtained for one recipient cannot be replayed against another.
    theirs = api.graphql(GET_MESSAGES, {"filter": {"to": other}, "first": 1}).data["getMessages"]["pageInfo"]["endCursor"]
    replay = api.graphql(GET_MESSAGES, {"filter": {"to": fresh_email}, "first": 1, "after": theirs})
    assert replay.data is None
    assert replay.errors[0]["errorInfo"] == {"field": "after", "rule": "cursor"}


def test_history_is_found_however_the_address_is_typed(api: LocalApi, fresh_email: str) -> None:
    send(api, to=fresh_email.upper(), body="upper", deliveryMethod="EMAIL")
    send(api, to="+1 (415) 555-0199", body="formatted", deliveryMethod="SMS")
    assert [m["body"] for m in history(api, f"  {fresh_email.title()} ")] == ["upper"]
    assert "formatted" in [m["body"] for m in history(api, "+1.415.555.0199")]


BAD_SENDS = {
    "invalid email": ({"to": "not-an-email", "body": "x", "deliveryMethod": "EMAIL"}, "input.to"),
    "phone not E.164": ({"to": "(415) 555-0100", "body": "x", "deliveryMethod": "SMS"}, "input.to"),
    "empty body": ({"to": "{email}", "body": "", "deliveryMethod": "EMAIL"}, "input.body"),
    "SMS body over 1600": ({"to": "+14155550177", "body": "x" * 1601, "deliveryMethod": "SMS"}, "input.body"),
    "email body over 256 KB": ({"to": "{email}", "body": "x" * (256 * 1024 + 1), "deliveryMethod": "EMAIL"}, "input.body"),
    "subject on SMS": ({"to": "+14155550177", "body": "x", "subject": "s", "deliveryMethod": "SMS"}, "input.subject"),
    "sender not allowed": ({"to": "{email}", "body": "x", "from": "ceo@example.com", "deliveryMethod": "EMAIL"}, "input.from"),
}


@pytest.mark.parametrize("case", BAD_SENDS, ids=list(BAD_SENDS))
def test_bad_input_is_a_clear_error_and_changes_nothing(api: LocalApi, fresh_email: str, case: str) -> None:
    message_input, field = BAD_SENDS[case]
    message_input = {k: (fresh_email if v == "{email}" else v) for k, v in message_input.items()}
    outbox_before = len(api.outbox())
    before = history(api, message_input["to"]) if message_input["deliveryMethod"] == "SMS" else []
    # WHEN the bad request is sent
    response = send(api, **message_input)
    # THEN it is a GraphQL error naming the field, and nothing was stored or sent
    assert response.status == 200 and response.data is None
    [error] = response.errors
    assert error["errorType"] == "ValidationError" and error["errorInfo"]["field"] == field
    assert error["message"].startswith(field + ": ")
    assert len(api.outbox()) == outbox_before
    if message_input["deliveryMethod"] == "EMAIL" and "@" in message_input["to"] and "." in message_input["to"]:
        assert history(api, message_input["to"]) == []
    else:
        assert history(api, message_input["to"]) == before


@pytest.mark.parametrize("first", [0, 101, -5])
def test_first_out_of_range_is_a_clear_error(api: LocalApi, first: int) -> None:
    response = api.graphql(GET_MESSAGES, {"filter": {"to": "a@example.com"}, "first": first})
    assert response.data is None and response.errors[0]["message"] == "first: must be between 1 and 100"


@pytest.mark.parametrize("cursor", ["garbage", "01M88FN0F4JBQYHKMCVXGCJMHG00000000", "' OR 1=1 --"])
def test_a_malformed_cursor_is_a_clear_error(api: LocalApi, fresh_email: str, cursor: str) -> None:
    send(api, to=fresh_email, body="x", deliveryMethod="EMAIL")
    response = api.graphql(GET_MESSAGES, {"filter": {"to": fresh_email}, "after": cursor})
    assert response.data is None
    assert response.errors[0]["message"] == "after: is not a cursor returned for this filter"


def test_a_missing_required_field_is_rejected_by_the_schema(api: LocalApi) -> None:
    response = api.graphql("mutation { sendMessage(input: {to: \"a@example.com\", body: \"x\"}) { id } }")
    assert response.data is None and "deliveryMethod" in response.errors[0]["message"]


@pytest.mark.parametrize("key", [None, "", "wrong-key"])
def test_requests_without_the_api_key_get_401(api: LocalApi, fresh_email: str, key: str | None) -> None:
    headers = {} if key is None else {"x-api-key": key}
    response = api.post("/graphql", {"query": "mutation($i: MessageInput!) { sendMessage(input: $i) { id } }", "variables": {"i": {"to": fresh_email, "body": "x", "deliveryMethod": "EMAIL"}}}, headers)
    assert response.status == 401
    assert response.body == {"errors": [{"errorType": "UnauthorizedException", "message": "You are not authorized to make this call."}]}
    assert history(api, fresh_email) == []


def test_a_body_that_is_not_json_is_a_400(api: LocalApi) -> None:
    response = api.post("/graphql", b"{not json", {"x-api-key": api.api_key})
    assert response.status == 400 and response.body["errors"][0]["errorType"] == "MalformedHttpRequestException"


def test_a_caller_sees_the_schemas_fields_and_never_the_records_internal_attributes(api: LocalApi, fresh_email: str) -> None:
    # GIVEN a message with a sender (whose record carries index keys: PK, SK, senderKey, ...)
    sent = send(api, to=fresh_email, body="hi", deliveryMethod="EMAIL", senderId="shop-internal").data["sendMessage"]
    # WHEN a caller asks for the message, with __typename, by recipient and by sender
    selection = "__typename id to body deliveryStatus senderId"
    by_recipient = api.graphql(f'{{ getMessages(filter: {{to: "{fresh_email}"}}) {{ data {{ {selection} }} }} }}')
    by_sender = api.graphql(f'{{ getMessages(filter: {{senderId: "shop-internal"}}) {{ data {{ {selection} }} }} }}')
    # THEN each answer holds exactly the selected fields of the schema's Message type
    for response in (by_recipient, by_sender):
        [message] = [m for m in response.data["getMessages"]["data"] if m["id"] == sent["id"]]
        assert set(message) == {"__typename", "id", "to", "body", "deliveryStatus", "senderId"}
    # AND the schema has no field that names an internal attribute
    for internal in ("PK", "SK", "senderKey", "providerMessageId", "sesMessageId", "expiresAt"):
        assert api.graphql(f'{{ getMessages(filter: {{to: "{fresh_email}"}}) {{ data {{ {internal} }} }} }}').errors

"""The three example requests of the original design, verbatim, against the local stack."""

from __future__ import annotations

import re

from tests.e2e.conftest import DEFAULT_EMAIL_FROM, LocalApi

# Verbatim from the original README (../shared/seed/original-readme.md).
SEND_EMAIL = """mutation sendMessage($input: MessageInput!) {
sendMessage(input: $input) {
to
from
body
deliveryMethod
deliveryStatus
recipientId
senderId
}
}"""

SEND_SMS = """mutation sendMessage($input: MessageInput!) {
sendMessage(input: $input) {
to
body
deliveryMethod
deliveryStatus
recipientId
senderId
}
}"""

GET_MESSAGES = """query getMessages($filter: MessageFilter!, $first: Int, $after: String) {
getMessages(filter: $filter, first: $first, after: $after) {
data {
id
to
body
deliveryMethod
deliveryStatus
from
recipientId
senderId
}
pageInfo {
hasNextPage
endCursor
}
}
}"""

MESSAGE_ID = re.compile(r"^MESSAGE#[0-9A-HJKMNP-TV-Z]{26}$")


def test_send_email_example(default_api: LocalApi, fresh_email: str) -> None:
    response = default_api.graphql(
        SEND_EMAIL,
        {"input": {"to": fresh_email, "subject": "Message", "body": "Hello world", "deliveryMethod": "EMAIL"}},
    )
    assert response.status == 200 and not response.errors
    assert response.data == {
        "sendMessage": {
            "to": fresh_email,
            "from": DEFAULT_EMAIL_FROM,
            "body": "Hello world",
            "deliveryMethod": "EMAIL",
            "deliveryStatus": "ACCEPTED",
            "recipientId": None,
            "senderId": None,
        }
    }
    delivered = [m for m in default_api.outbox() if m["to"] == [fresh_email]]
    assert [(m["from"], m["subject"], m["body"]) for m in delivered] == [(DEFAULT_EMAIL_FROM, "Message", "Hello world")]


def test_send_sms_example(default_api: LocalApi) -> None:
    phone = "+14155550123"
    response = default_api.graphql(SEND_SMS, {"input": {"to": phone, "body": "Hello world", "deliveryMethod": "SMS"}})
    assert response.status == 200 and not response.errors
    assert response.data == {
        "sendMessage": {
            "to": phone,
            "body": "Hello world",
            "deliveryMethod": "SMS",
            "deliveryStatus": "ACCEPTED",
            "recipientId": None,
            "senderId": None,
        }
    }
    assert any(m["channel"] == "SMS" and m["to"] == phone and m["body"] == "Hello world" for m in default_api.outbox())


def test_get_messages_example(default_api: LocalApi, fresh_email: str) -> None:
    # GIVEN three emails sent to one recipient
    for number in (1, 2, 3):
        sent = default_api.graphql(SEND_EMAIL, {"input": {"to": fresh_email, "body": f"Hello world {number}", "deliveryMethod": "EMAIL"}})
        assert not sent.errors
    # WHEN the example query asks for the first two
    response = default_api.graphql(GET_MESSAGES, {"filter": {"to": fresh_email}, "first": 2, "after": None})
    # THEN it gets the two oldest, with ids, and a cursor to the rest
    assert response.status == 200 and not response.errors
    page = response.data["getMessages"]
    assert [m["body"] for m in page["data"]] == ["Hello world 1", "Hello world 2"]
    for message in page["data"]:
        assert MESSAGE_ID.match(message["id"])
        assert {k: v for k, v in message.items() if k != "id" and k != "body"} == {
            "to": fresh_email,
            "deliveryMethod": "EMAIL",
            "deliveryStatus": "ACCEPTED",
            "from": DEFAULT_EMAIL_FROM,
            "recipientId": None,
            "senderId": None,
        }
    assert page["pageInfo"]["hasNextPage"] is True and page["pageInfo"]["endCursor"]

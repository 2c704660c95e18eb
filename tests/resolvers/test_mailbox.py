"""The recipient's mailbox (ctx.stash.mailbox): the one inbox that an address's variants reach."""

from __future__ import annotations

import pytest

from tests.resolvers.conftest import Run, validate_input

SEND = {"body": "Hello", "deliveryMethod": "EMAIL"}


@pytest.mark.parametrize(
    ("typed", "mailbox"),
    [
        ("target@gmail.com", "target@gmail.com"),
        # The variants that got past the limits of target@gmail.com: a tag, a dot, the other Gmail domain.
        ("target+1@gmail.com", "target@gmail.com"),
        ("t.arget@gmail.com", "target@gmail.com"),
        ("target@googlemail.com", "target@gmail.com"),
        (" T.a.R.g.E.t+news.letter+2@GoogleMail.COM ", "target@gmail.com"),
        # Elsewhere dots are the address's own; a tag is dropped on every domain.
        ("first.last+shop@Example.com", "first.last@example.com"),
        ("first.last@example.com", "first.last@example.com"),
        ("a+b+c@example.com", "a@example.com"),
        # A "+" that begins the local part is no tag.
        ("+tag@example.com", "+tag@example.com"),
        ("+a+b@example.com", "+a@example.com"),
        # Only gmail.com and googlemail.com themselves.
        ("t.arget@mail.gmail.com", "t.arget@mail.gmail.com"),
        ("t.arget@gmail.co", "t.arget@gmail.co"),
        # A phone number's mailbox is its E.164 form.
        ("+44 (0) 20 7946 0958", "+442079460958"),
        ("+1 415-555-0100", "+14155550100"),
    ],
)
def test_every_field_stashes_the_mailbox_beside_the_recipient(run: Run, typed: str, mailbox: str) -> None:
    method = "EMAIL" if "@" in typed else "SMS"
    sent = validate_input(run, "sendMessage", {"input": {**SEND, "deliveryMethod": method, "to": typed}})
    read = validate_input(run, "getMessages", {"filter": {"to": typed}})
    erased = validate_input(run, "eraseRecipient", {"to": typed})
    assert sent.kind == "value", sent.error
    for outcome in (sent, read, erased):
        assert outcome.stash["mailbox"] == mailbox
        assert outcome.stash["recipient"] == sent.value["payload"]["to"]


def test_the_recipient_stays_as_typed_in_canonical_case_and_keys_the_record(run: Run) -> None:
    # The mailbox is computed beside the recipient; the record is still stored under the address as typed.
    outcome = validate_input(run, "sendMessage", {"input": {**SEND, "to": "T.Arget+1@GoogleMail.com"}})
    record = outcome.value["payload"]
    assert (outcome.stash["recipient"], outcome.stash["mailbox"]) == ("t.arget+1@googlemail.com", "target@gmail.com")
    assert (record["to"], record["PK"]) == ("t.arget+1@googlemail.com", "MESSAGE#t.arget+1@googlemail.com")


def test_a_sender_filter_has_no_mailbox(run: Run) -> None:
    assert "mailbox" not in validate_input(run, "getMessages", {"filter": {"senderId": "shop-1"}}).stash


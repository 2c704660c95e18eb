"""The limits and erasure work on the person's mailbox, whatever variant of the address a caller types, and
erasing a person does not reset the limit that protects them."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from local.launcher import running_stack
from tests.e2e.conftest import API_KEY, LocalApi, history, send, signed

ERASE = "mutation($to: String!) { eraseRecipient(to: $to) { to messagesErased } }"
LIMITS = {"EMAIL_PER_RECIPIENT_PER_HOUR": "3", "SMS_PER_RECIPIENT_PER_HOUR": "3", "EMAIL_PER_MINUTE": "1000000", "SMS_PER_MINUTE": "1000000"}


@pytest.fixture(scope="module")
def limited() -> Iterator[LocalApi]:
    with running_stack(API_KEY, LIMITS) as stack:
        yield stack


def refused_for(response: object) -> str | None:
    errors = response.errors
    return errors[0]["errorInfo"]["limit"] if errors else None


def test_variants_of_one_gmail_mailbox_share_its_limit(limited: LocalApi) -> None:
    # GIVEN a Gmail mailbox sent its 3 emails this hour
    name = f"target{uuid.uuid4().hex[:8]}"
    for _ in range(3):
        assert not send(limited, to=f"{name}@gmail.com", body="x", deliveryMethod="EMAIL").errors
    # WHEN the same mailbox is typed with a +tag, a dot, googlemail.com or capitals
    variants = [f"{name}+1@gmail.com", f"{name[0]}.{name[1:]}@gmail.com", f"{name}@googlemail.com", f"{name.upper()}@Gmail.com"]
    # THEN each is refused by the recipient's limit, and nothing more is recorded
    assert [refused_for(send(limited, to=variant, body="x", deliveryMethod="EMAIL")) for variant in variants] == ["recipientPerHour"] * 4
    assert len(history(limited, f"{name}@gmail.com")) == 3
    # AND another mailbox is not affected
    assert not send(limited, to=f"{name}2@gmail.com", body="x", deliveryMethod="EMAIL").errors


def test_a_tag_counts_on_the_mailbox_on_any_domain(limited: LocalApi) -> None:
    name = f"shop{uuid.uuid4().hex[:8]}"
    for tag in ("a", "b", "c"):
        assert not send(limited, to=f"{name}+{tag}@example.com", body="x", deliveryMethod="EMAIL").errors
    assert refused_for(send(limited, to=f"{name}@example.com", body="x", deliveryMethod="EMAIL")) == "recipientPerHour"
    # The records keep the addresses as typed, and one history holds them all.
    assert sorted(message["to"] for message in history(limited, f"{name}@example.com")) == [f"{name}+{tag}@example.com" for tag in "abc"]


def test_erasure_reaches_every_variant_of_the_mailbox(limited: LocalApi) -> None:
    # GIVEN messages to a mailbox under a tag and without
    name = f"erase.me.{uuid.uuid4().hex[:8]}"
    send(limited, to=f"{name}@example.com", body="plain", deliveryMethod="EMAIL")
    send(limited, to=f"{name}+news@example.com", body="tagged", deliveryMethod="EMAIL")
    # WHEN the operator erases one spelling of it
    erased = signed(limited, ERASE, {"to": f"{name}+other@EXAMPLE.com"})
    # THEN both are gone, and the answer names the mailbox
    assert not erased.errors and erased.data["eraseRecipient"] == {"to": f"{name}@example.com", "messagesErased": 2}
    assert history(limited, f"{name}+news@example.com") == [] and history(limited, f"{name}@example.com") == []


def test_erasing_a_person_does_not_lift_the_limit_that_protects_them(limited: LocalApi) -> None:
    # GIVEN a number sent its 3 SMS this hour, and refused a fourth
    number = f"+14155550{100 + uuid.uuid4().int % 98}"  # the fictional 555-01xx numbers, each valid
    for _ in range(3):
        assert not send(limited, to=number, body="code", deliveryMethod="SMS").errors
    assert refused_for(send(limited, to=number, body="code", deliveryMethod="SMS")) == "recipientPerHour"
    # WHEN the person is erased
    assert signed(limited, ERASE, {"to": number}).data["eraseRecipient"]["messagesErased"] == 3
    # THEN their messages are gone, but no more SMS reach them this hour
    assert history(limited, number) == []
    assert refused_for(send(limited, to=number, body="code", deliveryMethod="SMS")) == "recipientPerHour"

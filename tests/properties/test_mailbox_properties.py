"""The recipient's mailbox (validateInput.js, ctx.stash.mailbox) under random and hostile addresses.

The mailbox is the inbox an address's variants reach: a tag, the case, and for Gmail dots and googlemail.com
make no other mailbox. tests/properties/input_rules.py writes the rule out apart from the resolver (`mailbox`).
"""

from __future__ import annotations

import string

import phonenumbers
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from hypothesis.provisional import domains

from tests.properties.hostile_inputs import (
    TRIMMED_WHITESPACE,
    formatted_example_numbers,
    formatted_numbers,
    hostile_text,
    recased,
    typed_emails,
)
from tests.properties.input_rules import mailbox, phone_number
from tests.resolvers.conftest import Run, validate_input

PROPERTY = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)
GMAIL_DOMAINS = ["gmail.com", "googlemail.com"]
# A local part's own characters: no "+" (which begins a tag) and no dots (which Gmail ignores); dots go in apart.
LOCAL_CHARACTERS = string.ascii_letters + string.digits + "!#$%&'*/=?^_`{|}~-"
bases = st.text(LOCAL_CHARACTERS, min_size=1, max_size=20)
tags = st.text(LOCAL_CHARACTERS + ".+", max_size=12)
any_domain = st.sampled_from(GMAIL_DOMAINS) | domains(max_length=60)
recipients_typed_any_way = st.one_of(
    hostile_text(2000),
    typed_emails,
    formatted_numbers,
    formatted_example_numbers,
    st.text(alphabet="+.@aAbB-\t \xa0gmailcoGOOGLEMAIL", max_size=30),
)


def mailbox_of(run: Run, typed: str, field: str = "getMessages") -> str:
    args = {"filter": {"to": typed}} if field == "getMessages" else {"to": typed}
    outcome = validate_input(run, field, args)
    assert outcome.kind == "value", outcome.message
    return outcome.stash["mailbox"]


def with_dots(text: str, positions: list[int]) -> str:
    for position in positions:
        at = position % (len(text) + 1)
        text = text[:at] + "." + text[at:]
    return text


@pytest.mark.parametrize("field", ["getMessages", "eraseRecipient"])
@PROPERTY
@given(typed=recipients_typed_any_way)
@example(typed="+.a+b@GoogleMail.com")
@example(typed="..@gmail.com")
def test_the_mailbox_of_anything_typed_is_the_rules(run: Run, field: str, typed: str) -> None:
    # GIVEN any text typed as a recipient, WHEN read, THEN its mailbox is the one the rule gives
    assert mailbox_of(run, typed, field) == mailbox(typed)


@PROPERTY
@given(typed=recipients_typed_any_way)
@example(typed="+.a+b@GoogleMail.com")
def test_a_mailbox_is_its_own_mailbox(run: Run, typed: str) -> None:
    # GIVEN the mailbox of anything typed: an address, a valid number or no number (libphonenumber reads some
    # invalid numbers anew each time, and no such number is ever stored)
    once = mailbox_of(run, typed)
    number = phone_number(typed)
    assume("@" in once or number is None or phonenumbers.is_valid_number(number))
    # WHEN it is typed as a recipient, THEN its mailbox is itself
    assert mailbox_of(run, once) == once


@PROPERTY
@given(
    base=bases,
    domain=any_domain,
    tag=tags,
    case_mask=st.integers(0, 2**64 - 1),
    around=st.sampled_from(TRIMMED_WHITESPACE),
    dots=st.lists(st.integers(1, 40), max_size=4),
    other_gmail=st.booleans(),
)
def test_an_addresss_variants_reach_one_mailbox(run: Run, base: str, domain: str, tag: str, case_mask: int, around: str, dots: list, other_gmail: bool) -> None:
    # GIVEN an address, and a variant of it: another case, a tag, and for Gmail dots and the other Gmail domain
    gmail = domain in GMAIL_DOMAINS
    address = f"{base}@{domain}"
    variant_local = (with_dots(base, dots) if gmail else base) + (f"+{tag}" if tag or not gmail else "")
    variant_domain = ("googlemail.com" if domain == "gmail.com" else "gmail.com") if gmail and other_gmail else domain
    variant = around + recased(f"{variant_local}@{variant_domain}", case_mask) + around
    # WHEN each is read, THEN both are one mailbox: the address's, lower-cased, on gmail.com for Gmail
    expected = f"{base.lower()}@{'gmail.com' if gmail else domain.lower()}"
    assert mailbox_of(run, variant) == mailbox_of(run, address) == expected


@PROPERTY
@given(first=st.tuples(bases, any_domain), second=st.tuples(bases, any_domain), dots=st.lists(st.integers(1, 40), max_size=3))
@example(first=("ab", "gmail.com"), second=("ab", "example.com"), dots=[])
@example(first=("ab", "example.com"), second=("a-b", "example.com"), dots=[])
def test_different_mailboxes_stay_different(run: Run, first: tuple[str, str], second: tuple[str, str], dots: list) -> None:
    # GIVEN two addresses of different mailboxes (other letters, or another domain), the first written with dots
    (first_base, first_domain), (second_base, second_domain) = first, second
    first_mailbox, second_mailbox = mailbox(f"{first_base}@{first_domain}"), mailbox(f"{second_base}@{second_domain}")
    assume(first_mailbox != second_mailbox)
    dotted = with_dots(first_base, dots) if first_domain in GMAIL_DOMAINS else first_base
    # WHEN each is read, THEN their mailboxes differ
    assert mailbox_of(run, f"{dotted}@{first_domain}") != mailbox_of(run, f"{second_base}@{second_domain}")


@PROPERTY
@given(typed=formatted_example_numbers)
def test_a_numbers_mailbox_is_its_e164_form(run: Run, typed: str) -> None:
    outcome = validate_input(run, "getMessages", {"filter": {"to": typed}})
    assert outcome.stash["mailbox"] == outcome.stash["recipient"] == mailbox(typed)

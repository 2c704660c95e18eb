"""sendMessage's validation under random and malformed input, in-process through QuickJS.

Whatever the input, validateInput ends in one of two ways: a record fit to store,
or a ValidationError naming a field and a rule that the input really breaks (tests/properties/input_rules.py
is the oracle). Never a crash. `deliveryMethod` is only EMAIL or SMS here: the schema refuses anything
else before a resolver runs (tests/e2e/test_properties.py sends the rest).
"""

from __future__ import annotations

import re
from typing import Any

import phonenumbers
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from local.appsync.js_engine import Outcome
from tests.properties.hostile_inputs import (
    MESSAGE_FIELDS,
    TRIMMED_WHITESPACE,
    e164_numbers,
    emails,
    example_numbers,
    field_values,
    formatted,
    formatted_example_numbers,
    formatted_numbers,
    hostile_text,
    message_inputs,
    put_pieces,
    recased,
    typed_emails,
)
from tests.properties.input_rules import (
    PHONE_FORMATTING,
    Senders,
    assert_named_rejection,
    broken_rules,
    canonical_recipient,
    configured_senders,
    expected_sender,
    js_trim,
    mailbox,
    phone_number,
)
from tests.resolvers.conftest import CONFIG, SMS_CONFIG, Run, validate_input

SENDERS = Senders.from_config({**CONFIG, **SMS_CONFIG})
ALLOWED_SENDERS = configured_senders(CONFIG)
VALID_INPUT = {
    "EMAIL": {"to": "alice@example.com", "body": "Hello world", "deliveryMethod": "EMAIL"},
    "SMS": {"to": "+14155550100", "body": "Hello world", "deliveryMethod": "SMS"},
}
MESSAGE_ID = re.compile(r"MESSAGE#[0-9A-HJKMNP-TV-Z]{26}")

# `run` is function-scoped but stateless (one shared engine), so reusing it across examples is safe.
PROPERTY = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)


def normalise(run: Run, typed: Any, where: str = "input") -> str:
    """The canonical recipient: sendMessage's `input.to` (the record's `to`), or getMessages' `filter.to`."""
    if where == "filter":
        outcome = validate_input(run, "getMessages", {"filter": {"to": typed}})
        assert outcome.kind == "value", outcome.message
        return outcome.stash["recipient"]
    # Whatever the message's other fields, sendMessage stashes the canonical recipient before it checks them.
    outcome = validate(run, {**VALID_INPUT["SMS"], "to": typed})
    assert outcome.kind in ("value", "error"), outcome.message
    return outcome.stash["recipient"]


def validate(run: Run, message_input: dict[str, Any]) -> Outcome:
    """validateInput, as the sendMessage pipeline runs it."""
    return validate_input(run, "sendMessage", {"input": message_input})


def assert_record_of(record: dict[str, Any], message_input: dict[str, Any]) -> None:
    method = message_input["deliveryMethod"]
    recipient = canonical_recipient(message_input["to"])
    subject, sender_id = message_input.get("subject"), message_input.get("senderId")
    expected = {
        "PK": f"MESSAGE#{mailbox(message_input['to'])}",
        "to": recipient,
        "body": message_input["body"],
        "deliveryMethod": method,
        "deliveryStatus": "PENDING",
        "from": expected_sender(message_input.get("from"), method, SENDERS),
        "subject": (subject if subject is not None else "Message") if method == "EMAIL" else None,
        "senderId": sender_id,
        "senderKey": None if sender_id is None else f"SENDER#{sender_id}",
        "recipientId": message_input.get("recipientId"),
        "idempotencyKey": message_input.get("idempotencyKey"),
    }
    assert {name: record.get(name) for name in expected} == expected
    assert MESSAGE_ID.fullmatch(record["id"]) and record["SK"] == record["id"]


def assert_valid_record_or_named_rejection(run: Run, message_input: dict[str, Any], outcome: Outcome) -> None:
    broken = broken_rules(message_input, SENDERS)
    assert outcome.kind in ("value", "error"), f"{outcome.kind}: {outcome.message}"
    if outcome.kind == "error":
        assert_named_rejection(outcome.error, broken)
        return
    assert broken == {}, f"accepted although it breaks {broken}"
    record = outcome.value["payload"]
    assert_record_of(record, message_input)
    # The next steps turn it into DynamoDB requests (the key's claim, the record): an accepted record gets that far too.
    claimed = run("function:claimKey", "request", prev={"result": record}, stash={"config": {**CONFIG, "messagesTable": "messages"}})
    assert claimed.kind == ("value" if "idempotencyKey" in record else "earlyReturn"), claimed.message
    stored = run("function:recordMessage", "request", prev={"result": record}, stash=claimed.stash)
    assert stored.kind == "value", stored.message


@PROPERTY
@given(message_input=message_inputs(ALLOWED_SENDERS))
def test_any_input_becomes_a_record_or_a_validation_error_naming_a_rule_it_breaks(run: Run, message_input: dict) -> None:
    # GIVEN every field drawn at once, hostile or valid
    # WHEN it is validated
    outcome = validate(run, message_input)
    # THEN it is a record fit to store, or an error naming a field and a rule the input really breaks
    assert_valid_record_or_named_rejection(run, message_input, outcome)


@pytest.mark.parametrize("field", MESSAGE_FIELDS)
@PROPERTY
@given(method=st.sampled_from(["EMAIL", "SMS"]), data=st.data())
def test_a_hostile_value_in_one_field_is_accepted_only_when_valid_and_otherwise_named(run: Run, field: str, method: str, data) -> None:
    # GIVEN a valid message with one field replaced by anything (unicode, controls, blanks, huge)
    value = data.draw(field_values(field, ALLOWED_SENDERS), label=field)
    message_input = {**VALID_INPUT[method], field: value}
    assert set(broken_rules(message_input, SENDERS)) <= {f"input.{field}"}, "the other fields are valid"
    # WHEN it is validated
    outcome = validate(run, message_input)
    # THEN an error can only be about that field, and only for a rule it breaks
    assert_valid_record_or_named_rejection(run, message_input, outcome)


@PROPERTY
@given(typed=typed_emails)
@example(typed="Someone@Example.xn--p1ai")  # an IDN top-level domain (.рф) in its ASCII form
def test_every_valid_email_address_however_typed_is_accepted_in_canonical_form(run: Run, typed: str) -> None:
    # GIVEN a valid address (dot-atom local part, any known domain) in any case, with white space around
    outcome = validate(run, {**VALID_INPUT["EMAIL"], "to": typed})
    # THEN it is accepted and recorded lower-cased and trimmed
    assert outcome.kind == "value", outcome.error or outcome.message
    assert outcome.value["payload"]["to"] == js_trim(typed).lower()


@PROPERTY
@given(data=st.data())
def test_every_valid_number_of_an_allowed_country_however_formatted_is_accepted_in_canonical_form(run: Run, data) -> None:
    # GIVEN a valid number (libphonenumber's example of a type) of a country SMS may go to, formatted any way
    number = data.draw(st.sampled_from(example_numbers(SENDERS.sms_countries)), label="number")
    typed = data.draw(formatted(st.just(number)), label="typed")
    outcome = validate(run, {**VALID_INPUT["SMS"], "to": typed})
    # THEN it is accepted and recorded in E.164 form
    assert outcome.kind == "value", outcome.error or outcome.message
    assert outcome.value["payload"]["to"] == number


recipients_typed_any_way = st.one_of(
    hostile_text(2000),
    typed_emails,
    formatted_numbers,
    formatted_example_numbers,
    # Formatting, white space and digits jumbled together: where trimming and stripping meet.
    st.text(alphabet=" -.()\t\n\xa0\u3000+0123456789@Aa", max_size=20),
)


@pytest.mark.parametrize("where", ["input", "filter"])
@PROPERTY
@given(typed=recipients_typed_any_way)
@example(typed="(\xa0+44 20 7946 0958)")  # a no-break space inside the formatting, as pasted
def test_normalising_a_recipient_twice_changes_nothing(run: Run, where: str, typed: str) -> None:
    # GIVEN any text typed as a recipient (sendMessage's input.to or getMessages' filter.to) that is an address, a
    # valid number, or no number at all: libphonenumber reads some invalid numbers anew each time (a second
    # national prefix), and no such number is ever stored
    number = phone_number(typed)
    assume(number is None or phonenumbers.is_valid_number(number))
    once = normalise(run, typed, where)
    # WHEN its canonical form is normalised again
    twice = normalise(run, once, where)
    # THEN it is already canonical: a stored `to` and a filter typed as that `to` meet
    assert twice == once


@PROPERTY
@given(
    address=emails,
    number=e164_numbers | st.sampled_from(example_numbers(frozenset(phonenumbers.SUPPORTED_REGIONS))),
    case_mask=st.integers(0, 2**64 - 1),
    around=st.sampled_from(TRIMMED_WHITESPACE),
    formatting=st.lists(st.tuples(st.sampled_from(PHONE_FORMATTING), st.integers(0, 20)), max_size=5),
)
def test_normalisation_ignores_case_and_formatting(run: Run, address: str, number: str, case_mask: int, around: str, formatting: list) -> None:
    # GIVEN an address and a number, and each retyped: other case, other formatting, white space around
    retyped_address = f"{around}{recased(address, case_mask)}{around}"
    retyped_number = f"{around}{put_pieces(number, formatting)}{around}"
    # WHEN each is normalised, THEN both forms have one canonical form, for sending and for reading alike:
    # libphonenumber's E.164 form of the number
    for where in ("input", "filter"):
        assert normalise(run, retyped_address, where) == normalise(run, address, where) == address.lower()
        assert normalise(run, retyped_number, where) == normalise(run, number, where) == canonical_recipient(number)

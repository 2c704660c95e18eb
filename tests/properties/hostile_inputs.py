"""Hypothesis strategies for message input: valid values typed every way, and hostile ones.

Shared by the in-process properties (tests/properties) and the HTTP ones (tests/e2e/test_properties.py).
Lone surrogates are left out: JSON, and so GraphQL, cannot carry them.
"""

from __future__ import annotations

import operator
import string
from functools import cache

import phonenumbers
from hypothesis import strategies as st
from hypothesis.provisional import domains

# Pieces that break naive validation, storage or logs: C0, DEL and C1 controls (U+009B is a terminal
# escape), white space that is not a space, line and paragraph separators, bidi overrides, zero-width
# and combining characters, astral characters and emoji sequences, case-mapping oddities (the Kelvin
# sign lower-cases to "k", "İ" to two characters) and injection-looking text.
HOSTILE_PIECES = (
    "", " ", "\t", "\n", "\r\n", "\r", "\x00", "\x07", "\x0b", "\x0c", "\x1b[31m", "\x1f", "\x7f", "\x85", "\x9b", "\x9f",
    "\xa0", "\u1680", "\u2028", "\u2029", "\u3000", "\ufeff", "\u200b", "\u200d", "\u200f", "\u202e", "\u2066",
    "e\u0301", "\u0301", "Z\u0336\u0321\u0359\u035a", "😀", "👩\u200d👩\u200d👧\u200d👦", "🇩🇪", "\U0001d400", "مرحبا", "שלום", "漢字",
    "İ", "\u212a", "ß", "\ufffd", "\uffff", "\U0010fffd", "'; DROP TABLE messages; --", "<script>", "%s%n", "${x}", "{{x}}",
    "@", "+", "MESSAGE#", "SENDER#", "IDEMPOTENCY#", "|", "\\", '"',
)
# White space that String.prototype.trim removes, to surround valid values with.
TRIMMED_WHITESPACE = ("", " ", "  ", "\t", "\n", "\r\n", "\xa0", "\u2009", "\u3000", "\ufeff")
# Sizes around every limit (256 characters, 1,600 for SMS, 256 KB of UTF-8) for units of 1 to 4
# UTF-8 bytes and 1 or 2 UTF-16 code units: 87,381 x "€" is 3 bytes under 256 KB, 65,536 x "😀" exactly it.
LIMIT_SIZES = (0, 1, 127, 128, 129, 255, 256, 257, 799, 800, 801, 1599, 1600, 1601, 65536, 65537, 87381, 87382, 131072, 131073, 262144, 262145)
REPEATED_UNITS = ("x", "é", "€", "😀", " ", "\n", "<", "\x00", "\x85", "e\u0301")


def put_pieces(text: str, placements: list[tuple[str, int]]) -> str:
    """`text` with each piece put in at its position (taken modulo the length so far)."""
    for piece, position in placements:
        at = position % (len(text) + 1)
        text = text[:at] + piece + text[at:]
    return text


def sprinkled(base: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Values of `base` with one to three hostile pieces put in anywhere: start, middle or end."""
    placement = st.tuples(st.sampled_from(HOSTILE_PIECES), st.integers(min_value=0, max_value=10_000))
    return st.builds(put_pieces, base, st.lists(placement, min_size=1, max_size=3))


@cache
def huge_text(max_repeat: int = 300_000) -> st.SearchStrategy[str]:
    """A unit repeated up to `max_repeat` times, often right at a limit."""
    sizes = st.sampled_from([size for size in LIMIT_SIZES if size <= max_repeat]) | st.integers(0, max_repeat)
    return st.builds(operator.mul, st.sampled_from(REPEATED_UNITS), sizes)


@cache
def hostile_text(max_repeat: int = 300_000) -> st.SearchStrategy[str]:
    """Any text: arbitrary unicode, hostile pieces alone or sprinkled, whitespace only, huge."""
    return st.one_of(
        st.text(),
        st.sampled_from(HOSTILE_PIECES),
        sprinkled(st.text(max_size=40)),
        st.text(alphabet="".join(TRIMMED_WHITESPACE), max_size=8),
        huge_text(max_repeat),
    )


def _surrounded(value: str, before: str, after: str) -> str:
    return before + value + after


def surrounded(base: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """`base` with white space around it that the resolvers trim."""
    return st.builds(_surrounded, base, st.sampled_from(TRIMMED_WHITESPACE), st.sampled_from(TRIMMED_WHITESPACE))


# Dot-atom local parts (hypothesis' own emails() has no dots), on any domain hypothesis knows.
LOCAL_PART_CHARACTERS = string.ascii_letters + string.digits + "!#$%&'*+/=?^_`{|}~-"
local_parts = st.lists(st.text(LOCAL_PART_CHARACTERS, min_size=1, max_size=16), min_size=1, max_size=4).map(".".join).filter(lambda part: len(part) <= 64)
emails = st.builds("{}@{}".format, local_parts, domains(max_length=120)).filter(lambda address: len(address) <= 254)
e164_numbers = st.builds("+{}{}".format, st.integers(1, 9), st.text("0123456789", min_size=6, max_size=14))


def recased(text: str, mask: int) -> str:
    return "".join(character.upper() if mask >> (position % 64) & 1 else character.lower() for position, character in enumerate(text))


typed_emails = surrounded(st.builds(recased, emails, st.integers(0, 2**64 - 1)))
NUMBER_FORMATTING = [" ", "-", ".", "(", ")", "  ", " - "]


def example_numbers(countries: frozenset[str]) -> list[str]:
    """libphonenumber's example number of each type of each country, in E.164 form: valid numbers by its rules."""
    examples = (phonenumbers.example_number_for_type(country, kind) for country in sorted(countries) for kind in phonenumbers.PhoneNumberType.values())
    return sorted({phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) for number in examples if number is not None})


def formatted(numbers: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Numbers with spaces, dashes, dots and parentheses anywhere, and white space around."""
    return surrounded(st.builds(put_pieces, numbers, st.lists(st.tuples(st.sampled_from(NUMBER_FORMATTING), st.integers(0, 40)), max_size=6)))


idempotency_keys = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=128)


# E.164-shaped numbers, formatted: most are no valid number by libphonenumber's rules. Valid ones: its examples.
formatted_numbers = formatted(e164_numbers)
formatted_example_numbers = formatted(st.sampled_from(example_numbers(frozenset(phonenumbers.SUPPORTED_REGIONS))))


def sender_values(allowed: tuple[str, ...]) -> st.SearchStrategy[str]:
    """`from` values: the allowed ones typed every way, near misses, and anything at all."""
    allowed_typed = surrounded(st.builds(recased, st.sampled_from(allowed), st.integers(0, 2**64 - 1)))
    return st.one_of(allowed_typed, sprinkled(st.sampled_from(allowed)), emails, hostile_text(2000))


def field_values(field: str, allowed_senders: list[str], max_repeat: int = 300_000) -> st.SearchStrategy:
    """Values for one MessageInput field; optional fields may also be null."""
    return _field_values(field, tuple(allowed_senders), max_repeat)


# Strategies are built once and drawn from many times: building one (and hypothesis' checks of it) costs far more
# than a draw, and the composites below and the tests' `data.draw` ask for the same ones for every example.
@cache
def _field_values(field: str, allowed_senders: tuple[str, ...], max_repeat: int) -> st.SearchStrategy:
    anything = hostile_text(max_repeat)
    values = {
        "to": st.one_of(anything, typed_emails, formatted_numbers, formatted_example_numbers, sprinkled(emails), sprinkled(e164_numbers)),
        "body": anything,
        "subject": anything,
        "from": sender_values(allowed_senders),
        "senderId": anything,
        "recipientId": anything,
        "idempotencyKey": st.one_of(idempotency_keys, sprinkled(idempotency_keys), anything),
    }[field]
    return values if field in ("to", "body") else st.none() | values


MESSAGE_FIELDS = ("to", "body", "subject", "from", "senderId", "recipientId", "idempotencyKey")


@st.composite
def message_inputs(draw, allowed_senders: list[str], max_repeat: int = 300_000) -> dict:
    """A whole MessageInput with every field drawn at once (absent optional fields left out)."""
    message_input = {"deliveryMethod": draw(st.sampled_from(["EMAIL", "SMS"]))}
    for field in MESSAGE_FIELDS:
        value = draw(field_values(field, allowed_senders, max_repeat))
        if value is not None or draw(st.booleans()):
            message_input[field] = value
    return message_input

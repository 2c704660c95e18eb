"""The README's "Rules for input", written out in Python apart from the resolvers: the oracle of the properties.

`broken_rules` answers which rules of which fields an input breaks, so a property can check both ways:
a rejected input named a field and a rule that it really breaks, and an accepted input breaks none.
Where the README leaves a word open, the choice is written next to the rule.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import phonenumbers

# What String.prototype.trim removes (ECMAScript WhiteSpace and LineTerminator): "blank" and
# "surrounding white space" follow the language the resolvers are written in.
JS_WHITESPACE = "\t\n\x0b\x0c\r \xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
PHONE_FORMATTING = " -.()"
WITHOUT_PHONE_FORMATTING = str.maketrans("", "", PHONE_FORMATTING)
LINE_SEPARATORS = "\u2028\u2029"
TEXT_LINE_BREAKS = "\t\n\r"
# Control characters in Unicode's sense (category Cc): C0, DEL and the C1 range U+0080..U+009F. Unicode's stability
# policy fixes Cc to these 65 code points, all below U+0100. Inputs run to hundreds of thousands of characters, so
# the rules below search with one expression instead of asking unicodedata about every character.
CONTROL_CHARACTERS = "".join(chr(code) for code in range(0x100) if unicodedata.category(chr(code)) == "Cc")
_TEXT_CONTROL = re.compile("[" + re.escape("".join(sorted(set(CONTROL_CHARACTERS) - set(TEXT_LINE_BREAKS)))) + "]")
_LINE_CONTROL = re.compile("[" + re.escape(CONTROL_CHARACTERS + LINE_SEPARATORS) + "]")

MAX_LINE_LENGTH = 256
MAX_SMS_BODY_LENGTH = 1600
MAX_EMAIL_BODY_BYTES = 256 * 1024
MAX_EMAIL_ADDRESS_LENGTH = 254

_ATEXT = r"[a-z0-9!#$%&'*+/=?^_`{|}~-]"
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
# A top-level domain is letters, or an IDN top-level domain in its ASCII (A-label) form, e.g. xn--p1ai (.рф).
_TLD = r"(?:[a-z]{2,63}|xn--[a-z0-9](?:[a-z0-9-]{0,57}[a-z0-9])?)"
EMAIL_ADDRESS = re.compile(rf"{_ATEXT}+(?:\.{_ATEXT}+)*@(?:{_LABEL}\.)+{_TLD}", re.ASCII)
E164_NUMBER = re.compile(r"\+[1-9][0-9]{6,14}", re.ASCII)
# A phone number is typed as "+" and digits, with formatting anywhere (and white space around); at most this long.
PLUS_AND_DIGITS = re.compile(r"\+[0-9]{3,}", re.ASCII)
MAX_TYPED_NUMBER_LENGTH = 250
SMS_SENDER_ID = re.compile(r"(?=[0-9]*[A-Za-z])[A-Za-z0-9]{1,11}", re.ASCII)
IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,128}", re.ASCII)


@dataclass(frozen=True)
class Senders:
    """Who may send: the email senders as configured (the default first), their lower-cased forms, SMS IDs; and the
    countries SMS may go to."""

    configured_emails: tuple[str, ...]
    emails: frozenset[str]
    sms_ids: frozenset[str]
    sms_countries: frozenset[str]

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Senders:
        configured = (config["defaultEmailFrom"], *(config.get("allowedEmailSenders") or []))
        return cls(
            configured_emails=configured,
            emails=frozenset(sender.lower() for sender in configured),
            sms_ids=frozenset(sender.lower() for sender in config.get("allowedSmsSenderIds") or []),
            sms_countries=frozenset(config["smsAllowedCountries"]),
        )


def configured_senders(config: Mapping[str, Any]) -> list[str]:
    """Every sender the delivery settings allow, as configured: the default address, other addresses, SMS IDs."""
    return [config["defaultEmailFrom"], *config["allowedEmailSenders"], *config["allowedSmsSenderIds"]]


def js_trim(text: str) -> str:
    return text.strip(JS_WHITESPACE)


def is_blank(text: str) -> bool:
    return js_trim(text) == ""


def length(text: str) -> int:
    """Characters as AppSync JS (and JSON) count them: UTF-16 code units, so an emoji counts two."""
    return len(text.encode("utf-16-le")) // 2


def phone_number(typed: str) -> phonenumbers.PhoneNumber | None:
    """The number libphonenumber reads from a recipient typed as the README's rules say a number is typed ("+" and
    digits, with spaces, dashes, dots and parentheses), or None."""
    text = js_trim(typed)
    compact = js_trim(text.translate(WITHOUT_PHONE_FORMATTING))
    if len(text) > MAX_TYPED_NUMBER_LENGTH or not PLUS_AND_DIGITS.fullmatch(compact):
        return None
    try:
        return phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        return None


def canonical_recipient(typed: str) -> str:
    """The README's canonical address: an email lower-cased, a phone number in E.164 form as libphonenumber
    writes it, anything else without phone formatting; all without surrounding white space."""
    text = js_trim(typed)
    if "@" in text:
        return text.lower()
    number = phone_number(text)
    if number is not None:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return js_trim(text.translate(WITHOUT_PHONE_FORMATTING))


GMAIL_DOMAINS = ("gmail.com", "googlemail.com")


def mailbox(typed: str) -> str:
    """The README's mailbox: the inbox an address's variants reach. An email address lower-cased, without its tag
    (from a "+" after the local part's first character to the "@"), and on gmail.com and googlemail.com (one
    domain, gmail.com) without dots in the local part; anything else, its canonical form."""
    recipient = canonical_recipient(typed)
    if "@" not in recipient:
        return recipient
    local, _, domain = recipient.rpartition("@")
    untagged = local[:1] + local[1:].split("+")[0]
    if domain in GMAIL_DOMAINS:
        return untagged.replace(".", "") + "@gmail.com"
    return f"{untagged}@{domain}"


def sms_recipient_rules(typed: str, countries: frozenset[str]) -> set[str]:
    """An SMS goes to a valid number (libphonenumber's is_valid_number) of an allowed country. Validity is told
    only for the calling codes of allowed countries; any other code's number is simply not allowed."""
    number = phone_number(typed)
    if number is None or not E164_NUMBER.fullmatch(canonical_recipient(typed)):
        return {"e164"}
    code_regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE[number.country_code or 0]
    valid = phonenumbers.is_valid_number(number)
    if not valid and countries.intersection(code_regions):
        return {"validNumber"}
    return set() if valid and phonenumbers.region_code_for_number(number) in countries else {"allowedCountry"}


def recipient_rules(typed: str, method: str, countries: frozenset[str]) -> set[str]:
    recipient = canonical_recipient(typed)
    if recipient == "":
        return {"required"}
    if method == "EMAIL":
        valid = len(recipient) <= MAX_EMAIL_ADDRESS_LENGTH and EMAIL_ADDRESS.fullmatch(recipient)
        return set() if valid else {"email"}
    return sms_recipient_rules(typed, countries)


def body_rules(body: str, method: str) -> set[str]:
    broken = set()
    if is_blank(body):
        broken.add("notBlank")
    # "Line breaks" are LF and CR (CRLF); every other control character, C1 included, is refused.
    if _TEXT_CONTROL.search(body):
        broken.add("noControlCharacters")
    if method == "SMS" and length(body) > MAX_SMS_BODY_LENGTH:
        broken.add("maxLength")
    if method == "EMAIL" and len(body.encode()) > MAX_EMAIL_BODY_BYTES:
        broken.add("maxBytes")
    return broken


def single_line_rules(value: str | None) -> set[str]:
    """`subject`, `senderId`, `recipientId`: not blank when given; one line of at most 256 characters."""
    if value is None:
        return set()
    broken = set()
    if is_blank(value):
        broken.add("notBlank")
    if length(value) > MAX_LINE_LENGTH:
        broken.add("maxLength")
    # One line: no control character at all, and neither LINE SEPARATOR nor PARAGRAPH SEPARATOR.
    if _LINE_CONTROL.search(value):
        broken.add("noControlCharacters")
    return broken


def sender_rules(sender: str | None, method: str, senders: Senders) -> set[str]:
    if sender is None:
        return set()
    if method == "EMAIL":
        return set() if js_trim(sender).lower() in senders.emails else {"allowedSender"}
    sender_id = js_trim(sender)
    broken = set() if SMS_SENDER_ID.fullmatch(sender_id) else {"smsSenderId"}
    if sender_id.lower() not in senders.sms_ids:
        broken.add("allowedSender")
    return broken


def expected_sender(sender: str | None, method: str, senders: Senders) -> str | None:
    """The sender a valid input is recorded with: for email the first configured address it names, compared
    case-insensitively and spelt as configured (SES identities keep their case); as typed (trimmed) for SMS."""
    if method == "EMAIL":
        wanted = None if sender is None else js_trim(sender).lower()
        return next(address for address in senders.configured_emails if wanted is None or address.lower() == wanted)
    return None if sender is None else js_trim(sender)


def idempotency_key_rules(key: str | None) -> set[str]:
    return set() if key is None or IDEMPOTENCY_KEY.fullmatch(key) else {"format"}


def broken_rules(message_input: Mapping[str, Any], senders: Senders) -> dict[str, set[str]]:
    """`{"input.<field>": {rule, ...}}` for every field the input breaks a rule of; empty when it is valid."""
    method = message_input["deliveryMethod"]
    subject = message_input.get("subject")
    broken = {
        "input.to": recipient_rules(message_input["to"], method, senders.sms_countries),
        "input.body": body_rules(message_input["body"], method),
        "input.subject": single_line_rules(subject) | ({"emailOnly"} if method == "SMS" and subject is not None else set()),
        "input.from": sender_rules(message_input.get("from"), method, senders),
        "input.senderId": single_line_rules(message_input.get("senderId")),
        "input.recipientId": single_line_rules(message_input.get("recipientId")),
        "input.idempotencyKey": idempotency_key_rules(message_input.get("idempotencyKey")),
    }
    return {field: rules for field, rules in broken.items() if rules}


def filter_rules(message_filter: Mapping[str, Any]) -> dict[str, set[str]]:
    """getMessages' filter: exactly one of `to` and `senderId`, neither blank."""
    to, sender_id = message_filter.get("to"), message_filter.get("senderId")
    if (to is None) == (sender_id is None):
        return {"filter": {"exactlyOne"}}
    if to is not None and is_blank(to):
        return {"filter.to": {"required"}}
    if sender_id is not None and is_blank(sender_id):
        return {"filter.senderId": {"notBlank"}}
    return {}


def assert_named_rejection(error: Mapping[str, Any], broken: Mapping[str, set[str]]) -> None:
    """A ValidationError whose field and rule the input really breaks, and whose message starts with the field."""
    assert error.get("errorType") == "ValidationError", error
    info = error.get("errorInfo") or {}
    field, rule = info.get("field"), info.get("rule")
    assert isinstance(field, str) and isinstance(rule, str) and rule, error
    assert error["message"].startswith(f"{field}: "), error
    assert rule in broken.get(field, set()), f"rejected for {field}/{rule}, which the input does not break (it breaks {broken or 'nothing'})"

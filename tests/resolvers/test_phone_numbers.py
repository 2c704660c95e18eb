"""Phone numbers in validateInput.js, held against libphonenumber itself (PyPI `phonenumbers`).

A few thousand typed numbers (every region's example numbers of every type, in E.164, international and
national form, with national prefixes, formatting and wrong lengths, and North American numbers under other
area codes) go through the resolver code in QuickJS: its canonical form, its validity and its country must be
those of `phonenumbers.parse`, `is_valid_number` and `region_code_for_number`, for every one.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from functools import cache

import phonenumbers
import pytest
from phonenumbers import PhoneNumberFormat

from local import sms_countries
from local.appsync.js_engine import JsEngine, Outcome
from tests.properties.input_rules import E164_NUMBER, canonical_recipient, phone_number
from tests.resolvers.conftest import CONFIG, Run, validate_input

NON_GEOGRAPHIC_CODES = sorted(phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS)
# Three-digit area codes tried with every North American example: the Caribbean's, Canada's, unassigned ones.
AREA_CODES = [f"{code}" for code in range(200, 1000, 7)] + ["268", "284", "340", "345", "441", "473", "649", "664", "670", "671", "684", "721", "758", "767", "784", "787", "809", "829", "849", "868", "869", "876", "939"]
SAMPLE_SEED = 20261118


def _examples() -> Iterator[phonenumbers.PhoneNumber]:
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in phonenumbers.PhoneNumberType.values():
            number = phonenumbers.example_number_for_type(region, kind)
            if number is not None:
                yield number
        invalid = phonenumbers.invalid_example_number(region)
        if invalid is not None:
            yield invalid
    for code in NON_GEOGRAPHIC_CODES:
        number = phonenumbers.example_number_for_non_geo_entity(code)
        if number is not None:
            yield number


def _typed_ways(number: phonenumbers.PhoneNumber, rng: random.Random) -> set[str]:
    """A number typed the ways people type it, and mistyped."""
    code = number.country_code
    e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    national_significant = e164[len(str(code)) + 1 :]
    national = phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    variants = [
        f"+{code} (0) {national_significant}",
        f"+{code}-0-{national_significant}",
        f"+{code} 1 {national_significant}",
        f"+{code}.{national_significant[:3]}.{national_significant[3:]}",
        f"(+{code}) {national_significant}",
        # Wrong lengths.
        e164[:-1],
        e164[:-2],
        e164 + str(rng.randrange(10)),
        e164 + str(rng.randrange(100)).zfill(2),
        # A digit changed.
        e164[:-3] + str(rng.randrange(10)) + e164[-2:],
    ]
    # As written (the national form with its national prefix, after the calling code), and some of the variants.
    ways = {e164, phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL), f"+{code} {national}", *rng.sample(variants, 4)}
    if code == 1:
        subscriber = national_significant[3:]
        ways |= {f"+1 ({area}) {subscriber[:3]}-{subscriber[3:]}" for area in rng.sample(AREA_CODES, 6)}
    return {way for way in ways if len(way) > 1}


@cache
def typed_numbers() -> list[str]:
    rng = random.Random(SAMPLE_SEED)
    typed: set[str] = set()
    for number in _examples():
        typed |= _typed_ways(number, rng)
    return sorted(typed)


@cache
def _numbering(code: str) -> str:
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE[int(code)]
    return sms_countries.sms_numbering(list(regions))[code]


def _send(run: Run, typed: str, allowed: list[str], code: str | None) -> Outcome:
    config = {**CONFIG, "smsAllowedCountries": allowed, "smsNumbering": {code: _numbering(code)} if code and allowed else {}}
    return run(
        "function:validateInput",
        "request",
        args={"input": {"to": typed, "body": "Hello", "deliveryMethod": "SMS"}},
        stash={"config": config},
        info={"fieldName": "sendMessage"},
    )


def _rule(outcome: Outcome) -> str | None:
    return None if outcome.kind == "value" else outcome.error.get("errorInfo", {}).get("rule", outcome.kind)


def _disagreements(run: Run, typed: str) -> list[str]:
    """How the resolver's reading of `typed` differs from libphonenumber's (empty: not at all)."""
    found = []
    canonical = canonical_recipient(typed)
    read = validate_input(run, "getMessages", {"filter": {"to": typed}}).value["payload"]
    if read != canonical:
        found.append(f"canonical {read!r}, libphonenumber {canonical!r}")
    number = phone_number(typed)
    if number is None or not E164_NUMBER.fullmatch(canonical):
        rule = _rule(_send(run, typed, ["US"], "1"))
        return found + ([] if rule == "e164" else [f"refused as {rule}, not as unreadable (e164)"])
    code = str(number.country_code)
    regions = list(phonenumbers.COUNTRY_CODE_TO_REGION_CODE[int(code)])
    if not phonenumbers.is_valid_number(number):
        rule = _rule(_send(run, typed, regions, code))
        return found + ([] if rule == "validNumber" else [f"invalid, yet {rule or 'accepted'} with all of +{code} allowed"])
    region = phonenumbers.region_code_for_number(number) or ""
    if (rule := _rule(_send(run, typed, [region], code))) is not None:
        found.append(f"a valid number of {region}, refused ({rule}) with {region} allowed")
    others = [other for other in regions if other != region]
    if (rule := _rule(_send(run, typed, others, code))) != "allowedCountry":
        found.append(f"a number of {region}, {rule or 'accepted'} with only {others} allowed")
    return found


def test_the_resolver_reads_every_sample_number_as_libphonenumber_does(run: Run, engine: JsEngine) -> None:
    # GIVEN a few thousand numbers, typed every way, valid and not, of every region
    samples = typed_numbers()
    assert len(samples) > 3000
    # WHEN the resolver reads each (getMessages' canonical form; sendMessage's verdict with its country allowed or not),
    # all on the engine's QuickJS thread: its 24,000 calls go straight in rather than each handed to that thread
    disagreements = engine.run(lambda: {typed: found for typed in samples if (found := _disagreements(run, typed))})
    # THEN its canonical form, validity and country are libphonenumber's for every one
    report = "\n".join(f"{typed!r}: {'; '.join(found)}" for typed, found in list(disagreements.items())[:30])
    assert not disagreements, f"{len(disagreements)} of {len(samples)} disagree:\n{report}"


def test_the_samples_cover_valid_and_invalid_numbers_of_every_region() -> None:
    numbers = [number for typed in typed_numbers() if (number := phone_number(typed)) is not None]
    valid_regions = {phonenumbers.region_code_for_number(number) for number in numbers if phonenumbers.is_valid_number(number)}
    # (EH's and MF's examples are Morocco's and Guadeloupe's by libphonenumber's region order.)
    of_examples = {phonenumbers.region_code_for_number(number) for number in _examples() if phonenumbers.is_valid_number(number)}
    assert valid_regions >= of_examples and len(of_examples) > 240
    assert sum(not phonenumbers.is_valid_number(number) for number in numbers) > 1000


# The cases that were wrong before: the national prefix kept in the canonical form, and a prefix match letting
# +1 reach the Caribbean.
@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("+44 (0) 7700 900123", "+447700900123"),
        ("+44 (0) 20 7946 0958", "+442079460958"),
        ("+1 1 415 555 0100", "+14155550100"),
        ("+54 011 15-2345-6789", "+5491123456789"),  # Argentina's mobile prefix 15 becomes a 9 after the code
    ],
)
def test_a_national_prefix_after_the_country_code_is_dropped(run: Run, typed: str, canonical: str) -> None:
    for field, args in (("getMessages", {"filter": {"to": typed}}), ("eraseRecipient", {"to": typed})):
        assert validate_input(run, field, args).stash["recipient"] == canonical
    assert canonical_recipient(typed) == canonical  # as libphonenumber has it


def test_a_number_typed_with_a_national_prefix_is_stored_without_it(run: Run) -> None:
    outcome = validate_input(run, "sendMessage", {"input": {"to": "+44 (0) 20 7946 0958", "body": "Hi", "deliveryMethod": "SMS"}})
    assert outcome.kind == "value" and outcome.value["payload"]["to"] == "+442079460958"


def test_a_number_that_is_not_valid_is_refused_and_named(run: Run) -> None:
    # 07700 900xxx is the UK's range for drama: libphonenumber calls it invalid.
    outcome = validate_input(run, "sendMessage", {"input": {"to": "+44 (0) 7700 900123", "body": "Hi", "deliveryMethod": "SMS"}})
    assert outcome.kind == "error" and outcome.error["errorType"] == "ValidationError"
    assert outcome.error["errorInfo"] == {"field": "input.to", "rule": "validNumber"}
    assert outcome.error["message"] == "input.to: is not a valid phone number"


@pytest.mark.parametrize(("typed", "country"), [("+1 876 210 1234", "JM"), ("+1 809 234 5678", "DO"), ("+1 268 464 1234", "AG")])
def test_a_caribbean_number_is_refused_where_only_the_us_is_allowed(run: Run, typed: str, country: str) -> None:
    # GIVEN a valid number of a country sharing +1 with the US (as libphonenumber has it)
    number = phonenumbers.parse(typed)
    assert phonenumbers.is_valid_number(number) and phonenumbers.region_code_for_number(number) == country
    # WHEN it is sent an SMS with US allowed, THEN it is refused: of a country SMS may not go to
    outcome = _send(run, typed, ["US"], "1")
    assert outcome.error["errorInfo"] == {"field": "input.to", "rule": "allowedCountry"}
    assert outcome.error["message"] == "input.to: must be a number in a country this service sends SMS to (US)"
    # AND with its own country allowed it goes through
    assert _send(run, typed, ["US", country], "1").kind == "value"


def test_a_crown_dependency_number_is_not_the_uks(run: Run) -> None:
    # +44 7797 ... is Jersey's (JE), though it shares the UK's calling code.
    assert _rule(_send(run, "+44 7797 712345", ["GB"], "44")) == "allowedCountry"
    assert _rule(_send(run, "+44 7797 712345", ["GB", "JE"], "44")) is None


def test_a_number_of_a_code_no_allowed_country_uses_is_refused_without_its_numbering(run: Run) -> None:
    assert _rule(_send(run, "+33 6 12 34 56 78", ["US"], None)) == "allowedCountry"


def test_the_deprecated_prefixes_still_narrow_the_countries(run: Run) -> None:
    # GIVEN the countries of "+4917" (Germany's), and the prefix itself
    config = {**CONFIG, "smsAllowedCountries": ["DE"], "smsNumbering": {"49": _numbering("49")}, "smsAllowedPrefixes": ["+4917"]}

    def send(typed: str) -> Outcome:
        return run("function:validateInput", "request", args={"input": {"to": typed, "body": "Hi", "deliveryMethod": "SMS"}}, stash={"config": config}, info={"fieldName": "sendMessage"})

    # THEN a German mobile under the prefix goes, a German number outside it does not
    assert send("+49 171 1234567").kind == "value"
    assert _rule(send("+49 30 123456")) == "allowedPrefix"


def test_every_sms_country_of_the_local_default_has_its_numbering() -> None:
    settings_numbering = sms_countries.sms_numbering(sms_countries.every_region())
    assert set(settings_numbering) == {str(code) for code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE}
    assert all(isinstance(json.loads(text), list) for text in settings_numbering.values())

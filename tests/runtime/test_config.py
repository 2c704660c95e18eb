"""`make dev PORT=... API_KEY=...` and the same names as environment variables."""

from __future__ import annotations

import json
import re

import phonenumbers
import pytest

from local.config import DEFAULT_API_KEY, Settings


def test_defaults_listen_on_loopback_4000_with_the_documented_key(monkeypatch) -> None:
    for name in ("PORT", "API_KEY", "HOST"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert (settings.host, settings.port, settings.api_key) == ("127.0.0.1", 4000, DEFAULT_API_KEY)


def test_port_and_key_come_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("PORT", "4555")
    monkeypatch.setenv("API_KEY", "secret")
    settings = Settings()
    assert (settings.port, settings.api_key) == (4555, "secret")


def test_introspection_and_the_depth_limit_default_as_dev_and_appsync_and_follow_the_environment(monkeypatch) -> None:
    for name in ("INTROSPECTION", "QUERY_DEPTH_LIMIT", "READ_TIMEOUT_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert (settings.introspection, settings.query_depth_limit, settings.read_timeout_seconds) == (True, 10, 10.0)
    monkeypatch.setenv("INTROSPECTION", "off")
    monkeypatch.setenv("QUERY_DEPTH_LIMIT", "4")
    monkeypatch.setenv("READ_TIMEOUT_SECONDS", "2.5")
    settings = Settings()
    assert (settings.introspection, settings.query_depth_limit, settings.read_timeout_seconds) == (False, 4, 2.5)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("INTROSPECTION", "maybe"),
        ("QUERY_DEPTH_LIMIT", "0"),
        ("QUERY_DEPTH_LIMIT", "76"),
        ("READ_TIMEOUT_SECONDS", "0"),
        ("READ_TIMEOUT_SECONDS", "301"),
        # As Terraform's send_limits: only email's stack-wide ceiling may be 0 (none); SMS's cannot be lifted.
        ("SMS_PER_MINUTE", "0"),
        ("SMS_PER_RECIPIENT_PER_HOUR", "0"),
        ("EMAIL_PER_RECIPIENT_PER_HOUR", "-1"),
        ("EMAIL_PER_MINUTE", "-1"),
    ],
)
def test_a_setting_out_of_its_range_stops_the_stack_naming_it(monkeypatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=name):
        Settings()


# --- SMS countries (the CONFIG/DELIVERY item's smsAllowedCountries and smsNumbering) -----------------------


def test_email_has_no_stack_wide_ceiling_by_default_and_sms_keeps_one(monkeypatch) -> None:
    for name in ("EMAIL_PER_MINUTE", "SMS_PER_MINUTE"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert (settings.email_per_minute, settings.sms_per_minute) == (0, 100)


def test_sms_go_to_every_valid_number_when_no_country_is_set(monkeypatch) -> None:
    monkeypatch.delenv("SMS_ALLOWED_COUNTRIES", raising=False)
    monkeypatch.delenv("SMS_ALLOWED_PREFIXES", raising=False)
    config = Settings().sms_config
    assert {"US", "JM", "GB", "JE", "FR", "001"} <= set(config["smsAllowedCountries"])
    assert set(config["smsNumbering"]) == {str(code) for code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE}
    assert "smsAllowedPrefixes" not in config and Settings().deprecations == []


def test_sms_countries_carry_the_numbering_of_their_calling_codes(monkeypatch) -> None:
    monkeypatch.setenv("SMS_ALLOWED_COUNTRIES", "US, GB,US")
    config = Settings().sms_config
    assert config["smsAllowedCountries"] == ["GB", "US"]
    # Every region of +1 and +44, in libphonenumber's order: a number is of the first that claims it.
    regions = {code: [region["region"] for region in json.loads(text)] for code, text in config["smsNumbering"].items()}
    assert regions == {"1": list(phonenumbers.COUNTRY_CODE_TO_REGION_CODE[1]), "44": ["GB", "GG", "IM", "JE"]}


@pytest.mark.parametrize(
    ("env", "complaint"),
    [
        ({"SMS_ALLOWED_COUNTRIES": "US,UK"}, "SMS_ALLOWED_COUNTRIES: UK is not an ISO 3166 alpha-2 code"),
        ({"SMS_ALLOWED_COUNTRIES": "US", "SMS_ALLOWED_PREFIXES": "+1"}, "set only SMS_ALLOWED_COUNTRIES"),
        ({"SMS_ALLOWED_PREFIXES": "44"}, "SMS_ALLOWED_PREFIXES lists E.164 prefixes"),
    ],
)
def test_sms_settings_that_cannot_be_meant_stop_the_stack(monkeypatch, env: dict[str, str], complaint: str) -> None:
    monkeypatch.delenv("SMS_ALLOWED_PREFIXES", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=re.escape(complaint)):
        Settings()


def test_the_deprecated_prefixes_give_the_countries_of_their_calling_codes_and_a_warning(monkeypatch) -> None:
    monkeypatch.delenv("SMS_ALLOWED_COUNTRIES", raising=False)
    monkeypatch.setenv("SMS_ALLOWED_PREFIXES", "+1,+4917")
    settings = Settings()
    config = settings.sms_config
    assert {"US", "CA", "JM", "DO", "DE"} <= set(config["smsAllowedCountries"]) and "GB" not in config["smsAllowedCountries"]
    assert set(config["smsNumbering"]) == {"1", "49"} and config["smsAllowedPrefixes"] == ["+1", "+4917"]
    [warning] = settings.deprecations
    assert warning.startswith("SMS_ALLOWED_PREFIXES is deprecated") and "SMS_ALLOWED_COUNTRIES" in warning


def test_an_email_does_not_pay_to_read_the_sms_numbering() -> None:
    # The numbering lives in an item of its own (CONFIG/SMS), which only an SMS's sendMessage reads.
    settings = Settings()
    assert "smsNumbering" not in settings.delivery_config and len(json.dumps(settings.delivery_config)) < 4096
    assert "smsNumbering" in settings.sms_config

"""`make dev PORT=... API_KEY=...` and the same names as environment variables."""

from __future__ import annotations

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


@pytest.mark.parametrize(("name", "value"), [("INTROSPECTION", "maybe"), ("QUERY_DEPTH_LIMIT", "0"), ("QUERY_DEPTH_LIMIT", "76"), ("READ_TIMEOUT_SECONDS", "0"), ("READ_TIMEOUT_SECONDS", "301")])
def test_a_setting_out_of_its_range_stops_the_stack_naming_it(monkeypatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=name):
        Settings()

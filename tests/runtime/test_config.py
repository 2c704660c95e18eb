"""`make dev PORT=... API_KEY=...` and the same names as environment variables."""

from __future__ import annotations

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

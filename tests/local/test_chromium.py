"""Where no Chromium can be driven, the browser tests skip and say what is missing."""

from __future__ import annotations

from tools import chromium


def test_without_chromium_the_reason_names_what_is_missing_and_how_to_get_it(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("CHROMIUM", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert chromium.executable() is None
    reason = chromium.missing()
    assert reason is not None and "no chromium on PATH" in reason and "Debian" in reason and "CHROMIUM" in reason


def test_chromium_can_be_named_by_the_environment(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("CHROMIUM", "/opt/chromium/chrome")
    assert chromium.executable() == "/opt/chromium/chrome"


def test_it_runs_headless_without_calling_home() -> None:
    for flag in ("--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"):
        assert flag in chromium.ARGS

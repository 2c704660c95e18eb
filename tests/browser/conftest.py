"""Browser tests: headless Chromium (Debian's package, driven by Playwright) against a local stack started here.

Without a Chromium (or Playwright) they skip, and say what is missing: see tools/chromium.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local.launcher import LocalStackProcess, running_stack
from tests.e2e.conftest import API_KEY, GENEROUS_LIMITS
from tools import chromium

HERE = Path(__file__).resolve().parent
# Long enough to see that nothing waits for it, short enough to keep the tests quick.
SIMULATOR_DELAY_SECONDS = "0.2"
WAIT_MS = 20_000


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = chromium.missing()
    if reason is None:
        return
    for item in items:
        if HERE in Path(item.path).parents:
            item.add_marker(pytest.mark.skip(reason=f"browser test: {reason}"))


@pytest.fixture(scope="session")
def console() -> Iterator[LocalStackProcess]:
    with running_stack(API_KEY, {**GENEROUS_LIMITS, "SES_SIMULATOR_DELAY_SECONDS": SIMULATOR_DELAY_SECONDS}) as stack:
        yield stack


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import expect, sync_playwright

    # Every wait on the page (Playwright's expect and auto-wait) is bounded, generously for a busy 2-core machine.
    expect.set_options(timeout=WAIT_MS)
    with sync_playwright() as playwright:
        browser = chromium.launch(playwright)
        yield browser
        browser.close()


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    """A fresh browser profile at a laptop's size; every page in it must run without a script or console error."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(WAIT_MS)
    problems: list[str] = []
    context.on("page", lambda page: watch(page, problems))
    yield context
    context.close()
    assert problems == []


def watch(page: Any, problems: list[str]) -> None:
    page.on("pageerror", lambda error: problems.append(f"{page.url}: {error}"))
    page.on("console", lambda message: problems.append(f"{page.url}: {message.text}") if message.type == "error" else None)


@pytest.fixture
def page(context: Any) -> Any:
    return context.new_page()

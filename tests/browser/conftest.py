"""Browser tests: headless Chromium (Debian's package, driven by Playwright) against a local stack started here.

Without a Chromium (or Playwright) they skip, and say what is missing: see tools/chromium.py.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
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
_unique = itertools.count()


def unique(prefix: str) -> str:
    """A name no other test (nor an earlier run against the same stack) has used."""
    return f"{prefix}{next(_unique)}.{time.time_ns()}"


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
def new_context(browser: Any) -> Iterator[Callable[..., Any]]:
    """Makes fresh browser profiles at a laptop's size (Playwright's context options, such as a locale or a time
    zone, may be given); every page in them must run without a script or console error."""
    contexts: list[Any] = []
    problems: list[str] = []

    def make(**options: Any) -> Any:
        context = browser.new_context(**{"viewport": {"width": 1280, "height": 800}, **options})
        context.set_default_timeout(WAIT_MS)
        context.on("page", lambda page: watch(page, problems))
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()
    assert problems == []


@pytest.fixture
def context(new_context: Callable[..., Any]) -> Any:
    return new_context()


def watch(page: Any, problems: list[str]) -> None:
    page.on("pageerror", lambda error: problems.append(f"{page.url}: {error}"))
    page.on("console", lambda message: problems.append(f"{page.url}: {message.text}") if message.type == "error" else None)


@pytest.fixture
def page(context: Any) -> Any:
    return context.new_page()

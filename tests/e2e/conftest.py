"""A local stack started once for the e2e tests (local/launcher.py), and helpers to drive it."""

from __future__ import annotations

import time
from typing import Any

import pytest

from local.launcher import GENEROUS_LIMITS, LocalStackProcess, Response, running_stack
from local.operations import GET_MESSAGES, SEND_MESSAGE

LocalApi = LocalStackProcess
API_KEY = "e2e-secret-key"
DEFAULT_EMAIL_FROM = "no-reply@example.com"


# Most tests send many messages to few recipients, far past the sending limits' defaults: the session's
# stack raises them (GENEROUS_LIMITS). The limits, and the original examples, run on a stack with the
# defaults (default_api).
@pytest.fixture(scope="session")
def api():
    with running_stack(API_KEY, GENEROUS_LIMITS) as stack:
        yield stack


@pytest.fixture(scope="session")
def default_api():
    """A stack with every setting at its default, as `make dev` starts it."""
    with running_stack(API_KEY) as stack:
        yield stack


_counter = iter(range(1_000_000))


@pytest.fixture
def fresh_email() -> str:
    """A recipient no other test has written to."""
    return f"person{next(_counter)}.{time.time_ns()}@example.com"


def send(api: LocalApi, **message_input: Any) -> Response:
    return api.graphql(SEND_MESSAGE, {"input": message_input})


def history(api: LocalApi, to: str, first: int = 100) -> list[dict[str, Any]]:
    """Every message sent to `to`, following the cursors."""
    messages, after = [], None
    while True:
        page = api.graphql(GET_MESSAGES, {"filter": {"to": to}, "first": first, "after": after})
        assert not page.errors, page.errors
        messages.extend(page.data["getMessages"]["data"])
        info = page.data["getMessages"]["pageInfo"]
        if not info["hasNextPage"]:
            return messages
        after = info["endCursor"]

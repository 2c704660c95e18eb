"""The operators' tool (tools/operators.py) and its make targets, run as an operator runs them, against a real local
stack (local/launcher.py) that checks their SigV4 signatures and runs the real operators' and authorizer functions."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from botocore.credentials import Credentials

from local.config import Settings
from local.launcher import LocalStackProcess, Response, running_stack
from local.operations import SEND_MESSAGE
from tests.conftest import REPO_ROOT
from tools.operators import Endpoint, call

API_KEY = "operators-test-api-key"
# A key's secret as the API makes it (handlers/clients/clients_common.py: KEY_FORM).
SECRET = re.compile(r"sm_(live|test)_[0-9A-HJKMNP-TV-Z]{26}_[A-Za-z0-9_-]{43}")
CLIENT_CREATED = re.compile(r"^Client (?P<id>[0-9A-HJKMNP-TV-Z]{26}) created", re.MULTILINE)
KEY_CREATED = re.compile(r"^(?P<mode>LIVE|TEST) key (?P<id>[0-9A-HJKMNP-TV-Z]{26}) created for client", re.MULTILINE)
# The authorizer's cache (AUTHORIZER_CACHE_SECONDS) of the stack that shows a revoked key working until it ends.
CACHE_SECONDS = 3


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str

    @property
    def secrets(self) -> list[str]:
        return [match.group(0) for match in SECRET.finditer(self.stdout)]

    @property
    def client_id(self) -> str:
        match = CLIENT_CREATED.search(self.stdout)
        assert match, self.stdout + self.stderr
        return match["id"]

    @property
    def key_id(self) -> str:
        match = KEY_CREATED.search(self.stdout)
        assert match, self.stdout + self.stderr
        return match["id"]


def port(stack: LocalStackProcess) -> int:
    return int(urlsplit(stack.graphql_url).port or 0)


def operators(stack: LocalStackProcess, *arguments: str, env: dict[str, str] | None = None) -> Run:
    """`python -m tools.operators --env local ...` against the stack, in a process of its own, as an operator runs it."""
    child_env = {**os.environ, "PORT": str(port(stack)), **(env or {})}
    result = subprocess.run(
        [sys.executable, "-m", "tools.operators", "--env", "local", *arguments], cwd=REPO_ROOT, env=child_env, capture_output=True, text=True, timeout=120, check=False
    )
    return Run(result.returncode, result.stdout, result.stderr)


def make(target: str, *variables: str, env: dict[str, str] | None = None) -> Run:
    """`make <target> VAR=...` in the repository, as an operator types it."""
    result = subprocess.run(
        ["make", "--no-print-directory", target, *variables], cwd=REPO_ROOT, env={**os.environ, **(env or {})}, capture_output=True, text=True, timeout=120, check=False
    )
    return Run(result.returncode, result.stdout, result.stderr)


def signed(stack: LocalStackProcess, name: str, variables: dict[str, Any]) -> dict[str, Any]:
    """graphql/operations/<name>.graphql sent in this process, signed as the stack expects: for checking the
    stack's state around a run of the tool, without starting another interpreter."""
    settings = Settings()
    endpoint = Endpoint("local", stack.graphql_url, settings.table_region, Credentials(settings.access_key_id, settings.secret_access_key))
    return call(endpoint, name, variables)


def newest_audit_event(stack: LocalStackProcess) -> dict[str, Any]:
    [event] = signed(stack, "auditEvents", {"first": 1})["auditEvents"]["data"]
    return dict(event)


def client_names(stack: LocalStackProcess) -> list[str]:
    return [client["name"] for client in signed(stack, "clients", {})["clients"]["data"]]


def new_client(stack: LocalStackProcess, name: str) -> Run:
    created = operators(stack, "create-client", "--name", name)
    assert created.code == 0, created.stdout + created.stderr
    return created


def send_with(stack: LocalStackProcess, key: str, to: str) -> Response:
    return stack.graphql(SEND_MESSAGE, {"input": {"to": to, "body": "Your order has shipped.", "deliveryMethod": "EMAIL"}}, key=key)


def refused(response: Response) -> bool:
    """AppSync's answer to a key the authorizer refuses: 401 UnauthorizedException, nothing run."""
    return response.status == 401 and [error["errorType"] for error in response.errors] == ["UnauthorizedException"] and response.data is None


_counter = iter(range(1_000_000))


@pytest.fixture
def recipient() -> str:
    """An address no other test has written to."""
    return f"customer{next(_counter)}.{time.time_ns()}@example.com"


@pytest.fixture(scope="session")
def stack() -> Iterator[LocalStackProcess]:
    """A local stack whose authorizer caches nothing: a revoked key is refused on its next request."""
    with running_stack(API_KEY, {"AUTHORIZER_CACHE_SECONDS": "0"}) as running:
        yield running


@pytest.fixture(scope="session")
def caching_stack() -> Iterator[LocalStackProcess]:
    """A local stack whose authorizer caches each key's answer for CACHE_SECONDS, as AppSync does."""
    with running_stack(API_KEY, {"AUTHORIZER_CACHE_SECONDS": str(CACHE_SECONDS)}) as running:
        yield running


def sent_to(stack: LocalStackProcess, address: str) -> bool:
    """Whether the stack handed an email for `address` to SES."""
    return any(address in entry["to"] for entry in stack.outbox() if entry["channel"] == "EMAIL")

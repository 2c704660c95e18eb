"""A local stack started once for the e2e tests, and a small GraphQL client for it."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.conftest import REPO_ROOT

API_KEY = "e2e-secret-key"
DEFAULT_EMAIL_FROM = "no-reply@example.com"
STARTUP_TIMEOUT_SECONDS = 30


@dataclass
class Response:
    status: int
    body: dict[str, Any]

    @property
    def data(self) -> Any:
        return self.body.get("data")

    @property
    def errors(self) -> list[dict[str, Any]]:
        return self.body.get("errors") or []


@dataclass
class LocalApi:
    base_url: str
    api_key: str
    process: subprocess.Popen
    output: list[str] = field(default_factory=list)

    def post(self, path: str, payload: Any, headers: dict[str, str] | None = None) -> Response:
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        request = urllib.request.Request(self.base_url + path, data=data, method="POST")
        request.add_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        return self._send(request)

    def get(self, path: str) -> Response:
        return self._send(urllib.request.Request(self.base_url + path))

    @staticmethod
    def _send(request: urllib.request.Request) -> Response:
        try:
            with urllib.request.urlopen(request, timeout=30) as reply:
                return Response(reply.status, json.loads(reply.read()))
        except urllib.error.HTTPError as error:
            return Response(error.code, json.loads(error.read() or b"{}"))

    def graphql(self, query: str, variables: dict[str, Any] | None = None, *, api_key: str | None = None) -> Response:
        headers = {"x-api-key": self.api_key if api_key is None else api_key}
        return self.post("/graphql", {"query": query, "variables": variables}, headers)

    def outbox(self) -> list[dict[str, Any]]:
        return self.get("/local/outbox").body["messages"]


def _drain(stream, sink: list[str]) -> None:
    sink.extend(stream)


@pytest.fixture(scope="session")
def api():
    env = {**os.environ, "API_KEY": API_KEY, "PYTHONUNBUFFERED": "1"}
    env.pop("AWS_ENDPOINT_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "local", "--port", "0"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    threading.Thread(target=_drain, args=(process.stdout, output), daemon=True).start()
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    url = None
    while url is None:
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail("local stack did not start:\n" + "".join(output))
        found = [re.search(r"GraphQL:\s+(http://\S+)/graphql", line) for line in list(output)]
        url = next((match.group(1) for match in found if match), None)
        time.sleep(0.05)
    yield LocalApi(base_url=url, api_key=API_KEY, process=process, output=output)
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        raise


_counter = iter(range(1_000_000))


@pytest.fixture
def fresh_email() -> str:
    """A recipient no other test has written to."""
    return f"person{next(_counter)}.{time.time_ns()}@example.com"


SEND = """
mutation send($input: MessageInput!) {
  sendMessage(input: $input) { id to from subject body deliveryMethod deliveryStatus statusReason senderId recipientId createdAt updatedAt }
}
"""

PAGE = """
query page($filter: MessageFilter!, $first: Int, $after: String) {
  getMessages(filter: $filter, first: $first, after: $after) {
    data { id to body deliveryStatus }
    pageInfo { hasNextPage endCursor }
  }
}
"""


def send(api: LocalApi, **message_input: Any) -> Response:
    return api.graphql(SEND, {"input": message_input})


def history(api: LocalApi, to: str, first: int = 100) -> list[dict[str, Any]]:
    """Every message sent to `to`, following the cursors."""
    messages, after = [], None
    while True:
        page = api.graphql(PAGE, {"filter": {"to": to}, "first": first, "after": after})
        assert not page.errors, page.errors
        messages.extend(page.data["getMessages"]["data"])
        info = page.data["getMessages"]["pageInfo"]
        if not info["hasNextPage"]:
            return messages
        after = info["endCursor"]

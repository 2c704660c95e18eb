"""Run the local stack in a child process, as `make dev` does, and talk to it over HTTP.

The one way the tests, the benchmarks and the browser tests start a stack: the process, its banner
(which names the URLs), and a small client for the GraphQL endpoint and the `/local` routes.
"""

from __future__ import annotations

import http.client
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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from local.config import LOCAL_ACCESS_KEY_ID, LOCAL_SECRET_ACCESS_KEY
from local.manifest import REPO_ROOT

STARTUP_TIMEOUT_SECONDS = 60
REQUEST_TIMEOUT_SECONDS = 60
# Sending limits (local/config.py) that no run reaches, for the runs that send many messages to few recipients,
# or more a minute than the defaults allow, and are not about the limits: most e2e tests, the benchmarks.
GENEROUS_LIMITS = {name: "1000000" for name in ("SMS_PER_RECIPIENT_PER_HOUR", "EMAIL_PER_RECIPIENT_PER_HOUR", "SMS_PER_MINUTE", "EMAIL_PER_MINUTE")}
_BANNER = {
    "graphql_url": r"GraphQL:\s+(\S+)",
    "aws_endpoint": r"AWS:\s+(\S+)",
    "live_key": r"LIVE key:\s+(\S+)",
    "test_key": r"TEST key:\s+(\S+)",
}


@dataclass
class Response:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def data(self) -> Any:
        return self.body.get("data")

    @property
    def errors(self) -> list[dict[str, Any]]:
        return self.body.get("errors") or []


@dataclass(repr=False)
class LocalStackProcess:
    process: subprocess.Popen[str]
    api_key: str
    graphql_url: str
    aws_endpoint: str
    live_key: str
    test_key: str
    output: list[str]
    startup_seconds: float
    # What signs a request to the emulated AWS (`aws_endpoint`): the stack's own credentials.
    access_key_id: str = LOCAL_ACCESS_KEY_ID
    secret_access_key: str = LOCAL_SECRET_ACCESS_KEY

    def __repr__(self) -> str:
        return f"<local stack at {self.base_url}>"

    @property
    def base_url(self) -> str:
        return self.graphql_url.removesuffix("/graphql")

    def connect(self, timeout: float = REQUEST_TIMEOUT_SECONDS) -> http.client.HTTPConnection:
        """A raw HTTP connection, for requests the client below would not send as they are."""
        address = urlsplit(self.base_url)
        return http.client.HTTPConnection(address.hostname or "127.0.0.1", address.port, timeout=timeout)

    def request(self, method: str, path: str, payload: Any = None, headers: dict[str, str] | None = None) -> Response:
        data = payload if isinstance(payload, bytes) or payload is None else json.dumps(payload).encode()
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_SECONDS) as reply:
                return Response(reply.status, _json(reply.read()), dict(reply.headers))
        except urllib.error.HTTPError as error:
            return Response(error.code, _json(error.read()), dict(error.headers))

    def post(self, path: str, payload: Any, headers: dict[str, str] | None = None) -> Response:
        return self.request("POST", path, payload, headers)

    def get(self, path: str, headers: dict[str, str] | None = None) -> Response:
        return self.request("GET", path, headers=headers)

    def graphql(self, query: str, variables: dict[str, Any] | None = None, *, api_key: str | None = None, key: str | None = None) -> Response:
        """A request with the API key (the default client), or with a client's `key` (the Authorization header)."""
        headers = {"Authorization": key} if key is not None else {"x-api-key": self.api_key if api_key is None else api_key}
        return self.post("/graphql", {"query": query, "variables": variables}, headers)

    def local(self, path: str, payload: Any = None) -> Response:
        """A `/local/...` tool route, as a developer's script calls it."""
        headers = {"x-api-key": self.api_key}
        return self.get(f"/local/{path}", headers) if payload is None else self.post(f"/local/{path}", payload, headers)

    def outbox(self) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = self.local("outbox").body["messages"]
        return messages


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw or b"{}")
    except ValueError:
        return {"raw": raw.decode(errors="replace")}


@contextmanager
def running_stack(api_key: str, env: dict[str, str] | None = None, module: str = "local") -> Iterator[LocalStackProcess]:
    """`python -m local` on a free port with the given key; stopped with Ctrl-C (SIGINT) afterwards.

    `module` runs another module in its place, one that runs local's own main (bench/recording_stack.py).
    """
    # The stack starts its own moto, and checks signatures against the local credentials unless `env` names others
    # (never whatever credentials the caller's environment holds).
    inherited = {name: value for name, value in os.environ.items() if name not in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE")}
    child_env = {**inherited, "API_KEY": api_key, "PYTHONUNBUFFERED": "1", **(env or {})}
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", module, "--port", "0"],
        cwd=REPO_ROOT,
        env=child_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    threading.Thread(target=lambda: output.extend(process.stdout or ()), daemon=True).start()
    found: dict[str, str] = {}
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while len(found) < len(_BANNER):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("the local stack did not start:\n" + "".join(output))
        time.sleep(0.05)
        text = "".join(output)
        found = {name: match.group(1) for name, pattern in _BANNER.items() if (match := re.search(pattern, text))}
    stack = LocalStackProcess(
        process,
        api_key,
        found["graphql_url"],
        found["aws_endpoint"],
        found["live_key"],
        found["test_key"],
        output,
        time.monotonic() - started,
        child_env.get("AWS_ACCESS_KEY_ID", LOCAL_ACCESS_KEY_ID),
        child_env.get("AWS_SECRET_ACCESS_KEY", LOCAL_SECRET_ACCESS_KEY),
    )
    try:
        yield stack
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            raise

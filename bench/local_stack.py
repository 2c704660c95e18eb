"""A local stack in a child process (as `make dev` runs it), for benchmarks that call it over HTTP."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
API_KEY = "bench-key"


class LocalStackProcess:
    def __init__(
        self, process: subprocess.Popen, graphql_url: str, aws_endpoint: str, output: list[str], startup_seconds: float
    ) -> None:
        self.startup_seconds = startup_seconds
        self.process = process
        self.graphql_url = graphql_url
        self.aws_endpoint = aws_endpoint
        self.output = output

    def graphql(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        request = urllib.request.Request(
            self.graphql_url,
            data=json.dumps({"query": query, "variables": variables}).encode(),
            headers={"content-type": "application/json", "x-api-key": API_KEY},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=60) as reply:
            body = json.loads(reply.read())
        if body.get("errors"):
            raise RuntimeError(body["errors"])
        return body["data"]


@contextmanager
def running_stack(extra_env: dict[str, str] | None = None) -> Iterator[LocalStackProcess]:
    env = {**os.environ, "API_KEY": API_KEY, "PYTHONUNBUFFERED": "1", **(extra_env or {})}
    env.pop("AWS_ENDPOINT_URL", None)
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "local", "--port", "0"],
        cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    output: list[str] = []
    threading.Thread(target=lambda: output.extend(process.stdout), daemon=True).start()
    deadline = time.monotonic() + 60
    text = ""
    while not (re.search(r"GraphQL:\s+(\S+)", text) and re.search(r"AWS:\s+(\S+)", text)):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("local stack did not start:\n" + "".join(output))
        time.sleep(0.05)
        text = "".join(output)
    stack = LocalStackProcess(
        process,
        re.search(r"GraphQL:\s+(\S+)", text).group(1),
        re.search(r"AWS:\s+(\S+)", text).group(1),
        output,
        time.monotonic() - started,
    )
    try:
        yield stack
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=20)

"""Load on the local stack: many concurrent sends, then every recipient's history paged through.

`make bench` records the figures (2,000 sends; a run may take minutes on a busy machine, so it is no
part of `make test`, whose concurrency test, tests/e2e/test_concurrency.py, is smaller and bounded). Loopback only, bounded in count; each client keeps one
HTTP connection open, as an app would. The run sends each recipient 20 messages, and 2,000 within a minute or
two: far past the sending limits' defaults. It measures throughput, not refusals, so the stack it starts
raises the limits itself (STACK_ENV).
"""

from __future__ import annotations

import http.client
import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from bench.stats import percentile
from local.launcher import GENEROUS_LIMITS, LocalStackProcess, running_stack
from local.operations import GET_MESSAGES, SEND_MESSAGE


@dataclass
class LoadReport:
    sends: int
    clients: int
    recipients: int
    seconds: float
    sends_per_second: float
    p50_ms: float
    p99_ms: float
    errors: list[str]
    records_found: int
    duplicates: int
    missing: int
    deliveries: int
    pages_read: int
    paging_seconds: float
    statuses: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {name: round(value, 3) if isinstance(value, float) else value for name, value in self.__dict__.items()}


class _Client:
    """One keep-alive connection per thread."""

    def __init__(self, base_url: str, api_key: str) -> None:
        parts = urlsplit(base_url)
        self._host, self._port = parts.hostname or "127.0.0.1", parts.port
        self._api_key = api_key
        self._local = threading.local()

    def _connection(self) -> http.client.HTTPConnection:
        if not hasattr(self._local, "connection"):
            self._local.connection = http.client.HTTPConnection(self._host, self._port, timeout=60)
        return self._local.connection

    def request(self, method: str, path: str, payload: Any = None) -> tuple[int, Any]:
        body = None if payload is None else json.dumps(payload)
        headers = {"content-type": "application/json", "x-api-key": self._api_key}
        connection = self._connection()
        try:
            connection.request(method, path, body=body, headers=headers)
            reply = connection.getresponse()
            return reply.status, json.loads(reply.read() or b"null")
        except (ConnectionError, http.client.HTTPException):
            connection.close()
            del self._local.connection
            raise


def run_load(base_url: str, api_key: str, sends: int = 2000, clients: int = 16, recipients: int = 100) -> LoadReport:
    """Send `sends` messages from `clients` concurrent clients to `recipients` fresh recipients (a fifth by SMS)."""
    run_id = uuid.uuid4().hex[:10]
    # +1 415 555 01xx and on: numbers libphonenumber (and so the resolvers) holds valid, the same on every run (the
    # load stack is a fresh one). A number drawn at random from a wider range was invalid about one run in five.
    addresses = [
        (f"+1415555{100 + n // 5:04d}", "SMS") if n % 5 == 0 else (f"load-{run_id}-{n}@example.com", "EMAIL") for n in range(recipients)
    ]
    client = _Client(base_url, api_key)
    latencies: list[float] = []
    errors: list[str] = []
    sent: dict[str, str] = {}  # message id -> recipient
    statuses: Counter[str] = Counter()
    lock = threading.Lock()

    def send(index: int) -> None:
        to, method = addresses[index % recipients]
        started = time.perf_counter()
        try:
            status, body = client.request("POST", "/graphql", {"query": SEND_MESSAGE, "variables": {"input": {"to": to, "body": f"load {run_id} #{index}", "deliveryMethod": method}}})
        except (OSError, http.client.HTTPException) as error:
            with lock:
                errors.append(f"#{index}: {type(error).__name__}")
            return
        elapsed = time.perf_counter() - started
        with lock:
            latencies.append(elapsed)
            if status != 200 or body.get("errors"):
                errors.append(f"#{index}: HTTP {status} {json.dumps(body)[:200]}")
                return
            message = body["data"]["sendMessage"]
            sent[message["id"]] = message["to"]
            statuses[message["deliveryStatus"]] += 1

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(send, range(sends)))
    seconds = time.perf_counter() - started

    # Every recipient's history, page by page: each message must be there exactly once.
    found: Counter[str] = Counter()
    pages = 0
    paging_started = time.perf_counter()
    for to, _ in addresses:
        after = None
        while True:
            status, body = client.request("POST", "/graphql", {"query": GET_MESSAGES, "variables": {"filter": {"to": to}, "first": 100, "after": after}})
            pages += 1
            if status != 200 or body.get("errors"):
                errors.append(f"paging {to[-12:]}: HTTP {status} {json.dumps(body)[:200]}")
                break
            page = body["data"]["getMessages"]
            found.update(message["id"] for message in page["data"])
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
    paging_seconds = time.perf_counter() - paging_started

    _, outbox = client.request("GET", "/local/outbox")
    marker = f"load {run_id} #"
    deliveries = sum(1 for entry in outbox["messages"] if (entry.get("body") or "").startswith(marker))
    return LoadReport(
        sends=sends,
        clients=clients,
        recipients=recipients,
        seconds=seconds,
        sends_per_second=len(latencies) / seconds,
        p50_ms=percentile(latencies, 0.5) * 1000 if latencies else 0.0,
        p99_ms=percentile(latencies, 0.99) * 1000 if latencies else 0.0,
        errors=errors,
        records_found=len(found),
        duplicates=sum(count - 1 for count in found.values() if count > 1),
        missing=len(set(sent) - set(found)),
        deliveries=deliveries,
        pages_read=pages,
        paging_seconds=paging_seconds,
        statuses=dict(statuses),
    )


API_KEY = "bench-key"
SENDS, CLIENTS, RECIPIENTS = 2000, 16, 100
# The settings of the stack the run starts: every other one at its default.
STACK_ENV = GENEROUS_LIMITS


@contextmanager
def load_stack() -> Iterator[LocalStackProcess]:
    """A fresh local stack, as the load run starts it."""
    with running_stack(API_KEY, STACK_ENV) as stack:
        yield stack


def run(quick: bool = False) -> dict[str, Any]:
    """The load run of `make bench`: 2,000 sends from 16 clients on a fresh local stack (200 with --quick)."""
    sends = SENDS // 10 if quick else SENDS
    with load_stack() as stack:
        load = run_load(stack.base_url, API_KEY, sends=sends, clients=CLIENTS, recipients=RECIPIENTS)
    return load.as_dict()


def report(results: dict[str, Any]) -> str:
    lost = results["missing"] + results["duplicates"] + len(results["errors"])
    return (
        f"{results['sends']} sends from {results['clients']} clients to {results['recipients']} recipients: "
        f"{results['sends_per_second']:.0f} sends/s, p50 {results['p50_ms']:.0f} ms, p99 {results['p99_ms']:.0f} ms; "
        f"{results['records_found']} records found, {results['deliveries']} deliveries, {lost} lost, duplicated or failed; "
        f"every history paged in {results['paging_seconds']:.1f} s ({results['pages_read']} pages)"
    )

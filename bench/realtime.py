"""Real-time latency: a status change published to the local stack until gql's subscriber receives it.

A local stack (local/launcher.py) with one subscriber, gql's AppSyncWebsocketsTransport with the API key, on
onMessageStatus. The event publisher's call, publishMessageEvent signed with SigV4, is made again and again, one
event at a time; each is timed from before its request is sent to the moment the subscriber's thread holds the
event. Side by side, the same call's own HTTP round trip: the difference is what the fan-out and the WebSocket
add. (The stream-fed publisher, which turns a recorded status change into this call, is measured apart when it
runs locally; this figure starts at its call.)
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import urllib.request
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from gql import Client, gql
from gql.transport.appsync_auth import AppSyncApiKeyAuthentication
from gql.transport.appsync_websockets import AppSyncWebsocketsTransport

from bench.stats import percentile
from local.appsync.auth import functions_credentials
from local.launcher import LocalStackProcess, running_stack
from local.manifest import load_manifest

API_KEY = "bench-realtime-key"
SUBSCRIPTION = "subscription { onMessageStatus { id status clientId mode } }"
PUBLISH = "mutation($event: MessageEventInput!) { publishMessageEvent(event: $event) { id messageId senderId status reason at clientId mode } }"
TIMEOUT_SECONDS = 10
MESSAGE_PREFIX = load_manifest().storage.key_prefixes["message"]


def _event(number: int) -> dict[str, Any]:
    return {
        "id": f"01BENCH{number:019d}",
        "messageId": f"{MESSAGE_PREFIX}01BENCH{number:019d}",
        "senderId": "bench",
        "status": "DELIVERED",
        "reason": "Delivered",
        "at": "2026-01-01T00:00:00.000Z",
        "clientId": "default",
        "mode": "LIVE",
    }


def _publish(stack: LocalStackProcess, number: int) -> None:
    body = json.dumps({"query": PUBLISH, "variables": {"event": _event(number)}})
    request = AWSRequest(method="POST", url=stack.graphql_url, data=body, headers={"content-type": "application/json"})
    # As the event publisher signs it: the functions' role is the one principal the API lets publish.
    SigV4Auth(Credentials(*functions_credentials(stack.secret_access_key)), "appsync", "eu-central-1").add_auth(request)
    with urllib.request.urlopen(urllib.request.Request(stack.graphql_url, body.encode(), dict(request.headers)), timeout=TIMEOUT_SECONDS) as reply:
        answer = json.loads(reply.read())
    if answer.get("errors"):
        raise RuntimeError(f"publishMessageEvent failed: {answer['errors']}")


class _Subscriber:
    """gql subscribed in a thread of its own, noting when each event id arrived."""

    def __init__(self, stack: LocalStackProcess) -> None:
        self.arrived: dict[str, float] = {}
        self.changed = threading.Condition()
        self._stop: asyncio.Event | None = None
        self._loop = asyncio.new_event_loop()
        host = stack.base_url.removeprefix("http://")
        self._transport = AppSyncWebsocketsTransport(url=f"ws://{host}/graphql/realtime", auth=AppSyncApiKeyAuthentication(host=host, api_key=API_KEY))
        self._thread = threading.Thread(target=self._loop.run_until_complete, args=(self._listen(),), daemon=True)
        self._thread.start()

    async def _listen(self) -> None:
        self._stop = asyncio.Event()
        async with Client(transport=self._transport) as session:
            reader = asyncio.ensure_future(self._read(session))
            await self._stop.wait()
            reader.cancel()

    async def _read(self, session: Any) -> None:
        async for result in session.subscribe(gql(SUBSCRIPTION)):
            arrived = time.perf_counter()
            with self.changed:
                self.arrived[result["onMessageStatus"]["id"]] = arrived
                self.changed.notify_all()

    def wait(self, event_id: str) -> float:
        with self.changed:
            if not self.changed.wait_for(lambda: event_id in self.arrived, TIMEOUT_SECONDS):
                raise TimeoutError(f"{event_id} never reached the subscriber")
            return self.arrived[event_id]

    def close(self) -> None:
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(TIMEOUT_SECONDS)


def _measure(stack: LocalStackProcess, subscriber: _Subscriber, numbers: range) -> tuple[list[float], list[float]]:
    delivered, round_trips = [], []
    for number in numbers:
        started = time.perf_counter()
        _publish(stack, number)
        answered = time.perf_counter()
        arrived = subscriber.wait(_event(number)["id"])
        delivered.append(arrived - started)
        round_trips.append(answered - started)
    return delivered, round_trips


def _figures(samples: list[float]) -> dict[str, float]:
    return {"p50_ms": round(percentile(samples, 0.5) * 1000, 2), "p95_ms": round(percentile(samples, 0.95) * 1000, 2), "max_ms": round(max(samples) * 1000, 2)}


def run(quick: bool = False) -> dict[str, Any]:
    count, warm_up = (30, 5) if quick else (400, 20)
    with running_stack(API_KEY) as stack:
        subscriber = _Subscriber(stack)
        try:
            # Until the first event arrives the subscription may not be registered yet: warm-up events are
            # published until one does, then a few more; none of them is counted.
            deadline = time.monotonic() + TIMEOUT_SECONDS
            number = 0
            while not subscriber.arrived and time.monotonic() < deadline:
                _publish(stack, number)
                number += 1
                time.sleep(0.05)
            _measure(stack, subscriber, range(number, number + warm_up))
            delivered, round_trips = _measure(stack, subscriber, range(number + warm_up, number + warm_up + count))
        finally:
            subscriber.close()
    return {
        "changes": count,
        "publish_to_subscriber": _figures(delivered),
        "publish_request_round_trip": _figures(round_trips),
        "subscriber_over_round_trip_p50": round(percentile(delivered, 0.5) / percentile(round_trips, 0.5), 2),
    }


def report(results: dict[str, Any]) -> str:
    rows = [("publish -> subscriber receives", results["publish_to_subscriber"]), ("publish request's own round trip", results["publish_request_round_trip"])]
    lines = [f"{results['changes']} status changes published one at a time, one gql subscriber (API key)"]
    lines += [f"  {name:34} p50 {figures['p50_ms']:7.2f} ms   p95 {figures['p95_ms']:7.2f} ms   max {figures['max_ms']:7.2f} ms" for name, figures in rows]
    lines.append(f"  subscriber p50 / round trip p50: {results['subscriber_over_round_trip_p50']}")
    return "\n".join(lines)

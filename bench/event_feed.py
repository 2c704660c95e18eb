"""Local time from a status change to its event: stored by the publisher, then shown by messageEvents.

Messages are sent through the local stack a little apart (the API key's client); each send's outcome (ACCEPTED)
is a status change, recorded by the resolver at the time its event id carries. Two pollers run side by side in
this process: one reads the client's event partition straight from the emulated table every POLL_TABLE_SECONDS,
one follows `messageEvents` from its last `endCursor` every POLL_FEED_SECONDS. Each event's times are read
against the time in its id, on the same machine's clock:

- stream lag (recorded -> stored): what the local table stream and the publisher take; it must stay well
  under the feed's settle time, which is there to cover it (in AWS: the stream, Lambda's polling, a cold start);
- feed delay (recorded -> in the feed): the settle time plus what is left of the stream lag and the polling.

Both are given as a ratio to the settle time. The pollers' intervals bound how late they see a change.
Subscriber latency (onMessageStatus) is measured with the subscriptions, not here.

It also keeps what bench/cost.py prices the feed by: the stored event items' size by DynamoDB's billing rules
(the largest seen, and its write units), and the size of the real-time update a subscriber of all the event's
fields would get for it (AppSync meters updates in 5 KB increments).
"""

from __future__ import annotations

import json
import re
import threading
import time
from typing import Any

import boto3
from ulid import ULID

from bench.dynamodb_cost import item_size, write_units
from bench.stats import percentile, ratio
from local.launcher import GENEROUS_LIMITS, running_stack
from local.manifest import REPO_ROOT, load_manifest
from local.operations import SEND_MESSAGE

API_KEY = "bench-key"
MESSAGES, QUICK_MESSAGES = 40, 4
SEND_EVERY_SECONDS = 0.5
POLL_TABLE_SECONDS = 0.02
POLL_FEED_SECONDS = 0.1
EVENTS = "query($after: String) { messageEvents(after: $after, first: 100) { data { id messageId status } pageInfo { endCursor } } }"
# A MessageEvent's fields (graphql/schema.graphql), as a subscription's data message carries them.
EVENT_FIELDS = ("id", "messageId", "senderId", "status", "reason", "at", "clientId", "mode")
SUBSCRIPTION_ID = "00000000-0000-4000-8000-000000000000"  # a client's subscription id: a UUID
# The feed's settle time, as the resolver keeps it.
[SETTLE_SECONDS] = map(int, re.findall(r"^const SETTLE_SECONDS = (\d+);$", (REPO_ROOT / "graphql/functions/queryEvents.js").read_text(), re.MULTILINE))


def run(quick: bool = False) -> dict[str, Any]:
    count = QUICK_MESSAGES if quick else MESSAGES
    manifest = load_manifest()
    feed_partition = f"{manifest.storage.key_prefixes['event']}{manifest.clients['defaultClientId']}#LIVE"
    stored: dict[str, float] = {}
    items: dict[str, dict[str, Any]] = {}
    shown: dict[str, float] = {}
    sent: list[str] = []
    stopping = threading.Event()
    with running_stack(API_KEY, GENEROUS_LIMITS) as stack:
        table = boto3.client("dynamodb", region_name="eu-central-1", endpoint_url=stack.aws_endpoint, aws_access_key_id=stack.access_key_id, aws_secret_access_key=stack.secret_access_key)

        def poll_table() -> None:
            while not stopping.wait(POLL_TABLE_SECONDS):
                found = table.query(TableName="local-messages", KeyConditionExpression="PK = :pk", ExpressionAttributeValues={":pk": {"S": feed_partition}}, ConsistentRead=True)["Items"]
                now = time.time()
                for item in found:
                    stored.setdefault(item["SK"]["S"], now)
                    items.setdefault(item["SK"]["S"], item)

        def poll_feed() -> None:
            after = None
            while not stopping.wait(POLL_FEED_SECONDS):
                page = stack.graphql(EVENTS, {"after": after})
                now = time.time()
                for event in page.data["messageEvents"]["data"]:
                    shown.setdefault(event["id"], now)
                after = page.data["messageEvents"]["pageInfo"]["endCursor"] or after

        pollers = [threading.Thread(target=poll_table, daemon=True), threading.Thread(target=poll_feed, daemon=True)]
        for poller in pollers:
            poller.start()
        for number in range(count):
            response = stack.graphql(SEND_MESSAGE, {"input": {"to": f"feed{number}@example.com", "body": "b", "deliveryMethod": "EMAIL"}})
            if response.errors:
                raise RuntimeError(f"sendMessage failed: {response.errors}")
            sent.append(response.data["sendMessage"]["id"])
            time.sleep(SEND_EVERY_SECONDS)
        deadline = time.monotonic() + SETTLE_SECONDS + 30
        while len(shown) < count and time.monotonic() < deadline:
            time.sleep(0.2)
        stopping.set()
        for poller in pollers:
            poller.join()
    if len(shown) < count:
        raise RuntimeError(f"only {len(shown)} of {count} events reached the feed")
    recorded = {event_id: ULID.from_str(event_id).timestamp for event_id in shown}
    lag = [1000 * (stored[event_id] - recorded[event_id]) for event_id in shown]
    delay = [1000 * (shown[event_id] - recorded[event_id]) for event_id in shown]
    settle_ms = SETTLE_SECONDS * 1000

    def figures(samples: list[float]) -> dict[str, float]:
        return {"p50_ms": round(percentile(samples, 0.5), 1), "p95_ms": round(percentile(samples, 0.95), 1), "max_ms": round(max(samples), 1)}

    return {
        "events": count,
        "sizes": sizes([items[event_id] for event_id in shown]),
        "settle_seconds": SETTLE_SECONDS,
        "poll_ms": {"table": POLL_TABLE_SECONDS * 1000, "feed": POLL_FEED_SECONDS * 1000},
        "stream_lag": figures(lag) | {"p95_of_settle": ratio(percentile(lag, 0.95), settle_ms)},
        "feed_delay": figures(delay) | {"p50_of_settle": ratio(percentile(delay, 0.5), settle_ms)},
    }


def update_bytes(item: dict[str, Any]) -> int:
    """The real-time update AppSync sends a subscriber of every field for this event (its `data` message)."""
    fields = {name: item[name]["S"] if name in item else None for name in EVENT_FIELDS}
    message = {"id": SUBSCRIPTION_ID, "type": "data", "payload": {"data": {"onMessageStatus": fields}}}
    return len(json.dumps(message, separators=(",", ":")).encode())


def sizes(events: list[dict[str, Any]]) -> dict[str, int]:
    """The largest stored event and the largest update, of the events seen."""
    largest = max(item_size(item) for item in events)
    return {"event_item_bytes": largest, "event_write_units": write_units(largest), "update_bytes": max(update_bytes(item) for item in events)}


def report(results: dict[str, Any]) -> str:
    lag, delay = results["stream_lag"], results["feed_delay"]
    return "\n".join(
        [
            f"{results['events']} status changes (ACCEPTED), settle time {results['settle_seconds']} s, polled every {results['poll_ms']['table']:g} ms (table) and {results['poll_ms']['feed']:g} ms (feed):",
            "",
            "| from the change to | p50 ms | p95 ms | max ms | against the settle time |",
            "|---|---|---|---|---|",
            f"| stored (stream lag) | {lag['p50_ms']} | {lag['p95_ms']} | {lag['max_ms']} | p95 = {lag['p95_of_settle']}x |",
            f"| in messageEvents | {delay['p50_ms']} | {delay['p95_ms']} | {delay['max_ms']} | p50 = {delay['p50_of_settle']}x |",
            "",
            "sizes: " + ", ".join(f"{name} {value}" for name, value in results["sizes"].items()),
        ]
    )

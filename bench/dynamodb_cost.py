"""DynamoDB work per request: getMessages pages for 10 and 10,000 messages, and the writes of a send.

In-process: the real schema, resolvers and handlers (local.server.assemble_stack) under moto's
mock_aws. A botocore hook on the client of the DynamoDB data source records every call the
resolvers make (and, for provider events, on the status handler's client), with what DynamoDB
returned: Count, ScannedCount and the items themselves.

moto reports a constant ConsumedCapacity, so the capacity units here are computed from the items
by DynamoDB's published rules: item size = attribute names + values (UTF-8 strings; numbers about
1 byte per 2 digits + 1; lists and maps 3 bytes + 1 per element); reads 4 KB units (a Query sums
its items first), half a unit when eventually consistent; writes 1 KB units per item, the larger of
the item before and after, twice for a transaction; an index write for each write that changes an
item in a global secondary index (ALL projection: the whole item; KEYS_ONLY: the keys, and only
when they change).

The 10 and 10,000-message histories are seeded with batch_write_item, shaped like the records the
sendMessage pipeline writes (graphql/functions/validateMessage.js, then recordOutcome.js).
"""

from __future__ import annotations

import contextlib
import inspect
import io
import json
import math
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
from boto3.dynamodb.types import TypeSerializer

from local.manifest import load_manifest
from local.operations import GET_MESSAGES, SEND_MESSAGE

REPO_ROOT = Path(__file__).resolve().parent.parent
STORAGE = load_manifest().storage
MESSAGE_PREFIX = STORAGE.key_prefixes["message"]
REGION = "eu-central-1"
BODY = "Your order 12345 has shipped and will arrive on Thursday. Track it at https://example.com/t/12345. Thank you for shopping with us!"
SIZES = (10, 10_000)
PAGE_SIZES = (10, 100)


_serializer = TypeSerializer()


# --- DynamoDB's size and capacity rules ------------------------------------------------------


def value_size(value: dict[str, Any]) -> int:
    (kind, inner), = value.items()
    if kind == "S":
        return len(inner.encode())
    if kind == "N":
        digits = inner.lstrip("-").replace(".", "").strip("0") or "0"
        return math.ceil(len(digits) / 2) + 1
    if kind == "B":
        return len(inner)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(member.encode()) for member in inner)
    if kind == "NS":
        return sum(value_size({"N": member}) for member in inner)
    if kind == "BS":
        return sum(len(member) for member in inner)
    if kind == "L":
        return 3 + sum(1 + value_size(member) for member in inner)
    if kind == "M":
        return 3 + sum(1 + len(name.encode()) + value_size(member) for name, member in inner.items())
    raise ValueError(f"unknown DynamoDB type {kind}")


def item_size(item: dict[str, Any] | None) -> int:
    """Bytes of an item in DynamoDB's wire form, by the rules DynamoDB bills by."""
    return sum(len(name.encode()) + value_size(value) for name, value in (item or {}).items())


def read_units(total_bytes: int, consistent: bool) -> float:
    units = max(1, math.ceil(total_bytes / 4096))
    return float(units if consistent else units / 2)


def write_units(item_bytes: int) -> int:
    return max(1, math.ceil(item_bytes / 1024))


# --- Counting what the resolvers ask of DynamoDB ---------------------------------------------


class CallLog:
    """Every DynamoDB call made by the hooked clients, with the capacity DynamoDB would charge for it."""

    def __init__(self, table_client: Any, table_name: str, indexes: dict[str, dict[str, Any]]) -> None:
        self.reader = table_client  # our own client: not hooked, so its reads are not counted
        self.table_name = table_name
        self.indexes = indexes
        self.calls: list[dict[str, Any]] = []
        self._pending: list[dict[str, Any]] = []

    def attach(self, client: Any) -> None:
        client.meta.events.register("before-parameter-build.dynamodb", self._before)
        client.meta.events.register("after-call.dynamodb", self._after)

    def clear(self) -> list[dict[str, Any]]:
        calls, self.calls = self.calls, []
        return calls

    def _current(self, key: dict[str, Any]) -> dict[str, Any] | None:
        return self.reader.get_item(TableName=self.table_name, Key=key, ConsistentRead=True).get("Item")

    def _key(self, item: dict[str, Any]) -> dict[str, Any]:
        return {"PK": item["PK"], "SK": item["SK"]}

    def _before(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        call: dict[str, Any] = {"operation": model.name, "params": params}
        if model.name == "UpdateItem":
            call["before"] = self._current(params["Key"])
        elif model.name == "PutItem":
            call["before"] = self._current(self._key(params["Item"]))
        elif model.name == "TransactWriteItems":
            call["before"] = [self._current(self._key(entry["Put"]["Item"])) if "Put" in entry else None for entry in params["TransactItems"]]
        self._pending.append(call)

    def _after(self, http_response: Any, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        call = self._pending.pop()
        params = call.pop("params")
        failed = "Error" in parsed and parsed["Error"].get("Code")
        record: dict[str, Any] = {"operation": call["operation"], "error": failed or None, "read_units": 0.0, "write_units": 0, "index_write_units": {}}
        operation = call["operation"]
        if operation in ("Query", "Scan"):
            items = parsed.get("Items", [])
            read_bytes = sum(item_size(item) for item in items)
            record.update(
                index=params.get("IndexName"),
                limit=params.get("Limit"),
                count=parsed.get("Count"),
                scanned_count=parsed.get("ScannedCount"),
                more=bool(parsed.get("LastEvaluatedKey")),
                bytes_read=read_bytes,
                read_units=read_units(read_bytes, bool(params.get("ConsistentRead"))),
            )
        elif operation == "GetItem":
            size = item_size(parsed.get("Item") or {})
            record.update(bytes_read=size, read_units=read_units(size, bool(params.get("ConsistentRead"))))
        elif operation == "PutItem" and not failed:
            self._writes(record, call["before"], params["Item"], factor=1)
        elif operation == "UpdateItem" and not failed:
            after = parsed.get("Attributes") or self._current(params["Key"]) or {}
            self._writes(record, call["before"], after, factor=1)
        elif operation == "TransactWriteItems" and not failed:
            for before, entry in zip(call["before"], params["TransactItems"]):
                if "Put" in entry:
                    self._writes(record, before, entry["Put"]["Item"], factor=2)
                else:  # Update / Delete / ConditionCheck: the item's size, twice
                    record["write_units"] += 2 * write_units(item_size(self._current(entry[next(iter(entry))]["Key"])))
        self.calls.append(record)

    def _writes(self, record: dict[str, Any], before: dict[str, Any] | None, after: dict[str, Any], factor: int) -> None:
        size = max(item_size(before), item_size(after))
        record["item_bytes"] = item_size(after)
        record["write_units"] += factor * write_units(size)
        for name, index in self.indexes.items():
            units = index_write_units(index, before, after)
            if units:
                record["index_write_units"][name] = record["index_write_units"].get(name, 0) + units


def index_write_units(index: dict[str, Any], before: dict[str, Any] | None, after: dict[str, Any]) -> int:
    """Write units a global secondary index spends when an item changes from `before` to `after`."""
    keys = [index["partitionKey"]] + ([index["sortKey"]] if index.get("sortKey") else [])
    key_names = set(keys) | {"PK", "SK"}

    def entry(item: dict[str, Any] | None) -> dict[str, Any] | None:
        if not item or any(name not in item for name in keys):
            return None  # sparse: not in the index
        if index.get("projection", "ALL") == "ALL":
            return item
        return {name: value for name, value in item.items() if name in key_names}

    old, new = entry(before), entry(after)
    if old == new:
        return 0  # nothing projected changed: no index write
    units = 0
    moved = old is not None and new is not None and any(old.get(k) != new.get(k) for k in keys)
    if old is not None and (new is None or moved):
        units += write_units(item_size(old))  # delete of the old entry
    if new is not None:
        units += write_units(item_size(new))
    return units


# --- The in-process stack ----------------------------------------------------------------------


@contextlib.contextmanager
def in_process_stack() -> Iterator[Any]:
    """assemble_stack under mock_aws, with the process environment restored afterwards."""
    from moto import mock_aws

    from local.config import Settings
    from local.server import assemble_stack

    saved = dict(os.environ)
    os.environ.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing"})
    os.environ.pop("AWS_ENDPOINT_URL", None)
    settings = Settings(
        stage="bench", ses_region=REGION, sns_region=REGION, table_region=REGION,
        default_email_from="no-reply@example.com", allowed_email_senders="support@example.com", allowed_sms_sender_ids="Messenger",
    )
    try:
        # The handlers' JSON logs would fill the terminal: they go nowhere (bench/warm_invoke.py counts them).
        with mock_aws(), contextlib.redirect_stdout(io.StringIO()):
            stack = assemble_stack(settings)
            try:
                yield stack
            finally:
                stack.close()
    finally:
        os.environ.clear()
        os.environ.update(saved)


def execute(stack: Any, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    response = stack.graphql.execute({"query": query, "variables": variables}, headers={})
    if response.get("errors"):
        raise RuntimeError(f"GraphQL errors: {response['errors']}")
    return response["data"]


def record_item(recipient: str, ulid: str, sender_id: str, index: int) -> dict[str, Any]:
    """A delivered-to-the-provider email record as the sendMessage pipeline leaves it."""
    created = f"2026-11-25T10:{index // 3600 % 60:02d}:{index // 60 % 60:02d}.{index % 1000:03d}Z"
    message_id = f"{MESSAGE_PREFIX}{ulid}"
    record = {
        "PK": f"{MESSAGE_PREFIX}{recipient}",
        "SK": message_id,
        "id": message_id,
        "to": recipient,
        "body": BODY,
        "deliveryMethod": "EMAIL",
        "deliveryStatus": "ACCEPTED",
        "statusReason": "Accepted by SES for delivery",
        "statusHistory": [
            {"status": "PENDING", "reason": "Recorded; delivery not attempted yet", "at": created},
            {"status": "ACCEPTED", "reason": "Accepted by SES for delivery", "at": created},
        ],
        "createdAt": created,
        "updatedAt": created,
        "from": "no-reply@example.com",
        "subject": "Your order has shipped",
        "senderId": sender_id,
        "senderKey": f"{STORAGE.key_prefixes['sender']}{sender_id}",
        "providerMessageId": f"0107019{index:09d}-7c3b2a1d-0e9f-4a8b-b7c6-d5e4f3a2b1c0-000000",
    }
    return {name: _serializer.serialize(value) for name, value in record.items()}


def ulids(count: int, start_ms: int) -> list[str]:
    from ulid import ULID

    return [str(ULID.from_timestamp(start_ms + index)) for index in range(count)]


def seed(client: Any, table: str, items: list[dict[str, Any]]) -> None:
    for start in range(0, len(items), 25):
        batch = {table: [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]}
        while batch:
            batch = client.batch_write_item(RequestItems=batch).get("UnprocessedItems") or {}


def page_cost(stack: Any, log: CallLog, filter_: dict[str, str], first: int, after: str | None) -> dict[str, Any]:
    log.clear()
    started = time.perf_counter()
    page = execute(stack, GET_MESSAGES, {"filter": filter_, "first": first, "after": after})["getMessages"]
    elapsed = time.perf_counter() - started
    calls = log.clear()
    queries = [call for call in calls if call["operation"] == "Query"]
    return {
        "dynamodb_calls": len(calls),
        "operations": sorted({call["operation"] for call in calls}),
        "queries": len(queries),
        "index": queries[0]["index"] if queries else None,
        "limit": queries[0]["limit"] if queries else None,
        "items_read": sum(call["scanned_count"] or 0 for call in queries),
        "items_returned_by_dynamodb": sum(call["count"] or 0 for call in queries),
        "items_shown": len(page["data"]),
        "has_next_page": page["pageInfo"]["hasNextPage"],
        "bytes_read": sum(call["bytes_read"] for call in queries),
        "read_units": sum(call["read_units"] for call in calls),
        "moto_ms": round(elapsed * 1000, 1),
    }


def bench_reads(stack: Any, log: CallLog, table_client: Any, table: str, sizes: tuple[int, ...]) -> dict[str, Any]:
    histories = {size: {"to": f"reader{size}@example.com", "senderId": f"shop-{size}"} for size in sizes}
    start_ms = 1_790_000_000_000
    seeded: dict[int, list[dict[str, Any]]] = {}
    cursors: dict[tuple[int, str], str] = {}
    for size, history in histories.items():
        items = [record_item(history["to"], ulid, history["senderId"], index) for index, ulid in enumerate(ulids(size, start_ms))]
        start_ms += size + 1000
        middle = size // 2 - 1
        # The middle message goes in first, alone: a one-item page then yields its cursor from the API
        # itself (cursors are opaque), before the rest of the history is seeded around it.
        seed(table_client, table, [items[middle]])
        for field in ("to", "senderId"):
            page = execute(stack, GET_MESSAGES, {"filter": {field: history[field]}, "first": 1})["getMessages"]
            cursors[(size, field)] = page["pageInfo"]["endCursor"]
        seeded[size] = items[:middle] + items[middle + 1 :]
    started = time.perf_counter()
    for items in seeded.values():
        seed(table_client, table, items)
    seed_seconds = time.perf_counter() - started

    rows = []
    for size, history in histories.items():
        for field in ("to", "senderId"):
            for first in PAGE_SIZES:
                for position, after in (("first page", None), ("middle page", cursors[(size, field)])):
                    cost = page_cost(stack, log, {field: history[field]}, first, after)
                    expected = min(first, size if after is None else size - size // 2)
                    rows.append({
                        "filter": field, "messages": size, "first": first, "page": position, **cost,
                        "one_query_at_most_first_plus_1": cost["dynamodb_calls"] == 1 and cost["queries"] == 1 and cost["items_read"] <= first + 1,
                        "complete_page": cost["items_shown"] == expected,
                    })
    return {
        "seeded_items": sum(sizes),
        "seed_seconds": round(seed_seconds, 1),
        "record_item_bytes": item_size(record_item("reader10@example.com", ulids(1, start_ms)[0], "shop-10", 1)),
        "pages": rows,
        "goal": "every page, whatever the history's length: one Query reading at most first+1 items",
        "goal_met": all(row["one_query_at_most_first_plus_1"] and row["complete_page"] for row in rows),
    }


# --- Writes of one message ---------------------------------------------------------------------


def _handler_clients(stack: Any) -> list[Any]:
    """The `dynamodb` clients of the Lambda handlers the stack runs (the status handlers make theirs on first use)."""
    sources = [*vars(stack.reporter).values(), *stack.executor.data_sources.values()]
    clients: dict[int, Any] = {}
    for source in sources:
        handler = getattr(source, "handler", None)
        if callable(handler):
            accessor = inspect.unwrap(handler).__globals__.get("dynamodb")
            client = accessor() if callable(accessor) else None
            if client is not None and hasattr(client, "meta"):
                clients[id(client)] = client
    return list(clients.values())


def _totals(calls: list[dict[str, Any]]) -> dict[str, Any]:
    index_units: dict[str, int] = {}
    for call in calls:
        for name, units in call["index_write_units"].items():
            index_units[name] = index_units.get(name, 0) + units
    return {
        "calls": [call["operation"] for call in calls],
        "read_units": sum(call["read_units"] for call in calls),
        "write_units": sum(call["write_units"] for call in calls),
        "index_write_units": index_units,
        "item_bytes_after": [call.get("item_bytes") for call in calls if "item_bytes" in call],
    }


def bench_writes(stack: Any, log: CallLog) -> dict[str, Any]:
    for client in _handler_clients(stack):
        log.attach(client)
    cases = {
        "email": {"to": "w1@example.com", "body": BODY, "deliveryMethod": "EMAIL", "subject": "Your order has shipped"},
        "email with senderId": {"to": "w2@example.com", "body": BODY, "deliveryMethod": "EMAIL", "subject": "Your order has shipped", "senderId": "shop-1"},
        "email with senderId and idempotencyKey": {
            "to": "w3@example.com", "body": BODY, "deliveryMethod": "EMAIL", "subject": "Your order has shipped", "senderId": "shop-1", "idempotencyKey": "order-12345-shipped",
        },
        "sms": {"to": "+14155550100", "body": BODY, "deliveryMethod": "SMS"},
        "sms with senderId": {"to": "+14155550101", "body": BODY, "deliveryMethod": "SMS", "senderId": "shop-1"},
    }
    results = {}
    for name, message_input in cases.items():
        log.clear()
        sent = execute(stack, SEND_MESSAGE, {"input": message_input})["sendMessage"]
        send = _totals(log.clear())
        event = "DELIVERY" if message_input["deliveryMethod"] == "EMAIL" else "SMS_SUCCESS"
        try:
            stack.reporter.report({"to": message_input["to"], "messageId": sent["id"], "event": event})
            report = _totals(log.clear())
        except Exception as error:  # noqa: BLE001 - the local reporter is optional for this figure
            report = {"error": f"{type(error).__name__}: {error}"}
        results[name] = {"delivery_status": sent["deliveryStatus"], "sendMessage": send, f"provider event {event}": report}
    return results


def run(quick: bool = False) -> dict[str, Any]:
    sizes = (10, 1_000) if quick else SIZES
    with in_process_stack() as stack:
        table = stack.settings.table_names["messages"]
        indexes = stack.manifest.tables["messages"].get("indexes", {})
        table_client = boto3.client("dynamodb", region_name=REGION)
        log = CallLog(table_client, table, indexes)
        clients = {id(source.client): source.client for source in stack.executor.data_sources.values() if hasattr(source, "client")}
        for client in clients.values():
            log.attach(client)
        return {
            "reads": bench_reads(stack, log, table_client, table, sizes),
            "writes_per_message": bench_writes(stack, log),
            "indexes": indexes,
            "note": "capacity units computed from item sizes by DynamoDB's rules; moto's ConsumedCapacity is a constant",
        }


def report(results: dict[str, Any]) -> str:
    reads = results["reads"]
    lines = [
        f"getMessages ({reads['seeded_items']} items seeded in {reads['seed_seconds']} s; a record is {reads['record_item_bytes']} bytes)",
        "| filter | messages | first | page | DynamoDB calls | Limit | items read | shown | next | read units | moto ms |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in reads["pages"]:
        lines.append(
            f"| {row['filter']}{' (' + row['index'] + ')' if row['index'] else ''} | {row['messages']:,} | {row['first']} | {row['page']} | "
            f"{row['dynamodb_calls']} {'/'.join(row['operations'])} | {row['limit']} | {row['items_read']} | {row['items_shown']} | "
            f"{'yes' if row['has_next_page'] else 'no'} | {row['read_units']} | {row['moto_ms']} |"
        )
    lines.append(f"goal ({reads['goal']}): {'met' if reads['goal_met'] else 'missed'}")
    lines += ["", "writes per message (sendMessage, then one provider report):", "| message | step | calls | read units | write units | index write units | item bytes |", "|---|---|---|---|---|---|---|"]
    for name, figures in results["writes_per_message"].items():
        for step, totals in figures.items():
            if not isinstance(totals, dict):
                continue
            if "error" in totals:
                lines.append(f"| {name} | {step} | {totals['error']} | | | | |")
                continue
            lines.append(
                f"| {name} | {step} | {', '.join(totals['calls'])} | {totals['read_units']} | {totals['write_units']} | "
                f"{json.dumps(totals['index_write_units']) if totals['index_write_units'] else '-'} | {totals['item_bytes_after']} |"
            )
    return "\n".join(lines)

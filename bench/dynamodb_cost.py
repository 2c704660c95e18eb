"""DynamoDB work per request: getMessages pages for 10 and 10,000 messages, the writes of a send, the authorizer's.

In-process: the real schema, resolvers and handlers (local.stack.assemble_stack) under moto's
mock_aws. A CallRecorder (bench/aws_calls.py) sees every AWS call any client of the process makes: the
resolvers' data source, the delivery function (an SMS's provider id), the status functions (provider
events), the Lambda authorizer, whoever makes them. Every DynamoDB call is counted with what DynamoDB returned
(Count, ScannedCount, the items), except the benchmark's own seeding and reads, the reads of the local stack's
reporter (local/providers/status_reports.py), which builds a provider's event from the record as AWS would deliver
it, and the polls of the TEST outcomes queue (Lambda's event source mapping's, in AWS); other services' calls are
listed. Each write and read is also kept with its partition key (bench/partitions.py adds them up per key).

moto reports a constant ConsumedCapacity, so the capacity units here are computed from the items
by DynamoDB's published rules: item size = attribute names + values (UTF-8 strings; numbers about
1 byte per 2 digits + 1; lists and maps 3 bytes + 1 per element); reads 4 KB units (a Query sums
its items first), half a unit when eventually consistent, and at least one (or a half) even for an item
that is not there; writes 1 KB units per item, the larger of the item before and after, twice for a
transaction; a conditional write whose condition fails is charged too, by the size of the item it found (at
least one unit); an index write for each write that changes an item in a global secondary index (ALL
projection: the whole item; KEYS_ONLY: the keys, and only when they change).

The 10 and 10,000-message histories are seeded with batch_write_item, each item a copy of a record the
sendMessage pipeline really wrote in this run (an email with a senderId, as recordOutcome leaves it), with
its recipient, id and sender changed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import math
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3

from bench.aws_calls import ApiCall, CallRecorder, describe, substitute, text_forms
from bench.recording_stack import background_threads
from local.manifest import load_manifest
from local.operations import GET_MESSAGES, SEND_MESSAGE

REPO_ROOT = Path(__file__).resolve().parent.parent
MESSAGE_PREFIX = load_manifest().storage.key_prefixes["message"]
REGION = "eu-central-1"
SUBJECT = "Your order has shipped"
BODY = "Your order 12345 has shipped and will arrive on Thursday. Track it at https://example.com/t/12345. Thank you for shopping with us!"
SIZES = (10, 10_000)
PAGE_SIZES = (10, 100)


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


# DynamoDB charges a conditional write whose condition fails: the size of the item it found, at least one unit.
CONDITION_FAILED = "ConditionalCheckFailedException"


def _key_value(value: dict[str, Any]) -> str:
    return str(next(iter(value.values())))


class CallLog:
    """Every DynamoDB call made while its recorder is installed, with the capacity DynamoDB would charge for it,
    item by item: each write (a PutItem, UpdateItem or DeleteItem, each item of a transaction or a batch, an index
    entry written or deleted, a conditional write refused) and each read, with its partition key."""

    def __init__(
        self, table_client: Any, table_name: str, indexes: dict[str, dict[str, Any]], not_counted: tuple[Any, ...] = (), skip_threads: frozenset[str] = frozenset()
    ) -> None:
        self.reader = table_client  # the benchmark's own client: its seeding and reads are not counted
        self.not_counted = (table_client, *not_counted)
        self.skip_threads = skip_threads  # threads that work for no request (a queue's poller)
        self.table_name = table_name
        self.indexes = indexes
        self.calls: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def recorder(self) -> CallRecorder:
        return CallRecorder(
            before=self._before, after=self._after, ignore=lambda client: any(client is other for other in self.not_counted), skip_threads=self.skip_threads
        )

    def clear(self) -> list[dict[str, Any]]:
        with self._lock:
            calls, self.calls = self.calls, []
        return calls

    def _current(self, key: dict[str, Any]) -> dict[str, Any] | None:
        item: dict[str, Any] | None = self.reader.get_item(TableName=self.table_name, Key=key, ConsistentRead=True).get("Item")
        return item

    def _key(self, item: dict[str, Any]) -> dict[str, Any]:
        return {"PK": item["PK"], "SK": item["SK"]}

    def _entry_key(self, kind: str, entry: dict[str, Any]) -> dict[str, Any]:
        """The key a transaction's or a batch's entry writes: a Put's item's, or the entry's Key."""
        return self._key(entry["Item"]) if kind in ("Put", "PutRequest") else dict(entry["Key"])

    def _check_table(self, table: str | None) -> None:
        if table != self.table_name:
            raise NotImplementedError(f"a write to {table}: only {self.table_name} is counted")

    def _before(self, call: ApiCall) -> None:
        params = call.params
        if call.service != "dynamodb":
            return
        if call.operation in ("UpdateItem", "DeleteItem"):
            self._check_table(params["TableName"])
            call.notes["before"] = self._current(params["Key"])
        elif call.operation == "PutItem":
            self._check_table(params["TableName"])
            call.notes["before"] = self._current(self._key(params["Item"]))
        elif call.operation == "TransactWriteItems":
            befores = []
            for item in params["TransactItems"]:
                (kind, entry), = item.items()
                self._check_table(entry["TableName"])
                befores.append(self._current(self._entry_key(kind, entry)))
            call.notes["before"] = befores
        elif call.operation == "BatchWriteItem":
            befores = []
            for table, requests in params["RequestItems"].items():
                self._check_table(table)
                for request in requests:
                    (kind, entry), = request.items()
                    befores.append(self._current(self._entry_key(kind, entry)))
            call.notes["before"] = befores

    def _after(self, call: ApiCall) -> None:
        params, parsed, operation = call.params, call.response or {}, call.operation
        record: dict[str, Any] = {
            "service": call.service, "operation": operation, "error": call.error,
            "read_units": 0.0, "write_units": 0, "index_write_units": {}, "writes": [], "reads": [],
        }
        if call.service != "dynamodb":
            with self._lock:
                self.calls.append(record)
            return
        record["partition"] = describe(call).removeprefix(f"dynamodb {operation} ")
        before: Any = call.notes.get("before")
        if operation in ("Query", "Scan"):
            items = parsed.get("Items", [])
            partition = next(iter(params.get("ExpressionAttributeValues", {}).values()), None)  # the key condition's first value
            if "ProjectionExpression" in params and not params.get("IndexName"):
                # DynamoDB charges the items it read, whole, whatever the projection returned.
                items = [self._current({"PK": item.get("PK", partition), "SK": item["SK"]}) or {} for item in items]
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
            record["reads"].append({"partition": _key_value(partition) if partition else "(scan)", "index": params.get("IndexName"), "units": record["read_units"]})
        elif operation == "GetItem":
            size = item_size(parsed.get("Item") or {})
            record.update(bytes_read=size, read_units=read_units(size, bool(params.get("ConsistentRead"))))
            record["reads"].append({"partition": _key_value(params["Key"]["PK"]), "index": None, "units": record["read_units"]})
        elif operation == "BatchGetItem":
            # Each item is rounded up to 4 KB on its own, by its full size whatever the projection returned.
            units, read_bytes = 0.0, 0
            for table, request in params["RequestItems"].items():
                for item in parsed.get("Responses", {}).get(table, []):
                    size = item_size(self._current(self._key(item)))
                    read_bytes += size
                    units += read_units(size, bool(request.get("ConsistentRead")))
                    record["reads"].append({"partition": _key_value(item["PK"]), "index": None, "units": read_units(size, bool(request.get("ConsistentRead")))})
            record.update(count=sum(len(request["Keys"]) for request in params["RequestItems"].values()), bytes_read=read_bytes, read_units=units)
        elif operation in ("PutItem", "UpdateItem", "DeleteItem") and call.error == CONDITION_FAILED:
            key = self._key(params["Item"]) if operation == "PutItem" else params["Key"]
            self._write(record, operation, key, write_units(item_size(before)), failed=True)
        elif operation == "PutItem" and not call.error:
            self._writes(record, operation, before, params["Item"], factor=1)
        elif operation == "UpdateItem" and not call.error:
            after = parsed["Attributes"] if params.get("ReturnValues") == "ALL_NEW" else self._current(params["Key"]) or {}
            self._writes(record, operation, before, after, factor=1)
        elif operation == "DeleteItem" and not call.error:
            self._writes(record, operation, before, None, factor=1, key=params["Key"])
        elif operation == "TransactWriteItems" and not call.error:
            # Every item of a transaction costs twice what it would alone (its index entries once).
            for item_before, item in zip(before, params["TransactItems"], strict=True):
                (kind, entry), = item.items()
                key = self._entry_key(kind, entry)
                if kind == "Put":
                    self._writes(record, f"Transact {kind}", item_before, entry["Item"], factor=2)
                elif kind == "Update":
                    self._writes(record, f"Transact {kind}", item_before, self._current(key) or {}, factor=2)
                elif kind == "Delete":
                    self._writes(record, f"Transact {kind}", item_before, None, factor=2, key=key)
                else:  # ConditionCheck: the item's size, twice, and nothing written
                    self._write(record, f"Transact {kind}", key, 2 * write_units(item_size(item_before)))
        elif operation == "BatchWriteItem" and not call.error:
            unprocessed = [request for requests in (parsed.get("UnprocessedItems") or {}).values() for request in requests]
            entries = [request for requests in params["RequestItems"].values() for request in requests]
            for item_before, request in zip(before, entries, strict=True):
                if request in unprocessed:
                    continue
                (kind, entry), = request.items()
                after = entry["Item"] if kind == "PutRequest" else None
                self._writes(record, f"Batch {kind}", item_before, after, factor=1, key=self._entry_key(kind, entry))
        elif operation not in ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"):
            raise NotImplementedError(f"no capacity rule for {operation}: count it before measuring")
        with self._lock:
            self.calls.append(record)

    def _write(self, record: dict[str, Any], operation: str, key: dict[str, Any], units: int, index: str | None = None, failed: bool = False) -> None:
        partition = _key_value(key["PK"]) if index is None else key["PK"]
        record["writes"].append({"operation": operation, "partition": partition, "index": index, "units": units, "failed": failed})
        if index is None:
            record["write_units"] += units
        else:
            record["index_write_units"][index] = record["index_write_units"].get(index, 0) + units

    def _writes(
        self, record: dict[str, Any], operation: str, before: dict[str, Any] | None, after: dict[str, Any] | None, factor: int, key: dict[str, Any] | None = None
    ) -> None:
        """An item changed from `before` to `after` (None: deleted): its table write, and its indexes' writes."""
        size = max(item_size(before), item_size(after))
        if after is not None:
            record.setdefault("item_bytes", []).append(item_size(after))
        self._write(record, operation, key or self._key(after or {}), factor * write_units(size))
        for name, index in self.indexes.items():
            for partition, units in index_writes(index, before, after):
                self._write(record, operation, {"PK": partition}, units, index=name)


def index_writes(index: dict[str, Any], before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[tuple[str, int]]:
    """The writes a global secondary index makes when an item changes from `before` to `after` (None: deleted):
    each as the index partition it lands on and its write units."""
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
        return []  # nothing projected changed: no index write
    writes = []
    moved = old is not None and new is not None and any(old.get(k) != new.get(k) for k in keys)
    if old is not None and (new is None or moved):
        writes.append((_key_value(old[keys[0]]), write_units(item_size(old))))  # delete of the old entry
    if new is not None:
        writes.append((_key_value(new[keys[0]]), write_units(item_size(new))))
    return writes


def index_write_units(index: dict[str, Any], before: dict[str, Any] | None, after: dict[str, Any] | None) -> int:
    """Write units a global secondary index spends when an item changes from `before` to `after`."""
    return sum(units for _, units in index_writes(index, before, after))


# --- The in-process stack ----------------------------------------------------------------------


@contextlib.contextmanager
def in_process_stack(**settings_overrides: Any) -> Iterator[Any]:
    """assemble_stack under mock_aws, with the process environment restored afterwards; `settings_overrides` are
    local.config.Settings fields (a sending limit, say)."""
    from moto import mock_aws

    from local.config import Settings
    from local.stack import assemble_stack

    saved = dict(os.environ)
    os.environ.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing"})
    os.environ.pop("AWS_ENDPOINT_URL", None)
    settings = Settings(
        stage="bench", ses_region=REGION, sns_region=REGION, table_region=REGION,
        default_email_from="no-reply@example.com", allowed_email_senders="support@example.com", allowed_sms_sender_ids="Messenger",
        # The countries every environment allows (envs/*.tfvars): an SMS reads their numbering with the config.
        sms_allowed_countries="US,CA,GB",
        **settings_overrides,
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


def stack_call_log(stack: Any, table_client: Any) -> CallLog:
    """A CallLog of an in-process stack's calls. The local stack's reporter reads a record to build the event AWS
    would deliver for it, and its table stream reads each item written before and after the write to make the
    stream's images: no such read happens in AWS, so their clients are not counted (the status functions' own
    calls are); nor are the threads that stand in for Lambda's event source mappings (background_threads)."""
    return CallLog(
        table_client,
        stack.settings.table_names["messages"],
        stack.manifest.tables["messages"].get("indexes", {}),
        not_counted=(stack.reporter.dynamodb, stack.stream.image_reader),
        skip_threads=background_threads(stack.settings),
    )


def execute(stack: Any, query: str, variables: dict[str, Any], caller: Any = None) -> dict[str, Any]:
    """One request, as the API key's caller (the default client) unless `caller` (local.appsync.auth.Caller) says who."""
    response = stack.graphql.execute({"query": query, "variables": variables}, headers={}, caller=caller)
    if response.get("errors"):
        raise RuntimeError(f"GraphQL errors: {response['errors']}")
    return response["data"]


TEMPLATE_TO, TEMPLATE_SENDER = "template-recipient@example.com", "template-sender"


@dataclasses.dataclass(frozen=True)
class Template:
    """A record the pipeline wrote in this run, and the values that make it that message's."""

    item: dict[str, Any]
    ulid: str

    def copy_for(self, recipient: str, ulid: str, sender_id: str) -> dict[str, Any]:
        copied: dict[str, Any] = substitute(self.item, {**text_forms(TEMPLATE_TO, recipient), self.ulid: ulid, TEMPLATE_SENDER: sender_id})
        return copied


def template_record(stack: Any, table_client: Any, table: str) -> Template:
    """An email with a senderId, sent through the real pipeline: its record as recordOutcome leaves it (ACCEPTED)."""
    message_input = {"to": TEMPLATE_TO, "body": BODY, "subject": SUBJECT, "deliveryMethod": "EMAIL", "senderId": TEMPLATE_SENDER}
    message_id = execute(stack, SEND_MESSAGE, {"input": message_input})["sendMessage"]["id"]
    key = {"PK": {"S": f"{MESSAGE_PREFIX}{TEMPLATE_TO}"}, "SK": {"S": message_id}}
    item: dict[str, Any] = table_client.get_item(TableName=table, Key=key, ConsistentRead=True)["Item"]
    return Template(item, message_id.removeprefix(MESSAGE_PREFIX))


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
    template = template_record(stack, table_client, table)
    histories = {size: {"to": f"reader{size}@example.com", "senderId": f"shop-{size}"} for size in sizes}
    start_ms = 1_790_000_000_000
    seeded: dict[int, list[dict[str, Any]]] = {}
    cursors: dict[tuple[int, str], str] = {}
    for size, history in histories.items():
        items = [template.copy_for(history["to"], ulid, history["senderId"]) for ulid in ulids(size, start_ms)]
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
        # A seeded record of the first history (the template's own recipient and sender are longer).
        "record_item_bytes": item_size(seeded[sizes[0]][0]),
        "record_attributes": sorted(template.item),
        "pages": rows,
        "goal": "every page, whatever the history's length: one Query reading at most first+1 items",
        "goal_met": all(row["one_query_at_most_first_plus_1"] and row["complete_page"] for row in rows),
    }


# --- Writes of one message ---------------------------------------------------------------------


def _totals(calls: list[dict[str, Any]], to: str) -> dict[str, Any]:
    index_units: dict[str, int] = {}
    for call in calls:
        for name, units in call["index_write_units"].items():
            index_units[name] = index_units.get(name, 0) + units
    return {
        # What each call was, and on which partition (the recipient's address shown as <to>).
        "calls": [f"{call['operation']} {call['partition'].replace(to, '<to>')}" if "partition" in call else f"{call['service']} {call['operation']}" for call in calls],
        "read_units": sum(call["read_units"] for call in calls),
        "write_units": sum(call["write_units"] for call in calls),
        "index_write_units": index_units,
        "item_bytes_after": [size for call in calls for size in call.get("item_bytes", [])],
    }


WRITE_CASES: dict[str, dict[str, str]] = {
    "email": {"to": "w1@example.com", "deliveryMethod": "EMAIL"},
    "email with senderId": {"to": "w2@example.com", "deliveryMethod": "EMAIL", "senderId": "shop-1"},
    "email with idempotencyKey": {"to": "w3@example.com", "deliveryMethod": "EMAIL", "idempotencyKey": "order-12345-shipped"},
    "email with senderId and idempotencyKey": {"to": "w4@example.com", "deliveryMethod": "EMAIL", "senderId": "shop-1", "idempotencyKey": "order-12345-shipped"},
    "sms": {"to": "+14155550100", "deliveryMethod": "SMS"},
    "sms with senderId": {"to": "+14155550101", "deliveryMethod": "SMS", "senderId": "shop-1"},
    "sms with senderId and idempotencyKey": {"to": "+14155550102", "deliveryMethod": "SMS", "senderId": "shop-1", "idempotencyKey": "order-12345-texted"},
}
# A retry of the last email case: the same input and key, answered with the message already recorded.
RETRY_CASE = "email with senderId and idempotencyKey"


def bench_writes(stack: Any, log: CallLog) -> dict[str, Any]:
    """Each case: one sendMessage, then the provider's report of its delivery (SES's DELIVERY event; the
    carrier's SMS_SUCCESS delivery log), with every DynamoDB call each makes; and what the message costs in all."""
    results: dict[str, Any] = {}
    for name, case in WRITE_CASES.items():
        message_input = {**case, "body": BODY, **({"subject": SUBJECT} if case["deliveryMethod"] == "EMAIL" else {})}
        log.clear()
        sent = execute(stack, SEND_MESSAGE, {"input": message_input})["sendMessage"]
        send = _totals(log.clear(), case["to"])
        event = "DELIVERY" if case["deliveryMethod"] == "EMAIL" else "SMS_SUCCESS"
        stack.reporter.report({"to": case["to"], "messageId": sent["id"], "event": event})
        delivered = _totals(log.clear(), case["to"])
        steps = (send, delivered)
        results[name] = {
            "delivery_status": sent["deliveryStatus"],
            "sendMessage": send,
            f"provider event {event}": delivered,
            "per_message": {
                "table_write_units": sum(step["write_units"] for step in steps),
                "index_write_units": sum(sum(step["index_write_units"].values()) for step in steps),
                "write_units": sum(step["write_units"] + sum(step["index_write_units"].values()) for step in steps),
                "read_units": sum(step["read_units"] for step in steps),
            },
        }
        if name == RETRY_CASE:
            log.clear()
            replayed = execute(stack, SEND_MESSAGE, {"input": message_input})["sendMessage"]
            if replayed["id"] != sent["id"]:
                raise RuntimeError("the retry with the same idempotency key recorded a new message")
            retry = _totals(log.clear(), case["to"])
            results[f"{name}, retried"] = {"delivery_status": replayed["deliveryStatus"], "sendMessage": retry, "per_message": {
                "table_write_units": retry["write_units"],
                "index_write_units": sum(retry["index_write_units"].values()),
                "write_units": retry["write_units"] + sum(retry["index_write_units"].values()),
                "read_units": retry["read_units"],
            }}
    return results


def bench_authorizer(stack: Any, log: CallLog) -> dict[str, Any]:
    """The Lambda authorizer for the local client's LIVE key, run as AppSync runs it once the key's cached answer has
    expired (once per key per cache period): what it reads and writes."""
    log.clear()
    granted = stack.authorizer.lambda_authorizer.authorize(stack.local_keys["LIVE"], b"{}", {})
    if granted is None:
        raise RuntimeError("the authorizer refused the local client's LIVE key")
    calls = [call for call in log.clear() if call["service"] == "dynamodb"]
    named = {granted["clientId"]: "<client>", granted["keyId"]: "<key id>"}
    return {
        "calls": [f"{call['operation']} {substitute(call['partition'], named)}" for call in calls],
        "read_units": sum(call["read_units"] for call in calls),
        "write_units": sum(call["write_units"] for call in calls),
        "cache_seconds": stack.settings.authorizer_cache_seconds,
    }


def bench_sweep(stack: Any, log: CallLog) -> dict[str, Any]:
    """One run of the stale-pending sweep over the stretch of time that holds the messages sent above (the
    seeded histories are older): what it reads per message it checks, and what it costs per run whatever the
    traffic (the limit counters of the hours around its window, and its mark)."""
    log.clear()
    stack.reporter.sweep({"staleAfterSeconds": 0})
    calls = [call for call in log.clear() if call["service"] == "dynamodb"]
    message_prefix = stack.manifest.storage.key_prefixes["message"]
    status_reads = [call for call in calls if call["operation"] == "Query" and call["partition"].startswith(message_prefix)]
    checked = sum(call["count"] for call in status_reads)
    if not checked:
        raise RuntimeError("the sweep checked no message: the benchmark's messages fell outside its window")
    per_run = [call for call in calls if call not in status_reads]
    return {
        "messages_checked": checked,
        "partitions_read": len(status_reads),
        "calls": sorted({f"{call['operation']} {call['partition'].split('#')[0]}{'#' if '#' in call['partition'] else ''}" for call in calls}),
        "index_queries": sum(1 for call in calls if call.get("index")),
        "read_units_per_message": sum(call["read_units"] for call in status_reads) / checked,
        "read_units_per_run": sum(call["read_units"] for call in per_run),
        "write_units_per_run": sum(call["write_units"] for call in per_run),
    }


def run(quick: bool = False) -> dict[str, Any]:
    sizes = (10, 1_000) if quick else SIZES
    with in_process_stack() as stack:
        table = stack.settings.table_names["messages"]
        indexes = stack.manifest.tables["messages"].get("indexes", {})
        table_client = boto3.client("dynamodb", region_name=REGION)
        log = stack_call_log(stack, table_client)
        # Every call of the process from here on, but those of the clients above.
        with log.recorder().installed():
            # Writes and the sweep first: moto answers an index Query by reading every item of the table, so
            # the sweep's 32 Queries would outlast its function's timeout over the seeded histories.
            writes = bench_writes(stack, log)
            sweep = bench_sweep(stack, log)
            authorizer = bench_authorizer(stack, log)
            return {
                "reads": bench_reads(stack, log, table_client, table, sizes),
                "writes_per_message": writes,
                "sweep": sweep,
                "authorizer": authorizer,
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
            if not isinstance(totals, dict) or step == "per_message":
                continue
            lines.append(
                f"| {name} | {step} | {', '.join(totals['calls'])} | {totals['read_units']} | {totals['write_units']} | "
                f"{json.dumps(totals['index_write_units']) if totals['index_write_units'] else '-'} | {totals['item_bytes_after']} |"
            )
    lines += ["", "per message, all steps:", "| message | write units (table + indexes) | read units |", "|---|---|---|"]
    for name, figures in results["writes_per_message"].items():
        units = figures["per_message"]
        lines.append(f"| {name} | {units['write_units']} ({units['table_write_units']} + {units['index_write_units']}) | {units['read_units']} |")
    sweep = results["sweep"]
    lines += [
        "",
        (f"stale-pending sweep, one run ({', '.join(sweep['calls'])}): {sweep['messages_checked']} messages checked in "
        f"{sweep['partitions_read']} partitions, {sweep['read_units_per_message']} read units per message checked; per run: "
        f"{sweep['read_units_per_run']} read units (limit counters, the mark), {sweep['write_units_per_run']} write units (the mark), "
        f"{sweep['index_queries']} index Queries"),
    ]
    authorizer = results["authorizer"]
    lines.append(
        f"the Lambda authorizer, once per key per {authorizer['cache_seconds']} s (its answer is cached): {', '.join(authorizer['calls'])}: "
        f"{authorizer['read_units']} read units, {authorizer['write_units']} write units"
    )
    return "\n".join(lines)

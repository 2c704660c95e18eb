"""The messages table's DynamoDB Stream (NEW_AND_OLD_IMAGES) and its Lambda event source mapping, locally.

moto's server neither feeds a stream to a function nor gives a dependable old image, so the stack makes the
stream itself from its own record of writes: every DynamoDB write of the stack (the resolvers' data source and
the handlers alike) is made by a client of one boto3 session (local/stack.py), and this module hooks it.

Images. For each item a write names that the stream's filters could pass (by its key; the messages, for the
event publisher), botocore's `before-call` event (the request is built, nothing is sent) takes the item's lock
and reads the item: the old image. After the answer (`after-call`; `after-call-error` when none came), the item
is read again: the new image; if it changed, a record (INSERT, MODIFY or REMOVE) is appended to the stream, and
only then is the lock let go. So, per item, the read before, the write and the read after happen with no other
write of the stack's in between, and records follow the writes' order. A write that changed nothing (a failed
condition, a put of the same item) makes no record, as in DynamoDB. A write naming several items (a
transaction, a batch) takes their locks in one fixed order, so two such writes never wait on each other.
Writes made outside the stack's process (a test's own client) are not seen. The stack's TTL deletes through
`ttl_deleter`, whose records carry TTL's userIdentity, as DynamoDB's do.

Delivery, as a Lambda event source mapping with ReportBatchItemFailures does it, one per function: one shard,
in order, in batches of up to BATCH_SIZE records (whatever accumulated while the previous batch ran), the
records the function's filters reject dropped before. When the function fails or reports failures, the records
before the lowest failed one are done and the mapping resumes from it after a pause; after MAX_ATTEMPTS
failures the record is discarded (a mapping's maximum retry attempts, the record logged as its on-failure
destination would get it), so one bad record cannot stop the stream for good.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3

from local.appsync.datasources import LambdaDataSource

logger = logging.getLogger("local.aws.table_stream")

WRITES = ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem")
BATCH_SIZE = 100  # the event source mapping's default for DynamoDB
MAX_ATTEMPTS = 5
RETRY_PAUSE_SECONDS = 0.2  # doubled after each failure of the same record
LOCK_STRIPES = 64
# What DynamoDB puts on the record of an item its TTL deleted; a caller's change has no userIdentity
# (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/time-to-live-ttl-streams.html).
TTL_IDENTITY = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
_MISSING = object()

Key = dict[str, Any]
Item = dict[str, Any]


def matches(pattern: Any, value: Any) -> bool:
    """Lambda's event filter pattern matching, for the rules the manifest uses: nested objects, lists of
    literals (one must equal the value), `{"prefix": ...}` and `{"exists": bool}`.

    Lambda matches a record's leaf values by their path (https://docs.aws.amazon.com/lambda/latest/dg/
    invocation-eventfiltering.html#filtering-syntax): below a missing field, or below a value that is no object,
    every field is missing; and `exists` sees leaves only, so an object where a rule names a field does not
    exist for it (`{"userIdentity": [{"exists": false}]}` would pass TTL's deletions, whose userIdentity is an
    object)."""
    if isinstance(pattern, dict):
        fields = value if isinstance(value, dict) else {}
        return all(matches(inner, fields.get(name, _MISSING)) for name, inner in pattern.items())
    return any(_matches_rule(rule, value) for rule in pattern)


def _is_leaf(value: Any) -> bool:
    """Whether a value is one Lambda's matching sees at its path: a string, number, boolean or null, or a list
    holding one (a list's elements are matched one by one)."""
    if isinstance(value, list):
        return any(_is_leaf(element) for element in value)
    return value is not _MISSING and not isinstance(value, dict)


def _matches_rule(rule: Any, value: Any) -> bool:
    if not isinstance(rule, dict):
        return value is not _MISSING and value == rule
    if set(rule) == {"prefix"}:
        return isinstance(value, str) and value.startswith(rule["prefix"])
    if set(rule) == {"exists"}:
        return _is_leaf(value) is rule["exists"]
    raise ValueError(f"a filter rule the local stream does not implement: {json.dumps(rule)}")


def passes(filters: Iterable[dict[str, Any]], record: dict[str, Any]) -> bool:
    """Whether a record passes an event source mapping's filters (ORed; none: every record passes)."""
    patterns = list(filters)
    return not patterns or any(matches(pattern, record) for pattern in patterns)


@dataclass
class _Capture:
    """One write's items, their locks, and their images before it."""

    keys: list[Key]
    locks: list[threading.Lock]
    before: list[Item | None] = field(default_factory=list)
    released: bool = False


class EventSourceMapping:
    """One function's reading of the stream: its filters, its records still to hand over, its position."""

    def __init__(self, function: LambdaDataSource, filters: Iterable[dict[str, Any]] = ()) -> None:
        self.function = function
        self.filters = list(filters)
        self._changed = threading.Condition()
        self._records: deque[dict[str, Any]] = deque()
        self._appended = 0
        self._handed_over = 0  # records done for good (or discarded)
        self._in_flight = False
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name=f"stream-{function.function_name}", daemon=True)

    def could_pass(self, key: Key) -> bool:
        """Whether a record of this item could pass the filters, judged by their conditions on the key."""
        return not self.filters or any(matches(pattern.get("dynamodb", {}).get("Keys", {}), key) for pattern in self.filters)

    def offer(self, record: dict[str, Any]) -> None:
        if passes(self.filters, record):
            with self._changed:
                self._records.append(record)
                self._appended += 1
                self._changed.notify_all()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        with self._changed:
            self._stopping = True
            self._changed.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def drain(self, timeout: float) -> bool:
        """Wait until every record offered so far was handed over (or discarded); False if `timeout` passed."""
        with self._changed:
            target = self._appended
            return self._changed.wait_for(lambda: self._handed_over >= target and not self._in_flight, timeout)

    def _run(self) -> None:
        attempts = 0
        while True:
            with self._changed:
                self._changed.wait_for(lambda: self._stopping or bool(self._records))
                if self._stopping:
                    return
                batch = [self._records[n] for n in range(min(BATCH_SIZE, len(self._records)))]
                self._in_flight = True
            done = self._deliver(batch)
            failed = done < len(batch)
            attempts = attempts + 1 if failed else 0
            if failed and attempts >= MAX_ATTEMPTS:
                discarded = batch[done]["dynamodb"]
                logger.error("stream record %s failed %d times and is discarded (keys %s)", discarded["SequenceNumber"], attempts, discarded["Keys"])
                done, attempts = done + 1, 0
            with self._changed:
                for _ in range(done):
                    self._records.popleft()
                self._handed_over += done
                self._in_flight = False
                self._changed.notify_all()
            if attempts:
                time.sleep(RETRY_PAUSE_SECONDS * 2 ** (attempts - 1))

    def _deliver(self, batch: list[dict[str, Any]]) -> int:
        """Hand a batch to the function; how many of its records, from the first, are done."""
        response, error = self.function.invoke({"operation": "Invoke", "payload": {"Records": batch}})
        if error is not None:
            logger.error("%s failed on a stream batch of %d: %s", self.function.function_name, len(batch), error["message"])
            return 0
        numbers = [record["dynamodb"]["SequenceNumber"] for record in batch]
        done = len(batch)
        for failure in (response or {}).get("batchItemFailures") or []:
            identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
            # An identifier that names no record of the batch fails the whole batch, as Lambda treats it.
            done = min(done, numbers.index(identifier) if identifier in numbers else 0)
        return done


class TableStream:
    def __init__(self, table_name: str, key_names: tuple[str, str], region: str) -> None:
        self.table_name = table_name
        self.region = region
        self.arn = f"arn:aws:dynamodb:{region}:123456789012:table/{table_name}/stream/local"
        self._key_names = key_names
        self._stripes = [threading.Lock() for _ in range(LOCK_STRIPES)]
        self._reader: Any = None
        self._ttl_deleter: Any = None
        self._mappings: list[EventSourceMapping] = []
        self._sequence = 0
        self._sequencing = threading.Lock()

    def attach(self, session: boto3.Session) -> None:
        """Hook the writes of every client made from `session` (call before they are made)."""
        self._reader = session.client("dynamodb", region_name=self.region)
        for operation in WRITES:
            session.events.register(f"before-call.dynamodb.{operation}", self._before_write)
            session.events.register(f"after-call.dynamodb.{operation}", self._after_write)
            session.events.register(f"after-call-error.dynamodb.{operation}", self._after_write)
        # Made after the hooks, so its writes are recorded too; its own handler (a client's events are a copy of
        # the session's) marks them as TTL's.
        self._ttl_deleter = session.client("dynamodb", region_name=self.region)
        self._ttl_deleter.meta.events.register("before-parameter-build.dynamodb.DeleteItem", self._as_ttl)

    @property
    def image_reader(self) -> Any:
        """The client that reads the images around each write: calls only the local stream makes (AWS reads no
        item to make a stream record), which a benchmark of the stack's calls leaves out."""
        return self._reader

    @property
    def ttl_deleter(self) -> Any:
        """The client the stack's TTL deletes expired items with: the record of each DeleteItem it makes carries
        TTL's userIdentity, as DynamoDB's own deletions do, so the stream's filters can tell them apart."""
        return self._ttl_deleter

    @staticmethod
    def _as_ttl(context: dict[str, Any], **_: Any) -> None:
        context["table_stream_identity"] = TTL_IDENTITY

    def start(self, mappings: list[EventSourceMapping]) -> None:
        """Feed the stream to these functions from now on."""
        self._mappings = mappings
        for mapping in mappings:
            mapping.start()

    def stop(self) -> None:
        for mapping in self._mappings:
            mapping.stop()

    def drain(self, timeout: float) -> bool:
        """Wait until every function was handed every record made so far; False if `timeout` passed first."""
        deadline = time.monotonic() + timeout
        return all(mapping.drain(max(0.0, deadline - time.monotonic())) for mapping in self._mappings)

    def _before_write(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        keys = [key for key in self._written_keys(json.loads(params.get("body") or b"{}")) if any(m.could_pass(key) for m in self._mappings)]
        if not keys:
            return
        stripes = sorted({hash(self._identity(key)) % LOCK_STRIPES for key in keys})
        capture = _Capture(keys, [self._stripes[stripe] for stripe in stripes])
        for lock in capture.locks:
            lock.acquire()
        try:
            capture.before = self._read(keys)
        except BaseException:
            self._release(capture)
            raise
        context["table_stream"] = capture

    def _after_write(self, context: dict[str, Any], **_: Any) -> None:
        capture: _Capture | None = context.get("table_stream")
        if capture is None or capture.released:
            return
        try:
            for key, before, after in zip(capture.keys, capture.before, self._read(capture.keys), strict=True):
                if after != before:
                    # Numbered and offered in one step: every function gets records in sequence-number order.
                    with self._sequencing:
                        record = self._record(key, before, after, context.get("table_stream_identity"))
                        for mapping in self._mappings:
                            mapping.offer(record)
        finally:
            self._release(capture)

    @staticmethod
    def _release(capture: _Capture) -> None:
        capture.released = True
        for lock in reversed(capture.locks):
            lock.release()

    def _written_keys(self, request: dict[str, Any]) -> Iterator[Key]:
        """The keys of this table's items a write request names (a condition check writes nothing)."""
        named: list[tuple[str | None, Item | None]] = [(request.get("TableName"), request.get("Item") or request.get("Key"))]
        for action in request.get("TransactItems", []):
            for kind in ("Put", "Update", "Delete"):
                if kind in action:
                    named.append((action[kind].get("TableName"), action[kind].get("Item") or action[kind].get("Key")))
        for table, requests in request.get("RequestItems", {}).items():
            for entry in requests:
                named.append((table, entry.get("PutRequest", {}).get("Item") or entry.get("DeleteRequest", {}).get("Key")))
        seen = set()
        for table, item in named:
            if table == self.table_name and item is not None:
                key = {name: item[name] for name in self._key_names if name in item}
                if len(key) == len(self._key_names) and self._identity(key) not in seen:
                    seen.add(self._identity(key))
                    yield key

    @staticmethod
    def _identity(key: Key) -> str:
        return json.dumps(key, sort_keys=True)

    def _read(self, keys: list[Key]) -> list[Item | None]:
        """The items as they stand (strongly consistent), in the keys' order: one GetItem, or for a batch's or a
        transaction's items one BatchGetItem (at most 100 keys; a write names at most 100 items)."""
        if len(keys) == 1:
            return [self._reader.get_item(TableName=self.table_name, Key=keys[0], ConsistentRead=True).get("Item")]
        found: dict[str, Item] = {}
        pending: list[Key] = keys
        while pending:
            answer = self._reader.batch_get_item(RequestItems={self.table_name: {"Keys": pending, "ConsistentRead": True}})
            for item in answer.get("Responses", {}).get(self.table_name, []):
                found[self._identity({name: item[name] for name in self._key_names})] = item
            pending = answer.get("UnprocessedKeys", {}).get(self.table_name, {}).get("Keys", [])
        return [found.get(self._identity(key)) for key in keys]

    def _record(self, key: Key, before: Item | None, after: Item | None, identity: dict[str, str] | None = None) -> dict[str, Any]:
        """The next record: one item's change, in the form Lambda hands it to a function (under _sequencing);
        `identity`, the userIdentity of a change made by DynamoDB itself (TTL)."""
        self._sequence += 1
        change: dict[str, Any] = {
            "ApproximateCreationDateTime": int(time.time()),
            "Keys": key,
            "SequenceNumber": f"{self._sequence:021d}",
            "SizeBytes": len(json.dumps([key, before, after])),
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        }
        if after is not None:
            change["NewImage"] = after
        if before is not None:
            change["OldImage"] = before
        record: dict[str, Any] = {
            "eventID": uuid.uuid4().hex,
            "eventName": "INSERT" if before is None else "REMOVE" if after is None else "MODIFY",
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": self.region,
            "dynamodb": change,
            "eventSourceARN": self.arn,
        }
        if identity is not None:
            record["userIdentity"] = dict(identity)
        return record

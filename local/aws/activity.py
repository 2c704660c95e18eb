"""What the console follows live (`GET /local/stream`): each email and SMS the outbox captures, each clear of the
outbox, and a count of writes to the DynamoDB table (a message recorded or moved on by a report, a channel paused
or resumed).

Readers wait on one condition until any of them changes (or the stack closes), so a stream costs nothing while
nothing happens, and writes that come in a burst reach a reader as one change.

It also remembers which items each write touched (their keys, by the count of the write that last touched them),
so that what is shown of the records can be read again for those alone (`written_since`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import boto3

from local.providers.outbox import Outbox

# Every DynamoDB call that writes, as the resolvers' data source and the handlers make them.
WRITES = ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem")


Key = tuple[str, str]


class Activity:
    def __init__(self, outbox: Outbox, key_names: tuple[str, str]) -> None:
        """`key_names`: the table's partition and sort key attributes."""
        self.outbox = outbox
        self._key_names = key_names
        self._changed = threading.Condition()
        self._writes = 0
        self._last_written: dict[Key, int] = {}
        self._closed = False
        outbox.subscribe(self._notify, on_clear=self._notify)

    def attach(self, session: boto3.Session) -> None:
        """Count the writes of every client made from `session` (call before they are created)."""
        for operation in WRITES:
            session.events.register(f"before-parameter-build.dynamodb.{operation}", self._remember_keys)
            session.events.register(f"after-call.dynamodb.{operation}", self._written)

    @property
    def writes(self) -> int:
        with self._changed:
            return self._writes

    @property
    def closed(self) -> bool:
        return self._closed

    def wait(self, sent: int, clears: int, writes: int, timeout: float) -> bool:
        """Until the outbox holds more than `sent` entries or was cleared more than `clears` times, the table has
        had more than `writes` writes, or the stack closes; False if `timeout` seconds passed first."""
        with self._changed:
            return self._changed.wait_for(
                lambda: self._closed or len(self.outbox) > sent or self.outbox.clears > clears or self._writes > writes, timeout
            )

    def written_since(self, writes: int) -> tuple[int, set[Key]]:
        """The count of writes so far, and the keys of the items written after the `writes`-th."""
        with self._changed:
            return self._writes, {key for key, count in self._last_written.items() if count > writes}

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    def _remember_keys(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["activity_keys"] = list(self._keys(params))

    def _keys(self, params: dict[str, Any]) -> Iterator[Key]:
        """The keys of the items a write request names: an item to put, or a key to update or delete."""
        targets = [params.get("Item"), params.get("Key")]
        for action in params.get("TransactItems", []):
            targets += [action.get("Put", {}).get("Item"), action.get("Update", {}).get("Key"), action.get("Delete", {}).get("Key")]
        for requests in params.get("RequestItems", {}).values():
            for request in requests:
                targets += [request.get("PutRequest", {}).get("Item"), request.get("DeleteRequest", {}).get("Key")]
        for item in filter(None, targets):
            # A client's request holds typed values ({"S": ...}); a resource's, before boto3 types them, plain ones.
            partition, sort = (value.get("S") if isinstance(value, dict) else value for value in (item.get(name) for name in self._key_names))
            if isinstance(partition, str) and isinstance(sort, str):
                yield partition, sort

    def _written(self, context: dict[str, Any] | None = None, **_: Any) -> None:
        with self._changed:
            self._writes += 1
            for key in (context or {}).get("activity_keys", ()):
                self._last_written[key] = self._writes
            self._changed.notify_all()

    def _notify(self, _entry: dict[str, Any] | None = None) -> None:
        with self._changed:
            self._changed.notify_all()
